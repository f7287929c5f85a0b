"""Tests for course_utils.models.autoencoders: every builder and option.

Models and inputs are kept tiny so that the whole file runs in seconds on a
laptop CPU: what is checked is the wiring (shapes, sub-models, weight
sharing, training flags, saving), not the quality of the reconstructions.
"""

import doctest

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import layers as course_layers
from course_utils.models import autoencoders as ae

# --------------------------------------------------------------------------
# Models and data
# --------------------------------------------------------------------------


def sparse_regularizer():
    return course_layers.KLSparsityRegularizer(weight=0.05, target=0.1)


# Small versions of every builder and option, by name.
BUILDERS = {
    "linear": lambda: ae.build_linear_autoencoder(3, 2),
    "dense": lambda: ae.build_dense_autoencoder((8, 8), 4, (16,)),
    "dense_two_hidden": lambda: ae.build_dense_autoencoder((8, 6), 3, (16, 8)),
    "dense_no_hidden": lambda: ae.build_dense_autoencoder((8, 8), 4, ()),
    "dense_gaussian_noise": lambda: ae.build_dense_autoencoder(
        (8, 8), 4, (16,), gaussian_noise=0.2
    ),
    "dense_input_dropout": lambda: ae.build_dense_autoencoder(
        (8, 8), 4, (16,), input_dropout=0.3
    ),
    "dense_kl_sparse": lambda: ae.build_dense_autoencoder(
        (8, 8),
        16,
        (16,),
        latent_activation="sigmoid",
        latent_regularizer=sparse_regularizer(),
    ),
    "dense_all_options": lambda: ae.build_dense_autoencoder(
        (8, 8),
        16,
        (16,),
        latent_activation="sigmoid",
        latent_regularizer=sparse_regularizer(),
        gaussian_noise=0.1,
        input_dropout=0.2,
    ),
    "dense_l1_sparse": lambda: ae.build_dense_autoencoder(
        (8, 8), 16, (16,), latent_regularizer=keras.regularizers.L1(1e-3)
    ),
    "conv": lambda: ae.build_conv_autoencoder((16, 16), 3, (2, 4)),
    "conv_pooling_upsample_rgb": lambda: ae.build_conv_autoencoder(
        (16, 16, 3), 3, (2, 4), downsampling="pooling", upsampling="upsample"
    ),
    "recurrent": lambda: ae.build_recurrent_autoencoder((8, 6), 3, 8),
    "tied": lambda: ae.TiedDenseAutoencoder((8, 8), 4, (16,)),
    "tied_two_hidden": lambda: ae.TiedDenseAutoencoder((8, 6), 3, (16, 8)),
}
LATENT_DIMS = {
    "linear": 2,
    "dense_two_hidden": 3,
    "dense_kl_sparse": 16,
    "dense_all_options": 16,
    "dense_l1_sparse": 16,
    "conv": 3,
    "conv_pooling_upsample_rgb": 3,
    "recurrent": 3,
    "tied_two_hidden": 3,
}
SIGMOID_BUILDERS = [name for name in BUILDERS if name != "linear"]
CORRUPTING_BUILDERS = [
    "dense_gaussian_noise",
    "dense_input_dropout",
    "dense_all_options",
]
# One model per builder is trained (training is the slow part).
TRAINED_BUILDERS = ["linear", "dense_all_options", "conv", "recurrent", "tied"]

CONV_OPTIONS = [
    (downsampling, upsampling)
    for downsampling in ("strided", "pooling")
    for upsampling in ("transpose", "upsample")
]
CONV_SHAPES = [(28, 28), (28, 28, 1), (32, 32, 3)]


def build(name, seed=0):
    keras.utils.set_random_seed(seed)
    return BUILDERS[name]()


def input_shape_of(model):
    if isinstance(model, ae.TiedDenseAutoencoder):
        return model.image_shape
    return tuple(model.input_shape[1:])


def blob_images(n, shape, seed=0):
    """Images in [0, 1] that look like something: soft blobs of random size.

    For a 1-D shape (features), points on a plane in that space instead.
    """
    rng = np.random.default_rng(seed)
    if len(shape) == 1:
        basis = rng.normal(size=(2, shape[0]))
        return (rng.normal(size=(n, 2)) @ basis).astype("float32")
    height, width = shape[:2]
    rows, cols = np.mgrid[0:height, 0:width]
    rows, cols = rows / height, cols / width
    centres = rng.uniform(0.3, 0.7, size=(n, 2, 1, 1))
    widths = rng.uniform(0.1, 0.3, size=(n, 1, 1))
    squared = (rows - centres[:, 0]) ** 2 + (cols - centres[:, 1]) ** 2
    images = np.exp(-squared / (2 * widths**2))
    if len(shape) == 3:
        images = images[..., None] * rng.uniform(0.3, 1.0, size=(n, 1, 1, shape[2]))
    return images.astype("float32")


