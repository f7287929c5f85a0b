"""Keep TensorFlow's C++ log lines out of the notebooks.

TensorFlow's C++ runtime writes log lines (``I0000 00:00:... port.cc:153]
oneDNN custom operations are on...``) straight to file descriptor 2, outside
Python's ``logging``; Jupyter shows them as red stderr blocks. Since TF 2.21
some are written before ``TF_CPP_MIN_LOG_LEVEL`` is read, so the variable
alone no longer hides them. :func:`quiet_tensorflow`, called in the setup cell
of every notebook before Keras or TensorFlow is imported, sets the variable and
puts a filter in front of file descriptor 2 that drops these lines and passes
everything else through.

Example:
    >>> import course_utils as cu
    >>> cu.quiet_tensorflow()  # doctest: +SKIP
    >>> import keras  # doctest: +SKIP
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import os
import re
import sys
import threading

#: The lines :func:`quiet_tensorflow` drops: C++ log lines of TensorFlow and
#: absl at levels I, W and E (F, fatal, is kept), in absl's format and in the
#: format of older TensorFlow versions, and two lines TensorFlow writes
#: without a log header.
_TENSORFLOW_LOG_LINE = re.compile(
    rb"""
    (?:
        [IWE]\d{4}\ \d\d:\d\d:\d+\.\d+\ +\d+\ [^\s:\]]+:\d+\]
            # absl: I0000 00:00:1796670499.197823    5352 port.cc:153]
      | \d{4}-\d\d-\d\d\ \d\d:\d\d:\d\d\.\d+:\ [IWE]\ [^\s:\]]+:\d+\]
            # older TensorFlow: 2026-12-07 19:00:00.123456: I tensorflow/...cc:42]
      | WARNING:\ All\ log\ messages\ before\ absl::InitializeLog\(\)\ is\ called
        \ are\ written\ to\ STDERR
      | To\ enable\ the\ following\ instructions:.*\ rebuild\ TensorFlow\b
            # second line of cpu_feature_guard.cc's message
    )
    """,
    re.VERBOSE,
)

#: How every line to drop begins, with each digit written as 0. A line whose
#: newline has not arrived yet is held back while it is the beginning of one
#: of these openings, or begins with one (then until its newline); any other
#: line start is passed on at once.
_LOG_LINE_OPENINGS = (
    b"I0000 00:00:",
    b"W0000 00:00:",
    b"E0000 00:00:",
    b"0000-00-00 00:00:00.",
    b"WARNING: All log messages before absl::InitializeLog()",
    b"To enable the following instructions:",
)
_LONGEST_OPENING = max(map(len, _LOG_LINE_OPENINGS))
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"0" * 9)

_install_lock = threading.Lock()
_installed = False


def is_tensorflow_log_line(line: bytes) -> bool:
    """Say whether a line of stderr output is one :func:`quiet_tensorflow` drops.

    Args:
        line: One line of output, as bytes, with or without its newline.

    Returns:
        True for C++ log lines of TensorFlow and absl at levels I, W and E
        (fatal ``F`` lines are kept), for absl's ``WARNING: All log messages
        before absl::InitializeLog() ...`` line and for the ``To enable the
        following instructions: ...`` line; False for anything else.

    Raises:
        TypeError: If ``line`` is not bytes.

    Example:
        >>> is_tensorflow_log_line(
        ...     b"I0000 00:00:1796670499.197823    5352 port.cc:153] oneDNN ..."
        ... )
        True
        >>> is_tensorflow_log_line(b"2026-12-07 19:00:00.123456: W tensorflow/"
        ...     b"core/framework/op_kernel.cc:1830] OP_REQUIRES failed ...")
        True
        >>> is_tensorflow_log_line(b"F0000 00:00:1796670499.2 5352 x.cc:1] Check")
        False
        >>> is_tensorflow_log_line(b"Epoch 1/10")
        False
    """
    if not isinstance(line, (bytes, bytearray)):
        raise TypeError(
            f"line must be bytes, got {type(line).__name__} {line!r}; "
            "encode text first, e.g. line.encode()"
        )
    return _TENSORFLOW_LOG_LINE.match(line) is not None


def _could_become_log_line(partial: bytes) -> bool:
    """Whether the start of a line, newline not yet written, may be a log line."""
    shape = partial[:_LONGEST_OPENING].translate(_DIGITS_AS_ZERO)
    return any(
        shape.startswith(opening) or opening.startswith(shape)
        for opening in _LOG_LINE_OPENINGS
    )


class _LineFilter:
    """Drops log lines from a stream of bytes that arrives in arbitrary chunks.

    Complete lines are checked with :func:`is_tensorflow_log_line`. The start
    of a line whose newline has not arrived yet is held back only while it
    could still become a line to drop; otherwise it is passed on at once
    (progress bars that redraw a line with a carriage return are not
    delayed), and the rest of that line follows unchecked.
    """

    def __init__(self) -> None:
        self._held = b""  # the start of a line that may be a log line
        self._mid_line = False  # part of the current line was already passed

    def feed(self, chunk: bytes) -> bytes:
        """Take the next chunk of the stream; return the bytes to pass on."""
        data = self._held + chunk
        self._held = b""
        kept = []
        if self._mid_line:
            end = data.find(b"\n") + 1
            if not end:
                return data
            kept.append(data[:end])
            data = data[end:]
            self._mid_line = False
        *lines, partial = data.split(b"\n")
        kept.extend(line + b"\n" for line in lines if not is_tensorflow_log_line(line))
        if _could_become_log_line(partial):
            self._held = partial
        else:
            kept.append(partial)
            self._mid_line = bool(partial)
        return b"".join(kept)

    def close(self) -> bytes:
        """End of the stream: return what was held back, unless it is a log line."""
        held, self._held = self._held, b""
        return b"" if is_tensorflow_log_line(held) else held


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd``; output that cannot be written is lost."""
    try:
        while data:
            data = data[os.write(fd, data) :]
    except OSError:
        pass


