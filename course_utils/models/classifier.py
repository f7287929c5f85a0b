"""The Fashion-MNIST domain classifier behind FID, KID and class coverage.

The Frechet Inception Distance compares generated and real images in the
feature space of a classifier trained on ImageNet. Fashion-MNIST has its own,
much smaller "Inception network": a small CNN trained on the Fashion-MNIST
training split. Its penultimate layer (a 128-unit dense layer named
``"embedding"``) gives the features that :mod:`course_utils.metrics` compares;
its softmax output gives the class probabilities for class coverage.

The package trains the classifier on first use (a few minutes on two CPU
cores in full mode, under half a minute in fast mode), saves it and reloads it
afterwards. Files live in the cache folder, chosen in this order:

1. the ``cache_dir`` argument of :func:`domain_classifier`;
2. the environment variable ``COURSE_CACHE_DIR``;
3. ``~/.cache/course_utils``.

Each mode has its own files (``fashion_mnist_classifier_v3_full.keras`` and
``fashion_mnist_classifier_v3_fast.keras``), each with a JSON file next to it
that records the test accuracy, the training time and the versions used.
Delete the files to retrain. Scores computed with the fast classifier are not
comparable with scores computed with the full one. Taught in
``notebooks/08_gan_training_problems.ipynb`` (how to evaluate GANs).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import pathlib
import random
import time
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from course_utils import config, data
from course_utils.models._arguments import positive_int

#: Environment variable naming the folder where the classifier is cached.
CACHE_DIR_VARIABLE = "COURSE_CACHE_DIR"
#: Cache folder used when neither ``cache_dir`` nor the variable is given.
DEFAULT_CACHE_DIR = pathlib.Path("~") / ".cache" / "course_utils"
#: Name of the layer whose output is the embedding.
EMBEDDING_LAYER = "embedding"
#: Value ranges the classifier accepts (images are mapped to [0, 1] inside).
VALUE_RANGES = ("[0,1]", "[-1,1]")
#: Shape of one image.
IMAGE_SHAPE = data.IMAGE_SHAPE
#: Number of classes.
N_CLASSES = len(data.CLASS_NAMES)

# Generated images may overshoot their range by rounding; more is an error.
_RANGE_TOLERANCE = 1e-3
_VALUE_BOUNDS = {"[0,1]": (0.0, 1.0), "[-1,1]": (-1.0, 1.0)}


@dataclasses.dataclass(frozen=True)
class ClassifierSettings:
    """How one version of the domain classifier is built and trained.

    Attributes:
        name: File name stem of the cached model (changes with the version).
        filters: Filters of the two convolution blocks.
        convs_per_block: Convolutions in each block.
        embedding_dim: Units of the embedding layer.
        dropout: Dropout rate after the embedding.
        train_images: Number of training images used (None = all 55,000).
        epochs: Training epochs.
        batch_size: Batch size.
        learning_rate: Initial Adam learning rate (cosine decay to 0).
        seed: Seed of the weights, the dropout masks and the shuffling.
    """

    name: str
    filters: tuple[int, int]
    convs_per_block: int
    embedding_dim: int
    dropout: float
    train_images: int | None
    epochs: int
    batch_size: int
    learning_rate: float
    seed: int


#: The full-mode classifier: at least 92% test accuracy (92.4% measured; about
#: 10 minutes of training on 2 CPU cores).
FULL_SETTINGS = ClassifierSettings(
    name="fashion_mnist_classifier_v3_full",
    filters=(32, 64),
    convs_per_block=1,
    embedding_dim=128,
    dropout=0.2,
    train_images=None,
    epochs=12,
    batch_size=128,
    learning_rate=2e-3,
    seed=42,
)
#: The fast-mode classifier: about 85% test accuracy in well under a minute.
FAST_SETTINGS = ClassifierSettings(
    name="fashion_mnist_classifier_v3_fast",
    filters=(16, 32),
    convs_per_block=1,
    embedding_dim=64,
    dropout=0.2,
    train_images=10_000,
    epochs=3,
    batch_size=64,
    learning_rate=2e-3,
    seed=42,
)

# Classifiers already loaded in this process, by model file.
_LOADED: dict[pathlib.Path, DomainClassifier] = {}


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
    if not np.all(np.isfinite(array)):
        count = int(array.size - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"{name} must hold only finite values; got {count} NaN or infinite value(s)"
        )
    low, high = _VALUE_BOUNDS[value_range]
    smallest, largest = float(array.min()), float(array.max())
    if smallest < low - _RANGE_TOLERANCE or largest > high + _RANGE_TOLERANCE:
        other = "[-1,1]" if value_range == "[0,1]" else "[0,1]"
        raise ValueError(
            f"{name} must hold values in {value_range} (value_range="
            f"{value_range!r}); got values from {smallest:.4g} to {largest:.4g}. "
            f"Pass value_range={other!r} if that is the images' range, or clip "
            "the images to their range."
        )
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
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.floating)):
        raise TypeError(f"dropout must be a number in [0, 1); got {dropout!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1); got {dropout!r}")

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
        info: A dict (the JSON file saved next to the model).
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
# Training and caching
# --------------------------------------------------------------------------


def resolve_cache_dir(path: str | os.PathLike | None = None) -> pathlib.Path:
    """Return the folder where the domain classifier is cached.

    Args:
        path: An explicit folder; wins over everything else.

    Returns:
        ``path``, else ``$COURSE_CACHE_DIR``, else ``~/.cache/course_utils``
        (user folders expanded; the folder need not exist yet).

    Example:
        >>> resolve_cache_dir("/tmp/my_cache")
        PosixPath('/tmp/my_cache')
    """
    if path is not None:
        return pathlib.Path(path).expanduser()
    from_env = os.environ.get(CACHE_DIR_VARIABLE)
    if from_env:
        return pathlib.Path(from_env).expanduser()
    return DEFAULT_CACHE_DIR.expanduser()


def settings_for(fast: bool | None = None) -> ClassifierSettings:
    """Return the settings of the fast or the full classifier.

    Args:
        fast: True for fast mode, False for full mode, None to read
            ``COURSE_FAST`` (:func:`course_utils.config.read_fast_mode`).

    Returns:
        :data:`FAST_SETTINGS` or :data:`FULL_SETTINGS`.

    Example:
        >>> settings_for(fast=True).train_images
        10000
    """
    if fast is None:
        fast = config.read_fast_mode()
    if not isinstance(fast, (bool, np.bool_)):
        raise TypeError(f"fast must be True, False or None; got {fast!r}")
    return FAST_SETTINGS if fast else FULL_SETTINGS


def classifier_paths(
    fast: bool | None = None, cache_dir: str | os.PathLike | None = None
) -> tuple[pathlib.Path, pathlib.Path]:
    """Return the ``.keras`` model file and the ``.json`` info file of a mode.

    Example:
        >>> model_path, info_path = classifier_paths(True, "/tmp/cache")
        >>> model_path.name, info_path.suffix
        ('fashion_mnist_classifier_v3_fast.keras', '.json')
    """
    folder = resolve_cache_dir(cache_dir)
    name = settings_for(fast).name
    return folder / f"{name}.keras", folder / f"{name}.json"


def _seeded(seed: int):
    """Seed Keras/TF/NumPy/Python; return a function restoring NumPy/Python."""
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    keras.utils.set_random_seed(seed)

    def restore() -> None:
        random.setstate(python_state)
        np.random.set_state(numpy_state)

    return restore


def train_classifier(
    settings: ClassifierSettings, *, verbose: bool = False
) -> tuple[keras.Model, dict]:
    """Train a domain classifier on the Fashion-MNIST training split.

    The 55,000 training images (the first ``settings.train_images`` of them)
    are used, never the validation or test images; the test accuracy is
    measured on the 10,000 test images. Training is seeded with
    ``settings.seed`` (Keras, TensorFlow, NumPy and Python; the NumPy and
    Python random states are restored afterwards, TensorFlow's global seed is
    left set), so two runs on one machine give the same model.

    Args:
        settings: :data:`FULL_SETTINGS`, :data:`FAST_SETTINGS` or your own.
        verbose: Show Keras' progress bar.

    Returns:
        ``(model, info)``: the trained model and a dict with ``test_accuracy``,
        ``train_seconds`` (wall clock), ``cpu_seconds`` (process CPU time),
        the settings and the versions.

    Example:
        >>> model, info = train_classifier(FAST_SETTINGS)  # doctest: +SKIP
        >>> info["test_accuracy"] > 0.8  # doctest: +SKIP
        True
    """
    if not isinstance(settings, ClassifierSettings):
        raise TypeError(
            f"settings must be a ClassifierSettings; got {type(settings).__name__}"
        )
    dataset = data.load_fashion_mnist(value_range="[0,1]")
    x_train, y_train = dataset.x_train, dataset.y_train
    if settings.train_images is not None:
        x_train, y_train = (
            x_train[: settings.train_images],
            y_train[: settings.train_images],
        )
    restore = _seeded(settings.seed)
    try:
        model = build_classifier(
            filters=settings.filters,
            convs_per_block=settings.convs_per_block,
            embedding_dim=settings.embedding_dim,
            dropout=settings.dropout,
        )
        steps = settings.epochs * -(-len(x_train) // settings.batch_size)
        schedule = keras.optimizers.schedules.CosineDecay(
            settings.learning_rate, decay_steps=steps
        )
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=schedule),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        model.fit(
            x_train,
            y_train,
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            shuffle=True,
            verbose=1 if verbose else 0,
        )
        train_seconds = time.perf_counter() - wall_start
        cpu_seconds = time.process_time() - cpu_start
    finally:
        restore()
    _, test_accuracy = model.evaluate(
        dataset.x_test, dataset.y_test, batch_size=1_000, verbose=0
    )
    info = {
        "name": settings.name,
        "test_accuracy": round(float(test_accuracy), 5),
        "train_seconds": round(train_seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "train_images": int(len(x_train)),
        "settings": dataclasses.asdict(settings),
        "versions": config.describe_environment(),
        "cpu_count": os.cpu_count(),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }
    return model, info


def _save(model: keras.Model, info: dict, model_path: pathlib.Path, info_path):
    """Write both files through temporary names, so readers never see half."""
    model_path.parent.mkdir(parents=True, exist_ok=True)
    token = f"{os.getpid()}-{time.monotonic_ns()}"
    temporary_model = model_path.with_name(f"{model_path.stem}.tmp-{token}.keras")
    temporary_info = info_path.with_name(f"{info_path.stem}.tmp-{token}.json")
    try:
        model.save(temporary_model)
        temporary_info.write_text(json.dumps(info, indent=2) + "\n")
        os.replace(temporary_info, info_path)
        os.replace(temporary_model, model_path)
    finally:
        for path in (temporary_model, temporary_info):
            path.unlink(missing_ok=True)


def _load(
    model_path: pathlib.Path, info_path: pathlib.Path, settings: ClassifierSettings
) -> DomainClassifier | None:
    """Load a cached classifier; None if it is missing, stale or unreadable."""
    if not (model_path.is_file() and info_path.is_file()):
        return None
    try:
        info = json.loads(info_path.read_text())
        if info.get("settings") != json.loads(json.dumps(dataclasses.asdict(settings))):
            return None
        model = keras.saving.load_model(model_path)
        return DomainClassifier(model, info, model_path)
    except Exception:  # noqa: BLE001 - any broken file means: train again
        return None


def domain_classifier(
    fast: bool | None = None,
    cache_dir: str | os.PathLike | None = None,
    verbose: bool = True,
) -> DomainClassifier:
    """Return the Fashion-MNIST domain classifier, training it on first use.

    The first call trains the classifier of the mode (:data:`FULL_SETTINGS`
    or :data:`FAST_SETTINGS`) and saves it in the cache folder (see the
    module docstring: ``cache_dir``, else ``$COURSE_CACHE_DIR``, else
    ``~/.cache/course_utils``); later calls, in this process or another one,
    load it. A file that is missing, unreadable or made with other settings
    is trained again. Within one process the loaded classifier is kept, so
    calling this function again is free.

    Args:
        fast: True for the fast classifier, False for the full one, None to
            read ``COURSE_FAST``.
        cache_dir: Folder of the cached files.
        verbose: Print one line when training starts and ends, or when the
            classifier is loaded from the cache.

    Returns:
        A :class:`DomainClassifier`.

    Raises:
        course_utils.data.DatasetError: If training is needed and
            Fashion-MNIST cannot be found.

    Example:
        >>> classifier = domain_classifier()  # doctest: +SKIP
        Loaded the fast domain classifier from ~/.cache/course_utils/... (test
        accuracy 85.9%)
        >>> classifier.embed(images, value_range="[0,1]").shape  # doctest: +SKIP
        (1000, 64)
    """
    settings = settings_for(fast)
    mode = "fast" if settings is FAST_SETTINGS else "full"
    model_path, info_path = classifier_paths(settings is FAST_SETTINGS, cache_dir)
    key = model_path.resolve()
    if key in _LOADED and model_path.is_file():
        return _LOADED[key]
    classifier = _load(model_path, info_path, settings)
    if classifier is not None:
        if verbose:
            print(
                f"Loaded the {mode} domain classifier from {model_path} (test "
                f"accuracy {classifier.info['test_accuracy']:.1%})"
            )
    else:
        if verbose:
            images = settings.train_images or 55_000
            print(
                f"Training the {mode} domain classifier on {images:,} images for "
                f"{settings.epochs} epochs (first use only; "
                f"{'under a minute' if mode == 'fast' else 'a few minutes'} on a "
                f"CPU); it will be saved to {model_path}",
                flush=True,
            )
        model, info = train_classifier(settings)
        info = {"mode": mode, **info}
        _save(model, info, model_path, info_path)
        classifier = DomainClassifier(model, info, model_path)
        if verbose:
            print(
                f"Trained the {mode} domain classifier in {info['train_seconds']:.0f} "
                f"s: test accuracy {info['test_accuracy']:.1%}"
            )
    _LOADED[key] = classifier
    return classifier


__all__ = [
    "CACHE_DIR_VARIABLE",
    "DEFAULT_CACHE_DIR",
    "FAST_SETTINGS",
    "FULL_SETTINGS",
    "ClassifierSettings",
    "DomainClassifier",
    "build_classifier",
    "check_value_range",
    "classifier_paths",
    "domain_classifier",
    "prepare_images",
    "resolve_cache_dir",
    "settings_for",
    "train_classifier",
]
