"""Likelihoods of 8-bit images in one unit: bits per dimension.

Every model of notebook 10 is scored on the same test images, as the 256
grey levels 0 ... 255 of each pixel. A discrete model (PixelCNN's 256-way
softmax, MADE's discretised logistic) gives the probability of those levels;
a continuous model (a normalizing flow) gives a density, which becomes a bound
on the same quantity once the levels are *dequantized*: ``(level + u) / 256``
with ``u ~ U[0, 1)``, and ``-log2 P(level) <= E[-log2 p_256(level + u)]``
(Theis et al., 2016). Dividing a negative log-likelihood by the number of
pixels and by ``ln 2`` gives bits per dimension: 8 for a uniform guess.

Taught in ``notebooks/10_tractable_density_models.ipynb``.
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops

from course_utils._arguments import numpy_rng, positive_int

#: Grey levels of an 8-bit pixel.
PIXEL_LEVELS = 256
#: Bits per dimension of a uniform guess over the 256 levels.
UNIFORM_BITS_PER_DIM = math.log2(PIXEL_LEVELS)


def pixel_levels(images, name: str = "images") -> np.ndarray:
    """Check that ``images`` hold 8-bit grey levels and return them as int32.

    Accepts integers from 0 to 255 (any integer dtype, or floats that are
    whole numbers). Images scaled to [0, 1] or [-1, 1], or already
    dequantized, are refused: a likelihood in bits per dimension is only
    comparable on the levels themselves.

    Raises:
        TypeError: If the values are not numbers.
        ValueError: If a value is not a whole number from 0 to 255; the
            message says what was found.

    Example:
        >>> pixel_levels(np.array([[0, 255]], np.uint8)).dtype
        dtype('int32')
    """
    array = np.asarray(images)
    if array.dtype.kind not in "uif" or array.dtype == bool:
        raise TypeError(f"{name} must hold numbers; got dtype {array.dtype}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {array.shape}")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} must be finite grey levels; got NaN or inf")
        if np.any(array != np.round(array)):
            low, high = float(array.min()), float(array.max())
            hint = (
                " (these look like scaled images: pass the raw levels, e.g. "
                "load_fashion_mnist(value_range='uint8'))"
                if high <= 1.0
                else ""
            )
            raise ValueError(
                f"{name} must hold whole grey levels 0 ... 255; got fractional "
                f"values from {low:.3g} to {high:.3g}{hint}"
            )
    low, high = int(array.min()), int(array.max())
    if low < 0 or high >= PIXEL_LEVELS:
        raise ValueError(
            f"{name} must hold grey levels from 0 to {PIXEL_LEVELS - 1}; got values "
            f"from {low} to {high}"
        )
    return array.astype(np.int32)


def dequantize(levels, seed: int | None = None) -> np.ndarray:
    """Spread each grey level uniformly over its bin: ``(level + u) / 256``.

    Args:
        levels: 8-bit images (see :func:`pixel_levels`).
        seed: Seed of the uniform noise; None follows NumPy's global state.

    Returns:
        float32 images in [0, 1), of the same shape.

    Example:
        >>> x = dequantize(np.array([0, 255]), seed=0)
        >>> bool(0 <= x[0] < 1 / 256 and 255 / 256 <= x[1] < 1)
        True
    """
    levels = pixel_levels(levels, "levels")
    noise = numpy_rng(seed).random(levels.shape)
    images = ((levels + noise) / PIXEL_LEVELS).astype(np.float32)
    # float32 rounds values just below a bin's upper edge up onto the edge;
    # keep each value inside its own bin.
    upper = ((levels + 1) / PIXEL_LEVELS).astype(np.float32)
    return np.minimum(images, np.nextafter(upper, np.float32(0)))


def bits_per_dim(negative_log_likelihood, dims: int):
    """Convert a negative log-likelihood in nats per image to bits per dimension.

    Example:
        >>> round(float(bits_per_dim(784 * math.log(256), 784)), 6)
        8.0
    """
    dims = positive_int("dims", dims)
    return np.asarray(negative_log_likelihood, dtype=np.float64) / (dims * math.log(2))


def continuous_bits_per_dim(log_density, dims: int):
    """Bits per dimension of 8-bit data from a density of images scaled to [0, 1).

    A density ``p`` of ``x = (level + u) / 256`` is ``256**dims`` times the
    density of ``level + u``, so ``-log2 p_256 = -log2 p + 8 * dims``; its mean
    over ``u`` bounds the discrete ``-log2 P(level)`` from above.

    Args:
        log_density: ``log p(x)`` in nats per image, for dequantized images in
            [0, 1).
        dims: Pixels per image.

    Example:
        >>> float(continuous_bits_per_dim(0.0, 784))  # the uniform density on [0, 1)
        8.0
    """
    return bits_per_dim(-np.asarray(log_density, np.float64), dims) + math.log2(
        PIXEL_LEVELS
    )


def independent_pixel_bits_per_dim(train_levels, test_levels, pseudo_count=1.0):
    """The floor of every model: a separate 256-way histogram for each pixel.

    Fits each pixel's grey-level frequencies on ``train_levels`` (with
    ``pseudo_count`` added to every level, so no level has probability 0)
    and scores ``test_levels``. A model that learns nothing about how pixels
    depend on each other gets no better than this.

    Returns:
        The mean bits per dimension on ``test_levels`` (a float).

    Example:
        >>> train = np.zeros((10, 2, 2), np.uint8)
        >>> round(independent_pixel_bits_per_dim(train, train), 3)
        4.596
    """
    train = pixel_levels(train_levels, "train_levels").reshape(len(train_levels), -1)
    test = pixel_levels(test_levels, "test_levels").reshape(len(test_levels), -1)
    if train.shape[1] != test.shape[1]:
        raise ValueError(
            "train_levels and test_levels must have the same pixels per image; got "
            f"{train.shape[1]} and {test.shape[1]}"
        )
    if not pseudo_count > 0:
        raise ValueError(f"pseudo_count must be > 0; got {pseudo_count!r}")
    counts = np.full((train.shape[1], PIXEL_LEVELS), float(pseudo_count))
    np.add.at(counts, (np.arange(train.shape[1])[None, :], train), 1.0)
    log_probs = np.log2(counts / counts.sum(axis=1, keepdims=True))
    pixels = np.arange(test.shape[1])[None, :]
    return float(-log_probs[pixels, test].mean())


def discretized_logistic_log_prob(levels, mean, log_scale):
    """Log-probability (nats) of each grey level under a discretised logistic.

    The logistic with ``mean`` and scale ``exp(log_scale)`` (both in grey
    levels) gives each level the mass of its bin ``[level - 0.5, level +
    0.5]``; level 0 also takes everything below, level 255 everything above,
    so the 256 probabilities sum to 1 (PixelCNN++, Salimans et al., 2017).

    Args:
        levels: Grey levels 0 ... 255 (tensor or array, any shape).
        mean: The logistic's mean, in grey levels (same shape, or a scalar).
        log_scale: The logarithm of its scale, in grey levels.

    Returns:
        ``log P(level)`` element by element, a float32 tensor.

    Example:
        >>> levels = np.arange(256)
        >>> p = ops.exp(discretized_logistic_log_prob(levels, 100.0, 2.0))
        >>> round(float(ops.sum(p)), 4)
        1.0
    """
    levels = ops.cast(levels, "float32")
    mean = ops.cast(mean, "float32")
    log_scale = ops.cast(log_scale, "float32")
    inverse_scale = ops.exp(-log_scale)
    upper = (levels + 0.5 - mean) * inverse_scale
    lower = (levels - 0.5 - mean) * inverse_scale
    # sigmoid(u) - sigmoid(l) = sigmoid(u) * sigmoid(-l) * (1 - exp(l - u)),
    # whose logarithm stays finite far in either tail.
    log_cdf_upper = -ops.softplus(-upper)
    log_survival_lower = -ops.softplus(lower)
    log_bin = log_cdf_upper + log_survival_lower + ops.log(-ops.expm1(lower - upper))
    lowest = ops.equal(levels, 0.0)
    highest = ops.equal(levels, PIXEL_LEVELS - 1.0)
    return ops.where(
        lowest, log_cdf_upper, ops.where(highest, log_survival_lower, log_bin)
    )
