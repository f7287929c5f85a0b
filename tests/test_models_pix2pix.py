"""pix2pix: the U-Net, the PatchGAN and the Pix2Pix model (models.pix2pix).

Everything runs on tiny 8x8 images with a few filters so that the file stays
fast; the one model that needs ``fit()`` is trained once, in a module fixture.
"""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

import course_utils as cu
from course_utils.models import pix2pix as p2p

IMAGE_SHAPE = (8, 8)
FILTERS = (4, 8)
BATCH_SIZE = 8


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def make_pairs(n=BATCH_SIZE, seed=0, image_shape=IMAGE_SHAPE):
    """Conditions in [-1, 1] and targets that are a fixed function of them."""
    rng = np.random.default_rng(seed)
    conditions = rng.uniform(-1, 1, (n, *image_shape)).astype(np.float32)
    targets = np.tanh(2 * conditions[..., ::-1]).astype(np.float32)
    return conditions, targets


def to_numpy(tensor):
    return np.array(ops.convert_to_numpy(tensor))


def snapshot(model):
    return [np.array(weight.numpy()) for weight in model.trainable_weights]


def same_weights(before, after):
    return all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def softplus(x):
    return np.logaddexp(0.0, x)


def small_model(l1_weight=100.0):
    return p2p.build_pix2pix(IMAGE_SHAPE, FILTERS, l1_weight=l1_weight)


def compiled(model, d_learning_rate=1e-2, g_learning_rate=1e-2):
    model.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=d_learning_rate),
        g_optimizer=keras.optimizers.Adam(learning_rate=g_learning_rate),
    )
    return model


def constant_discriminator(logit, image_shape=IMAGE_SHAPE):
    """A two-input discriminator whose patch logits are all ``logit``."""
    condition = keras.Input(image_shape)
    image = keras.Input(image_shape)
    maps = keras.layers.Reshape((*image_shape, 1))(
        keras.layers.Add()([condition, image])
    )
    logits = keras.layers.Conv2D(
        1,
        3,
        padding="same",
        kernel_initializer="zeros",
        bias_initializer=keras.initializers.Constant(logit),
    )(maps)
    return keras.Model([condition, image], logits, name="constant_discriminator")


# --------------------------------------------------------------------------
# the U-Net generator
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_shape", "filters"),
    [((8, 8), (4, 8)), ((8, 8, 3), (4, 8)), ((8, 12), (4, 8)), ((16, 16), (2, 4, 8))],
)
def test_unet_keeps_the_image_shape_and_outputs_tanh_values(image_shape, filters):
    generator = p2p.build_unet_generator(image_shape, filters)
    assert generator.input_shape == (None, *image_shape)
    assert generator.output_shape == (None, *image_shape)
    conditions, _ = make_pairs(3, image_shape=image_shape)
    images = to_numpy(generator(conditions * 50))  # large inputs saturate tanh
    assert images.shape == (3, *image_shape)
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert generator.layers[-1].name == (
        "drop_channel_axis" if len(image_shape) == 2 else "to_image"
    )


def test_unet_default_has_the_blocks_of_notebook_09():
    generator = p2p.build_unet_generator()
    names = [layer.name for layer in generator.layers]
    assert generator.output_shape == (None, 28, 28)
    for name, shape in [
        ("down_14x14", (None, 14, 14, 32)),
        ("down_7x7", (None, 7, 7, 64)),
        ("bottleneck", (None, 7, 7, 64)),
        ("skip_7x7", (None, 7, 7, 128)),
        ("up_14x14", (None, 14, 14, 32)),
        ("skip_14x14", (None, 14, 14, 64)),
        ("up_28x28", (None, 28, 28, 32)),
        ("to_image", (None, 28, 28, 1)),
    ]:
        assert tuple(generator.get_layer(name).output.shape) == shape, name
    first = generator.get_layer("down_14x14_conv")
    assert (first.kernel_size, first.strides) == ((4, 4), (2, 2))
    assert isinstance(generator.get_layer("down_14x14"), keras.layers.LeakyReLU)
    assert "down_14x14_bn" not in names and "down_7x7_bn" in names
    assert generator.get_layer("to_image").activation is keras.activations.tanh
    assert not any(
        isinstance(layer, keras.layers.Dropout) for layer in generator.layers
    )


def test_unet_skips_join_each_encoder_block_to_its_mirror():
    generator = p2p.build_unet_generator()
    for size in ("7x7", "14x14"):
        skip_inputs = generator.get_layer(f"skip_{size}").input
        encoder_output = generator.get_layer(f"down_{size}").output
        assert any(tensor is encoder_output for tensor in skip_inputs), size


