"""Model builders and Model subclasses: ``autoencoders`` (notebooks 01-04).

Import the submodule you need, e.g. ``cu.models.autoencoders``.
"""

from course_utils.models import autoencoders

__all__ = ["autoencoders"]
