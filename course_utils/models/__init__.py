"""Model builders and Model subclasses, one module per family.

``autoencoders`` (notebooks 01-04), ``vae`` (notebook 05) and ``gan``
(notebooks 06-09); use them as
``cu.models.autoencoders.build_dense_autoencoder(...)``.
"""

from course_utils.models import autoencoders, classifier, gan, vae

__all__ = ["autoencoders", "classifier", "gan", "vae"]
