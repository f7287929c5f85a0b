"""Data: Fashion-MNIST from local files or the Keras download, and toy sets.

``load_fashion_mnist()`` looks for the four original IDX files, in order, in
an explicit ``data_dir``, the ``COURSE_DATA_DIR`` environment variable, the
Keras cache (``$KERAS_HOME/datasets/fashion-mnist``, by default
``~/.keras/datasets/fashion-mnist``) and ``/usr/share/datasets/fashion-mnist``
(the Debian/Ubuntu package ``dataset-fashion-mnist``); only then does it
download them with Keras. It reads and checks the files itself (magic numbers,
counts, sizes), so a broken file gives one clear error instead of a crash deep
inside NumPy. Taught in ``notebooks/00_generative_modelling.ipynb``.
``edge_maps()`` makes the edge-map conditions of the image-to-image
translation in ``notebooks/09_conditional_gans.ipynb``.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import os
import pathlib
import zlib
from collections.abc import Sequence

import numpy as np

from course_utils import config
from course_utils._arguments import finite_array, integer, is_number, number, numpy_rng

#: The ten Fashion-MNIST classes, indexed by label.
CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

#: Environment variable naming a folder that holds the four IDX files.
DATA_DIR_VARIABLE = "COURSE_DATA_DIR"
#: Folder installed by the Debian/Ubuntu package ``dataset-fashion-mnist``.
SYSTEM_DATA_DIR = pathlib.Path("/usr/share/datasets/fashion-mnist")
#: Where Keras downloads the files from.
DOWNLOAD_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

IMAGE_SHAPE = (28, 28)
_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension


@dataclasses.dataclass(frozen=True)
class _SplitFiles:
    images: str
    labels: str
    count: int


_SPLITS = {
    "train": _SplitFiles(
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60_000
    ),
    "test": _SplitFiles(
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10_000
    ),
}
FILE_NAMES = tuple(
    name for split in _SPLITS.values() for name in (split.images, split.labels)
)

_VALUE_RANGES = ("[0,1]", "[-1,1]", "uint8")


class DatasetError(OSError):
    """Fashion-MNIST files are missing, truncated or corrupt."""


def _how_to_fix() -> str:
    return (
        "Fix it in one of three ways:\n"
        "  1. install the Debian/Ubuntu package: "
        "sudo apt-get update && sudo apt-get install dataset-fashion-mnist\n"
        f"  2. put the four files ({', '.join(FILE_NAMES)}) in a folder and "
        f"set {DATA_DIR_VARIABLE}=/that/folder (or pass data_dir=...)\n"
        "  3. connect to the internet so that Keras can download them "
        f"into {keras_cache_dir()} (delete a broken file there first)"
    )


def keras_cache_dir() -> pathlib.Path:
    """Return the folder where Keras keeps its Fashion-MNIST download.

    Returns:
        ``$KERAS_HOME/datasets/fashion-mnist``, with ``KERAS_HOME`` defaulting
        to ``~/.keras``.

    Example:
        >>> keras_cache_dir().name
        'fashion-mnist'
    """
    keras_home = os.environ.get("KERAS_HOME") or os.path.join("~", ".keras")
    return pathlib.Path(keras_home).expanduser() / "datasets" / "fashion-mnist"


def candidate_dirs(data_dir: str | os.PathLike | None = None) -> list[pathlib.Path]:
    """Return the folders searched for the IDX files, in search order.

    Args:
        data_dir: An explicit folder, searched first when given.

    Returns:
        The list of folders: ``data_dir``, ``$COURSE_DATA_DIR``, the Keras
        cache and the Debian package's folder (absent entries left out).

    Example:
        >>> candidate_dirs("/tmp/fmnist")[0]
        PosixPath('/tmp/fmnist')
    """
    dirs = []
    if data_dir is not None:
        dirs.append(pathlib.Path(data_dir).expanduser())
    from_env = config.environment_value(DATA_DIR_VARIABLE)
    if from_env is not None:
        dirs.append(pathlib.Path(from_env).expanduser())
    dirs.append(keras_cache_dir())
    dirs.append(SYSTEM_DATA_DIR)
    return dirs


def find_data_dir(data_dir: str | os.PathLike | None = None) -> pathlib.Path | None:
    """Return the first searched folder that holds all four IDX files.

    Args:
        data_dir: An explicit folder, searched first when given.

    Returns:
        The folder, or None when no folder holds all four files.

    Raises:
        DatasetError: If ``data_dir`` is given, or ``COURSE_DATA_DIR`` is set,
            but the folder does not hold the files (a folder that was asked
            for and is wrong is an error, not a fallback).

    Example:
        >>> find_data_dir()  # doctest: +SKIP
        PosixPath('/usr/share/datasets/fashion-mnist')
    """
    if data_dir is not None:
        return _checked_folder(data_dir, f"data_dir={str(data_dir)!r}")
    from_env = config.environment_value(DATA_DIR_VARIABLE)
    if from_env is not None:
        return _checked_folder(
            from_env,
            f"environment variable {DATA_DIR_VARIABLE}={from_env!r}",
            f" (or unset {DATA_DIR_VARIABLE} to search the other places)",
        )
    for folder in candidate_dirs():
        if all((folder / name).is_file() for name in FILE_NAMES):
            return folder
    return None


def _checked_folder(
    path: str | os.PathLike, described: str, alternative: str = ""
) -> pathlib.Path:
    """Return ``path`` if it holds the four files; else say what is missing."""
    folder = pathlib.Path(path).expanduser()
    missing = [name for name in FILE_NAMES if not (folder / name).is_file()]
    if not missing:
        return folder
    if not folder.exists():
        problem = "names a folder that does not exist"
    elif not folder.is_dir():
        problem = "names a file, not a folder"
    else:
        problem = (
            "names a folder that does not hold the Fashion-MNIST "
            f"file(s) {', '.join(missing)}"
        )
    raise DatasetError(f"{described} {problem}{alternative}.\n{_how_to_fix()}")


def _read_idx(
    path: pathlib.Path, magic: int, count: int, item_shape: tuple
) -> np.ndarray:
    """Read one gzipped IDX file and check its header and size."""
    try:
        with gzip.open(path, "rb") as file:
            raw = file.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetError(
            f"cannot read {path}: it is not a complete gzip file ({error}).\n"
            f"{_how_to_fix()}"
        ) from error
    n_dims = 1 + len(item_shape)
    header_size = 4 * (1 + n_dims)
    if len(raw) < header_size:
        raise DatasetError(
            f"{path} is truncated: {len(raw)} bytes, shorter than the "
            f"{header_size}-byte IDX header.\n{_how_to_fix()}"
        )
    header = np.frombuffer(raw[:header_size], dtype=">u4")
    expected_header = (magic, count, *item_shape)
    if tuple(int(value) for value in header) != expected_header:
        raise DatasetError(
            f"{path} has IDX header {tuple(int(v) for v in header)}, expected "
            f"{expected_header} (magic number, count, dimensions): the file is "
            f"corrupt or not a Fashion-MNIST file.\n{_how_to_fix()}"
        )
    expected_size = header_size + count * int(np.prod(item_shape, dtype=int))
    if len(raw) != expected_size:
        raise DatasetError(
            f"{path} holds {len(raw)} bytes once unzipped, expected "
            f"{expected_size}: the file is truncated or corrupt.\n{_how_to_fix()}"
        )
    data = np.frombuffer(raw, dtype=np.uint8, offset=header_size)
    return data.reshape((count, *item_shape))


def _read_split(folder: pathlib.Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Read one split, cached until one of its files changes."""
    files = _SPLITS[split]
    stamps = tuple(
        (stat.st_size, stat.st_mtime_ns)
        for stat in (
            (folder / files.images).stat(),
            (folder / files.labels).stat(),
        )
    )
    return _read_split_cached(folder, split, stamps)