def inputs_for(model, n=4, seed=0):
    return blob_images(n, input_shape_of(model), seed=seed)


def as_numpy(tensor):
    """A tensor or a variable as a NumPy array."""
    return tensor.numpy()


# --------------------------------------------------------------------------
# Shapes, sub-models, output range
# --------------------------------------------------------------------------


def check_wiring(model, x, latent_dim, *, sigmoid=True):
    """Shapes, the encoder/decoder parts and the output range of a model."""
    outputs = as_numpy(model(x, training=False))
    assert outputs.shape == x.shape
    encoder, decoder = ae.encoder_and_decoder(model)
    assert isinstance(encoder, keras.Model) and isinstance(decoder, keras.Model)
    assert (encoder.name, decoder.name) == ("encoder", "decoder")
    assert encoder.output_shape == (None, latent_dim)
    assert decoder.input_shape == (None, latent_dim)
    assert decoder.output_shape == (None, *x.shape[1:])
    codings = encoder(x, training=False)
    assert tuple(codings.shape) == (len(x), latent_dim)
    np.testing.assert_allclose(
        as_numpy(decoder(codings, training=False)), outputs, rtol=1e-5, atol=1e-6
    )
    if sigmoid:
        assert outputs.min() >= 0.0 and outputs.max() <= 1.0


@pytest.mark.parametrize("name", list(BUILDERS))
def test_builder_wiring(name):
    model = build(name)
    x = inputs_for(model)
    if not isinstance(model, ae.TiedDenseAutoencoder):
        assert model.output_shape == (None, *x.shape[1:])

    check_wiring(model, x, LATENT_DIMS.get(name, 4), sigmoid=name in SIGMOID_BUILDERS)


@pytest.mark.parametrize("input_shape", CONV_SHAPES, ids=str)
@pytest.mark.parametrize(("downsampling", "upsampling"), CONV_OPTIONS)
def test_conv_autoencoder_wiring(input_shape, downsampling, upsampling):
    keras.utils.set_random_seed(0)
    model = ae.build_conv_autoencoder(
        input_shape, 5, (2, 4), downsampling=downsampling, upsampling=upsampling
    )

    assert model.input_shape == (None, *input_shape)
    assert model.output_shape == (None, *input_shape)
    check_wiring(model, blob_images(2, input_shape), 5)
    layer_types = {
        type(layer) for part in ae.encoder_and_decoder(model) for layer in part.layers
    }
    if downsampling == "pooling":
        assert keras.layers.MaxPooling2D in layer_types
    if upsampling == "transpose":
        assert keras.layers.Conv2DTranspose in layer_types
    else:
        assert keras.layers.UpSampling2D in layer_types


def test_conv_autoencoder_doubles_filters_and_halves_resolution():
    model = ae.build_conv_autoencoder((28, 28), 30, (32, 64))
    encoder, decoder = ae.encoder_and_decoder(model)

    convs = [
        layer for layer in encoder.layers if isinstance(layer, keras.layers.Conv2D)
    ]
    assert [conv.filters for conv in convs] == [32, 32, 64, 64]
    assert [conv.strides for conv in convs] == [(1, 1), (2, 2), (1, 1), (2, 2)]
    assert encoder.get_layer("codings").input.shape == (None, 7 * 7 * 64)
    transposed = [
        layer
        for layer in decoder.layers
        if isinstance(layer, keras.layers.Conv2DTranspose)
    ]
    assert [layer.filters for layer in transposed] == [64, 32]


def test_dense_autoencoder_is_symmetric():
    model = ae.build_dense_autoencoder((28, 28), 30, (300, 100))
    encoder, decoder = ae.encoder_and_decoder(model)

    def units(part):
        return [
            layer.units
            for layer in part.layers
            if isinstance(layer, keras.layers.Dense)
        ]

    assert units(encoder) == [300, 100, 30]
    assert units(decoder) == [100, 300, 784]
    assert encoder.get_layer("codings").activation is keras.activations.selu


