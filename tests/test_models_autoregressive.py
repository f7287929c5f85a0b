"""MADE and PixelCNN (course_utils.models.autoregressive).

The defining property, "output i depends only on the inputs before i", is
checked with gradients (the full Jacobian of small networks), for MADE in
the raster order and in a shuffled one, and for PixelCNN, where gradients
also show the blind spot. The likelihood is checked by brute force on 1x2
images: the 65,536 probabilities sum to 1 and each equals the product of the
two conditionals read off the network by hand; the samplers draw from those
same conditionals.
"""

import itertools
import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

import course_utils as cu
from course_utils.likelihood import PIXEL_LEVELS
from course_utils.models.autoregressive import (
    Autoregressive,
    MaskedConv2D,
    MaskedDense,
    build_made,
    build_made_network,
    build_pixelcnn,
    build_pixelcnn_network,
    input_gradient,
    logistic_parameters,
    made_degrees,
    made_masks,
    pixelcnn_mask,
)

ALL_PAIRS = np.array(list(itertools.product(range(PIXEL_LEVELS), repeat=2)))


def randomise(network, seed=0, scale=0.3):
    """Random weights everywhere (masks left alone), so nothing is zero by chance."""
    rng = np.random.default_rng(seed)
    for weight in network.trainable_weights:
        weight.assign(rng.normal(0, scale, weight.shape).astype("float32"))
    return network


def jacobian(network, image):
    """d outputs[i, j, :].sum() / d image[k, l], shape (H*W, H*W)."""
    x = tf.convert_to_tensor(image[None].astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = ops.sum(network(x), axis=-1)
    full = tape.jacobian(outputs, x).numpy()  # (1, H, W, 1, H, W)
    pixels = image.size
    return np.abs(full.reshape(pixels, pixels))


def rank_of(ordering):
    rank = np.empty(len(ordering), int)
    rank[np.asarray(ordering)] = np.arange(len(ordering))
    return rank


def assert_autoregressive(network, ordering, image_shape):
    image = np.random.default_rng(1).random(image_shape)
    dependence = jacobian(network, image) > 0
    rank = rank_of(ordering)
    later_or_same = rank[None, :] >= rank[:, None]  # [output, input]
    assert not dependence[later_or_same].any(), "an output sees itself or a later input"
    first = ordering[0]
    others = [i for i in range(image.size) if i != first]
    assert all(dependence[i].any() for i in others), "an output sees no input at all"
    return dependence


# -- MADE ----------------------------------------------------------------------


def test_made_degrees_and_masks_follow_the_ordering():
    degrees = made_degrees(4, (6, 5), ordering=[3, 1, 0, 2], seed=0)
    np.testing.assert_array_equal(degrees[0], [3, 2, 4, 1])
    for below, above in zip(degrees[:-1], degrees[1:], strict=True):
        assert above.min() >= min(below.min(), 3) and above.max() <= 3
    masks = made_masks(degrees)
    assert [m.shape for m in masks] == [(4, 6), (6, 5), (5, 4)]
    # The product of the masks says which input can reach which output.
    reach = masks[0] @ masks[1] @ masks[2]
    assert not reach[np.greater_equal.outer(degrees[0], degrees[0])].any()


@pytest.mark.parametrize("ordering", [None, "shuffled"])
@pytest.mark.parametrize("likelihood", ["logistic", "categorical"])
def test_made_is_autoregressive_by_gradients(ordering, likelihood):
    if ordering == "shuffled":
        ordering = np.random.default_rng(3).permutation(9)
    network = randomise(
        build_made_network((3, 3), (40, 40), ordering, likelihood, seed=1)
    )
    assert_autoregressive(
        network, np.arange(9) if ordering is None else ordering, (3, 3)
    )


def test_made_outputs_see_every_earlier_input_with_wide_layers():
    network = randomise(build_made_network((2, 3), (64,), seed=0))
    dependence = assert_autoregressive(network, np.arange(6), (2, 3))
    np.testing.assert_array_equal(dependence, np.tril(np.ones((6, 6)), -1) > 0)


def test_masked_dense_rebuilds_its_mask_from_the_degrees_in_its_config():
    layer = MaskedDense([1, 2, 3], [1, 2], strict=False, name="m")
    clone = MaskedDense.from_config(layer.get_config())
    np.testing.assert_array_equal(clone.mask, [[1, 1], [0, 1], [0, 0]])
    layer(np.ones((1, 3)))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]  # no stored mask
    with pytest.raises(ValueError, match="inputs must have 3 features"):
        MaskedDense([1, 2, 3], [1])(np.ones((1, 4)))


