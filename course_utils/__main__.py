"""Set up the course environment and open JupyterLab or run the tests.

Run from the repository root with any Python 3.10+::

    python3 -m course_utils lab    # set up, then open JupyterLab on notebooks/
    python3 -m course_utils test   # set up, then run pytest + nbval (fast mode)

If no virtual environment (or conda environment) is active, a local one is
made in ``.venv/``. The package is installed in editable mode with its ``lab``
and ``test`` extras, once: a stamp file records what was installed, so a
second run starts at once. Arguments after ``test`` go to pytest, arguments
after ``lab`` to JupyterLab. This file uses only the standard library.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import subprocess
import sys
import venv

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
LOCAL_ENV = REPO_ROOT / ".venv"
STAMP_NAME = "course-utils-install.stamp"
EXTRAS = "lab,test"
COMMANDS = ("lab", "test")
PROGRAM = "python3 -m course_utils"
USAGE = (
    "usage: python3 -m course_utils {lab,test} [arguments for jupyter lab or pytest]\n"
    "  lab   set up the environment and open JupyterLab on notebooks/\n"
    "  test  set up the environment and run the test suite "
    "(COURSE_FAST=1 unless set)"
)


def _active_environment() -> bool:
    """True when running inside a virtual or conda environment."""
    in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
    conda_prefix = os.environ.get("CONDA_PREFIX")
    in_conda = bool(conda_prefix) and (
        pathlib.Path(conda_prefix).resolve() == pathlib.Path(sys.prefix).resolve()
    )
    return in_venv or in_conda


def _environment_python() -> pathlib.Path:
    """Return the Python to install into, making ``.venv`` if needed."""
    if _active_environment():
        return pathlib.Path(sys.executable)
    python = LOCAL_ENV / ("Scripts" if os.name == "nt" else "bin") / "python"
    if not python.exists():
        print(f"Creating a virtual environment in {LOCAL_ENV} ...", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(LOCAL_ENV)
        except Exception as error:  # noqa: BLE001 - explain, then stop
            sys.exit(
                f"Could not create {LOCAL_ENV}: {error}\n"
                "On Debian/Ubuntu install the venv module first: "
                "sudo apt-get install python3-venv"
            )
    return python


def _install_fingerprint(python: pathlib.Path) -> str:
    """Hash of what decides the installation: dependencies, extras, interpreter.

    Only the ``[build-system]`` and ``[project...]`` tables of pyproject.toml
    count, so that changing a tool setting does not trigger a reinstall.
    """
    digest = hashlib.sha256()
    keep = False
    for line in (REPO_ROOT / "pyproject.toml").read_text().splitlines():
        if line.startswith("["):
            keep = line.startswith(("[project", "[build-system"))
        if keep:
            digest.update(line.encode() + b"\n")
    digest.update(f"{EXTRAS}|{python}|{REPO_ROOT}".encode())
    return digest.hexdigest()


def _ensure_installed(python: pathlib.Path) -> None:
    """Install the package with its extras unless the stamp says it is."""
    prefix = subprocess.run(
        [str(python), "-c", "import sys; print(sys.prefix)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    stamp = pathlib.Path(prefix) / STAMP_NAME
    fingerprint = _install_fingerprint(python)
    if stamp.exists() and stamp.read_text() == fingerprint:
        return
    print(
        f"Installing course_utils[{EXTRAS}] into {prefix} (the first time this "
        "downloads TensorFlow, about 600 MB) ...",
        flush=True,
    )
    command = [str(python), "-m", "pip", "install", "--upgrade", "pip"]
    subprocess.run(command, check=True)
    command = [str(python), "-m", "pip", "install", "-e", f"{REPO_ROOT}[{EXTRAS}]"]
    result = subprocess.run(command)
    if result.returncode != 0:
        sys.exit(f"Installation failed: {' '.join(command)}")
    stamp.write_text(fingerprint)


def _usage_error(argv: list[str]) -> str | None:
    """Say what is wrong with the command word, or None when it is fine."""
    if not argv:
        return "no command given: choose lab or test"
    if argv[0] not in COMMANDS:
        return f"unknown command {argv[0]!r}: choose lab or test"
    return None


def _fast_mode_error() -> str | None:
    """Say what is wrong with ``COURSE_FAST``, or None when it is fine.

    The value is checked here, in one line, rather than in every notebook and
    test that reads it (each of which would print a traceback).
    """
    from course_utils import config  # standard library only at import

    try:
        config.read_fast_mode()
    except ValueError as error:
        return str(error)
    return None


def main(argv: list[str]) -> int:
    """Run ``lab`` or ``test`` and return the exit status.

    ``-h``/``--help``/``help`` print the usage on stdout and return 0; a
    missing or unknown command prints the usage and the wrong word on stderr
    and returns 2, as argparse does.

    Example:
        >>> main(["--help"])  # doctest: +SKIP
        usage: python3 -m course_utils {lab,test} ...
        0
    """
    if argv[:1] in (["-h"], ["--help"], ["help"]):
        print(USAGE)
        return 0
    problem = _usage_error(argv)
    if problem is not None:
        print(f"{USAGE}\n{PROGRAM}: error: {problem}", file=sys.stderr)
        return 2
    problem = _fast_mode_error()
    if problem is not None:
        print(f"{PROGRAM}: error: {problem}", file=sys.stderr)
        return 2
    # This file may run on an older system Python: say so plainly.
    if sys.version_info < (3, 10):  # noqa: UP036
        print("The course needs Python 3.10 or newer.", file=sys.stderr)
        return 2
    command, extra = argv[0], argv[1:]
    python = _environment_python()
    _ensure_installed(python)
    if command == "lab":
        if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
            extra = ["--allow-root", *extra]  # containers often run as root
        return subprocess.run(
            [str(python), "-m", "jupyterlab", *extra], cwd=REPO_ROOT / "notebooks"
        ).returncode
    env = dict(os.environ)
    env.setdefault("COURSE_FAST", "1")
    return subprocess.run(
        [str(python), "-m", "pytest", *extra], cwd=REPO_ROOT, env=env
    ).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