def test_dense_autoencoder_latent_options_reach_the_codings_layer():
    model = build("dense_kl_sparse")
    codings = model.get_layer("encoder").get_layer("codings")

    assert codings.activation is keras.activations.sigmoid
    assert isinstance(codings.activity_regularizer, course_layers.KLSparsityRegularizer)
    model(inputs_for(model))
    assert len(model.losses) == 1 and float(model.losses[0]) > 0


def test_recurrent_autoencoder_reads_rows_as_time_steps():
    model = build("recurrent")
    encoder, decoder = ae.encoder_and_decoder(model)

    lstms = [layer for layer in encoder.layers if isinstance(layer, keras.layers.LSTM)]
    assert [lstm.return_sequences for lstm in lstms] == [True, False]
    assert encoder.get_layer("codings").units == 3
    (repeat,) = [
        layer
        for layer in decoder.layers
        if isinstance(layer, keras.layers.RepeatVector)
    ]
    assert repeat.n == 8


def test_linear_autoencoder_is_linear():
    model = build("linear")
    x = inputs_for(model)
    outputs = as_numpy(model(x))
    doubled = as_numpy(model(2 * x))
    bias = as_numpy(model(np.zeros_like(x)))

    np.testing.assert_allclose(doubled - bias, 2 * (outputs - bias), atol=1e-5)


def test_encoder_and_decoder_needs_both_parts():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, name="dense")])

    with pytest.raises(
        ValueError,
        match=r"model must have layers named 'encoder' and 'decoder'; .* has "
        r"\['dense'\]",
    ):
        ae.encoder_and_decoder(model)


# --------------------------------------------------------------------------
# Tied weights
# --------------------------------------------------------------------------


def tied_pairs(model):
    """(encoder Dense, decoder DenseTranspose) pairs, outermost first."""
    encoder, decoder = ae.encoder_and_decoder(model)
    dense = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Dense)]
    transposed = [
        layer
        for layer in decoder.layers
        if isinstance(layer, course_layers.DenseTranspose)
    ]
    assert len(dense) == len(transposed)
    return list(zip(dense, reversed(transposed), strict=True))


def check_kernels_shared(model):
    for dense, transposed in tied_pairs(model):
        assert transposed.dense is dense
    # Changing an encoder kernel changes what the decoder computes.
    x = inputs_for(model)
    before = as_numpy(model(x))
    dense, _ = tied_pairs(model)[0]
    dense.kernel.assign(as_numpy(dense.kernel) * 0.5)
    assert not np.allclose(as_numpy(model(x)), before)


def test_tied_autoencoder_shares_its_kernels():
    model = build("tied_two_hidden")
    model(inputs_for(model))

    check_kernels_shared(model)


def test_tied_autoencoder_has_about_half_the_parameters():
    tied = ae.TiedDenseAutoencoder((28, 28), 30, (100,))
    tied(np.zeros((1, 28, 28), "float32"))
    untied = ae.build_dense_autoencoder((28, 28), 30, (100,))

    # Encoder 784*100 + 100 + 100*30 + 30, decoder biases 100 + 784.
    assert tied.count_params() == 82_414
    assert untied.count_params() == 163_814
    assert len(tied.trainable_weights) == 6


def test_tied_autoencoder_config():
    model = ae.TiedDenseAutoencoder(
        (8, 6), 3, (16, 8), activation="relu", output_activation="linear", name="ae"
    )

    config = model.get_config()
    copy = ae.TiedDenseAutoencoder.from_config(config)

    assert config == {
        "input_shape": [8, 6],
        "latent_dim": 3,
        "hidden_units": [16, 8],
        "activation": "relu",
        "output_activation": "linear",
        "name": "ae",
    }
    assert copy.get_config() == config


# --------------------------------------------------------------------------
# Corruption is active in training only
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", CORRUPTING_BUILDERS)
def test_corruption_is_active_in_training_only(name):
    model = build(name)
    x = inputs_for(model, n=8)

    clean = as_numpy(model(x, training=False))
    noisy = as_numpy(model(x, training=True))

    assert not np.allclose(clean, noisy)
    np.testing.assert_array_equal(as_numpy(model(x, training=False)), clean)
    np.testing.assert_array_equal(as_numpy(model(x)), clean)
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), first)
    np.testing.assert_allclose(first, clean, rtol=1e-5, atol=1e-6)
    corrupting = (keras.layers.GaussianNoise, keras.layers.Dropout)
    encoder, _ = ae.encoder_and_decoder(model)
    assert isinstance(encoder.layers[0], corrupting)


