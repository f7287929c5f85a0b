"""What every exercise check shares (private): the report and its helpers.

:class:`CheckResult` (what a check found, printed as a short report),
:class:`ExerciseCheckError` (raised with ``raise_on_failure=True``), the
``_Report`` a check fills while it runs, and the helpers that describe a
learner's function and its return values in plain words. Re-exported by
:mod:`course_utils.checks`.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable
from typing import Any

import numpy as np

#: The image shape every course check feeds to a learner's model.
IMAGE_SHAPE = (28, 28)
# Images used by a check: enough for a batch, few enough to be quick.
_MAX_CHECK_IMAGES = 64


@dataclasses.dataclass
class CheckResult:
    """What a check found.

    Attributes:
        check: The name of the check, e.g. ``"check_conv_vae"``.
        subject: The name of the function that was checked.
        passed: True when no problem was found.
        messages: One plain-words message per problem (empty when passed).
        notes: What was checked and found fine, with the numbers measured.

    Example:
        >>> result = CheckResult("check_conv_vae", "build", False, ["No conv layer."])
        >>> print(result)
        check_conv_vae(build): 1 problem to fix
          1. No conv layer.
        >>> bool(result)
        False
    """

    check: str
    subject: str
    passed: bool
    messages: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        title = f"{self.check}({self.subject})"
        if self.passed:
            lines = [f"{title}: passed, well done!"]
        else:
            count = len(self.messages)
            lines = [f"{title}: {count} problem{'s' if count != 1 else ''} to fix"]
            lines += [f"  {i}. {message}" for i, message in enumerate(self.messages, 1)]
            if self.notes:
                lines.append("What is already fine:")
        lines += [f"  - {note}" for note in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


class ExerciseCheckError(AssertionError):
    """A check with ``raise_on_failure=True`` found a problem.

    The message is the whole report; the :class:`CheckResult` is in
    ``error.result``.

    Example:
        >>> result = CheckResult("check_conv_vae", "build", False, ["No conv layer."])
        >>> ExerciseCheckError(result).result.passed
        False
    """

    def __init__(self, result: CheckResult):
        super().__init__(str(result))
        self.result = result


class _CheckStoppedError(Exception):
    """Internal: a problem that makes the remaining checks meaningless."""


class _Report:
    """Collects problems and notes while a check runs."""

    def __init__(self, check: str, subject: str):
        self.check = check
        self.subject = subject
        self.messages: list[str] = []
        self.notes: list[str] = []

    def problem(self, message: str) -> None:
        self.messages.append(message)

    def fatal(self, message: str) -> None:
        self.messages.append(message)
        raise _CheckStoppedError

    def note(self, message: str) -> None:
        self.notes.append(message)

    def result(self) -> CheckResult:
        return CheckResult(
            self.check, self.subject, not self.messages, self.messages, self.notes
        )


def _has_blanks(function: Callable) -> bool:
    """Whether the source of ``function`` still assigns ``...`` (a TODO blank)."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    return re.search(r"=\s*\.\.\.", source) is not None


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _shape(tensor) -> tuple:
    return tuple(int(size) for size in np.shape(tensor))


def _to_numpy(tensor) -> np.ndarray:
    from keras import ops

    return np.asarray(ops.convert_to_numpy(tensor))


def _function_name(function: Callable) -> str:
    return getattr(function, "__name__", type(function).__name__)


def _raised(function: Callable, call: str, error: Exception) -> str:
    """What to tell a learner whose function raised ``error``."""
    text = f"{type(error).__name__}: {error}".rstrip(".")
    todo = (
        isinstance(error, NotImplementedError)
        or "ellipsis" in text.lower()
        or _has_blanks(function)
    )
    hint = (
        " Some '# TODO' blanks look empty (a '...' is still there): fill them in first."
        if todo
        else f" Run {call} in a cell of its own to see where."
    )
    return f"{call} raised {text}.{hint}"
