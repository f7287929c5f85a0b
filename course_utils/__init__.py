"""Helpers for the course on representation learning and generative models.

The notebooks import the package as ``import course_utils as cu`` and reach each
module through it (``cu.data.load_fashion_mnist()``, ``cu.plotting...``).
Modules are imported lazily, on first use, so that ``import course_utils`` is
quick and ``python -m course_utils`` can set up an environment before
TensorFlow is installed.

Example:
    >>> import course_utils as cu
    >>> cfg = cu.setup(seed=42)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Where the course is published; used by the Colab badge and install cell.
GITHUB_REPOSITORY = "representation-learning-course/generative-models"

_SUBMODULES = frozenset(
    {
        "checks",
        "config",
        "data",
        "layers",
        "likelihood",
        "metrics",
        "models",
        "plotting",
        "pretrained",
        "seeding",
        "tensorflow_logs",
        "widgets",
    }
)
_SHORTCUTS = {
    "setup": "config",
    "reset_seed": "seeding",
    "quiet_tensorflow": "tensorflow_logs",
}


def __getattr__(name: str) -> Any:
    """Import submodules (and the shortcuts in ``_SHORTCUTS``) on first access."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _SHORTCUTS:
        module = importlib.import_module(f"{__name__}.{_SHORTCUTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES, *_SHORTCUTS})
