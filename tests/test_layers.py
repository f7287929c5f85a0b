"""Tests for course_utils.layers: DenseTranspose and KLSparsityRegularizer.

Modelled on Keras' own layer tests: output shapes, values against a NumPy
computation, weights, argument checks, configs and ``.keras`` round trips.
"""

import doctest

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import layers

N_IN, N_OUT = 5, 3


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def built_dense(rng, n_in=N_IN, n_out=N_OUT, **kwargs):
    """A Dense layer n_in -> n_out with a random kernel and bias."""
    dense = keras.layers.Dense(n_out, **kwargs)
    dense.build((None, n_in))
    dense.kernel.assign(rng.normal(size=(n_in, n_out)).astype("float32"))
    if dense.bias is not None:
        dense.bias.assign(rng.normal(size=n_out).astype("float32"))
    return dense


def codings(rng, n=4):
    return rng.normal(size=(n, N_OUT)).astype("float32")


def as_numpy(tensor):
    """A tensor or a variable as a NumPy array."""
    return tensor.numpy()


def run_docstring_example(obj):
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(obj, globs={"keras": keras, **vars(layers)}):
        runner.run(test)
    return runner.summarize(verbose=False)


# --------------------------------------------------------------------------
# DenseTranspose
# --------------------------------------------------------------------------


def test_dense_transpose_computes_inputs_times_the_transposed_kernel(rng):
    dense = built_dense(rng)
    layer = layers.DenseTranspose(dense, activation="sigmoid")
    x = codings(rng)
    layer.build(x.shape)
    bias = rng.normal(size=N_IN).astype("float32")
    layer.bias.assign(bias)

    outputs = as_numpy(layer(x))

    kernel = as_numpy(dense.kernel)
    assert outputs.shape == (4, N_IN)
    np.testing.assert_allclose(outputs, sigmoid(x @ kernel.T + bias), rtol=1e-5)


def test_dense_transpose_without_activation_is_linear(rng):
    dense = built_dense(rng, activation="relu")  # the Dense activation is unused
    layer = layers.DenseTranspose(dense)
    x = codings(rng)

    outputs = as_numpy(layer(x))

    kernel = as_numpy(dense.kernel)
    np.testing.assert_allclose(outputs, x @ kernel.T, rtol=1e-5, atol=1e-6)
    assert (outputs < 0).any()


@pytest.mark.parametrize(
    ("input_shape", "output_shape"),
    [((None, N_OUT), (None, N_IN)), ((2, 7, N_OUT), (2, 7, N_IN))],
)
def test_dense_transpose_output_shape(rng, input_shape, output_shape):
    layer = layers.DenseTranspose(built_dense(rng))

    assert layer.compute_output_shape(input_shape) == output_shape
    symbolic = layer(keras.KerasTensor(input_shape))
    assert tuple(symbolic.shape) == output_shape
    concrete = np.zeros([2 if size is None else size for size in input_shape])
    assert tuple(layer(concrete.astype("float32")).shape)[-1] == N_IN


def test_dense_transpose_shares_the_kernel(rng):
    dense = built_dense(rng)
    layer = layers.DenseTranspose(dense)
    x = codings(rng)
    before = as_numpy(layer(x))

    new_kernel = rng.normal(size=(N_IN, N_OUT)).astype("float32")
    dense.kernel.assign(new_kernel)
    after = as_numpy(layer(x))

    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, x @ new_kernel.T, rtol=1e-5, atol=1e-6)


def test_gradients_flow_to_the_shared_kernel(rng):
    dense = built_dense(rng)
    layer = layers.DenseTranspose(dense)
    x = codings(rng)
    layer.build(x.shape)

    with tf.GradientTape() as tape:
        loss = keras.ops.sum(layer(x))
    kernel_gradient, bias_gradient = tape.gradient(loss, [dense.kernel, layer.bias])

    # d/dK sum_b,j sum_i x[b, i] K[j, i] = sum_b x[b, i] for every row j.
    expected = np.tile(x.sum(axis=0), (N_IN, 1))
    np.testing.assert_allclose(kernel_gradient, expected, rtol=1e-5)
    np.testing.assert_allclose(bias_gradient, np.full(N_IN, len(x)))