def test_made_model_samples_in_its_ordering():
    ordering = np.array([3, 0, 2, 1])
    model = build_made((2, 2), (16,), ordering=ordering)
    np.testing.assert_array_equal(model.ordering, ordering)
    assert model.likelihood == "logistic"


# -- PixelCNN ------------------------------------------------------------------


def test_pixelcnn_masks_of_type_a_and_b():
    a, b = pixelcnn_mask(5, "A"), pixelcnn_mask(5, "B")
    expected_a = np.array(
        [[1] * 5, [1] * 5, [1, 1, 0, 0, 0], [0] * 5, [0] * 5], dtype=np.float32
    )
    np.testing.assert_array_equal(a, expected_a)
    expected_b = expected_a.copy()
    expected_b[2, 2] = 1
    np.testing.assert_array_equal(b, expected_b)
    np.testing.assert_array_equal(pixelcnn_mask(1, "B"), [[1]])
    np.testing.assert_array_equal(pixelcnn_mask(1, "A"), [[0]])


@pytest.mark.parametrize("likelihood", ["categorical", "logistic"])
def test_pixelcnn_is_autoregressive_by_gradients(likelihood):
    network = randomise(
        build_pixelcnn_network(
            (5, 6), filters=4, hidden_layers=2, first_kernel=3, likelihood=likelihood
        )
    )
    assert_autoregressive(network, np.arange(30), (5, 6))


def test_stacked_masked_convolutions_have_a_blind_spot():
    network = randomise(
        build_pixelcnn_network((9, 9), filters=4, hidden_layers=3, first_kernel=3)
    )
    seen = input_gradient(network, np.full((9, 9), 0.5), (6, 4)) > 0
    # Within reach of the stacked 3x3 kernels (4 rows up and 4 columns to the
    # right) yet never seen: the pixels up and to the right of the diagonal.
    assert seen[5, 5] and seen[2, 4] and seen[5, 0]
    assert not seen[5, 7] and not seen[4, 8]
    blind = [
        (row, column)
        for row in range(2, 6)
        for column in range(4, 9)
        if not seen[row, column]
    ]
    assert len(blind) >= 4
    # A type-B first layer would let each pixel see itself: the A mask matters.
    assert not seen[6, 4] and not seen[6, 5:].any() and not seen[7:].any()


def test_masked_conv_round_trips_its_config():
    layer = MaskedConv2D(3, 5, "A", name="m")
    config = layer.get_config()
    assert config["mask_type"] == "A" and config["kernel_size"] == 5
    clone = MaskedConv2D.from_config(config)
    assert clone.mask_type == "A"
    np.testing.assert_array_equal(clone._mask[:, :, 0, 0], pixelcnn_mask(5, "A"))


# -- the likelihood, by brute force on 1x2 images ------------------------------


def tiny_model(kind):
    if kind == "pixelcnn":
        network = build_pixelcnn_network((1, 2), filters=4, hidden_layers=1)
        likelihood = "categorical"
    else:
        network = build_made_network((1, 2), (8,), likelihood="logistic")
        likelihood = "logistic"
    randomise(network, seed=2, scale=1.0)  # peaked, far from uniform
    return Autoregressive(network, likelihood)


def conditional_log_probs(model, first_level):
    """log p(x1) and log p(x2 | x1 = first_level), read off the network by hand."""
    image = np.array([[[first_level, 0]]], np.float32) / 255.0
    parameters = model.network(image)
    levels = np.arange(PIXEL_LEVELS)
    out = []
    for pixel in range(2):
        p = parameters[0, 0, pixel]
        if model.likelihood == "categorical":
            log_probs = ops.log_softmax(p)
        else:
            mean, log_scale = logistic_parameters(p[None])
            log_probs = cu.likelihood.discretized_logistic_log_prob(
                levels, mean, log_scale
            )
        out.append(ops.convert_to_numpy(log_probs).astype(np.float64))
    return out