def test_unet_output_depends_on_the_first_block_through_the_skips():
    """With the bottleneck silenced, only the skips carry the input through."""
    generator = p2p.build_unet_generator(IMAGE_SHAPE, FILTERS)
    bottleneck = generator.get_layer("bottleneck_conv")
    bottleneck.kernel.assign(np.zeros(bottleneck.kernel.shape, "float32"))
    conditions, _ = make_pairs(2)
    features = keras.Model(generator.input, generator.get_layer("bottleneck").output)
    np.testing.assert_array_equal(to_numpy(features(conditions)), 0.0)
    images = to_numpy(generator(conditions))
    assert np.abs(images[0] - images[1]).max() > 1e-4


def test_unet_dropout_adds_a_dropout_layer_per_up_block():
    generator = p2p.build_unet_generator(IMAGE_SHAPE, FILTERS, dropout=0.5)
    rates = [
        layer.rate
        for layer in generator.layers
        if isinstance(layer, keras.layers.Dropout)
    ]
    assert rates == [0.5, 0.5]
    conditions, _ = make_pairs(2)
    np.testing.assert_array_equal(
        to_numpy(generator(conditions)), to_numpy(generator(conditions))
    )


# --------------------------------------------------------------------------
# the PatchGAN discriminator
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_shape", "filters", "patch_map"),
    [
        ((28, 28), (32, 64), (7, 7, 1)),
        ((8, 8), (4, 8), (2, 2, 1)),
        ((8, 12, 3), (4, 8), (2, 3, 1)),
        ((16, 16), (2, 4, 8), (2, 2, 1)),
    ],
)
def test_patch_discriminator_outputs_a_map_of_patch_logits(
    image_shape, filters, patch_map
):
    discriminator = p2p.build_patch_discriminator(image_shape, filters)
    assert [tuple(t.shape) for t in discriminator.inputs] == [(None, *image_shape)] * 2
    assert discriminator.output_shape == (None, *patch_map)
    assert discriminator.layers[-1].name == "patch_logits"
    conditions, images = make_pairs(3, image_shape=image_shape)
    assert to_numpy(discriminator([conditions, images])).shape == (3, *patch_map)


def test_patch_discriminator_stacks_condition_and_image():
    discriminator = p2p.build_patch_discriminator()
    stacked = discriminator.get_layer("condition_and_image")
    assert tuple(stacked.output.shape) == (None, 28, 28, 2)
    names = [layer.name for layer in discriminator.layers]
    assert "down_14x14_bn" not in names and "down_7x7_bn" in names


@pytest.mark.parametrize(("filters", "field"), [((2, 2), 22), ((2, 2, 2), 46)])
def test_patch_logit_receptive_field_is_as_documented(filters, field):
    """The pixels a central logit depends on span 3 * 2 ** (k + 1) - 2 rows."""
    discriminator = p2p.build_patch_discriminator((64, 64), filters)
    conditions, images = make_pairs(1, image_shape=(64, 64))
    conditions, images = tf.constant(conditions), tf.constant(images)
    centre = 64 // 2 ** len(filters) // 2
    with tf.GradientTape() as tape:
        tape.watch(images)
        logit = discriminator([conditions, images])[0, centre, centre, 0]
    gradient = to_numpy(tape.gradient(logit, images))[0]
    rows = np.flatnonzero(np.abs(gradient).sum(axis=1) > 0)
    columns = np.flatnonzero(np.abs(gradient).sum(axis=0) > 0)
    assert len(rows) == len(columns) == field
    assert rows[-1] - rows[0] + 1 == field


# --------------------------------------------------------------------------
# the model: structure, losses and the two phases
# --------------------------------------------------------------------------


def test_pix2pix_is_reachable_from_the_package():
    assert cu.models.pix2pix.Pix2Pix is p2p.Pix2Pix


def test_build_pix2pix_defaults():
    model = p2p.build_pix2pix()
    assert model.l1_weight == 100.0
    assert model.image_shape == (28, 28)
    assert model.generator.output_shape == (None, 28, 28)
    assert model.discriminator.output_shape == (None, 7, 7, 1)


def test_call_and_translate_use_the_generator():
    model = small_model()
    conditions, _ = make_pairs(5)
    expected = to_numpy(model.generator(conditions))
    np.testing.assert_allclose(to_numpy(model(conditions)), expected, atol=1e-6)
    translated = model.translate(conditions, batch_size=2)
    assert isinstance(translated, np.ndarray) and translated.dtype == np.float32
    np.testing.assert_allclose(translated, expected, atol=1e-6)