@functools.lru_cache(maxsize=4)
def _read_split_cached(
    folder: pathlib.Path, split: str, stamps: tuple
) -> tuple[np.ndarray, np.ndarray]:
    del stamps  # only part of the cache key
    files = _SPLITS[split]
    images = _read_idx(folder / files.images, _IMAGES_MAGIC, files.count, IMAGE_SHAPE)
    labels = _read_idx(folder / files.labels, _LABELS_MAGIC, files.count, ())
    if labels.max() >= len(CLASS_NAMES):
        raise DatasetError(
            f"{folder / files.labels} holds label {int(labels.max())}; "
            f"Fashion-MNIST labels are 0-9.\n{_how_to_fix()}"
        )
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def download_fashion_mnist() -> pathlib.Path:
    """Download the four IDX files into the Keras cache with Keras.

    Returns:
        The folder that now holds them (:func:`keras_cache_dir`).

    Raises:
        DatasetError: If a download fails (e.g. no internet connection).

    Example:
        >>> download_fashion_mnist()  # doctest: +SKIP
        PosixPath('/home/me/.keras/datasets/fashion-mnist')
    """
    import keras

    folder = keras_cache_dir()
    saved_dirs = set()
    for name in FILE_NAMES:
        if (folder / name).is_file():
            saved_dirs.add(folder)
            continue
        try:
            saved = keras.utils.get_file(
                fname=name,
                origin=DOWNLOAD_ORIGIN + name,
                cache_dir=str(folder.parent.parent),
                cache_subdir=str(pathlib.Path("datasets") / folder.name),
            )
        except Exception as error:  # noqa: BLE001 - any failure means no data
            raise DatasetError(
                f"no local copy of Fashion-MNIST was found (searched "
                f"{', '.join(str(d) for d in candidate_dirs())}) and downloading "
                f"{name} from {DOWNLOAD_ORIGIN} failed: {error}\n{_how_to_fix()}"
            ) from error
        # Keras falls back to /tmp/.keras when the cache folder is read-only.
        saved_dirs.add(pathlib.Path(saved).parent)
    if len(saved_dirs) != 1:
        raise DatasetError(
            "the Fashion-MNIST files ended up in different folders "
            f"({', '.join(sorted(map(str, saved_dirs)))}); move them into one "
            f"folder and set {DATA_DIR_VARIABLE} to it.\n{_how_to_fix()}"
        )
    folder = saved_dirs.pop()
    return folder


