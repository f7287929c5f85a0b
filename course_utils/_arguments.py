"""Argument checks shared by every module of the package (private).

One helper per kind of check, so that every public function accepts the same
values and says the same thing about a wrong one. Python and NumPy scalars
are equal here: ``np.int64(5)`` is an integer and ``np.float32(2.0)`` a
number, wherever ``5`` and ``2.0`` are; bools are neither.

Example:
    >>> integer("n_steps", np.int64(5), minimum=2)
    5
    >>> number("learning_rate", np.float32(0.5), low=0, low_open=True)
    0.5
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

import numpy as np

#: The largest seed that NumPy, TensorFlow and Keras all accept.
MAX_SEED = 2**32 - 1


def is_integer(value: Any) -> bool:
    """Return True for a Python or NumPy integer (bools excluded).

    Example:
        >>> is_integer(np.int64(5)), is_integer(True), is_integer(5.0)
        (True, False, False)
    """
    return isinstance(value, (int, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def is_number(value: Any) -> bool:
    """Return True for a Python or NumPy integer or float (bools excluded).

    Example:
        >>> is_number(np.float32(2.0)), is_number(np.int64(5)), is_number("2")
        (True, True, False)
    """
    return is_integer(value) or isinstance(value, (float, np.floating))


def _describe_range(minimum: int | None, maximum: int | None) -> str:
    """Say in words which integers a range holds, e.g. ``an integer >= 1``."""
    if minimum is not None and maximum is not None:
        return f"an integer between {minimum} and {maximum}"
    if minimum is not None:
        return f"an integer >= {minimum}"
    if maximum is not None:
        return f"an integer <= {maximum}"
    return "an integer"


def integer(
    name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` as an int, or raise an error naming ``name``.

    Args:
        name: The argument's name, for the message.
        value: What the caller passed.
        minimum: The smallest value accepted (None: no bound).
        maximum: The largest value accepted (None: no bound).

    Returns:
        ``value`` as a Python int.

    Raises:
        TypeError: If ``value`` is not an integer (bools are not).
        ValueError: If it lies outside ``[minimum, maximum]``.

    Example:
        >>> integer("limit", np.int64(100), minimum=1, maximum=60_000)
        100
    """
    what = _describe_range(minimum, maximum)
    if not is_integer(value):
        raise TypeError(f"{name} must be {what}; got {value!r}")
    too_low = minimum is not None and value < minimum
    if too_low or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {what}; got {value!r}")
    return int(value)


def integer_argument(
    minimum: int | None = None, maximum: int | None = None
) -> Callable[[str], int]:
    """An argparse ``type=``: the text as an integer in a range, or a one-line error.

    Args:
        minimum: The smallest value accepted (None: no bound).
        maximum: The largest value accepted (None: no bound).

    Returns:
        A function that argparse calls on the flag's text; its error becomes
        ``argument --flag: must be an integer >= 10; got '-3'``.

    Example:
        >>> integer_argument(minimum=10)("500")
        500
    """

    def parse(text: str) -> int:
        try:
            return integer("value", int(text), minimum=minimum, maximum=maximum)
        except ValueError:  # not an integer, or out of range
            what = _describe_range(minimum, maximum)
            raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}") from None

    return parse


def positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int of at least 1, or raise naming ``name``.

    Raises:
        TypeError: If ``value`` is not an integer (bools are not).
        ValueError: If it is smaller than 1.

    Example:
        >>> positive_int("latent_dim", np.int32(3))
        3
    """
    if not is_integer(value):
        raise TypeError(f"{name} must be a positive integer; got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def _describe_interval(
    low: float | None, high: float | None, low_open: bool, high_open: bool
) -> str:
    """Say in words which numbers an interval holds, e.g. ``a number in [0, 1)``."""
    if low is not None and high is not None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        return f"a number in {left}{low:g}, {high:g}{right}"
    if low is not None:
        return f"a finite number {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"a finite number {'<' if high_open else '<='} {high:g}"
    return "a finite number"


def number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite float in an interval, or raise naming ``name``.

    Args:
        name: The argument's name, for the message.
        value: What the caller passed.
        low: The lower end of the interval (None: no bound).
        high: The upper end (None: no bound).
        low_open: Exclude ``low`` itself (``value > low``).
        high_open: Exclude ``high`` itself (``value < high``).

    Returns:
        ``value`` as a Python float.

    Raises:
        TypeError: If ``value`` is not a number (bools and strings are not).
        ValueError: If it is NaN, infinite or outside the interval.

    Example:
        >>> number("dropout", np.float32(0.25), low=0, high=1, high_open=True)
        0.25
    """
    what = _describe_interval(low, high, low_open, high_open)
    if not is_number(value):
        raise TypeError(f"{name} must be {what}; got {value!r}")
    inside = math.isfinite(value)
    if low is not None:
        inside = inside and (value > low if low_open else value >= low)
    if high is not None:
        inside = inside and (value < high if high_open else value <= high)
    if not inside:
        raise ValueError(f"{name} must be {what}; got {value!r}")
    return float(value)


