"""Argument checks shared by the model builders (private).

Example:
    >>> positive_int("latent_dim", 16)
    16
"""

from __future__ import annotations

import numpy as np


def positive_int(name: str, value) -> int:
    """Return ``value`` as an int; raise an error naming ``name`` otherwise.

    Raises:
        TypeError: If ``value`` is not an integer (bools are not).
        ValueError: If it is smaller than 1.

    Example:
        >>> positive_int("n", 3)
        3
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive integer; got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)
