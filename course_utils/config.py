"""Fast or full mode, and the ``setup()`` call that opens every notebook.

Set the environment variable ``COURSE_FAST=1`` to run every notebook in about
a minute on a laptop CPU (small subsets, few epochs); leave it unset, or set it
to 0, for the full-size runs meant for a GPU. Taught in
``notebooks/00_generative_modelling.ipynb``. The course's other environment
variables (``COURSE_DATA_DIR``, ``COURSE_CACHE_DIR``) are read with
:func:`environment_value` and :func:`environment_folder`, so that a value
that is set but unusable is an error, never silently skipped.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Mapping
from typing import Any, TypeVar

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


def environment_value(
    name: str, environ: Mapping[str, str] | None = None
) -> str | None:
    """Return an environment variable's value, or None when it is unset or blank.

    A variable set to an empty string (or to spaces only) counts as unset, as
    ``export COURSE_DATA_DIR=`` is the usual way to clear one in a shell.

    Args:
        name: The variable's name, e.g. ``"COURSE_DATA_DIR"``.
        environ: The mapping to read (defaults to ``os.environ``).

    Returns:
        The value as it is set (surrounding spaces kept), or None.

    Example:
        >>> environment_value("COURSE_DATA_DIR", {"COURSE_DATA_DIR": "  "}) is None
        True
        >>> environment_value("COURSE_DATA_DIR", {"COURSE_DATA_DIR": "/data"})
        '/data'
    """
    environ = os.environ if environ is None else environ
    value = environ.get(name)
    return value if value is not None and value.strip() else None


def _first_existing(path: pathlib.Path) -> pathlib.Path:
    """The path itself if it exists, else its nearest existing parent."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def environment_folder(
    name: str, environ: Mapping[str, str] | None = None
) -> pathlib.Path | None:
    """Return the folder an environment variable names, checked, or None if unset.

    The folder need not exist yet, but it must be one that can be made and
    written to: a value that names a file, or a folder below a file or below
    a folder without write permission, is an error rather than a variable
    that is silently ignored.

    Args:
        name: The variable's name, e.g. ``"COURSE_CACHE_DIR"``.
        environ: The mapping to read (defaults to ``os.environ``).

    Returns:
        The folder (``~`` expanded), or None when the variable is unset or
        blank (see :func:`environment_value`).

    Raises:
        ValueError: If the value cannot be used as a writable folder; the
            message names the variable, its value and the fix.

    Example:
        >>> environment_folder("COURSE_CACHE_DIR", {"COURSE_CACHE_DIR": "/tmp/c"})
        PosixPath('/tmp/c')
        >>> environment_folder("COURSE_CACHE_DIR", {}) is None
        True
    """
    value = environment_value(name, environ)
    if value is None:
        return None
    folder = pathlib.Path(value).expanduser()
    existing = _first_existing(folder)
    if not existing.is_dir():
        problem = f"{existing} is not a folder"
    elif not os.access(existing, os.W_OK | os.X_OK):
        problem = f"you cannot write to {existing}"
    else:
        return folder
    raise ValueError(
        f"environment variable {name}={value!r} cannot be used as a folder: "
        f"{problem}. Set {name} to a folder you can write to, or unset it "
        f"(unset {name}) to use the default."
    )


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
    raw = environment_value(FAST_MODE_VARIABLE, environ)
    word = "" if raw is None else raw.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueError(
        f"environment variable {FAST_MODE_VARIABLE}={raw!r} is not a mode: "
        "set it to 1, true or yes for fast mode, to 0, false or no for full "
        f"mode, or unset it (unset {FAST_MODE_VARIABLE}) for full mode"
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
    from course_utils import seeding  # imports TensorFlow: not at module import

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
