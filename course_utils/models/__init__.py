"""Model builders and Model subclasses, one module per family.

``autoencoders`` (notebooks 01-04), ``vae`` (notebook 05), ``gan``
(notebooks 06-08), ``conditional_gan`` (the class-conditional GANs, notebook
09) and ``pix2pix`` (image-to-image translation, notebook 09); use them as
``cu.models.autoencoders.build_dense_autoencoder(...)``.
"""

from course_utils.models import (
    autoencoders,
    classifier,
    conditional_gan,
    gan,
    pix2pix,
    vae,
)

__all__ = ["autoencoders", "classifier", "conditional_gan", "gan", "pix2pix", "vae"]
