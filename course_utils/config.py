"""Fast or full mode, and the ``setup()`` call that opens every notebook.

Set the environment variable ``COURSE_FAST=1`` to run every notebook in about
a minute on a laptop CPU (small subsets, few epochs); leave it unset, or set it
to 0, for the full-size runs meant for a GPU. Taught in
``notebooks/00_generative_modelling.ipynb``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any, TypeVar

from course_utils import seeding

#: Name of the environment variable that selects fast mode.
FAST_MODE_VARIABLE = "COURSE_FAST"

_TRUE_WORDS = frozenset({"1", "true", "yes"})
_FALSE_WORDS = frozenset({"0", "false", "no", ""})

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class CourseConfig:
    """What a notebook needs to know about the run: the mode and the seed.

    Attributes:
        fast: True in fast mode (``COURSE_FAST=1``), False in full mode.
        seed: The seed everything was seeded with.

    Example:
        >>> cfg = CourseConfig(fast=True, seed=42)
        >>> cfg.mode
        'fast'
        >>> cfg.pick(full=30, fast=2)
        2
    """

    fast: bool
    seed: int

    @property
    def mode(self) -> str:
        """``"fast"`` or ``"full"``."""
        return "fast" if self.fast else "full"

    def pick(self, *, full: T, fast: T) -> T:
        """Return ``fast`` in fast mode and ``full`` in full mode.

        Args:
            full: The value for full mode (e.g. 30 epochs).
            fast: The value for fast mode (e.g. 2 epochs).

        Returns:
            One of the two values.

        Example:
            >>> CourseConfig(fast=False, seed=0).pick(full=60_000, fast=2_000)
            60000
        """
        return fast if self.fast else full


def read_fast_mode(environ: Mapping[str, str] | None = None) -> bool:
    """Read ``COURSE_FAST`` from the environment.

    Args:
        environ: The mapping to read (defaults to ``os.environ``).

    Returns:
        True for 1/true/yes, False for 0/false/no or when the variable is
        unset or empty (case and surrounding spaces are ignored).

    Raises:
        ValueError: If the variable holds any other value.

    Example:
        >>> read_fast_mode({"COURSE_FAST": "yes"})
        True
        >>> read_fast_mode({})
        False
    """
    environ = os.environ if environ is None else environ
    raw = environ.get(FAST_MODE_VARIABLE, "")
    word = raw.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueError(
        f"environment variable {FAST_MODE_VARIABLE} must be one of "
        f"1/true/yes (fast mode) or 0/false/no (full mode); got {raw!r}"
    )


def describe_environment() -> dict[str, Any]:
    """Return the versions and devices a notebook runs with.

    Returns:
        A dict with ``python``, ``tensorflow``, ``keras`` and ``numpy``
        versions and ``devices``, the list of device types TensorFlow sees
        (e.g. ``["CPU", "GPU"]``).

    Example:
        >>> sorted(describe_environment())  # doctest: +SKIP
        ['devices', 'keras', 'numpy', 'python', 'tensorflow']
    """
    import platform

    import keras
    import numpy as np
    import tensorflow as tf

    devices = [device.device_type for device in tf.config.list_physical_devices()]
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "devices": devices,
    }


def setup(
    seed: int = 42, *, deterministic: bool = False, verbose: bool = True
) -> CourseConfig:
    """Read the mode, seed everything and print a one-line banner.

    Call it once, in the setup cell of a notebook.

    Args:
        seed: Seed for Python, NumPy, TensorFlow and Keras.
        deterministic: Also turn on TensorFlow op determinism (see
            :func:`course_utils.seeding.reset_seed`).
        verbose: Print the banner (mode, versions, devices).

    Returns:
        The frozen :class:`CourseConfig`.

    Raises:
        ValueError: If ``COURSE_FAST`` holds an unknown value or ``seed`` is
            negative.
        TypeError: If ``seed`` is not an integer.

    Example:
        >>> cfg = setup(seed=42)  # doctest: +SKIP
        Mode: fast | TensorFlow 2.21.0 | Keras 3.15.1 | devices: CPU
        >>> epochs = cfg.pick(full=30, fast=2)  # doctest: +SKIP
    """
    fast = read_fast_mode()
    seeding.reset_seed(seed, deterministic=deterministic)
    config = CourseConfig(fast=fast, seed=int(seed))
    if verbose:
        env = describe_environment()
        devices = ", ".join(sorted(set(env["devices"]))) or "none"
        print(
            f"Mode: {config.mode} | TensorFlow {env['tensorflow']} | "
            f"Keras {env['keras']} | devices: {devices}"
        )
    return config