def test_training_through_both_layers_updates_one_kernel(rng):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((N_IN,))
    dense = keras.layers.Dense(N_OUT, activation="sigmoid")
    outputs = layers.DenseTranspose(dense)(dense(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    x = rng.normal(size=(16, N_IN)).astype("float32")
    kernel_before = as_numpy(dense.kernel).copy()

    model.fit(x, x, epochs=2, batch_size=16, verbose=0)

    assert len(model.trainable_weights) == 3  # kernel, Dense bias, own bias
    assert not np.allclose(as_numpy(dense.kernel), kernel_before)


def test_dense_transpose_creates_only_its_bias(rng):
    dense = built_dense(rng)
    layer = layers.DenseTranspose(dense)

    layer.build((None, N_OUT))

    own = [w for w in layer.weights if all(w is not v for v in dense.weights)]
    assert own == [layer.bias]
    assert tuple(layer.bias.shape) == (N_IN,)
    np.testing.assert_array_equal(as_numpy(layer.bias), 0.0)
    assert len(dense.weights) == 2  # the Dense layer is left as it was


def test_dense_transpose_trainable_weights_are_the_ones_it_uses(rng):
    # The layer uses its own bias and the Dense kernel, never the Dense bias:
    # every trainable weight it reports must receive a gradient.
    dense = built_dense(rng)
    layer = layers.DenseTranspose(dense)
    x = codings(rng)
    layer.build(x.shape)

    with tf.GradientTape() as tape:
        loss = keras.ops.sum(layer(x))
    gradients = tape.gradient(loss, layer.trainable_weights)

    unused = [
        w.path
        for w, gradient in zip(layer.trainable_weights, gradients, strict=True)
        if gradient is None
    ]
    assert unused == []
    assert layer.count_params() in (N_IN, N_IN + N_IN * N_OUT)


def test_dense_transpose_needs_a_built_dense_layer():
    layer = layers.DenseTranspose(keras.layers.Dense(N_OUT, name="encoder_dense"))

    with pytest.raises(
        ValueError,
        match=r"dense layer 'encoder_dense' must be built \(called once\) before",
    ):
        layer(np.zeros((2, N_OUT), "float32"))


@pytest.mark.parametrize("width", [N_OUT + 1, N_IN, 1])
def test_dense_transpose_rejects_inputs_of_the_wrong_width(rng, width):
    layer = layers.DenseTranspose(built_dense(rng, name="codings"))

    with pytest.raises(
        ValueError,
        match=rf"inputs must have {N_OUT} features \(the units of 'codings'\); "
        rf"got shape \(2, {width}\)",
    ):
        layer(np.zeros((2, width), "float32"))


@pytest.mark.parametrize(
    "dense",
    [keras.layers.Conv2D(3, 3), keras.layers.Flatten(), "dense", None],
    ids=["Conv2D", "Flatten", "str", "None"],
)
def test_dense_transpose_rejects_what_is_not_a_dense_layer(dense):
    with pytest.raises(TypeError, match=r"dense must be a keras\.layers\.Dense layer"):
        layers.DenseTranspose(dense)


def test_dense_transpose_rejects_an_unknown_activation(rng):
    with pytest.raises(ValueError, match="no_such_activation"):
        layers.DenseTranspose(built_dense(rng), activation="no_such_activation")


def test_dense_transpose_config_round_trip(rng):
    dense = built_dense(rng, name="encoder_dense")
    layer = layers.DenseTranspose(dense, activation="sigmoid", name="tied")
    x = codings(rng)
    layer(x)

    config = layer.get_config()
    restored = layers.DenseTranspose.from_config(config)

    assert config["name"] == "tied"
    assert config["activation"] == "sigmoid"
    assert config["dense"]["config"]["units"] == N_OUT
    assert restored.name == "tied"
    assert restored.activation is keras.activations.sigmoid
    assert isinstance(restored.dense, keras.layers.Dense)
    assert restored.dense.get_config() == dense.get_config()
    assert restored.get_config() == config
    # A layer made from a config alone gets a fresh copy of the Dense layer;
    # the kernel is shared again only inside a saved model (next test).
    assert tuple(restored(x).shape) == (len(x), N_IN)


def test_dense_transpose_is_registered():
    registered = keras.saving.get_registered_object("course_utils>DenseTranspose")
    assert registered is layers.DenseTranspose


def test_dense_transpose_round_trips_through_a_keras_file(rng, tmp_path):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((N_IN,))
    dense = keras.layers.Dense(N_OUT, activation="sigmoid", name="encoder_dense")
    outputs = layers.DenseTranspose(dense, activation="sigmoid", name="tied")(
        dense(inputs)
    )
    model = keras.Model(inputs, outputs)
    model.get_layer("tied").bias.assign(rng.normal(size=N_IN).astype("float32"))
    x = rng.normal(size=(6, N_IN)).astype("float32")
    path = tmp_path / "tied.keras"

    model.save(path)
    loaded = keras.models.load_model(path)

    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    tied = loaded.get_layer("tied")
    assert isinstance(tied, layers.DenseTranspose)
    assert tied.dense is loaded.get_layer("encoder_dense")
    assert len(loaded.weights) == len(model.weights) == 3


def test_dense_transpose_docstring_example_runs():
    result = run_docstring_example(layers.DenseTranspose)
    assert result.attempted > 0
    assert result.failed == 0


# --------------------------------------------------------------------------
# KLSparsityRegularizer
# --------------------------------------------------------------------------


def bernoulli_kl(target, means):
    return target * np.log(target / means) + (1 - target) * np.log(
        (1 - target) / (1 - means)
    )


def regularize(regularizer, activations):
    """The penalty as it lands in the loss, whatever this Keras does with it.

    Measured on a layer that uses the regularizer as its activity
    regularizer, so that it holds on the Keras releases that divide activity
    losses by the batch size and on those that do not.
    """
    layer = keras.layers.Identity(activity_regularizer=regularizer)
    layer(keras.ops.convert_to_tensor(activations, "float32"))
    (loss,) = layer.losses
    return float(loss)


def test_kl_penalty_against_a_hand_computation():
    # Two units with mean activations 0.2 and 0.5 over a batch of 4, target 0.1:
    # KL(0.1 || 0.2) = 0.1 ln(0.5) + 0.9 ln(0.9 / 0.8) = 0.0366900...
    # KL(0.1 || 0.5) = 0.1 ln(0.2) + 0.9 ln(1.8)       = 0.3680642...
    activations = np.array([[0.1, 0.5], [0.3, 0.5], [0.1, 0.5], [0.3, 0.5]])
    by_hand = 0.5 * (
        (0.1 * np.log(0.5) + 0.9 * np.log(0.9 / 0.8))
        + (0.1 * np.log(0.2) + 0.9 * np.log(1.8))
    )
    regularizer = layers.KLSparsityRegularizer(weight=0.5, target=0.1)

    np.testing.assert_allclose(by_hand, 0.2023771, rtol=1e-6)
    np.testing.assert_allclose(regularize(regularizer, activations), by_hand, rtol=1e-5)
    np.testing.assert_allclose(
        float(regularizer.penalty(keras.ops.convert_to_tensor(activations))),
        by_hand,
        rtol=1e-5,
    )


@pytest.mark.parametrize("divides", [True, False])
def test_kl_call_undoes_exactly_what_keras_does_to_activity_losses(
    monkeypatch, divides
):
    # On Keras releases that divide activity losses by the batch size (3.14+)
    # the regularizer returns batch_size * penalty; on older ones (3.10-3.13) the
    # penalty itself. Both paths are checked here, on any installed Keras.
    monkeypatch.setattr(layers, "keras_divides_activity_penalties", lambda: divides)
    regularizer = layers.KLSparsityRegularizer(weight=1.0, target=0.1)
    activations = keras.ops.convert_to_tensor(np.full((8, 3), 0.4, "float32"))

    returned = float(regularizer(activations))

    penalty = 3 * bernoulli_kl(0.1, 0.4)
    np.testing.assert_allclose(returned, penalty * (8 if divides else 1), rtol=1e-5)


def test_keras_divides_activity_penalties_matches_the_loss_a_layer_adds():
    layer = keras.layers.Identity(activity_regularizer=lambda x: keras.ops.sum(x))
    layer(np.ones((4, 1), "float32"))
    (loss,) = layer.losses
    expected = 1.0 if layers.keras_divides_activity_penalties() else 4.0
    assert float(loss) == pytest.approx(expected)


def activations_with_means(means, n=10):
    """Activations in [0, 1] whose column means are exactly ``means``."""
    means = np.asarray(means, dtype=np.float64)
    low = means * 0.5
    high = 2 * means - low
    return np.where(np.arange(n)[:, None] % 2 == 0, low, high).astype("float32")


def test_kl_penalty_equals_the_bernoulli_kl_divergence(rng):
    activations = rng.uniform(0.01, 0.99, size=(32, 6)).astype("float32")
    regularizer = layers.KLSparsityRegularizer(weight=0.3, target=0.1)

    penalty = regularize(regularizer, activations)

    means = activations.astype(np.float64).mean(axis=0)
    expected = 0.3 * bernoulli_kl(0.1, means).sum()
    np.testing.assert_allclose(penalty, expected, rtol=1e-5)


def test_kl_penalty_is_zero_at_the_target():
    activations = activations_with_means([0.2, 0.2, 0.2])
    np.testing.assert_allclose(activations.mean(axis=0), 0.2, rtol=1e-6)

    penalty = regularize(
        layers.KLSparsityRegularizer(weight=1.0, target=0.2), activations
    )

    assert abs(penalty) < 1e-6


def test_kl_penalty_grows_away_from_the_target():
    regularizer = layers.KLSparsityRegularizer(weight=1.0, target=0.1)
    above = [0.1, 0.15, 0.3, 0.5, 0.9]
    below = [0.1, 0.05, 0.02, 0.005]

    for means in (above, below):
        penalties = [
            regularize(regularizer, activations_with_means([mean] * 4))
            for mean in means
        ]
        assert np.all(np.diff(penalties) > 0), penalties
        expected = [4 * bernoulli_kl(0.1, mean) for mean in means]
        np.testing.assert_allclose(penalties, expected, rtol=1e-4, atol=1e-6)


def test_kl_penalty_is_finite_for_saturated_units():
    regularizer = layers.KLSparsityRegularizer(weight=1.0, target=0.1)

    for value in (0.0, 1.0):
        penalty = regularize(regularizer, np.full((4, 3), value))
        assert np.isfinite(penalty) and penalty > 0


def test_kl_weight_scales_the_penalty(rng):
    activations = rng.uniform(size=(16, 5))
    penalties = {
        weight: regularize(
            layers.KLSparsityRegularizer(weight=weight, target=0.2), activations
        )
        for weight in (0.0, 0.5, 1.0, 2.0)
    }

    assert penalties[0.0] == 0.0
    assert penalties[1.0] > 0
    np.testing.assert_allclose(penalties[0.5], penalties[1.0] / 2, rtol=1e-6)
    np.testing.assert_allclose(penalties[2.0], penalties[1.0] * 2, rtol=1e-6)


def test_kl_defaults():
    regularizer = layers.KLSparsityRegularizer()

    assert (regularizer.weight, regularizer.target) == (0.05, 0.1)


@pytest.mark.parametrize(
    "weight", [-0.1, -1, float("nan"), float("-inf"), float("inf")]
)
def test_kl_rejects_a_negative_weight(weight):
    with pytest.raises(
        ValueError, match=rf"weight must be a finite number >= 0; got {weight!r}"
    ):
        layers.KLSparsityRegularizer(weight=weight)


@pytest.mark.parametrize("target", [0, 0.0, 1, 1.0, -0.5, 1.5, float("nan")])
def test_kl_rejects_a_target_outside_zero_one(target):
    with pytest.raises(
        ValueError, match=rf"target must be a number in \(0, 1\); got {target!r}"
    ):
        layers.KLSparsityRegularizer(target=target)


@pytest.mark.parametrize(
    ("weight", "target"),
    [(np.float32(0.5), np.float64(0.25)), (np.int64(2), np.float32(0.5))],
)
def test_kl_accepts_numpy_scalars_and_stores_python_floats(weight, target):
    regularizer = layers.KLSparsityRegularizer(weight=weight, target=target)
    config = regularizer.get_config()
    assert config == {"weight": float(weight), "target": float(target)}
    assert all(type(value) is float for value in config.values())


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"weight": "0.05"}, "weight"), ({"target": None}, "target")],
)
def test_kl_names_an_argument_that_is_not_a_number(kwargs, name):
    with pytest.raises((TypeError, ValueError), match=name):
        layers.KLSparsityRegularizer(**kwargs)


