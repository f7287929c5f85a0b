"""Every notebook follows the conventions of DESIGN.md section 3.

These tests read the notebooks as JSON; running them is nbval's job (the same
pytest command collects ``notebooks/**/*.ipynb``).
"""

import json
import pathlib
import re

import pytest

import course_utils

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
ALL = NOTEBOOKS + SOLUTIONS
REPO = course_utils.GITHUB_REPOSITORY


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _source(cell):
    return "".join(cell["source"])


def _headings(path, level):
    prefix = "#" * level + " "
    return [
        line[len(prefix) :].strip()
        for cell in _cells(path)
        if cell["cell_type"] == "markdown"
        for line in _source(cell).splitlines()
        if line.startswith(prefix)
    ]


def _ids(paths):
    return [str(p.relative_to(ROOT / "notebooks")) for p in paths]


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no NN_topic.ipynb"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_committed_without_outputs(path):
    for cell in _cells(path):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], _source(cell)[:80]
            assert cell["execution_count"] is None, _source(cell)[:80]


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_opens_with_title_and_colab_badge(path):
    cells = _cells(path)
    assert cells[0]["cell_type"] == "markdown"
    assert _source(cells[0]).startswith("# "), "first cell must be the H1 title"
    relative = path.relative_to(ROOT).as_posix()
    badge = f"https://colab.research.google.com/github/{REPO}/blob/main/{relative}"
    assert badge in _source(cells[1]), "second cell must be the Colab badge"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_has_the_fixed_sections_in_order(path):
    headings = _headings(path, 2)
    for required in ("Overview", "Setup", "Summary", "Exercises"):
        assert required in headings, f"missing '## {required}'"
    positions = [headings.index(h) for h in ("Overview", "Setup", "Summary")]
    assert positions == sorted(positions)
    assert headings.index("Exercises") > headings.index("Summary")


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_overview_states_run_times(path):
    text = "\n".join(
        _source(c) for c in _cells(path) if c["cell_type"] == "markdown"
    ).lower()
    assert "fast mode" in text and "full mode" in text
    assert re.search(r"\d+\s*(s|seconds|min|minutes)\b", text)


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_setup_is_one_cell_with_colab_install_and_cu_setup(path):
    code_cells = [c for c in _cells(path) if c["cell_type"] == "code"]
    setup = _source(code_cells[0])
    assert "google.colab" in setup
    assert f"git+https://github.com/{REPO}" in setup
    assert "import course_utils as cu" in setup
    assert re.search(r"\bcfg = cu\.setup\(", setup)
    later = "".join(_source(c) for c in code_cells[1:])
    assert "cu.setup(" not in later, "call cu.setup() once, in the setup cell"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_setup_quiets_tensorflow_before_importing_it(path):
    setup = _source([c for c in _cells(path) if c["cell_type"] == "code"][0])
    quiet = setup.find("cu.quiet_tensorflow()")
    assert quiet >= 0, "the setup cell must call cu.quiet_tensorflow()"
    for module in ("keras", "tensorflow"):
        position = setup.find(f"import {module}")
        assert position == -1 or quiet < position, f"quiet_tensorflow after {module}"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_has_check_cells_that_assert(path):
    checks = [
        _source(c)
        for c in _cells(path)
        if c["cell_type"] == "code" and _source(c).startswith("# Check")
    ]
    assert checks, "no '# Check: ...' cell"
    assert all("assert" in check for check in checks)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_headings_are_sentence_case(path):
    for heading in _headings(path, 2):
        words = heading.split()
        assert words[0][0].isupper(), heading
        # Sentence case: later words are lower case unless a name or acronym.
        for word in words[1:]:
            if word[0].isupper() and word[1:].islower() and len(word) > 3:
                assert word in _PROPER_NOUNS, f"'{heading}': '{word}'"


_PROPER_NOUNS = {
    "Fashion-MNIST",
    "Gaussian",
    "Gaussians",
    "Keras",
    "TensorFlow",
    "Colab",
    "Frechet",
    "Kullback-Leibler",
    "Bernoulli",
    "Adam",
    "PixelRNN",
    "Jupyter",
}
