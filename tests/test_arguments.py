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


def test_finite_array_counts_nan_and_infinity():
    _arguments.finite_array(np.arange(3), "codes")
    with pytest.raises(ValueError, match=r"codes must contain only finite .* got 2"):
        _arguments.finite_array(np.array([0.0, np.nan, np.inf]), "codes")


@pytest.mark.parametrize(
    "labels, error, message",
    [
        (
            np.full(4, -1),
            ValueError,
            r"labels must be integers from 0 to 2 .* -1 to -1",
        ),
        (np.array([0, 3]), ValueError, r"from 0 to 2 .* got values from 0 to 3"),
        (np.eye(3)[[0, 1]], ValueError, r"one-hot: convert it with labels.argmax"),
        (np.zeros((2, 2), int), ValueError, r"1-D array .* got shape \(2, 2\)"),
        (np.array([], int), ValueError, r"non-empty 1-D"),
        (np.zeros(4), TypeError, r"must hold integers from 0 to 2; got dtype float"),
        (np.array([True, False]), TypeError, r"got dtype bool"),
    ],
)
def test_class_labels_rejects_bad_labels_and_says_what_is_accepted(
    labels, error, message
):
    with pytest.raises(error, match=message):
        _arguments.class_labels("labels", labels, 3)


def test_class_labels_accepts_any_integer_dtype_and_checks_the_count():
    labels = _arguments.class_labels("y", np.array([0, 2, 1], np.uint8), 3, n=3)
    assert labels.dtype == np.int32 and labels.tolist() == [0, 2, 1]
    with pytest.raises(ValueError, match=r"one label per image \(4\); got 3"):
        _arguments.class_labels("y", [0, 1, 2], 3, n=4)


def test_same_shape_refuses_what_would_broadcast():
    _arguments.same_shape("a", np.zeros((2, 3)), "b", np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"a and b must have the same shape"):
        _arguments.same_shape("a", np.zeros((2, 3)), "b", np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"got \(2, 3\) and \(3,\)"):
        _arguments.same_shape("a", np.zeros((2, 3)), "b", np.ones(3))


def test_numpy_rng_follows_the_global_seed_and_validates_explicit_seeds():
    np.random.seed(5)
    first = _arguments.numpy_rng(None).random(3)
    second = _arguments.numpy_rng(None).random(3)
    np.random.seed(5)
    assert np.array_equal(_arguments.numpy_rng(None).random(3), first)
    assert not np.array_equal(first, second)
    assert np.array_equal(
        _arguments.numpy_rng(np.int64(3)).random(2), np.random.default_rng(3).random(2)
    )
    with pytest.raises(ValueError, match=r"seed must be an integer between 0"):
        _arguments.numpy_rng(-1)
    with pytest.raises(TypeError, match=r"seed must be an integer"):
        _arguments.numpy_rng(1.5)
