"""The shared argument checks (course_utils._arguments) used by every module."""

import argparse

import numpy as np
import pytest

from course_utils import _arguments

INTEGERS = [5, np.int8(5), np.int16(5), np.int32(5), np.int64(5), np.uint8(5)]
FLOATS = [2.0, np.float16(2.0), np.float32(2.0), np.float64(2.0)]
NOT_NUMBERS = [True, False, np.bool_(True), "5", None, 1 + 2j, [5], np.array([5])]


@pytest.mark.parametrize("value", INTEGERS)
def test_integers_of_every_numpy_type_are_integers(value):
    assert _arguments.is_integer(value)
    assert _arguments.is_number(value)
    result = _arguments.integer("n", value, minimum=1, maximum=5)
    assert result == 5 and type(result) is int
    assert type(_arguments.positive_int("n", value)) is int
    assert type(_arguments.number("x", value, low=0)) is float


@pytest.mark.parametrize("value", FLOATS)
def test_floats_of_every_numpy_type_are_numbers_not_integers(value):
    assert _arguments.is_number(value)
    assert not _arguments.is_integer(value)
    result = _arguments.number("x", value, low=0, high=2)
    assert result == 2.0 and type(result) is float
    with pytest.raises(TypeError, match=r"n must be an integer >= 1; got "):
        _arguments.integer("n", value, minimum=1)


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=repr)
def test_bools_strings_and_arrays_are_not_numbers(value):
    assert not _arguments.is_integer(value)
    assert not _arguments.is_number(value)
    with pytest.raises(TypeError, match=r"^x must be a finite number; got "):
        _arguments.number("x", value)
    with pytest.raises(TypeError, match=r"^n must be a positive integer; got "):
        _arguments.positive_int("n", value)


@pytest.mark.parametrize(
    ("kwargs", "value", "message"),
    [
        ({"minimum": 1}, 0, "n must be an integer >= 1; got 0"),
        ({"maximum": 9}, np.int64(10), "n must be an integer <= 9; got np.int64(10)"),
        (
            {"minimum": 0, "maximum": 9},
            -1,
            "n must be an integer between 0 and 9; got -1",
        ),
    ],
)
def test_integer_out_of_range_says_what_is_accepted(kwargs, value, message):
    with pytest.raises(ValueError) as error:
        _arguments.integer("n", value, **kwargs)
    assert str(error.value) == message.replace("np.int64(10)", repr(value))


@pytest.mark.parametrize(
    ("kwargs", "value", "accepted"),
    [
        ({}, float("nan"), "a finite number"),
        ({}, np.float32("inf"), "a finite number"),
        ({"low": 0}, -0.5, "a finite number >= 0"),
        ({"low": 0, "low_open": True}, 0.0, "a finite number > 0"),
        ({"high": 1, "high_open": True}, 1, "a finite number < 1"),
        ({"low": 0, "high": 1, "high_open": True}, 1.0, "a number in [0, 1)"),
        ({"low": 0, "high": 1, "low_open": True}, np.float32(0), "a number in (0, 1]"),
        ({"low": 0.5, "high": 2.5}, 3, "a number in [0.5, 2.5]"),
    ],
)
def test_number_out_of_its_interval_says_what_is_accepted(kwargs, value, accepted):
    with pytest.raises(ValueError) as error:
        _arguments.number("x", value, **kwargs)
    assert str(error.value) == f"x must be {accepted}; got {value!r}"


@pytest.mark.parametrize("seed", [0, np.int64(7), np.uint32(2**32 - 1)])
def test_optional_seed_accepts_numpy_integers_up_to_2_32(seed):
    assert _arguments.optional_seed(seed) == int(seed)
    assert type(_arguments.optional_seed(seed)) is int
    assert _arguments.optional_seed(None) is None


@pytest.mark.parametrize(
    ("seed", "error"), [(-1, ValueError), (2**32, ValueError), (1.0, TypeError)]
)
def test_optional_seed_rejects_bad_seeds(seed, error):
    with pytest.raises(
        error, match=r"seed must be an integer between 0 and 4294967295"
    ):
        _arguments.optional_seed(seed)


def test_integer_argument_parses_text_and_explains_a_bad_value():
    parse = _arguments.integer_argument(minimum=10, maximum=20)
    assert parse("15") == 15
    for text in ("-3", "21", "1.5", "ten", ""):
        with pytest.raises(argparse.ArgumentTypeError) as error:
            parse(text)
        assert str(error.value) == (
            f"must be an integer between 10 and 20; got {text!r}"
        )