def conditionals(model, first_level):
    """p(x1) and p(x2 | x1 = first_level)."""
    return [np.exp(log_p) for log_p in conditional_log_probs(model, first_level)]


@pytest.mark.parametrize("kind", ["pixelcnn", "made"])
def test_probabilities_of_all_65536_images_sum_to_one(kind):
    model = tiny_model(kind)
    log_probs = model.log_prob(ALL_PAIRS.reshape(-1, 1, 2), batch_size=8192)
    assert np.exp(log_probs).sum() == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("kind", ["pixelcnn", "made"])
def test_log_prob_is_the_product_of_the_conditionals(kind):
    model = tiny_model(kind)
    for first, second in [(0, 0), (17, 200), (255, 3)]:
        log_first, log_second = conditional_log_probs(model, first)
        expected = log_first[first] + log_second[second]
        got = model.log_prob(np.array([[[first, second]]]))[0]
        assert got == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("kind", ["pixelcnn", "made"])
def test_samples_follow_the_model_distribution(kind):
    model = tiny_model(kind)
    samples = model.sample(20_000, seed=0, batch_size=20_000)
    assert samples.dtype == np.uint8 and samples.shape == (20_000, 1, 2)
    p_first, _ = conditionals(model, 0)
    # The test has power: the model is far from uniform ...
    assert 0.5 * np.abs(p_first - 1 / PIXEL_LEVELS).sum() > 0.4
    # ... and the samples' histogram matches it (total variation).
    empirical = np.bincount(samples[:, 0, 0], minlength=PIXEL_LEVELS) / len(samples)
    assert 0.5 * np.abs(empirical - p_first).sum() < 0.05
    # The second pixel, given the most frequent first level.
    mode = int(np.argmax(empirical))
    _, p_second = conditionals(model, mode)
    given = samples[samples[:, 0, 0] == mode, 0, 1]
    assert len(given) > 400
    empirical_second = np.bincount(given, minlength=PIXEL_LEVELS) / len(given)
    assert 0.5 * np.abs(empirical_second - p_second).sum() < 0.15


def test_sampling_repeats_with_a_seed():
    model = tiny_model("pixelcnn")
    np.testing.assert_array_equal(model.sample(5, seed=3), model.sample(5, seed=3))
    assert not np.array_equal(model.sample(50, seed=3), model.sample(50, seed=4))


# -- training, saving --------------------------------------------------------------


@pytest.fixture(scope="module")
def levels():
    return cu.data.load_fashion_mnist(value_range="uint8", limit=256).x_train


def test_training_lowers_bits_per_dim_below_the_independent_pixel_floor(levels):
    keras.utils.set_random_seed(0)
    model = build_pixelcnn(filters=8, hidden_layers=1)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = model.bits_per_dim(levels)
    history = model.fit(levels, batch_size=16, epochs=6, verbose=0)
    after = model.bits_per_dim(levels)
    floor = cu.likelihood.independent_pixel_bits_per_dim(levels, levels)
    assert 7.5 < before < 8.5  # about uniform (8 bits) at the start
    assert after < floor - 0.2  # measured: 4.25 against a floor of 4.61
    assert history.history["bits_per_dim"][-1] == pytest.approx(
        history.history["loss"][-1] / math.log(2), rel=1e-5
    )


@pytest.mark.parametrize("builder", ["pixelcnn", "made"])
def test_models_round_trip_through_keras_files(builder, levels, tmp_path):
    if builder == "pixelcnn":
        model = build_pixelcnn(filters=8, hidden_layers=1)
    else:
        model = build_made(hidden_sizes=(32,), ordering=np.arange(784)[::-1])
    randomise(model.network, seed=5, scale=0.05)
    path = tmp_path / f"{builder}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, Autoregressive)
    assert loaded.likelihood == model.likelihood
    np.testing.assert_array_equal(loaded.ordering, model.ordering)
    np.testing.assert_allclose(
        loaded.log_prob(levels[:8]), model.log_prob(levels[:8]), rtol=1e-6
    )