def test_builders_without_corruption_have_no_corrupting_layer():
    model = build("dense")
    encoder, _ = ae.encoder_and_decoder(model)
    corrupting = (keras.layers.GaussianNoise, keras.layers.Dropout)

    assert not any(isinstance(layer, corrupting) for layer in encoder.layers)


# --------------------------------------------------------------------------
# Training and saving
# --------------------------------------------------------------------------


def loss_of(model, x):
    """Reconstruction MSE plus the regularization losses, in inference mode."""
    outputs = model(x, training=False)
    error = float(keras.ops.mean(keras.ops.square(outputs - x)))
    return error + sum(float(loss) for loss in model.losses)


@pytest.mark.parametrize("name", TRAINED_BUILDERS)
def test_a_few_training_steps_lower_the_loss(name):
    model = build(name)
    x = inputs_for(model, n=64, seed=1)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    # 20 Adam steps on the whole batch, in one epoch (cheaper than 20 epochs).
    batches = tf.data.Dataset.from_tensors((x, x)).repeat()

    before = loss_of(model, x)
    model.fit(batches, steps_per_epoch=20, epochs=1, shuffle=False, verbose=0)
    after = loss_of(model, x)

    assert np.isfinite(after)
    assert after < 0.8 * before, (before, after)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_save_and_load_give_identical_predictions(name, tmp_path):
    model = build(name)
    x = inputs_for(model)
    expected = as_numpy(model(x, training=False))
    path = tmp_path / f"{name}.keras"

    model.save(path)
    loaded = keras.models.load_model(path)

    assert type(loaded) is type(model)
    np.testing.assert_array_equal(as_numpy(loaded(x, training=False)), expected)
    assert len(loaded.weights) == len(model.weights)
    for original, copy in zip(
        ae.encoder_and_decoder(model), ae.encoder_and_decoder(loaded), strict=True
    ):
        assert copy.output_shape == original.output_shape
    if isinstance(model, ae.TiedDenseAutoencoder):
        assert loaded.get_config() == model.get_config()
        check_kernels_shared(loaded)


def test_trained_tied_autoencoder_round_trips(tmp_path):
    model = build("tied")
    x = inputs_for(model, n=16)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    model.fit(x, x, epochs=1, verbose=0)
    path = tmp_path / "tied.keras"

    model.save(path)
    loaded = keras.models.load_model(path)

    np.testing.assert_array_equal(as_numpy(loaded(x)), as_numpy(model(x)))
    for (dense, _), (loaded_dense, loaded_transposed) in zip(
        tied_pairs(model), tied_pairs(loaded), strict=True
    ):
        assert loaded_transposed.dense is loaded_dense
        np.testing.assert_array_equal(
            as_numpy(loaded_dense.kernel), as_numpy(dense.kernel)
        )