def _forward(read_fd: int, original_fd: int) -> None:
    """Copy the pipe to the original stderr, without log lines, until EOF."""
    line_filter = _LineFilter()
    try:
        while chunk := os.read(read_fd, 65536):
            _write_all(original_fd, line_filter.feed(chunk))
        _write_all(original_fd, line_filter.close())
    except BaseException:
        os.dup2(original_fd, 2)  # never leave stderr a pipe that nobody reads
        raise
    finally:
        os.close(read_fd)


def _flush_python_stderr() -> None:
    """Write out text that Python's ``sys.stderr`` still buffers, if it can."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        sys.stderr.flush()


def _restore_stderr(original_fd: int, thread: threading.Thread) -> None:
    """At exit: put the original stderr back and let the thread write the rest."""
    _flush_python_stderr()
    os.dup2(original_fd, 2)  # closes the pipe's last write end, so EOF
    thread.join(timeout=1.0)


def quiet_tensorflow() -> None:
    """Keep TensorFlow's C++ log lines out of the notebook.

    Call it before TensorFlow (or Keras) is imported, right after
    ``import course_utils as cu`` in a notebook's setup cell. It

    1. sets ``TF_CPP_MIN_LOG_LEVEL=2`` unless the variable is already set,
       which silences TensorFlow's info and warning logging where it still
       applies;
    2. once per process, replaces file descriptor 2 by a pipe that a
       background thread copies to the original stderr, dropping the lines
       :func:`is_tensorflow_log_line` recognises. Fatal log lines, Python's
       tracebacks and warnings, progress bars and all other output pass
       through unchanged. At interpreter exit the original stderr is put
       back and whatever is still in the pipe is written out.

    A second call does nothing more. Called after TensorFlow was imported it
    still drops the lines written from then on (e.g. grappler's
    ``remapper failed`` lines during training).

    Example:
        >>> import course_utils as cu
        >>> cu.quiet_tensorflow()  # doctest: +SKIP
        >>> import keras  # doctest: +SKIP
    """
    global _installed
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _install_lock:
        if _installed:
            return
        try:
            original_fd = os.dup(2)
        except OSError:  # no stderr at all (e.g. pythonw): nothing to filter
            return
        read_fd, write_fd = os.pipe()
        thread = threading.Thread(
            target=_forward,
            args=(read_fd, original_fd),
            name="quiet_tensorflow",
            daemon=True,
        )
        thread.start()
        _flush_python_stderr()
        os.dup2(write_fd, 2)
        os.close(write_fd)
        if faulthandler.is_enabled():  # crash tracebacks skip the thread
            faulthandler.enable(file=original_fd)
        atexit.register(_restore_stderr, original_fd, thread)
        _installed = True