def test_kl_config_round_trip():
    regularizer = layers.KLSparsityRegularizer(weight=0.2, target=0.05)

    config = regularizer.get_config()
    restored = layers.KLSparsityRegularizer.from_config(config)
    deserialized = keras.regularizers.deserialize(
        keras.regularizers.serialize(regularizer)
    )

    assert config == {"weight": 0.2, "target": 0.05}
    for copy in (restored, deserialized):
        assert isinstance(copy, layers.KLSparsityRegularizer)
        assert copy.get_config() == config


def test_kl_as_activity_regularizer_adds_a_loss(rng):
    regularizer = layers.KLSparsityRegularizer(weight=1.0, target=0.1)
    inputs = keras.Input((4,))
    coding_layer = keras.layers.Dense(
        6, activation="sigmoid", activity_regularizer=regularizer
    )
    model = keras.Model(inputs, coding_layer(inputs))
    x = rng.normal(size=(8, 4)).astype("float32")

    activations = as_numpy(model(x))

    (loss,) = model.losses
    # Whether or not this Keras divides activity losses by the batch size,
    # the loss added is weight * KL.
    expected = bernoulli_kl(0.1, activations.astype(np.float64).mean(axis=0)).sum()
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_kl_activity_regularizer_survives_saving(rng, tmp_path):
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(
        6,
        activation="sigmoid",
        activity_regularizer=layers.KLSparsityRegularizer(weight=0.3, target=0.05),
        name="codings",
    )(inputs)
    model = keras.Model(inputs, outputs)
    path = tmp_path / "sparse.keras"

    model.save(path)
    loaded = keras.models.load_model(path)

    regularizer = loaded.get_layer("codings").activity_regularizer
    assert isinstance(regularizer, layers.KLSparsityRegularizer)
    assert regularizer.get_config() == {"weight": 0.3, "target": 0.05}
    x = rng.normal(size=(5, 4)).astype("float32")
    loaded(x)
    model(x)
    np.testing.assert_allclose(
        float(loaded.losses[0]), float(model.losses[0]), rtol=1e-6
    )


