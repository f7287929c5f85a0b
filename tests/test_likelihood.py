"""Bits per dimension of 8-bit images (course_utils.likelihood).

The conversions are checked against hand computations, the discretised
logistic against the difference of two logistic CDFs and against the rule
that 256 probabilities sum to 1, including far in the tails where a naive
formula gives NaN or 0.
"""

import math

import numpy as np
import pytest
from keras import ops

from course_utils.likelihood import (
    PIXEL_LEVELS,
    UNIFORM_BITS_PER_DIM,
    bits_per_dim,
    continuous_bits_per_dim,
    dequantize,
    discretized_logistic_log_prob,
    independent_pixel_bits_per_dim,
    pixel_levels,
)

LEVELS = np.arange(PIXEL_LEVELS)


def log_probs(mean, log_scale, levels=LEVELS):
    return np.asarray(
        ops.convert_to_numpy(discretized_logistic_log_prob(levels, mean, log_scale)),
        dtype=np.float64,
    )


# -- pixel_levels ------------------------------------------------------------


@pytest.mark.parametrize(
    "images",
    [
        np.array([[0, 255]], np.uint8),
        np.array([[0, 255]], np.int64),
        np.array([[0.0, 17.0, 255.0]]),
    ],
)
def test_pixel_levels_accepts_whole_grey_levels(images):
    levels = pixel_levels(images)
    assert levels.dtype == np.int32
    np.testing.assert_array_equal(levels, np.asarray(images).astype(np.int32))


def test_pixel_levels_refuses_scaled_images_and_says_how_to_fix_it():
    with pytest.raises(ValueError, match=r"images .*fractional.*value_range='uint8'"):
        pixel_levels(np.array([0.0, 0.5, 1.0]))


def test_pixel_levels_refuses_dequantized_levels():
    with pytest.raises(ValueError, match=r"whole grey levels .* 0.5 to 255"):
        pixel_levels(np.array([0.5, 255.2]))


@pytest.mark.parametrize("bad", [np.array([0, 256]), np.array([-1, 3])])
def test_pixel_levels_refuses_values_outside_0_255(bad):
    with pytest.raises(ValueError, match=r"levels from 0 to 255; got values from"):
        pixel_levels(bad, "levels")


def test_pixel_levels_refuses_nan_non_numbers_and_empty_arrays():
    with pytest.raises(ValueError, match="x must be finite"):
        pixel_levels(np.array([1.0, np.nan]), "x")
    with pytest.raises(TypeError, match="x must hold numbers; got dtype"):
        pixel_levels(np.array(["a"]), "x")
    with pytest.raises(TypeError, match="x must hold numbers; got dtype bool"):
        pixel_levels(np.array([True]), "x")
    with pytest.raises(ValueError, match="x must not be empty"):
        pixel_levels(np.zeros((0, 4)), "x")


# -- dequantize and the unit conversions ---------------------------------------


def test_dequantize_spreads_each_level_over_its_own_bin():
    levels = np.tile(LEVELS, 40)
    x = dequantize(levels, seed=0)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(np.floor(x * PIXEL_LEVELS), levels)
    offsets = x * PIXEL_LEVELS - levels
    assert 0.45 < offsets.mean() < 0.55  # uniform on [0, 1): mean 1/2
    np.testing.assert_array_equal(x, dequantize(levels, seed=0))
    assert not np.array_equal(x, dequantize(levels, seed=1))


def test_dequantize_refuses_scaled_images():
    with pytest.raises(ValueError, match="levels must hold whole grey levels"):
        dequantize(np.array([0.25, 0.5]))


def test_bits_per_dim_divides_nats_by_pixels_and_ln2():
    assert bits_per_dim(2 * 784 * math.log(2), 784) == pytest.approx(2.0)
    np.testing.assert_allclose(
        bits_per_dim(np.array([0.0, 4 * math.log(2)]), 4), [0.0, 1.0]
    )
    with pytest.raises(ValueError, match="dims"):
        bits_per_dim(1.0, 0)


def test_continuous_bits_per_dim_of_the_uniform_density_is_8():
    assert continuous_bits_per_dim(0.0, 784) == pytest.approx(UNIFORM_BITS_PER_DIM)
    # A density twice as high on every pixel saves one bit per pixel.
    assert continuous_bits_per_dim(784 * math.log(2), 784) == pytest.approx(7.0)


# -- the discretised logistic ----------------------------------------------------


@pytest.mark.parametrize(
    ("mean", "log_scale"),
    [(127.5, 2.0), (0.0, 0.0), (255.0, -3.0), (-40.0, 1.0), (400.0, 4.0), (80.2, -6.0)],
)
def test_discretized_logistic_sums_to_one_over_the_256_levels(mean, log_scale):
    probabilities = np.exp(log_probs(mean, log_scale))
    assert np.all(np.isfinite(log_probs(mean, log_scale)))
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-4)


def test_discretized_logistic_is_the_mass_of_each_bin():
    mean, scale = 100.3, 4.0

    def cdf(v):
        return 1 / (1 + np.exp(-(v - mean) / scale))

    expected = cdf(LEVELS + 0.5) - cdf(LEVELS - 0.5)
    expected[0], expected[-1] = cdf(0.5), 1 - cdf(254.5)
    np.testing.assert_allclose(
        np.exp(log_probs(mean, math.log(scale))), expected, rtol=1e-4, atol=1e-7
    )


def test_discretized_logistic_stays_finite_far_in_the_tails():
    # Far from the mean both CDFs round to 1 in float32; the stable formula
    # still gives the tiny bin mass (naively log(0) = -inf).
    value = log_probs(0.0, 0.0, levels=np.array([200]))[0]
    assert np.isfinite(value)
    # sigma(200.5) - sigma(199.5) = exp(-199.5) * (1 - exp(-1)) to float precision
    assert value == pytest.approx(-199.5 + math.log(1 - math.exp(-1)), abs=1e-3)


def test_a_sharp_logistic_puts_all_mass_on_its_level():
    assert np.exp(log_probs(42.0, -5.0, levels=np.array([42]))[0]) == pytest.approx(
        1.0, abs=1e-6
    )


# -- the independent-pixel floor -------------------------------------------------


def test_independent_pixels_with_every_level_equally_often_give_8_bits():
    train = np.tile(LEVELS, 3).reshape(-1, 1, 1)  # each level 3 times, one pixel
    assert independent_pixel_bits_per_dim(train, train) == pytest.approx(8.0)


def test_independent_pixels_match_a_hand_count():
    train = np.array([[[0, 5]], [[0, 5]], [[0, 7]]])  # 3 images of 1x2 pixels
    test = np.array([[[0, 7]]])
    # pixel 0: level 0 seen 3 times; pixel 1: level 7 once; +1 for each level
    expected = -(np.log2(4 / 259) + np.log2(2 / 259)) / 2
    assert independent_pixel_bits_per_dim(train, test) == pytest.approx(expected)


def test_independent_pixels_check_their_arguments():
    with pytest.raises(ValueError, match="same pixels per image; got 4 and 2"):
        independent_pixel_bits_per_dim(np.zeros((2, 2, 2)), np.zeros((2, 1, 2)))
    with pytest.raises(ValueError, match="test_levels must hold whole grey levels"):
        independent_pixel_bits_per_dim(np.zeros((2, 4)), np.full((2, 4), 0.5))
    with pytest.raises(ValueError, match="pseudo_count must be > 0"):
        independent_pixel_bits_per_dim(np.zeros((2, 4)), np.zeros((2, 4)), 0)