def test_discriminator_loss_averages_two_separate_calls():
    """Real and fake pairs go through D separately (batch norm sees each)."""
    model = small_model()
    conditions, targets = make_pairs(seed=1)
    fakes = to_numpy(model.generator(conditions))
    loss = float(model.discriminator_loss(conditions, targets, fakes))
    real = to_numpy(model.discriminator([conditions, targets], training=True))
    fake = to_numpy(model.discriminator([conditions, fakes], training=True))
    expected = (softplus(-real).mean() + softplus(fake).mean()) / 2
    assert loss == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("logit", [-2.0, 0.0, 1.5])
def test_losses_in_closed_form_for_a_constant_discriminator(logit):
    generator = p2p.build_unet_generator(IMAGE_SHAPE, FILTERS)
    model = p2p.Pix2Pix(generator, constant_discriminator(logit), l1_weight=3.0)
    conditions, targets = make_pairs(seed=2)
    fakes = to_numpy(generator(conditions))
    d_loss = float(model.discriminator_loss(conditions, targets, fakes))
    assert d_loss == pytest.approx((softplus(-logit) + softplus(logit)) / 2, rel=1e-5)
    total, adversarial, l1 = (
        float(v) for v in model.generator_losses(conditions, targets, fakes)
    )
    assert adversarial == pytest.approx(softplus(-logit), rel=1e-5)
    assert l1 == pytest.approx(np.abs(targets - fakes).mean(), rel=1e-5)
    assert total == pytest.approx(adversarial + 3.0 * l1, rel=1e-5)


def test_generator_step_leaves_the_discriminator_unchanged():
    model = compiled(small_model())
    conditions, targets = make_pairs()
    d_before, g_before = snapshot(model.discriminator), snapshot(model.generator)
    model.generator_step(conditions, targets)
    assert same_weights(d_before, snapshot(model.discriminator))
    assert not same_weights(g_before, snapshot(model.generator))
    assert int(model.d_optimizer.iterations) == 0


def test_discriminator_step_leaves_the_generator_unchanged():
    model = compiled(small_model())
    conditions, targets = make_pairs()
    d_before, g_before = snapshot(model.discriminator), snapshot(model.generator)
    model.discriminator_step(conditions, targets)
    assert same_weights(g_before, snapshot(model.generator))
    assert not same_weights(d_before, snapshot(model.discriminator))
    assert int(model.g_optimizer.iterations) == 0


@pytest.mark.parametrize("frozen", ["d", "g"])
def test_train_step_updates_each_player_with_its_own_optimizer(frozen):
    rates = {"d_learning_rate": 1e-2, "g_learning_rate": 1e-2}
    rates[f"{frozen}_learning_rate"] = 0.0
    model = compiled(small_model(), **rates)
    frozen_part = model.discriminator if frozen == "d" else model.generator
    other_part = model.generator if frozen == "d" else model.discriminator
    frozen_before, other_before = snapshot(frozen_part), snapshot(other_part)
    model.train_step(make_pairs())
    assert same_weights(frozen_before, snapshot(frozen_part))
    assert not same_weights(other_before, snapshot(other_part))


@pytest.mark.parametrize("l1_weight", [0.0, 5.0])
def test_train_step_g_loss_is_adversarial_plus_weighted_l1(l1_weight):
    model = compiled(small_model(l1_weight=l1_weight))
    logs = {
        name: float(value) for name, value in model.train_step(make_pairs()).items()
    }
    assert set(logs) == {"d_loss", "g_loss", "g_adversarial_loss", "g_l1_loss"}
    assert logs["g_l1_loss"] > 0.1  # tracked even when it is not optimised
    assert logs["g_loss"] == pytest.approx(
        logs["g_adversarial_loss"] + l1_weight * logs["g_l1_loss"], rel=1e-5
    )


# --------------------------------------------------------------------------
# fit() and saving
# --------------------------------------------------------------------------

N_TRAIN, EPOCHS = 16, 6
N_BATCHES = N_TRAIN // BATCH_SIZE


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    model = compiled(small_model())
    conditions, targets = make_pairs(N_TRAIN, seed=3)
    history = model.fit(
        conditions,
        targets,
        batch_size=BATCH_SIZE,
        epochs=EPOCHS,
        verbose=0,
        shuffle=False,
    )
    return {"model": model, "history": history.history, "conditions": conditions}


