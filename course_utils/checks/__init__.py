"""Exercise checks: run a learner's function and say what is wrong in plain words.

Each check runs the function an exercise asks for, tests what the exercise
requires, and returns a :class:`CheckResult`: ``passed`` and a list of
``messages``, one per problem, written for a learner (what is wrong, why it
matters, what to change). In a notebook, show the result (it prints as a short
report); with ``raise_on_failure=True`` a check raises
:class:`ExerciseCheckError` instead, which is what a worked solution or a test
wants.

One module per exercise, all re-exported here (``cu.checks.check_conv_vae``):

- :mod:`~course_utils.checks.conv_vae`: :func:`check_conv_vae`, the
  convolutional VAE of notebook 05;
- :mod:`~course_utils.checks.acgan`: :func:`check_acgan`, the AC-GAN's
  discriminator and losses of notebook 09;
- :mod:`~course_utils.checks.pixelcnn_mask`: :func:`check_pixelcnn_mask`, the
  mask of a PixelCNN convolution of notebook 10;
- :mod:`~course_utils.checks.ddim`: :func:`check_ddim_step`, the DDIM update
  of notebook 11;
- ``_report`` (private): :class:`CheckResult`, :class:`ExerciseCheckError`
  and the helpers every check shares.

Nothing runs on import; TensorFlow and Keras are imported when a check runs.

Example:
    >>> from course_utils import checks
    >>> result = checks.check_conv_vae(lambda latent_dim: None)  # doctest: +SKIP
    >>> print(result)  # doctest: +SKIP
    check_conv_vae(<lambda>): 1 problem to fix
      1. <lambda>(2) returned None: it must return a cu.models.vae.VAE ...
"""

from __future__ import annotations

# The checks and their report; and, re-exported with "as" so that they stay
# where they were before this module became a package, the private helpers
# that the tests reach as ``checks._loss_parts``... Patch a helper in its module
# (``checks.acgan._check_acgan_training``): a check does not call a copy here.
from course_utils.checks._report import IMAGE_SHAPE as IMAGE_SHAPE
from course_utils.checks._report import CheckResult, ExerciseCheckError
from course_utils.checks.acgan import _LOSS_RTOL as _LOSS_RTOL
from course_utils.checks.acgan import _check_labelled_images as _check_labelled_images
from course_utils.checks.acgan import _d_loss_mistakes as _d_loss_mistakes
from course_utils.checks.acgan import _g_loss_mistakes as _g_loss_mistakes
from course_utils.checks.acgan import _loss_inputs as _loss_inputs
from course_utils.checks.acgan import _loss_parts as _loss_parts
from course_utils.checks.acgan import check_acgan
from course_utils.checks.conv_vae import check_conv_vae
from course_utils.checks.ddim import _DDIM_ROOTS as _DDIM_ROOTS
from course_utils.checks.ddim import _DDIM_TOLERANCE as _DDIM_TOLERANCE
from course_utils.checks.ddim import _ddim_cases as _ddim_cases
from course_utils.checks.ddim import _ddim_variant as _ddim_variant
from course_utils.checks.ddim import _DDIMVariant as _DDIMVariant
from course_utils.checks.ddim import check_ddim_step
from course_utils.checks.pixelcnn_mask import check_pixelcnn_mask

__all__ = [
    "CheckResult",
    "ExerciseCheckError",
    "check_acgan",
    "check_conv_vae",
    "check_ddim_step",
    "check_pixelcnn_mask",
]
