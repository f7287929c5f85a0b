"""Model builders and Model subclasses, one module per family.

``autoencoders`` (notebooks 01-04) and ``vae`` (notebook 05); use them as
``cu.models.autoencoders.build_dense_autoencoder(...)``.
"""

from course_utils.models import autoencoders, vae

__all__ = ["autoencoders", "vae"]