def check_value_range(value_range: str | None) -> str:
    """Return ``value_range`` if it is one of the accepted names.

    Args:
        value_range: ``"[0,1]"``, ``"[-1,1]"`` or ``"uint8"``.

    Returns:
        The same string.

    Raises:
        ValueError: For any other value.

    Example:
        >>> check_value_range("[-1,1]")
        '[-1,1]'
    """
    if value_range not in _VALUE_RANGES:
        raise ValueError(
            f"value_range must be one of {', '.join(map(repr, _VALUE_RANGES))}; "
            f"got {value_range!r}"
        )
    return value_range


def scale_images(images: np.ndarray, value_range: str = "[0,1]") -> np.ndarray:
    """Scale uint8 images (0-255) to float32 in [0, 1] or [-1, 1].

    Use [0, 1] with sigmoid outputs (autoencoders, VAEs) and [-1, 1] with tanh
    outputs (GANs).

    Args:
        images: An array of dtype uint8.
        value_range: ``"[0,1]"``, ``"[-1,1]"``, or ``"uint8"`` to return the
            array unchanged.

    Returns:
        A new float32 array (or the uint8 input for ``"uint8"``).

    Raises:
        TypeError: If ``images`` is not of dtype uint8.
        ValueError: If ``value_range`` is unknown.

    Example:
        >>> scale_images(np.array([0, 255], dtype=np.uint8), "[-1,1]")
        array([-1.,  1.], dtype=float32)
    """
    check_value_range(value_range)
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(
            f"images must have dtype uint8 (pixel values 0-255); got dtype "
            f"{images.dtype}. Scale raw images only once."
        )
    if value_range == "uint8":
        return images
    unit = images.astype(np.float32) / np.float32(255.0)
    if value_range == "[0,1]":
        return unit
    return unit * np.float32(2.0) - np.float32(1.0)


_ACTIVATION_RANGES = {"sigmoid": "[0,1]", "tanh": "[-1,1]"}
_RANGE_BOUNDS = {"[0,1]": (0.0, 1.0), "[-1,1]": (-1.0, 1.0)}


