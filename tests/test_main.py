"""The set-up commands ``python3 -m course_utils lab|test``."""

import os
import pathlib
import subprocess
import sys

import pytest

from course_utils import __main__ as bootstrap


class _RecordedRuns:
    """Stands in for subprocess.run: records commands, fakes the Python."""

    def __init__(self, prefix: pathlib.Path):
        self.prefix = prefix
        self.commands = []
        self.environments = []
        self.directories = []

    def __call__(self, command, **kwargs):
        self.commands.append([str(part) for part in command])
        self.environments.append(kwargs.get("env"))
        self.directories.append(kwargs.get("cwd"))
        stdout = f"{self.prefix}\n" if "sys.prefix" in " ".join(command) else ""
        return subprocess.CompletedProcess(command, 0, stdout=stdout, stderr="")

    def installs(self):
        return [c for c in self.commands if "install" in c]


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    runs = _RecordedRuns(tmp_path)
    monkeypatch.setattr(bootstrap.subprocess, "run", runs)
    monkeypatch.setattr(bootstrap, "_active_environment", lambda: True)
    return runs


def test_first_run_installs_with_extras_and_writes_the_stamp(recorded, tmp_path):
    assert bootstrap.main(["test", "-q"]) == 0
    installs = recorded.installs()
    assert installs[-1][-3:] == ["install", "-e", f"{bootstrap.REPO_ROOT}[lab,test]"]
    assert (tmp_path / bootstrap.STAMP_NAME).is_file()


def test_second_run_skips_the_installation(recorded):
    bootstrap.main(["test"])
    recorded.commands.clear()
    bootstrap.main(["test"])
    assert recorded.installs() == []


def test_changed_pyproject_fingerprint_reinstalls(recorded, tmp_path):
    bootstrap.main(["test"])
    (tmp_path / bootstrap.STAMP_NAME).write_text("an older installation")
    recorded.commands.clear()
    bootstrap.main(["test"])
    assert recorded.installs()


def test_test_command_runs_pytest_in_fast_mode_with_extra_arguments(
    recorded, monkeypatch
):
    monkeypatch.delenv("COURSE_FAST", raising=False)
    bootstrap.main(["test", "tests/test_data.py", "-q"])
    assert recorded.commands[-1][1:] == ["-m", "pytest", "tests/test_data.py", "-q"]
    assert recorded.environments[-1]["COURSE_FAST"] == "1"
    assert recorded.directories[-1] == bootstrap.REPO_ROOT


def test_test_command_keeps_an_explicit_mode(recorded, monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "0")
    bootstrap.main(["test"])
    assert recorded.environments[-1]["COURSE_FAST"] == "0"


def test_lab_command_opens_jupyterlab_on_the_notebooks(recorded):
    bootstrap.main(["lab", "--no-browser"])
    assert recorded.commands[-1][1:3] == ["-m", "jupyterlab"]
    assert recorded.commands[-1][-1] == "--no-browser"
    assert recorded.directories[-1] == bootstrap.REPO_ROOT / "notebooks"


def test_active_environment_is_used_as_it_is(recorded):
    assert bootstrap._environment_python() == pathlib.Path(sys.executable)


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        ([], "no command given: choose lab or test"),
        (["serve"], "unknown command 'serve': choose lab or test"),
        (["--lab"], "unknown command '--lab': choose lab or test"),
    ],
)
def test_unknown_command_prints_usage_and_the_wrong_word(argv, problem, capsys):
    assert bootstrap.main(argv) == 2
    output = capsys.readouterr()
    assert output.out == ""
    assert output.err.startswith("usage: python3 -m course_utils {lab,test}")
    assert output.err.rstrip().splitlines()[-1] == (
        f"python3 -m course_utils: error: {problem}"
    )


@pytest.mark.parametrize("flag", ["--help", "-h", "help"])
def test_help_prints_the_usage_on_stdout_and_succeeds(flag, recorded, capsys):
    assert bootstrap.main([flag]) == 0
    output = capsys.readouterr()
    assert output.out.startswith("usage: python3 -m course_utils {lab,test}")
    assert "lab " in output.out and "test " in output.out
    assert output.err == ""
    assert recorded.commands == []  # nothing installed or run


def run_command_line(*argv, **environment):
    """``python -m course_utils ARGV`` in a subprocess, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "course_utils", *argv],
        capture_output=True,
        text=True,
        cwd=bootstrap.REPO_ROOT,
        env={**os.environ, **environment},
        timeout=60,
    )


def test_help_from_the_command_line_exits_0_with_usage_on_stdout():
    result = run_command_line("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python3 -m course_utils {lab,test}")
    assert result.stderr == ""


@pytest.mark.parametrize("command", ["test", "lab"])
def test_a_bad_course_fast_is_one_line_before_anything_runs(
    command, recorded, monkeypatch, capsys
):
    monkeypatch.setenv("COURSE_FAST", "maybe")
    assert bootstrap.main([command]) == 2
    assert recorded.commands == []
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith(
        "python3 -m course_utils: error: environment variable COURSE_FAST='maybe'"
    )
    assert "Traceback" not in error


def test_a_bad_course_fast_from_the_command_line_is_one_line():
    result = run_command_line("test", COURSE_FAST="maybe")
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "COURSE_FAST='maybe'" in result.stderr


def test_fingerprint_ignores_tool_settings_but_not_dependencies(tmp_path, monkeypatch):
    project = (bootstrap.REPO_ROOT / "pyproject.toml").read_text()
    monkeypatch.setattr(bootstrap, "REPO_ROOT", tmp_path)
    python = pathlib.Path(sys.executable)
    (tmp_path / "pyproject.toml").write_text(project)
    original = bootstrap._install_fingerprint(python)
    (tmp_path / "pyproject.toml").write_text(project + "\n[tool.other]\nkey = 1\n")
    assert bootstrap._install_fingerprint(python) == original
    (tmp_path / "pyproject.toml").write_text(
        project.replace('"tqdm>=4.60"', '"tqdm>=4.61"')
    )
    assert bootstrap._install_fingerprint(python) != original