def test_fit_tracks_the_four_losses(trained):
    history = trained["history"]
    assert [m.name for m in trained["model"].metrics] == [
        "d_loss",
        "g_loss",
        "g_adversarial_loss",
        "g_l1_loss",
    ]
    assert set(history) == {"d_loss", "g_loss", "g_adversarial_loss", "g_l1_loss"}
    for name, values in history.items():
        assert len(values) == EPOCHS and all(math.isfinite(v) for v in values), name


def test_fit_makes_one_update_of_each_player_per_batch(trained):
    model = trained["model"]
    assert int(model.d_optimizer.iterations) == EPOCHS * N_BATCHES
    assert int(model.g_optimizer.iterations) == EPOCHS * N_BATCHES


def test_fit_lowers_the_l1_loss_on_a_tiny_set(trained):
    l1 = trained["history"]["g_l1_loss"]
    assert l1[-1] < 0.8 * l1[0], l1


def test_pix2pix_round_trips_through_a_keras_file(trained, tmp_path):
    model = trained["model"]
    path = tmp_path / "pix2pix.keras"
    model.save(path)
    loaded = keras.models.load_model(path)

    assert type(loaded) is p2p.Pix2Pix
    assert loaded.l1_weight == model.l1_weight
    assert loaded.image_shape == model.image_shape
    conditions = trained["conditions"]
    np.testing.assert_array_equal(
        loaded.translate(conditions), model.translate(conditions)
    )
    targets = make_pairs(N_TRAIN, seed=3)[1]
    np.testing.assert_array_equal(
        to_numpy(loaded.discriminator([conditions, targets])),
        to_numpy(model.discriminator([conditions, targets])),
    )
    assert loaded.d_optimizer is not loaded.g_optimizer
    for name in ("d_optimizer", "g_optimizer"):
        original, restored = getattr(model, name), getattr(loaded, name)
        assert type(restored) is type(original)
        assert restored.get_config() == original.get_config()
        assert int(restored.iterations) == int(original.iterations)
        for a, b in zip(restored.variables, original.variables, strict=True):
            np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


def test_uncompiled_pix2pix_round_trips_through_a_keras_file(tmp_path):
    model = p2p.Pix2Pix(
        p2p.build_unet_generator((8, 8, 3), FILTERS, dropout=0.25),
        p2p.build_patch_discriminator((8, 8, 3), FILTERS),
        l1_weight=0.0,
    )
    path = tmp_path / "pix2pix.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.l1_weight == 0.0 and not hasattr(loaded, "d_optimizer")
    conditions, _ = make_pairs(2, image_shape=(8, 8, 3))
    np.testing.assert_array_equal(
        loaded.translate(conditions), model.translate(conditions)
    )


# --------------------------------------------------------------------------
# bad arguments
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parts():
    return (
        p2p.build_unet_generator(IMAGE_SHAPE, FILTERS),
        p2p.build_patch_discriminator(IMAGE_SHAPE, FILTERS),
    )


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (-1.0, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        ("100", TypeError),
        (True, TypeError),
        (None, TypeError),
    ],
    ids=repr,
)
def test_pix2pix_rejects_a_bad_l1_weight(parts, value, error):
    with pytest.raises(error, match="l1_weight"):
        p2p.Pix2Pix(*parts, l1_weight=value)


@pytest.mark.parametrize("which", ["generator", "discriminator"])
def test_pix2pix_rejects_parts_that_are_not_models(parts, which):
    models = dict(zip(("generator", "discriminator"), parts, strict=True))
    models[which] = keras.layers.Dense(1)
    with pytest.raises(TypeError, match=which):
        p2p.Pix2Pix(**models)


def test_pix2pix_rejects_a_one_input_discriminator(parts):
    one_input = keras.Sequential(
        [keras.Input(IMAGE_SHAPE), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    with pytest.raises(ValueError, match="two inputs.*takes 1"):
        p2p.Pix2Pix(parts[0], one_input)


def test_pix2pix_rejects_a_generator_that_changes_the_shape(parts):
    shrinking = keras.Sequential(
        [keras.Input(IMAGE_SHAPE), keras.layers.Reshape((4, 16))]
    )
    with pytest.raises(ValueError, match=r"\(8, 8\) to \(4, 16\)"):
        p2p.Pix2Pix(shrinking, parts[1])


def test_pix2pix_rejects_a_discriminator_for_other_images(parts):
    with pytest.raises(ValueError, match=r"conditions input.*\(16, 16\)"):
        p2p.Pix2Pix(parts[0], p2p.build_patch_discriminator((16, 16), FILTERS))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, TypeError, "d_optimizer must be a keras optimizer"),
        ({"d_optimizer": keras.optimizers.Adam()}, TypeError, "g_optimizer"),
        ({"d_optimizer": "adam", "g_optimizer": "adam"}, TypeError, "d_optimizer"),
    ],
    ids=["none", "no-g-optimizer", "names"],
)
def test_compile_needs_two_optimizer_instances(parts, kwargs, error, match):
    with pytest.raises(error, match=match):
        p2p.Pix2Pix(*parts).compile(**kwargs)