def output_value_range(model) -> str | None:
    """The value range of a Keras model's outputs, read from its last activation.

    Layers without an activation (Reshape, Flatten...) are skipped; nested
    models are searched from their end.

    Args:
        model: A Keras model (e.g. a generator or a VAE's decoder).

    Returns:
        ``"[0,1]"`` for a sigmoid, ``"[-1,1]"`` for a tanh, None when the last
        activation is anything else (the range cannot be known).

    Example:
        >>> import keras
        >>> inputs = keras.Input((2,))
        >>> output_value_range(keras.Model(inputs, keras.layers.Dense(
        ...     4, activation="tanh")(inputs)))
        '[-1,1]'
    """
    for layer in reversed(getattr(model, "layers", [])):
        if hasattr(layer, "layers"):  # a nested model
            return output_value_range(layer)
        activation = getattr(layer, "activation", None)
        if activation is not None:
            return _ACTIVATION_RANGES.get(getattr(activation, "__name__", None))
    return None


def check_images(
    images,
    image_shape: Sequence[int],
    value_range: str | None = None,
    name: str = "images",
    fix: str | None = None,
) -> np.ndarray:
    """Check images before a model uses them: dtype, shape, finiteness, range.

    Args:
        images: An array (N, *image_shape) of numbers.
        image_shape: The shape of one image the model takes.
        value_range: ``"[0,1]"`` or ``"[-1,1]"``, the range the model was
            built for (see :func:`output_value_range`), or None to skip the
            range check.
        name: The argument's name, for the message.
        fix: What the message tells to do about values out of range (None:
            how to scale 0-255 images or convert between the two ranges).

    Returns:
        ``images`` as a NumPy array (not copied when it already is one).

    Raises:
        TypeError: If the values are not numbers (bools, strings, objects).
        ValueError: If the shape is wrong, a value is NaN or infinite, or the
            values lie outside ``value_range``; the message gives the values
            found and how to scale them.

    Example:
        >>> check_images(np.zeros((2, 28, 28), np.float32), (28, 28), "[0,1]").shape
        (2, 28, 28)
    """
    array = np.asarray(images)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be an array of numbers; got dtype {array.dtype}")
    image_shape = tuple(image_shape)
    if array.ndim != len(image_shape) + 1 or array.shape[1:] != image_shape:
        raise ValueError(
            f"{name} must have shape (N, {', '.join(map(str, image_shape))}) for "
            f"this model; got shape {array.shape}"
        )
    if array.size == 0:
        raise ValueError(
            f"{name} must hold at least one entry; got shape {array.shape}"
        )
    finite_array(array, name)
    if value_range is None:
        return array
    if value_range not in _RANGE_BOUNDS:
        raise ValueError(
            f"value_range must be '[0,1]', '[-1,1]' or None; got {value_range!r}"
        )
    low, high = _RANGE_BOUNDS[value_range]
    found_low, found_high = float(array.min()), float(array.max())
    tolerance = 1e-3
    if found_low < low - tolerance or found_high > high + tolerance:
        if fix is not None:
            pass
        elif found_high > 2.0:
            fix = (
                f"scale them with cu.data.scale_images(images, {value_range!r}) "
                f"or load with value_range={value_range!r}"
            )
        elif value_range == "[0,1]":
            fix = "map [-1, 1] images to [0, 1] with (images + 1) / 2"
        else:
            fix = "map [0, 1] images to [-1, 1] with images * 2 - 1"
        raise ValueError(
            f"{name} must have values in {value_range}; got values from "
            f"{found_low:.4g} to {found_high:.4g}: {fix}"
        )
    return array