def test_docstring_examples_run():
    result = doctest.testmod(ae, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


# --------------------------------------------------------------------------
# Bad arguments
# --------------------------------------------------------------------------


BAD_ARGUMENTS = [
    # latent_dim
    (
        lambda: ae.build_linear_autoencoder(3, 0),
        ValueError,
        r"latent_dim must be a positive integer; got 0",
    ),
    (
        lambda: ae.build_linear_autoencoder(3, 1.5),
        TypeError,
        r"latent_dim must be a positive integer; got 1\.5",
    ),
    (
        lambda: ae.build_linear_autoencoder(3, True),
        TypeError,
        r"latent_dim must be a positive integer; got True",
    ),
    (
        lambda: ae.build_linear_autoencoder(3, 3),
        ValueError,
        r"latent_dim must be smaller than input_dim \(3\) to make a bottleneck; "
        r"got 3",
    ),
    (
        lambda: ae.build_linear_autoencoder(3, 5),
        ValueError,
        r"latent_dim must be smaller than input_dim \(3\)",
    ),
    (
        lambda: ae.build_linear_autoencoder(0, 2),
        ValueError,
        r"input_dim must be a positive integer; got 0",
    ),
    (
        lambda: ae.build_linear_autoencoder(3.0, 2),
        TypeError,
        r"input_dim must be a positive integer; got 3\.0",
    ),
    (
        lambda: ae.build_dense_autoencoder(latent_dim=0),
        ValueError,
        r"latent_dim must be a positive integer; got 0",
    ),
    (
        lambda: ae.build_dense_autoencoder(latent_dim=30.0),
        TypeError,
        r"latent_dim must be a positive integer; got 30\.0",
    ),
    (
        lambda: ae.build_dense_autoencoder(latent_dim=False),
        TypeError,
        r"latent_dim must be a positive integer; got False",
    ),
    (
        lambda: ae.build_conv_autoencoder(latent_dim=-2),
        ValueError,
        r"latent_dim must be a positive integer; got -2",
    ),
    (
        lambda: ae.build_conv_autoencoder(latent_dim=2.5),
        TypeError,
        r"latent_dim must be a positive integer; got 2\.5",
    ),
    (
        lambda: ae.build_recurrent_autoencoder(latent_dim=0),
        ValueError,
        r"latent_dim must be a positive integer; got 0",
    ),
    (
        lambda: ae.build_recurrent_autoencoder(latent_dim=True),
        TypeError,
        r"latent_dim must be a positive integer; got True",
    ),
    (
        lambda: ae.TiedDenseAutoencoder(latent_dim=0),
        ValueError,
        r"latent_dim must be a positive integer; got 0",
    ),
    (
        lambda: ae.TiedDenseAutoencoder(latent_dim=30.0),
        TypeError,
        r"latent_dim must be a positive integer; got 30\.0",
    ),
    # conv options
    (
        lambda: ae.build_conv_autoencoder(downsampling="avg"),
        ValueError,
        r"downsampling must be one of 'strided', 'pooling'; got 'avg'",
    ),
    (
        lambda: ae.build_conv_autoencoder(upsampling="bilinear"),
        ValueError,
        r"upsampling must be one of 'transpose', 'upsample'; got 'bilinear'",
    ),
    (
        lambda: ae.build_conv_autoencoder(upsampling=None),
        ValueError,
        r"upsampling must be one of 'transpose', 'upsample'; got None",
    ),
    (
        lambda: ae.build_conv_autoencoder((30, 30)),
        ValueError,
        r"input_shape height and width must be divisible by 2\*\*len\(filters\) = 4; "
        r"got \(30, 30\) with filters=\(32, 64\)",
    ),
    (
        lambda: ae.build_conv_autoencoder((28, 28), filters=(8, 16, 32)),
        ValueError,
        r"divisible by 2\*\*len\(filters\) = 8; got \(28, 28\)",
    ),
    (
        lambda: ae.build_conv_autoencoder((32, 30, 3)),
        ValueError,
        r"divisible by 2\*\*len\(filters\) = 4; got \(32, 30, 3\)",
    ),
    (
        lambda: ae.build_conv_autoencoder(filters=()),
        ValueError,
        r"filters must name at least one stage",
    ),
    (
        lambda: ae.build_conv_autoencoder(filters=(32, 0)),
        ValueError,
        r"filters\[1\] must be a positive integer; got 0",
    ),
    (
        lambda: ae.build_conv_autoencoder(filters=32),
        TypeError,
        r"filters must be a sequence of positive integers; got 32",
    ),
    # input_shape
    (
        lambda: ae.build_conv_autoencoder((28,)),
        ValueError,
        r"input_shape must be \(height, width\) or \(height, width, channels\); "
        r"got \(28,\)",
    ),
    (
        lambda: ae.build_conv_autoencoder((28, 28, 1, 1)),
        ValueError,
        r"input_shape must be \(height, width\) or .*got \(28, 28, 1, 1\)",
    ),
    (
        lambda: ae.build_conv_autoencoder((28, 0)),
        ValueError,
        r"input_shape\[1\] must be a positive integer; got 0",
    ),
    (
        lambda: ae.build_conv_autoencoder((28, 28.0)),
        TypeError,
        r"input_shape\[1\] must be a positive integer; got 28\.0",
    ),
    (
        lambda: ae.build_dense_autoencoder((28, -1)),
        ValueError,
        r"input_shape\[1\] must be a positive integer; got -1",
    ),
    (
        lambda: ae.build_dense_autoencoder((None, 28)),
        TypeError,
        r"input_shape\[0\] must be a positive integer; got None",
    ),
    (
        lambda: ae.build_recurrent_autoencoder((28, 28, 1)),
        ValueError,
        r"input_shape must be \(time steps, features\); got \(28, 28, 1\)",
    ),
    (
        lambda: ae.build_recurrent_autoencoder((28,)),
        ValueError,
        r"input_shape must be \(time steps, features\)",
    ),
    (
        lambda: ae.build_recurrent_autoencoder((0, 28)),
        ValueError,
        r"input_shape\[0\] must be a positive integer; got 0",
    ),
    (
        lambda: ae.TiedDenseAutoencoder((28, 0)),
        ValueError,
        r"input_shape\[1\] must be a positive integer; got 0",
    ),
    # recurrent units
    (
        lambda: ae.build_recurrent_autoencoder(units=0),
        ValueError,
        r"units must be a positive integer; got 0",
    ),
    (
        lambda: ae.build_recurrent_autoencoder(units=1.5),
        TypeError,
        r"units must be a positive integer; got 1\.5",
    ),
    # corruption
    (
        lambda: ae.build_dense_autoencoder(gaussian_noise=-0.1),
        ValueError,
        r"gaussian_noise must be a number in \[0, 1\]; got -0\.1",
    ),
    (
        lambda: ae.build_dense_autoencoder(gaussian_noise=float("nan")),
        ValueError,
        r"gaussian_noise must be a number in \[0, 1\]; got nan",
    ),
    (
        lambda: ae.build_dense_autoencoder(input_dropout=1.0),
        ValueError,
        r"input_dropout must be a number in \[0, 1\); got 1\.0",
    ),
    (
        lambda: ae.build_dense_autoencoder(input_dropout=1.5),
        ValueError,
        r"input_dropout must be a number in \[0, 1\); got 1\.5",
    ),
    (
        lambda: ae.build_dense_autoencoder(input_dropout=-0.1),
        ValueError,
        r"input_dropout must be a number in \[0, 1\); got -0\.1",
    ),
    # hidden_units
    (
        lambda: ae.build_dense_autoencoder(hidden_units="100"),
        TypeError,
        r"hidden_units must be a sequence of positive integers; got '100'",
    ),
    (
        lambda: ae.build_dense_autoencoder(hidden_units=100),
        TypeError,
        r"hidden_units must be a sequence of positive integers; got 100",
    ),
    (
        lambda: ae.build_dense_autoencoder(hidden_units=(100, 0)),
        ValueError,
        r"hidden_units\[1\] must be a positive integer; got 0",
    ),
    (
        lambda: ae.build_dense_autoencoder(hidden_units=(100.0,)),
        TypeError,
        r"hidden_units\[0\] must be a positive integer; got 100\.0",
    ),
    (
        lambda: ae.TiedDenseAutoencoder(hidden_units=(-5,)),
        ValueError,
        r"hidden_units\[0\] must be a positive integer; got -5",
    ),
    (
        lambda: ae.TiedDenseAutoencoder(hidden_units="100"),
        TypeError,
        r"hidden_units must be a sequence of positive integers",
    ),
    # DenseTranspose needs a Dense layer
    (
        lambda: course_layers.DenseTranspose(keras.layers.Conv2D(3, 3)),
        TypeError,
        r"dense must be a keras\.layers\.Dense layer; got Conv2D",
    ),
]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    BAD_ARGUMENTS,
    ids=[case[2][:60] for case in BAD_ARGUMENTS],
)
def test_bad_arguments_raise_clear_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