def test_compile_rejects_one_optimizer_for_both_players(parts):
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    with pytest.raises(ValueError, match="d_optimizer and g_optimizer"):
        p2p.Pix2Pix(*parts).compile(d_optimizer=optimizer, g_optimizer=optimizer)


def test_steps_need_a_compiled_model(parts):
    with pytest.raises(RuntimeError, match="compile"):
        p2p.Pix2Pix(*parts).discriminator_step(*make_pairs())


@pytest.mark.parametrize(
    "data", [make_pairs()[0], (make_pairs()[0],), (*make_pairs(), np.ones(8))]
)
def test_train_step_needs_conditions_and_targets(parts, data):
    model = compiled(p2p.Pix2Pix(*parts))
    with pytest.raises(ValueError, match=r"\(conditions, targets\)"):
        model.train_step(data)


@pytest.mark.parametrize(
    ("conditions", "kwargs", "error", "match"),
    [
        (np.zeros((2, 8, 8)), {"batch_size": 0}, ValueError, "batch_size"),
        (np.zeros((8, 8)), {}, ValueError, r"\(N, 8, 8\).*\(8, 8\)"),
        (np.zeros((2, 8, 8, 1)), {}, ValueError, r"\(2, 8, 8, 1\)"),
        (np.zeros((0, 8, 8)), {}, ValueError, "at least one"),
        (np.full((2, 8, 8), 255.0), {}, ValueError, r"\[-1, 1\].*255"),
        (np.full((2, 8, 8), np.nan), {}, ValueError, r"\[-1, 1\]"),
        (np.zeros((2, 8, 8), dtype=bool), {}, TypeError, "conditions"),
    ],
    ids=["batch-size", "one-image", "channel-axis", "empty", "uint8", "nan", "bool"],
)
def test_translate_rejects_bad_conditions(parts, conditions, kwargs, error, match):
    with pytest.raises(error, match=match):
        p2p.Pix2Pix(*parts).translate(conditions, **kwargs)


@pytest.mark.parametrize(
    ("build", "kwargs", "match"),
    [
        (p2p.build_unet_generator, {"image_shape": (30, 30)}, "divisible by 4"),
        (p2p.build_unet_generator, {"image_shape": (28, 26)}, "divisible by 4"),
        (
            p2p.build_unet_generator,
            {"image_shape": (28, 28), "filters": (4, 4, 4)},
            "divisible by 8",
        ),
        (p2p.build_unet_generator, {"image_shape": (8,)}, "image_shape"),
        (p2p.build_unet_generator, {"image_shape": (0, 8)}, r"image_shape\[0\]"),
        (p2p.build_unet_generator, {"image_shape": 28}, "image_shape"),
        (p2p.build_unet_generator, {"filters": ()}, "filters"),
        (p2p.build_unet_generator, {"filters": (8, 0)}, r"filters\[1\]"),
        (p2p.build_unet_generator, {"filters": 8}, "filters"),
        (p2p.build_unet_generator, {"dropout": 1.0}, "dropout"),
        (p2p.build_unet_generator, {"dropout": -0.1}, "dropout"),
        (p2p.build_patch_discriminator, {"image_shape": (10, 10)}, "divisible by 4"),
        (p2p.build_patch_discriminator, {"image_shape": (8, 8, 1, 1)}, "image_shape"),
        (p2p.build_pix2pix, {"image_shape": (14, 14)}, "divisible by 4"),
        (p2p.build_pix2pix, {"l1_weight": -5.0}, "l1_weight"),
    ],
    ids=lambda v: getattr(v, "__name__", None) or repr(v),
)
def test_builders_reject_bad_arguments(build, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


def test_builders_reject_non_integer_filters():
    with pytest.raises(TypeError, match=r"filters\[1\] must be a positive integer"):
        p2p.build_patch_discriminator(filters=(8, 2.5))