def first_fit_batch(x, y=None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """What ``fit(x, y)`` will train on, for a check before training starts.

    NumPy arrays are returned whole; of a ``tf.data.Dataset`` only the first
    batch is read (``(images, labels)`` or ``images`` elements). Anything else
    (a Python generator, a ``PyDataset``) gives ``(None, None)``: it cannot be
    peeked at without consuming it.

    Args:
        x: The ``x`` passed to ``fit``.
        y: The ``y`` passed to ``fit``.

    Returns:
        ``(images, labels)``, either None when unknown.

    Example:
        >>> images, labels = first_fit_batch(np.zeros((4, 2)), np.arange(4))
        >>> images.shape, labels.tolist()
        ((4, 2), [0, 1, 2, 3])
    """
    if x is None or isinstance(x, (np.ndarray, list)) or hasattr(x, "__array__"):
        return x, y
    import tensorflow as tf

    if not isinstance(x, tf.data.Dataset):
        return None, None
    element = next(iter(x.take(1)), None)
    if element is None:
        return None, None
    if isinstance(element, (tuple, list)):
        labels = element[1] if len(element) > 1 else None
        element = element[0]
    else:
        labels = None
    return np.asarray(element), None if labels is None else np.asarray(labels)


@dataclasses.dataclass(frozen=True)
class FashionMNIST:
    """Fashion-MNIST split into training, validation and test sets.

    Images have shape (N, 28, 28) (or (N, 28, 28, 1) with ``channel_axis``),
    labels shape (N,) with values 0-9 (see :data:`CLASS_NAMES`).

    Example:
        >>> data = load_fashion_mnist(limit=100)  # doctest: +SKIP
        >>> data.x_train.shape  # doctest: +SKIP
        (100, 28, 28)
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    value_range: str
    source: pathlib.Path

    def __repr__(self) -> str:
        sizes = ", ".join(
            f"{name}={len(getattr(self, 'x_' + name))}"
            for name in ("train", "valid", "test")
        )
        return (
            f"FashionMNIST({sizes}, image shape {self.x_train.shape[1:]}, "
            f"value_range={self.value_range!r}, source={str(self.source)!r})"
        )


def load_fashion_mnist(
    *,
    value_range: str = "[0,1]",
    validation_size: int = 5_000,
    limit: int | None = None,
    channel_axis: bool = False,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
) -> FashionMNIST:
    """Load Fashion-MNIST as training, validation and test sets.

    The last ``validation_size`` of the 60,000 training images form the
    validation set. The files are read once per process and cached.

    Args:
        value_range: ``"[0,1]"`` (float32), ``"[-1,1]"`` (float32) or
            ``"uint8"`` (raw pixels).
        validation_size: Number of training images held out for validation
            (0 to 30,000).
        limit: Keep only the first ``limit`` images of each split (fast mode);
            None keeps everything.
        channel_axis: Add a trailing channel axis, (N, 28, 28, 1), as
            convolutional layers expect.
        data_dir: A folder that holds the four IDX files; searched first.
        download: Download with Keras when no local copy is found.

    Returns:
        A :class:`FashionMNIST` with ``x_train, y_train, x_valid, y_valid,
        x_test, y_test``.

    Raises:
        DatasetError: If the files are missing (and cannot be downloaded),
            truncated or corrupt; the message names the file and three ways
            to fix it.
        ValueError: If an argument is out of range or unknown.
        TypeError: If an argument has the wrong type.

    Example:
        >>> data = load_fashion_mnist(limit=1_000)  # doctest: +SKIP
        >>> data.x_train.shape, data.x_train.dtype  # doctest: +SKIP
        ((1000, 28, 28), dtype('float32'))
    """
    check_value_range(value_range)
    validation_size = integer(
        "validation_size", validation_size, minimum=0, maximum=30_000
    )
    if limit is not None:
        limit = integer("limit", limit, minimum=1, maximum=60_000)
    for name, flag in (("channel_axis", channel_axis), ("download", download)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False; got {flag!r}")

    folder = find_data_dir(data_dir)
    if folder is None:
        if not download:
            raise DatasetError(
                "no local copy of Fashion-MNIST was found (searched "
                f"{', '.join(str(d) for d in candidate_dirs())}) and "
                f"download=False.\n{_how_to_fix()}"
            )
        folder = download_fashion_mnist()
    folder = folder.resolve()
    train_images, train_labels = _read_split(folder, "train")
    test_images, test_labels = _read_split(folder, "test")

    n_train = len(train_images) - validation_size
    splits = {
        "train": (train_images[:n_train], train_labels[:n_train]),
        "valid": (train_images[n_train:], train_labels[n_train:]),
        "test": (test_images, test_labels),
    }
    arrays = {}
    for name, (images, labels) in splits.items():
        if limit is not None:
            images, labels = images[:limit], labels[:limit]
        images = scale_images(images, value_range)
        if value_range == "uint8":
            images = images.copy()
        if channel_axis:
            images = images[..., np.newaxis]
        arrays["x_" + name] = images
        arrays["y_" + name] = labels.astype(np.int64)
    return FashionMNIST(**arrays, value_range=value_range, source=folder)


def add_gaussian_noise(
    images: np.ndarray,
    stddev: float,
    *,
    seed: int | None = None,
    clip_range: tuple[float, float] | None = None,
) -> np.ndarray:
    """Corrupt images with additive Gaussian noise (denoising autoencoders).

    Args:
        images: A float array of images.
        stddev: Standard deviation of the noise (>= 0), in pixel units.
        seed: Seed of the noise, for repeatable corruption (0 to 2**32 - 1);
            None draws it from NumPy's global state (``cu.setup(seed)``).
        clip_range: ``(low, high)`` to clip the noisy images to, e.g.
            ``(0.0, 1.0)``; None (default) returns them unclipped.

    Returns:
        A new float32 array of the same shape.

    Raises:
        TypeError: If ``images`` is not a float array or ``stddev`` is not
            a number.
        ValueError: If ``stddev`` is negative or not finite, or
            ``clip_range`` is not an increasing pair.

    Example:
        >>> noisy = add_gaussian_noise(np.zeros((2, 28, 28)), 0.2, seed=0)
        >>> noisy.shape
        (2, 28, 28)
    """
    images = np.asarray(images)
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(
            f"images must be a float array (scale them first with "
            f"scale_images); got dtype {images.dtype}"
        )
    stddev = number("stddev", stddev, low=0)
    if clip_range is not None and not (
        isinstance(clip_range, (tuple, list))
        and len(clip_range) == 2
        and all(is_number(bound) for bound in clip_range)
        and clip_range[0] < clip_range[1]
    ):
        raise ValueError(
            f"clip_range must be None or a pair (low, high) of numbers with "
            f"low < high; got {clip_range!r}"
        )
    rng = numpy_rng(seed)
    noisy = images + rng.normal(0.0, stddev, size=images.shape)
    if clip_range is not None:
        noisy = np.clip(noisy, clip_range[0], clip_range[1])
    return noisy.astype(np.float32)


def make_3d_toy_data(
    n_samples: int = 200, *, noise: float = 0.1, seed: int = 42
) -> np.ndarray:
    """Make a centred 3-D point cloud that lies close to a tilted plane.

    The points follow a curved band (an arc) on a plane tilted in 3-D space,
    with Gaussian noise off the plane: a linear autoencoder with a 2-D
    bottleneck should find that plane. Taught in
    ``notebooks/01_linear_autoencoder_pca.ipynb``.

    Args:
        n_samples: Number of points (>= 3).
        noise: Standard deviation scale of the noise (>= 0).
        seed: Seed of the random generator.

    Returns:
        A float32 array of shape (n_samples, 3) with zero column means.

    Raises:
        ValueError: If ``n_samples`` < 3 or ``noise`` < 0.

    Example:
        >>> make_3d_toy_data(100).shape
        (100, 3)
    """
    n_samples = integer("n_samples", n_samples, minimum=3, maximum=10_000_000)
    noise = number("noise", noise, low=0)
    seed = integer("seed", seed, minimum=0, maximum=2**32 - 1)
    rng = np.random.default_rng(seed)
    angles = (rng.random(n_samples) ** 3 + 0.5) * 2 * np.pi
    data = np.empty((n_samples, 3))
    data[:, 0] = np.cos(angles) + np.sin(angles) / 2
    data[:, 0] += noise * rng.standard_normal(n_samples) / 2
    data[:, 1] = np.sin(angles) * 0.7 + noise * rng.standard_normal(n_samples) / 2
    data[:, 2] = data[:, 0] * 0.1 + data[:, 1] * 0.3
    data[:, 2] += noise * rng.standard_normal(n_samples)
    data -= data.mean(axis=0)
    return data.astype(np.float32)


def make_dataset(
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    batch_size: int = 128,
    shuffle: bool = True,
    seed: int = 42,
    cache: bool = True,
    drop_remainder: bool = False,
):
    """Build a ``tf.data`` pipeline: cache, shuffle, batch, prefetch.

    For an autoencoder pass the images as both ``x`` and ``y``; for a GAN or a
    VAE with its own ``train_step`` pass only ``x``.

    Args:
        x: Inputs, first axis = examples.
        y: Targets with the same number of examples, or None.
        batch_size: Examples per batch (>= 1).
        shuffle: Reshuffle every epoch (with ``seed``), over the whole set.
        seed: Shuffle seed.
        cache: Keep the examples in memory after the first epoch.
        drop_remainder: Drop the last, smaller batch (GANs whose code assumes
            full batches).

    Returns:
        A ``tf.data.Dataset`` of batches (``x`` or ``(x, y)`` tuples).

    Raises:
        ValueError: If the lengths of ``x`` and ``y`` differ, ``x`` is empty or
            ``batch_size`` < 1.

    Example:
        >>> images = np.zeros((10, 28, 28), dtype=np.float32)
        >>> batches = make_dataset(images, images, batch_size=4)
        >>> [int(b[0].shape[0]) for b in batches]
        [4, 4, 2]
    """
    import tensorflow as tf

    x = np.asarray(x)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"x must hold at least one example; got shape {x.shape}")
    batch_size = integer("batch_size", batch_size, minimum=1, maximum=1_000_000)
    if y is not None:
        y = np.asarray(y)
        if y.ndim == 0 or len(y) != len(x):
            raise ValueError(
                f"y must have as many examples as x ({len(x)}); got shape {y.shape}"
            )
        dataset = tf.data.Dataset.from_tensor_slices((x, y))
    else:
        dataset = tf.data.Dataset.from_tensor_slices(x)
    if cache:
        dataset = dataset.cache()
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(tf.data.AUTOTUNE)


def class_examples(
    images: np.ndarray,
    labels: np.ndarray,
    per_class: int,
    classes: Sequence[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pick the first ``per_class`` images of each class, class by class.

    Args:
        images: Images, first axis = examples.
        labels: Integer labels of the same length.
        per_class: Images per class (>= 1).
        classes: Which classes, in order (default: 0-9).

    Returns:
        ``(images, labels)`` ordered class by class.

    Raises:
        ValueError: If lengths differ or a class has fewer than ``per_class``
            images.

    Example:
        >>> x = np.arange(6).reshape(6, 1); y = np.array([0, 1, 0, 1, 0, 1])
        >>> class_examples(x, y, 2, classes=[1, 0])[1]
        array([1, 1, 0, 0])
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(
            f"labels must be 1-D with one label per image ({len(images)}); "
            f"got shape {labels.shape}"
        )
    per_class = integer("per_class", per_class, minimum=1, maximum=len(labels))
    classes = range(len(CLASS_NAMES)) if classes is None else classes
    picked = []
    for label in classes:
        where = np.flatnonzero(labels == label)[:per_class]
        if len(where) < per_class:
            raise ValueError(
                f"class {label} has {len(where)} image(s), fewer than "
                f"per_class={per_class}"
            )
        picked.append(where)
    order = np.concatenate(picked)
    return images[order], labels[order]


def make_gaussian_ring(
    n_samples: int = 2_000,
    *,
    n_modes: int = 8,
    radius: float = 2.0,
    stddev: float = 0.02,
    seed: int = 42,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample a 2-D mixture of Gaussians whose modes sit on a circle.

    The classic toy set for mode collapse: a GAN that covers only some of the
    ``n_modes`` clusters is easy to see and to measure
    (:func:`course_utils.metrics.ring_mode_coverage`). Taught in
    ``notebooks/08_gan_training_problems.ipynb``.

    Args:
        n_samples: Number of points (>= 1).
        n_modes: Number of equally weighted modes (>= 2), evenly spaced.
        radius: Radius of the circle (> 0).
        stddev: Standard deviation of each mode (> 0).
        seed: Seed of the random generator.

    Returns:
        ``(points, modes)``: float32 points (n_samples, 2) and the index of
        the mode each point was drawn from.

    Raises:
        ValueError: If an argument is out of range.

    Example:
        >>> points, modes = make_gaussian_ring(100, n_modes=8)
        >>> points.shape, int(modes.max()) < 8
        ((100, 2), True)
    """
    n_samples = integer("n_samples", n_samples, minimum=1, maximum=100_000_000)
    n_modes = integer("n_modes", n_modes, minimum=2, maximum=10_000)
    radius = number("radius", radius, low=0, low_open=True)
    stddev = number("stddev", stddev, low=0, low_open=True)
    rng = numpy_rng(seed)
    modes = rng.integers(0, n_modes, n_samples)
    centres = ring_centres(n_modes, radius)
    points = centres[modes] + rng.normal(0.0, stddev, (n_samples, 2))
    return points.astype(np.float32), modes


def ring_centres(n_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """The centres of :func:`make_gaussian_ring`'s modes, shape (n_modes, 2).

    Example:
        >>> ring_centres(4, 1.0).round(6).tolist()
        [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [-0.0, -1.0]]
    """
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


#: The largest Sobel gradient magnitude of an image with pixels in [0, 1]:
#: ``sqrt(4**2 + 2**2)``, reached e.g. by the 3x3 patch
#: ``[[0, 0, 1], [0, ., 1], [0, 1, 1]]`` (Gx = 4, Gy = 2).
SOBEL_MAX_MAGNITUDE = float(np.sqrt(20.0))


def edge_maps(images: np.ndarray) -> np.ndarray:
    """Sobel edge magnitude of grayscale images, as maps in [0, 1].

    Each pixel gets ``sqrt(Gx**2 + Gy**2) / sqrt(20)``, where ``Gx`` and
    ``Gy`` are the responses of the 3x3 Sobel kernels
    ``[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]`` and its transpose. ``sqrt(20)``
    (:data:`SOBEL_MAX_MAGNITUDE`) is the largest magnitude that pixels in
    [0, 1] can give, so the scaling is the same for every image (a faint
    image gives faint edges) and the result is always in [0, 1]; a sharp
    step from 0 to 1 gives ``4 / sqrt(20) = 0.894`` on the two columns (or
    rows) next to it. The border is handled by repeating the outermost
    pixels, so a flat image has no edges, even along its frame. The maps are
    the conditions of the pix2pix model of
    ``notebooks/09_conditional_gans.ipynb``
    (:mod:`course_utils.models.pix2pix`), which turns them back into images.

    Args:
        images: Grayscale images of shape (N, H, W) with values in [0, 1]
            (scale uint8 images first with :func:`scale_images`).

    Returns:
        A new float32 array of shape (N, H, W) with values in [0, 1].

    Raises:
        TypeError: If ``images`` is not a real-valued numeric array.
        ValueError: If ``images`` is not 3-D, is empty, or holds values
            outside [0, 1] (NaN included).

    Example:
        >>> step = np.zeros((1, 4, 6), dtype=np.float32)
        >>> step[:, :, 3:] = 1.0  # dark left half, bright right half
        >>> edge_maps(step)[0, 0].round(3)
        array([0.   , 0.   , 0.894, 0.894, 0.   , 0.   ], dtype=float32)
    """
    images = np.asarray(images)
    if images.dtype == np.bool_ or not (
        np.issubdtype(images.dtype, np.integer)
        or np.issubdtype(images.dtype, np.floating)
    ):
        raise TypeError(
            f"images must be a numeric array of grayscale images in [0, 1]; "
            f"got dtype {images.dtype}"
        )
    if images.ndim != 3:
        raise ValueError(
            f"images must have shape (N, H, W) (grayscale, no channel axis); got "
            f"shape {images.shape}. Use images[None] for one image or "
            f"images[..., 0] to drop a channel axis of size 1."
        )
    if images.size == 0:
        raise ValueError(f"images must not be empty; got shape {images.shape}")
    if images.dtype.kind == "f" and np.isnan(images).any():
        raise ValueError("images must be in [0, 1]; found NaN values")
    low, high = images.min(), images.max()
    if low < 0 or high > 1:
        raise ValueError(
            f"images must be in [0, 1]; found values in [{low:g}, {high:g}]. "
            f"Scale uint8 images with scale_images(images, '[0,1]'), or map "
            f"[-1, 1] images with (images + 1) / 2."
        )
    padded = np.pad(images.astype(np.float32), ((0, 0), (1, 1), (1, 1)), "edge")
    height, width = images.shape[1:]

    def shifted(row: int, column: int) -> np.ndarray:
        """The padded images shifted by (row - 1, column - 1)."""
        return padded[:, row : row + height, column : column + width]

    gx = (shifted(0, 2) + 2 * shifted(1, 2) + shifted(2, 2)) - (
        shifted(0, 0) + 2 * shifted(1, 0) + shifted(2, 0)
    )
    gy = (shifted(2, 0) + 2 * shifted(2, 1) + shifted(2, 2)) - (
        shifted(0, 0) + 2 * shifted(0, 1) + shifted(0, 2)
    )
    magnitude = np.sqrt(gx * gx + gy * gy) / np.float32(SOBEL_MAX_MAGNITUDE)
    # Exact arithmetic gives at most 1; this only undoes float32 rounding
    # (one unit in the last place) next to the maximum.
    return np.minimum(magnitude, np.float32(1.0)).astype(np.float32, copy=False)
