"""Model builders and Model subclasses, one module per family.

``autoencoders`` (notebooks 01-04), ``vae`` (notebook 05), ``gan``
(notebooks 06-08), ``conditional_gan`` (the class-conditional GANs, notebook
09), ``pix2pix`` (image-to-image translation, notebook 09) and ``diffusion``
(notebook 11), ``autoregressive`` and ``flows`` (notebook 10); use them as
``cu.models.autoencoders.build_dense_autoencoder(...)``.
"""

from course_utils.models import (
    autoencoders,
    autoregressive,
    classifier,
    conditional_gan,
    diffusion,
    flows,
    gan,
    pix2pix,
    vae,
)

__all__ = [
    "autoencoders",
    "autoregressive",
    "classifier",
    "conditional_gan",
    "diffusion",
    "flows",
    "gan",
    "pix2pix",
    "vae",
]