# -- bad input -------------------------------------------------------------------


def test_fit_and_log_prob_refuse_images_that_are_not_grey_levels(levels):
    model = build_pixelcnn(filters=8, hidden_layers=1)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    with pytest.raises(ValueError, match=r"x must hold whole grey levels.*uint8"):
        model.fit(levels / 255.0, epochs=1, verbose=0)
    scaled = tf.data.Dataset.from_tensor_slices(levels / 255.0).batch(8)
    with pytest.raises(ValueError, match=r"x must hold whole grey levels"):
        model.fit(scaled, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="levels must hold grey levels from 0 to 255"):
        model.log_prob(levels.astype(np.int32) + 1)
    with pytest.raises(ValueError, match=r"levels must have shape \(batch, 28, 28\)"):
        model.log_prob(levels[:, :14])
    with pytest.raises(ValueError, match="levels must be finite"):
        model.bits_per_dim(np.full((1, 28, 28), np.nan))


@pytest.mark.parametrize(
    ("ordering", "message"),
    [
        ([0, 1, 2], r"ordering must be 4 integers.*got shape \(3,\)"),
        ([0, 1, 1, 3], r"permutation of 0 ... 3\); got 1 repeated"),
        ([1, 2, 3, 4], r"values from 1 to 4"),
        ([0.0, 1.0, 2.0, 3.0], "dtype float64"),
    ],
)
def test_impossible_orderings_are_refused(ordering, message):
    with pytest.raises(ValueError, match=message):
        made_degrees(4, (8,), ordering=ordering)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: made_degrees(1, (8,)), ValueError, "n_inputs"),
        (lambda: made_degrees(4, ()), ValueError, "hidden_sizes must be a non-empty"),
        (lambda: made_degrees(4, (8, 0)), ValueError, "hidden_sizes"),
        (lambda: build_made_network((28,)), ValueError, "image_shape must be"),
        (lambda: build_made_network(likelihood="gauss"), ValueError, "likelihood"),
        (lambda: pixelcnn_mask(4, "A"), ValueError, "kernel_size must be odd"),
        (lambda: pixelcnn_mask(3, "C"), ValueError, "mask_type must be 'A' or 'B'"),
        (lambda: MaskedConv2D(4, (3, 3)), TypeError, "kernel_size must be one odd"),
        (lambda: MaskedConv2D(4, 3, padding="valid"), ValueError, "padding='same'"),
        (lambda: build_pixelcnn_network(filters=0), ValueError, "filters"),
        (lambda: build_pixelcnn_network(hidden_layers=-1), ValueError, "hidden_layers"),
        (lambda: build_pixelcnn_network((0, 28)), ValueError, "image_shape"),
        (lambda: MaskedDense([], [1]), ValueError, "below_degrees must be a non-empty"),
        (
            lambda: MaskedDense([1], [0.5]),
            ValueError,
            "unit_degrees must be .* integer",
        ),
        (lambda: Autoregressive("net"), TypeError, "network must be a keras.Model"),
    ],
)
def test_invalid_arguments_name_themselves(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_autoregressive_checks_the_network_output_against_the_likelihood():
    network = build_pixelcnn_network((4, 4), filters=4, likelihood="logistic")
    with pytest.raises(ValueError, match=r"parameters \(H, W, 256\).*maps \(4, 4\)"):
        Autoregressive(network, "categorical")


def test_input_gradient_checks_its_arguments():
    network = build_pixelcnn_network((4, 4), filters=4, hidden_layers=0)
    with pytest.raises(ValueError, match=r"image must have .* \(4, 4\); got \(5, 5\)"):
        input_gradient(network, np.zeros((5, 5)), (0, 0))
    with pytest.raises(ValueError, match="position must be inside the 4x4 image"):
        input_gradient(network, np.zeros((4, 4)), (4, 0))


def test_sample_checks_its_arguments():
    model = tiny_model("made")
    with pytest.raises(ValueError, match="n"):
        model.sample(0)
    with pytest.raises(ValueError, match="batch_size"):
        model.sample(2, batch_size=0)
