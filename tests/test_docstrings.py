"""Every example in the docstrings of course_utils runs and gives its output.

Examples that need a trained model or the real data set are marked
``# doctest: +SKIP`` in the docstring.
"""

import doctest
import importlib
import pkgutil

import matplotlib
import pytest

import course_utils

matplotlib.use("Agg")

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(course_utils.__path__, "course_utils.")
    if info.name != "course_utils.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(
        module,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
    )
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
