"""The Fashion-MNIST domain classifier behind FID, KID and class coverage.

The Frechet Inception Distance compares generated and real images in the
feature space of a classifier trained on ImageNet. Fashion-MNIST has its own,
much smaller "Inception network": a small CNN trained on the Fashion-MNIST
training split. Its penultimate layer (a 128-unit dense layer named
``"embedding"``) gives the features that :mod:`course_utils.metrics` compares;
its softmax output gives the class probabilities for class coverage.

The course ships the trained classifier as the checkpoint
``"domain_classifier"`` of :mod:`course_utils.pretrained` (92% test accuracy;
its recipe, training time and versions are in the manifest), so fast and full
mode measure every score in the same feature space and nothing is trained on
first use. ``python -m course_utils.pretrained train domain_classifier``
remakes it. Taught in
``notebooks/08_gan_training_problems.ipynb`` (how to evaluate GANs).
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from course_utils import data
from course_utils._arguments import number, positive_int

#: Name of the layer whose output is the embedding.
EMBEDDING_LAYER = "embedding"
#: Value ranges the classifier accepts (images are mapped to [0, 1] inside).
VALUE_RANGES = ("[0,1]", "[-1,1]")
#: Shape of one image.
IMAGE_SHAPE = data.IMAGE_SHAPE
#: Number of classes.
N_CLASSES = len(data.CLASS_NAMES)

# Generated images may overshoot their range by rounding; more is an error.
_VALUE_BOUNDS = {"[0,1]": (0.0, 1.0), "[-1,1]": (-1.0, 1.0)}


#: Name of the shipped checkpoint (:mod:`course_utils.pretrained`).
CHECKPOINT_NAME = "domain_classifier"

# The classifier, once loaded in this process.
_LOADED: list[DomainClassifier] = []


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------


def check_value_range(value_range: Any) -> str:
    """Return ``value_range`` if the classifier accepts it.

    Args:
        value_range: ``"[0,1]"`` (sigmoid outputs, autoencoders, VAEs) or
            ``"[-1,1]"`` (tanh outputs, DCGANs).

    Returns:
        The same string.

    Raises:
        ValueError: For any other value (``"uint8"`` included: scale raw
            images first with :func:`course_utils.data.scale_images`).

    Example:
        >>> check_value_range("[-1,1]")
        '[-1,1]'
    """
    if not isinstance(value_range, str) or value_range not in VALUE_RANGES:
        hint = (
            " (scale raw uint8 images first with cu.data.scale_images)"
            if value_range == "uint8"
            else ""
        )
        raise ValueError(
            f"value_range must be one of {', '.join(map(repr, VALUE_RANGES))}; "
            f"got {value_range!r}{hint}"
        )
    return value_range


def prepare_images(
    images: Any, value_range: str = "[0,1]", *, name: str = "images"
) -> np.ndarray:
    """Check a batch of Fashion-MNIST-like images and map it to [0, 1].

    Args:
        images: Float array of shape (N, 28, 28) or (N, 28, 28, 1), N >= 1,
            with values in ``value_range`` (up to a 0.001 overshoot, clipped).
        value_range: ``"[0,1]"`` or ``"[-1,1]"``: the range the images are in.
        name: Name of the argument, for error messages.

    Returns:
        A new float32 array of shape (N, 28, 28) with values in [0, 1].

    Raises:
        TypeError: If ``images`` is not a float array (uint8 images must be
            scaled first).
        ValueError: If the shape is wrong, a value is NaN or infinite or
            outside ``value_range``, or if ``value_range="[-1,1]"`` is given
            for images without a single negative value (images in [0, 1]).

    Example:
        >>> float(prepare_images(np.full((2, 28, 28), -1.0), "[-1,1]").max())
        0.0
    """
    check_value_range(value_range)
    try:
        array = np.asarray(images)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be a float array of shape (N, 28, 28); got "
            f"{type(images).__name__} ({error})"
        ) from error
    if array.dtype.kind != "f":
        hint = (
            " Scale raw pixels first, e.g. cu.data.scale_images(images, '[0,1]')."
            if array.dtype.kind in "biu"
            else ""
        )
        raise TypeError(
            f"{name} must be a float array with values in {value_range}; got "
            f"dtype {array.dtype}.{hint}"
        )
    shapes = (IMAGE_SHAPE, (*IMAGE_SHAPE, 1))
    if array.ndim not in (3, 4) or array.shape[1:] not in shapes or len(array) == 0:
        raise ValueError(
            f"{name} must have shape (N, 28, 28) or (N, 28, 28, 1) with N >= 1 "
            f"(a batch of Fashion-MNIST-sized images); got shape {array.shape}"
        )
    array = array.reshape((len(array), *IMAGE_SHAPE))
    other = "[-1,1]" if value_range == "[0,1]" else "[0,1]"
    data.check_images(
        array,
        IMAGE_SHAPE,
        value_range,
        name,
        fix=f"pass value_range={other!r} if that is the images' range, or clip "
        "the images to their range",
    )
    low, high = _VALUE_BOUNDS[value_range]
    smallest, largest = float(array.min()), float(array.max())
    if value_range == "[-1,1]" and smallest >= 0.0:
        raise ValueError(
            f"{name} were declared in [-1, 1] (value_range='[-1,1]') but hold no "
            f"negative value (from {smallest:.4g} to {largest:.4g}): they look "
            "like images in [0, 1]; pass value_range='[0,1]'."
        )
    array = np.clip(array.astype(np.float32), low, high)
    if value_range == "[-1,1]":
        array = (array + np.float32(1.0)) / np.float32(2.0)
    return array


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------


def build_classifier(
    input_shape: Sequence[int] = IMAGE_SHAPE,
    n_classes: int = N_CLASSES,
    *,
    filters: Sequence[int] = (32, 64),
    convs_per_block: int = 1,
    embedding_dim: int = 128,
    dropout: float = 0.2,
) -> keras.Model:
    """Build the small CNN used as the domain feature extractor.

    Two blocks of (3x3 convolution -> batch norm -> ReLU) x
    ``convs_per_block`` -> 2x2 max pooling, then Flatten ->
    Dense(embedding_dim, ReLU) named ``"embedding"`` -> Dropout(dropout) ->
    Dense(n_classes, softmax) named
    ``"probabilities"``. Inputs are images in [0, 1] of shape (H, W) or
    (H, W, 1).

    Args:
        input_shape: (height, width) or (height, width, channels); height and
            width divisible by 4.
        n_classes: Number of classes.
        filters: Filters of the two convolution blocks.
        convs_per_block: Convolutions per block (>= 1).
        embedding_dim: Units of the embedding layer.
        dropout: Dropout rate after the embedding, in [0, 1).

    Returns:
        An uncompiled Functional ``keras.Model`` with softmax outputs.

    Raises:
        ValueError: If a size or the rate is out of range.
        TypeError: If a size is not an integer.

    Example:
        >>> model = build_classifier(embedding_dim=64)
        >>> model.get_layer("embedding").output.shape, model.output_shape
        ((None, 64), (None, 10))
    """
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence):
        raise TypeError(f"input_shape must be a tuple of integers; got {input_shape!r}")
    shape = tuple(
        positive_int(f"input_shape[{i}]", s) for i, s in enumerate(input_shape)
    )
    if len(shape) not in (2, 3) or shape[0] % 4 or shape[1] % 4:
        raise ValueError(
            "input_shape must be (height, width) or (height, width, channels) "
            f"with height and width divisible by 4; got {input_shape!r}"
        )
    n_classes = positive_int("n_classes", n_classes)
    embedding_dim = positive_int("embedding_dim", embedding_dim)
    convs_per_block = positive_int("convs_per_block", convs_per_block)
    if isinstance(filters, (str, bytes)) or not isinstance(filters, Sequence):
        raise TypeError(f"filters must be two positive integers; got {filters!r}")
    filters = tuple(positive_int(f"filters[{i}]", f) for i, f in enumerate(filters))
    if len(filters) != 2:
        raise ValueError(f"filters must hold two values; got {filters!r}")
    dropout = number("dropout", dropout, low=0, high=1, high_open=True)

    channels = shape[2] if len(shape) == 3 else 1
    inputs = keras.Input(shape)
    hidden = keras.layers.Reshape((*shape[:2], channels))(inputs)
    for n_filters in filters:
        for _ in range(convs_per_block):
            hidden = keras.layers.Conv2D(n_filters, 3, padding="same", use_bias=False)(
                hidden
            )
            # Momentum 0.9: the moving statistics settle within the few
            # hundred steps of the fast classifier's training.
            hidden = keras.layers.BatchNormalization(momentum=0.9)(hidden)
            hidden = keras.layers.ReLU()(hidden)
        hidden = keras.layers.MaxPool2D(2)(hidden)
    hidden = keras.layers.Flatten()(hidden)
    embedding = keras.layers.Dense(
        embedding_dim, activation="relu", name=EMBEDDING_LAYER
    )(hidden)
    hidden = keras.layers.Dropout(dropout)(embedding)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="probabilities")(
        hidden
    )
    return keras.Model(inputs, outputs, name="fashion_mnist_classifier")


class DomainClassifier:
    """A trained Fashion-MNIST classifier used as a feature extractor.

    Made by :func:`domain_classifier`. Every method takes images in
    ``value_range`` (``"[0,1]"`` or ``"[-1,1]"``), checks them with
    :func:`prepare_images` and maps them to [0, 1] before the model sees them.

    Args:
        model: A classifier built by :func:`build_classifier` (softmax
            outputs, a layer named ``"embedding"``).
        info: What is known about it (test accuracy, training time...).
        path: The ``.keras`` file it was loaded from or saved to.

    Attributes:
        model: The Keras classifier.
        embedding_model: The same network cut at the embedding layer.
        info: A dict (its manifest entry, see :mod:`course_utils.pretrained`).
        path: The model file, or None.

    Example:
        >>> classifier = DomainClassifier(build_classifier(embedding_dim=16))
        >>> classifier.embed(np.zeros((3, 28, 28)), value_range="[0,1]").shape
        (3, 16)
    """

    def __init__(
        self,
        model: keras.Model,
        info: dict | None = None,
        path: str | os.PathLike | None = None,
    ):
        if not isinstance(model, keras.Model):
            raise TypeError(f"model must be a keras.Model; got {type(model).__name__}")
        names = [layer.name for layer in model.layers]
        if EMBEDDING_LAYER not in names:
            raise ValueError(
                f"model must have a layer named {EMBEDDING_LAYER!r} (as "
                f"build_classifier makes); {model.name!r} has {names}"
            )
        self.model = model
        self.embedding_model = keras.Model(
            model.inputs[0], model.get_layer(EMBEDDING_LAYER).output, name="embedding"
        )
        self.info = dict(info or {})
        self.path = None if path is None else pathlib.Path(path)

    @property
    def embedding_dim(self) -> int:
        """Number of features of an embedding."""
        return int(self.embedding_model.output.shape[-1])

    def __repr__(self) -> str:
        accuracy = self.info.get("test_accuracy")
        parts = [f"embedding_dim={self.embedding_dim}"]
        if "mode" in self.info:
            parts.append(f"mode={self.info['mode']!r}")
        if accuracy is not None:
            parts.append(f"test_accuracy={accuracy:.4f}")
        if self.path is not None:
            parts.append(f"path={str(self.path)!r}")
        return f"DomainClassifier({', '.join(parts)})"

    def _run(self, model, images, value_range, batch_size) -> np.ndarray:
        batch_size = positive_int("batch_size", batch_size)
        prepared = prepare_images(images, value_range)
        outputs = [
            keras.ops.convert_to_numpy(
                model(prepared[start : start + batch_size], training=False)
            )
            for start in range(0, len(prepared), batch_size)
        ]
        return np.concatenate(outputs).astype(np.float64)

    def embed(
        self, images: Any, value_range: str = "[0,1]", *, batch_size: int = 500
    ) -> np.ndarray:
        """Return the embeddings (penultimate-layer features) of images.

        Args:
            images: Float array (N, 28, 28) or (N, 28, 28, 1) in
                ``value_range``.
            value_range: ``"[0,1]"`` or ``"[-1,1]"``.
            batch_size: Images per forward pass.

        Returns:
            A float64 array of shape (N, embedding_dim).

        Raises:
            TypeError, ValueError: As :func:`prepare_images`.

        Example:
            >>> classifier.embed(images, value_range="[0,1]").shape  # doctest: +SKIP
            (1000, 128)
        """
        return self._run(self.embedding_model, images, value_range, batch_size)

    def predict_proba(
        self, images: Any, value_range: str = "[0,1]", *, batch_size: int = 500
    ) -> np.ndarray:
        """Return the class probabilities p(y|x) of images.

        Args:
            images: Float array (N, 28, 28) or (N, 28, 28, 1) in
                ``value_range``.
            value_range: ``"[0,1]"`` or ``"[-1,1]"``.
            batch_size: Images per forward pass.

        Returns:
            A float64 array of shape (N, 10) whose rows sum to 1.

        Raises:
            TypeError, ValueError: As :func:`prepare_images`.

        Example:
            >>> classifier.predict_proba(images).sum(axis=1)  # doctest: +SKIP
            array([1., 1., ...])
        """
        return self._run(self.model, images, value_range, batch_size)

    def predict(
        self, images: Any, value_range: str = "[0,1]", *, batch_size: int = 500
    ) -> np.ndarray:
        """Return the predicted class (0-9) of each image, shape (N,).

        Example:
            >>> classifier.predict(images[:3])  # doctest: +SKIP
            array([9, 2, 1])
        """
        probabilities = self.predict_proba(images, value_range, batch_size=batch_size)
        return probabilities.argmax(axis=1)

    def accuracy(
        self,
        images: Any,
        labels: Any,
        value_range: str = "[0,1]",
        *,
        batch_size: int = 500,
    ) -> float:
        """Return the share of images whose predicted class is their label.

        Args:
            images: Float array (N, 28, 28) or (N, 28, 28, 1) in
                ``value_range``.
            labels: Integer labels 0-9, shape (N,).
            value_range: ``"[0,1]"`` or ``"[-1,1]"``.
            batch_size: Images per forward pass.

        Returns:
            The accuracy, a float in [0, 1].

        Raises:
            ValueError: If ``labels`` is not one integer label per image.

        Example:
            >>> data = cu.data.load_fashion_mnist()  # doctest: +SKIP
            >>> classifier.accuracy(data.x_test, data.y_test)  # doctest: +SKIP
            0.925
        """
        labels = np.asarray(labels)
        if (
            labels.ndim != 1
            or labels.dtype.kind not in "iu"
            or len(labels) != len(np.asarray(images))
        ):
            raise ValueError(
                "labels must be a 1-D integer array with one label per image; got "
                f"shape {labels.shape} and dtype {labels.dtype} for "
                f"{len(np.asarray(images))} images"
            )
        predicted = self.predict(images, value_range, batch_size=batch_size)
        return float(np.mean(predicted == labels))


# --------------------------------------------------------------------------
# The shipped classifier
# --------------------------------------------------------------------------


def domain_classifier(verbose: bool = True) -> DomainClassifier:
    """Return the course's Fashion-MNIST domain classifier (a shipped checkpoint).

    The first call loads the checkpoint ``"domain_classifier"`` with
    :func:`course_utils.pretrained.load` (which checks its SHA-256); later
    calls in the same process return the same object.

    Args:
        verbose: Print one line (test accuracy) when it is loaded.

    Returns:
        A :class:`DomainClassifier`.

    Raises:
        course_utils.pretrained.CheckpointError: If the checkpoint file is
            missing or corrupt.

    Example:
        >>> classifier = domain_classifier(verbose=False)
        >>> classifier.embedding_dim
        128
    """
    if not isinstance(verbose, (bool, np.bool_)):
        raise TypeError(f"verbose must be True or False; got {verbose!r}")
    if not _LOADED:
        from course_utils import pretrained

        info = pretrained.entry(CHECKPOINT_NAME)
        model = pretrained.load(CHECKPOINT_NAME)
        accuracy = info["scores"]["test accuracy"]
        _LOADED.append(
            DomainClassifier(
                model,
                {"test_accuracy": accuracy, **info},
                pretrained.checkpoint_path(CHECKPOINT_NAME),
            )
        )
        if verbose:
            print(
                f"Loaded the domain classifier checkpoint (test accuracy "
                f"{accuracy:.1%} on the 10,000 test images)"
            )
    return _LOADED[0]


__all__ = [
    "CHECKPOINT_NAME",
    "DomainClassifier",
    "build_classifier",
    "check_value_range",
    "domain_classifier",
    "prepare_images",
]