def test_kl_docstring_example_runs():
    result = run_docstring_example(layers.KLSparsityRegularizer)
    assert result.attempted > 0
    assert result.failed == 0


# --------------------------------------------------------------------------
# MinibatchDiscrimination
# --------------------------------------------------------------------------


def minibatch_features_numpy(inputs, projection, n_kernels, kernel_dim):
    """o_b(i) = sum over j != i of exp(-||M_i,b - M_j,b||_1), in NumPy."""
    projected = (inputs @ projection).reshape(len(inputs), n_kernels, kernel_dim)
    l1 = np.abs(projected[:, None] - projected[None, :]).sum(axis=-1)  # (i, j, b)
    return np.exp(-l1).sum(axis=1) - 1.0


def test_minibatch_discrimination_output_shape():
    layer = layers.MinibatchDiscrimination(n_kernels=7, kernel_dim=3)
    outputs = layer(np.zeros((4, 10), "float32"))
    assert tuple(outputs.shape) == (4, 17)
    assert layer.compute_output_shape((None, 10)) == (None, 17)
    model = keras.Sequential([keras.Input((10,)), layer, keras.layers.Dense(1)])
    assert model.output_shape == (None, 1)
    assert model.layers[0].output.shape == (None, 17)


def test_minibatch_discrimination_matches_numpy(rng):
    layer = layers.MinibatchDiscrimination(n_kernels=6, kernel_dim=4)
    x = 0.3 * rng.normal(size=(5, 10)).astype("float32")
    layer.build(x.shape)

    outputs = as_numpy(layer(x))

    expected = minibatch_features_numpy(x, as_numpy(layer.projection), 6, 4)
    np.testing.assert_array_equal(outputs[:, :10], x)  # the inputs pass through
    np.testing.assert_allclose(outputs[:, 10:], expected, rtol=1e-4, atol=1e-6)
    assert np.all(outputs[:, 10:] > 0)