def optional_seed(value: Any, name: str = "seed") -> int | None:
    """Return a seed as an int in ``[0, 2**32 - 1]``, or None for no seed.

    Keras' ``SeedGenerator`` rejects NumPy integers; this turns them into
    Python ints first, so that ``seed=np.int64(3)`` works like ``seed=3``.

    Raises:
        TypeError: If ``value`` is neither None nor an integer.
        ValueError: If it is outside ``[0, 2**32 - 1]``.

    Example:
        >>> optional_seed(np.int64(3)), optional_seed(None)
        (3, None)
    """
    if value is None:
        return None
    return integer(name, value, minimum=0, maximum=MAX_SEED)


def finite_array(array: np.ndarray, name: str) -> None:
    """Raise a ValueError naming ``name`` if a float ``array`` holds NaN or infinity.

    Args:
        array: A NumPy array (integer arrays are always finite).
        name: The argument's name, for the message.

    Raises:
        ValueError: If a value is NaN or infinite; the message counts them.

    Example:
        >>> finite_array(np.zeros(3), "codes")  # no error
    """
    if array.dtype.kind in "fc" and not np.all(np.isfinite(array)):
        count = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"{name} must contain only finite values; got {count} NaN or infinite "
            f"value(s) in an array of shape {array.shape}."
        )


def class_labels(
    name: str, labels: Any, n_classes: int, *, n: int | None = None
) -> np.ndarray:
    """Return class labels as a 1-D int32 array in ``[0, n_classes)``.

    Args:
        name: The argument's name, for the message.
        labels: One integer label per example.
        n_classes: The number of classes; labels run from 0 to n_classes - 1.
        n: The number of labels expected (one per image), or None.

    Returns:
        The labels as a new int32 array.

    Raises:
        TypeError: If the labels are not integers (floats, strings, bools).
        ValueError: If they are not 1-D (a one-hot array says how to convert),
            empty, of the wrong length or outside ``[0, n_classes)``.

    Example:
        >>> class_labels("labels", [0, 9, 3], 10).tolist()
        [0, 9, 3]
    """
    array = np.asarray(labels)
    if array.ndim == 2 and array.shape[1] == n_classes:
        raise ValueError(
            f"{name} must be a 1-D array of class indices; got a 2-D array of "
            f"shape {array.shape}, which looks one-hot: convert it with "
            f"{name}.argmax(axis=1)"
        )
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array of class indices (one per "
            f"image); got shape {array.shape}"
        )
    if array.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must hold integers from 0 to {n_classes - 1}; got dtype "
            f"{array.dtype}"
        )
    if n is not None and len(array) != n:
        raise ValueError(
            f"{name} must hold one label per image ({n}); got {len(array)} labels"
        )
    low, high = int(array.min()), int(array.max())
    if low < 0 or high >= n_classes:
        raise ValueError(
            f"{name} must be integers from 0 to {n_classes - 1} (n_classes="
            f"{n_classes}); got values from {low} to {high}"
        )
    return array.astype(np.int32)


def numpy_rng(seed: Any, name: str = "seed") -> np.random.Generator:
    """A NumPy generator from ``seed``, or from NumPy's global state for None.

    With ``seed=None`` the generator is seeded from ``np.random`` (which
    ``cu.setup(seed)`` and ``reset_seed`` seed), so that sampling functions
    repeat after ``cu.setup(0)`` and still differ from call to call.

    Raises:
        TypeError: If ``seed`` is neither None nor an integer.
        ValueError: If it is outside ``[0, 2**32 - 1]``.

    Example:
        >>> int(numpy_rng(0).integers(10)) == int(numpy_rng(0).integers(10))
        True
    """
    seed = optional_seed(seed, name)
    if seed is None:
        seed = int(np.random.randint(0, MAX_SEED, dtype=np.int64))
    return np.random.default_rng(seed)


def same_shape(name_a: str, a: Any, name_b: str, b: Any) -> None:
    """Raise naming both arguments if two arrays or tensors differ in shape.

    Only static shapes are compared (``None`` dimensions of a traced tensor
    match anything), so inside a compiled function the check runs once, when
    it is traced, and costs nothing per step.

    Raises:
        ValueError: If the ranks differ or a known dimension differs; this
            stops NumPy / TensorFlow from broadcasting them silently.

    Example:
        >>> same_shape("images", np.zeros((2, 3)), "probabilities", np.ones((2, 3)))
    """
    shape_a, shape_b = (
        tuple(x.shape) if hasattr(x, "shape") else np.shape(x) for x in (a, b)
    )
    mismatch = len(shape_a) != len(shape_b) or any(
        x is not None and y is not None and x != y
        for x, y in zip(shape_a, shape_b, strict=True)
    )
    if mismatch:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape; got {shape_a} and "
            f"{shape_b}"
        )