# Arguments of the wrong kind should also be named in the error, not end in
# an error from deep inside Python or Keras.
UNNAMED_BAD_ARGUMENTS = {
    "dense input_shape=28": (lambda: ae.build_dense_autoencoder(28), "input_shape"),
    "conv input_shape=28": (lambda: ae.build_conv_autoencoder(28), "input_shape"),
    "recurrent input_shape=28": (
        lambda: ae.build_recurrent_autoencoder(28),
        "input_shape",
    ),
    "tied input_shape=28": (lambda: ae.TiedDenseAutoencoder(28), "input_shape"),
    "gaussian_noise=1.5": (
        lambda: ae.build_dense_autoencoder(gaussian_noise=1.5),
        "gaussian_noise",
    ),
    "gaussian_noise='0.1'": (
        lambda: ae.build_dense_autoencoder(gaussian_noise="0.1"),
        "gaussian_noise",
    ),
    "input_dropout=None": (
        lambda: ae.build_dense_autoencoder(input_dropout=None),
        "input_dropout",
    ),
}


@pytest.mark.parametrize(
    ("make", "name"),
    list(UNNAMED_BAD_ARGUMENTS.values()),
    ids=list(UNNAMED_BAD_ARGUMENTS),
)
def test_bad_arguments_of_the_wrong_kind_are_named(make, name):
    with pytest.raises((TypeError, ValueError), match=name):
        make()