def test_minibatch_features_are_larger_for_identical_rows(rng):
    layer = layers.MinibatchDiscrimination(n_kernels=5, kernel_dim=3)
    diverse = rng.normal(size=(8, 10)).astype("float32")
    identical = np.repeat(diverse[:1], 8, axis=0)

    collapsed = as_numpy(layer(identical))[:, 10:]
    varied = as_numpy(layer(diverse))[:, 10:]

    # Identical rows are at L1 distance 0: each one sees 7 others with exp(0) = 1.
    np.testing.assert_allclose(collapsed, 7.0, rtol=1e-6)
    assert np.all(varied < collapsed)
    assert varied.mean() < 0.5 * collapsed.mean()


def test_minibatch_features_are_zero_for_a_batch_of_one(rng):
    layer = layers.MinibatchDiscrimination(n_kernels=4, kernel_dim=2)
    outputs = as_numpy(layer(rng.normal(size=(1, 6)).astype("float32")))
    np.testing.assert_allclose(outputs[:, 6:], 0.0, atol=1e-7)


def test_minibatch_discrimination_trains_its_projection(rng):
    layer = layers.MinibatchDiscrimination(n_kernels=4, kernel_dim=2)
    x = tf.constant(rng.normal(size=(6, 5)).astype("float32"))
    layer.build(x.shape)
    assert [w.name for w in layer.trainable_weights] == ["projection"]
    assert tuple(layer.projection.shape) == (5, 8)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x)[:, 5:])
    gradient = tape.gradient(loss, layer.projection)
    assert gradient is not None and np.abs(as_numpy(gradient)).max() > 0


