"""Seeding: one call that makes a notebook's random numbers repeatable.

Taught in ``notebooks/00_generative_modelling.ipynb`` (the setup cell of every
notebook calls it through :func:`course_utils.config.setup`).
"""

from __future__ import annotations

import random

import keras
import numpy as np
import tensorflow as tf

from course_utils._arguments import is_integer


def reset_seed(seed: int = 42, deterministic: bool = False) -> None:
    """Seed Python, NumPy, TensorFlow and Keras, and clear the Keras session.

    After this call, building the same model and training it on the same data
    gives the same weights on CPU. On a GPU some kernels are still
    non-deterministic unless ``deterministic=True``.

    Args:
        seed: A non-negative integer seed.
        deterministic: If True, also turn on TensorFlow's op determinism
            (slower on GPU; it stays on for the rest of the process because
            TensorFlow has no public switch to turn it off again).

    Raises:
        TypeError: If ``seed`` is not an integer or ``deterministic`` is not
            a bool.
        ValueError: If ``seed`` is negative.

    Example:
        >>> reset_seed(42)
        >>> a = np.random.rand()
        >>> reset_seed(42)
        >>> a == np.random.rand()
        True
    """
    if not is_integer(seed):
        raise TypeError(
            f"seed must be a non-negative integer; got {seed!r} "
            f"of type {type(seed).__name__}"
        )
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed}")
    if not isinstance(deterministic, bool):
        raise TypeError(f"deterministic must be True or False; got {deterministic!r}")
    keras.backend.clear_session()
    random.seed(int(seed))
    np.random.seed(int(seed))
    keras.utils.set_random_seed(int(seed))
    if deterministic:
        tf.config.experimental.enable_op_determinism()
