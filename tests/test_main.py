"""The set-up commands ``python3 -m course_utils lab|test``."""

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


@pytest.mark.parametrize("argv", [[], ["serve"], ["--help"]])
def test_unknown_command_prints_usage_and_fails(argv, capsys):
    assert bootstrap.main(argv) == 2
    assert "usage: python3 -m course_utils {lab,test}" in capsys.readouterr().err


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
