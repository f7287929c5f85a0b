"""The package, its dependency lists, the CI script and the README agree."""

import pathlib
import re
import subprocess
import sys

import pytest
import yaml

import course_utils

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
README_TEST_COMMAND = "python3 -m course_utils test"
README_LAB_COMMAND = "python3 -m course_utils lab"


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _normalise(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement).lower().replace('"', "'")


def test_environment_yml_installs_the_same_packages_as_pyproject():
    project = _pyproject()["project"]
    declared = list(project["dependencies"])
    for extra in ("lab", "test"):
        declared += project["optional-dependencies"][extra]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_sections = [
        item["pip"] for item in environment["dependencies"] if isinstance(item, dict)
    ]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip section"
    pip_lines = [line for line in pip_sections[0] if not line.startswith("-e")]
    assert sorted(map(_normalise, pip_lines)) == sorted(map(_normalise, declared))
    assert "-e ." in pip_sections[0], "environment.yml must install the package"


def test_environment_yml_python_matches_requires_python():
    requires = _pyproject()["project"]["requires-python"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pythons = [
        item
        for item in environment["dependencies"]
        if isinstance(item, str) and item.startswith("python")
    ]
    assert [_normalise(p) for p in pythons] == [_normalise("python" + requires)]


def test_tensorflow_is_not_pinned_to_one_version():
    dependencies = _pyproject()["project"]["dependencies"]
    tensorflow = [d for d in dependencies if d.startswith("tensorflow")]
    assert tensorflow and all("==" not in d and "<" not in d for d in tensorflow)


def test_versions_agree():
    assert _pyproject()["project"]["version"] == course_utils.__version__


def test_ci_runs_the_readme_test_command_in_fast_mode():
    readme = (ROOT / "README.md").read_text()
    ci_script = (ROOT / ".ci" / "run").read_text()
    assert README_TEST_COMMAND in readme and README_LAB_COMMAND in readme
    assert README_TEST_COMMAND in ci_script
    assert "COURSE_FAST=1" in ci_script
    assert "apt-get install" in ci_script and "dataset-fashion-mnist" in ci_script


def test_readme_maps_every_notebook():
    readme = (ROOT / "README.md").read_text()
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert f"notebooks/{notebook.name}" in readme, notebook.name


def test_import_is_lazy_and_light():
    code = (
        "import sys, course_utils; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no_such_module"):
        course_utils.no_such_module  # noqa: B018


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_wheel_ships_the_checkpoints(tmp_path):
    """pip install (and the Colab install cell) get the manifest and every file."""
    import zipfile

    from course_utils import pretrained

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps"]
        + ["--no-build-isolation", "--quiet", "--wheel-dir", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("course_utils-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {"manifest.json"} | {
        info["file"] for info in pretrained.read_manifest().values()
    }
    for file_name in shipped:
        assert f"course_utils/pretrained/files/{file_name}" in names, file_name


def test_ci_runs_the_unit_tests_on_the_lowest_tensorflow_and_keras_allowed():
    """The CI stage reads its versions from pyproject.toml's lower bounds."""
    ci_script = (ROOT / ".ci" / "run").read_text()
    (line,) = [x for x in ci_script.splitlines() if x.startswith("oldest=$(")]
    pins = subprocess.run(
        ["bash", "-c", f'{line}\necho "$oldest"'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    lower_bounds = {
        name: re.fullmatch(rf"{name}>=([0-9.]+)", dependency).group(1)
        for dependency in _pyproject()["project"]["dependencies"]
        for name in ("tensorflow", "keras")
        if dependency.startswith(name + ">=")
    }
    assert sorted(pins) == sorted(
        f"{name}=={version}.*" for name, version in lower_bounds.items()
    )
    assert set(lower_bounds) == {"tensorflow", "keras"}
    stage = ci_script[ci_script.index(line) :]
    assert "--ignore=tests/test_notebooks.py" in stage
    assert ci_script.index(README_TEST_COMMAND) < ci_script.index(line)
