"""The check of what a model is fed, shared by the VAE and the GANs (private).

A model that mixes in :class:`ImageInputs` and names the sub-model that
outputs its images (a VAE's decoder, a GAN's generator) checks the images of
each ``fit`` call once, before training, with
:func:`course_utils.data.check_images`: dtype, shape, finiteness and the value
range of that sub-model's last activation.
"""

from __future__ import annotations

import numpy as np

from course_utils.data import check_images, first_fit_batch, output_value_range


class ImageInputs:
    """Mixin for ``keras.Model`` subclasses whose inputs are images.

    Subclasses define ``_image_model``: the sub-model whose outputs are
    images of the kind the model takes.

    Example:
        >>> vae.check_images(np.full((2, 28, 28), 255.0))  # doctest: +SKIP
        Traceback (most recent call last):
        ValueError: images must have values in [0,1] for this model ...
    """

    @property
    def _image_model(self):
        raise NotImplementedError

    @property
    def image_shape(self) -> tuple[int, ...]:
        """The shape of one image the model takes."""
        return tuple(self._image_model.outputs[0].shape[1:])

    @property
    def value_range(self) -> str | None:
        """``"[0,1]"`` (sigmoid output), ``"[-1,1]"`` (tanh) or None (unknown)."""
        return output_value_range(self._image_model)

    def check_images(self, images, name: str = "images") -> np.ndarray:
        """Check images for this model: dtype, shape, finite, value range.

        Args:
            images: Images (N, *image_shape).
            name: The argument's name, for the message.

        Returns:
            The images as a NumPy array.

        Raises:
            TypeError: If the values are not numbers.
            ValueError: If the shape, finiteness or range is wrong; the
                message says what was found and how to fix it.

        Example:
            >>> vae.check_images(np.zeros((2, 28, 28))).shape  # doctest: +SKIP
            (2, 28, 28)
        """
        return check_images(images, self.image_shape, self.value_range, name)

    def _check_fit_labels(self, labels, n_images: int) -> None:
        """Models without labels ignore ``y``; conditional models check it."""

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit`` after one check of the training data.

        The images (a NumPy array, or the first batch of a ``tf.data.Dataset``)
        are checked once per call with :meth:`check_images`, never per batch;
        conditional models also check the labels.

        Example:
            >>> vae.fit(np.full((8, 28, 28), 200, np.uint8))  # doctest: +SKIP
            Traceback (most recent call last):
            ValueError: x must have values in [0,1] for this model ...
        """
        images, labels = first_fit_batch(x, y)
        if images is not None:
            images = self.check_images(images, "x")
            self._check_fit_labels(labels, len(images))
        return super().fit(x, y, *args, **kwargs)
