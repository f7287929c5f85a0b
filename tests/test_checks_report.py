"""The package course_utils.checks: its report, and every name it keeps.

The report (course_utils.checks._report) prints problems then what is fine;
every name the notebooks, the worked solutions and the tests reach as
``cu.checks.<name>`` or ``checks.<name>`` still resolves now that the former
module is a package, and importing it stays light.
"""

import importlib
import pathlib
import re
import subprocess
import sys

import pytest

from course_utils import checks


def test_the_report_lists_problems_then_what_is_fine():
    result = checks.CheckResult(
        "check_conv_vae", "build", False, ["first", "second"], ["shapes"]
    )
    assert str(result).splitlines() == [
        "check_conv_vae(build): 2 problems to fix",
        "  1. first",
        "  2. second",
        "What is already fine:",
        "  - shapes",
    ]
    assert repr(result) == str(result)


def test_exercise_check_error_is_an_assertion_error_with_the_result():
    result = checks.CheckResult("check_x", "f", False, ["wrong"])
    error = checks.ExerciseCheckError(result)
    assert isinstance(error, AssertionError)
    assert error.result is result and str(error) == str(result)


# --- the package keeps every name --------------------------------------------------

ROOT = pathlib.Path(__file__).resolve().parent.parent
# ``cu.checks.<name>`` or ``checks.<name>`` (not ``.../checks.py``, ``test_checks.py``)
ATTRIBUTE = re.compile(r"(?<![\w/])checks\.([A-Za-z_]\w*)")
FROM_IMPORT = re.compile(
    r"from course_utils\.checks((?:\.\w+)*) import (\([^)]*\)|[^\n]*)"
)


def used_names():
    """(file, module, name) of every use of course_utils.checks in the course."""
    files = [
        *sorted((ROOT / "notebooks").glob("*.ipynb")),
        *sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb")),
        *sorted((ROOT / "tests").glob("*.py")),
        *sorted((ROOT / "course_utils").rglob("*.py")),
    ]
    uses = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        uses += [(path.name, "", name) for name in ATTRIBUTE.findall(text)]
        for module, names in FROM_IMPORT.findall(text):
            names = re.sub(r"#[^\n]*", "", names).strip("()")
            uses += [
                (path.name, module, name.split()[0])
                for name in names.split(",")
                if name.strip()
            ]
    return uses


def test_every_name_the_course_uses_still_resolves():
    uses = used_names()
    assert any(name == "check_ddim_step" for _, _, name in uses)  # the scan works
    missing = [
        (file, f"course_utils.checks{module}.{name}")
        for file, module, name in uses
        if not hasattr(importlib.import_module(f"course_utils.checks{module}"), name)
    ]
    assert missing == []


def test_the_public_names_are_reexported_from_their_modules():
    import course_utils as cu

    assert cu.checks is checks
    assert sorted(checks.__all__) == [
        "CheckResult",
        "ExerciseCheckError",
        "check_acgan",
        "check_conv_vae",
        "check_ddim_step",
        "check_pixelcnn_mask",
    ]
    for name in checks.__all__:
        module = getattr(checks, name).__module__
        assert module.startswith("course_utils.checks."), (name, module)
    assert checks.check_conv_vae is checks.conv_vae.check_conv_vae
    assert checks.check_acgan is checks.acgan.check_acgan
    assert checks.check_pixelcnn_mask is checks.pixelcnn_mask.check_pixelcnn_mask
    assert checks.check_ddim_step is checks.ddim.check_ddim_step
    assert checks.IMAGE_SHAPE == (28, 28)


@pytest.mark.parametrize(
    ("module", "notebook"),
    [
        ("conv_vae", "notebooks/05_variational_autoencoders.ipynb"),
        ("acgan", "notebooks/09_conditional_gans.ipynb"),
        ("pixelcnn_mask", "notebooks/10_tractable_density_models.ipynb"),
        ("ddim", "notebooks/11_diffusion_models.ipynb"),
    ],
)
def test_each_check_module_names_the_notebook_that_teaches_it(module, notebook):
    docstring = importlib.import_module(f"course_utils.checks.{module}").__doc__
    assert notebook in docstring
    assert f":mod:`~course_utils.checks.{module}`" in checks.__doc__


def test_importing_the_checks_stays_light():
    code = (
        "import sys, course_utils.checks; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