def test_minibatch_discrimination_config_round_trip():
    layer = layers.MinibatchDiscrimination(n_kernels=9, kernel_dim=2, name="mbd")
    config = layer.get_config()
    assert config["n_kernels"] == 9 and config["kernel_dim"] == 2
    clone = layers.MinibatchDiscrimination.from_config(config)
    assert (clone.n_kernels, clone.kernel_dim, clone.name) == (9, 2, "mbd")
    assert (
        keras.saving.get_registered_object("course_utils>MinibatchDiscrimination")
        is layers.MinibatchDiscrimination
    )


def test_minibatch_discrimination_round_trips_through_a_keras_file(rng, tmp_path):
    model = keras.Sequential(
        [
            keras.Input((6,)),
            layers.MinibatchDiscrimination(n_kernels=3, kernel_dim=2),
            keras.layers.Dense(1),
        ]
    )
    path = tmp_path / "mbd.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    x = rng.normal(size=(4, 6)).astype("float32")
    assert isinstance(loaded.layers[0], layers.MinibatchDiscrimination)
    np.testing.assert_allclose(as_numpy(loaded(x)), as_numpy(model(x)), rtol=1e-6)


@pytest.mark.parametrize("name", ["n_kernels", "kernel_dim"])
@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0, ValueError),
        (-3, ValueError),
        (2.5, TypeError),
        (True, TypeError),
        ("5", TypeError),
        (None, TypeError),
    ],
)
def test_minibatch_discrimination_rejects_bad_sizes(name, value, error):
    with pytest.raises(
        error, match=rf"{name} must be a positive integer; got {value!r}"
    ):
        layers.MinibatchDiscrimination(**{name: value})


@pytest.mark.parametrize("value", [np.int64(3), np.int32(3), np.uint8(3)])
def test_minibatch_discrimination_accepts_numpy_integers(value):
    layer = layers.MinibatchDiscrimination(n_kernels=value, kernel_dim=value)
    config = layer.get_config()
    assert (config["n_kernels"], config["kernel_dim"]) == (3, 3)
    assert type(config["n_kernels"]) is int


@pytest.mark.parametrize("shape", [(4, 3, 5), (4, 8, 8, 1), (4,)])
def test_minibatch_discrimination_needs_flat_features(shape):
    layer = layers.MinibatchDiscrimination(n_kernels=2, kernel_dim=2)
    with pytest.raises(ValueError, match=r"\(batch, features\)"):
        layer(np.zeros(shape, "float32"))


def test_minibatch_discrimination_docstring_example_runs():
    result = run_docstring_example(layers.MinibatchDiscrimination)
    assert result.attempted > 0
    assert result.failed == 0
