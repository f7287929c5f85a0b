"""The GAN model, its remedies and builders (course_utils.models.gan).

Everything runs on tiny 8x8 images with 4-D codes so that the file stays fast:
the model that needs ``fit()`` is trained once, in a module fixture. The
class-conditional models are tested in test_models_conditional_gan.py.
"""

import math
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from gan_helpers import (
    BATCH_SIZE,
    IMAGE_SHAPE,
    LATENT_DIM,
    InputRecorder,
    compiled,
    make_codes,
    make_images,
    options_of,
    same_weights,
    small_generator,
    snapshot,
    softplus,
    to_numpy,
)

from course_utils.models import gan as gan_module

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def selu(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def dense_gan(**options):
    options.setdefault("seed", 1)
    return gan_module.build_dense_gan(LATENT_DIM, IMAGE_SHAPE, **options)


def dcgan(**options):
    options.setdefault("seed", 1)
    return gan_module.build_dcgan(LATENT_DIM, IMAGE_SHAPE, **options)


def constant_discriminator(logit, name="discriminator"):
    """A discriminator whose logit is ``logit`` for every image (at first)."""
    return keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            keras.layers.Flatten(),
            keras.layers.Dense(
                1,
                kernel_initializer="zeros",
                bias_initializer=keras.initializers.Constant(logit),
                name="logit",
            ),
        ],
        name=name,
    )


def recording_discriminator():
    recorder = InputRecorder()
    model = keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            recorder,
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ],
        name="discriminator",
    )
    return model, recorder


# --------------------------------------------------------------------------
# builders: shapes and ranges
# --------------------------------------------------------------------------


def test_dense_gan_has_the_layer_sizes_of_notebook_06():
    gan = gan_module.build_dense_gan(30)
    g_units = [
        layer.units
        for layer in gan.generator.layers
        if isinstance(layer, keras.layers.Dense)
    ]
    d_units = [
        layer.units
        for layer in gan.discriminator.layers
        if isinstance(layer, keras.layers.Dense)
    ]
    assert g_units == [100, 150, 784]
    assert d_units == [150, 100, 1]
    assert gan.latent_dim == 30
    assert gan.generator.output_shape == (None, 28, 28)
    assert gan.discriminator.output_shape == (None, 1)


def test_dense_generator_outputs_images_in_zero_one():
    generator = gan_module.build_dense_generator(LATENT_DIM, image_shape=IMAGE_SHAPE)
    images = to_numpy(generator(10.0 * make_codes(16)))
    assert images.shape == (16, *IMAGE_SHAPE)
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert images.std() > 0


@pytest.mark.parametrize("upsampling", ["transpose", "upsample"])
@pytest.mark.parametrize("image_shape", [(8, 8), (8, 12, 3)])
def test_dcgan_generator_outputs_tanh_images(upsampling, image_shape):
    generator = gan_module.build_dcgan_generator(
        LATENT_DIM, image_shape, filters=(8, 4), upsampling=upsampling
    )
    images = to_numpy(generator(10.0 * make_codes(6), training=False))
    assert images.shape == (6, *image_shape)
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert images.min() < 0 < images.max()


def test_dcgan_builder_defaults_make_28_by_28_images():
    gan = gan_module.build_dcgan(100)
    assert gan.generator.output_shape == (None, 28, 28)
    assert gan.discriminator.output_shape == (None, 1)
    assert gan.latent_dim == 100
    kinds = {type(layer).__name__ for layer in gan.generator.layers}
    assert "Conv2DTranspose" in kinds and "UpSampling2D" not in kinds
    upsampled = gan_module.build_dcgan(100, upsampling="upsample")
    kinds = {type(layer).__name__ for layer in upsampled.generator.layers}
    assert "UpSampling2D" in kinds and "Conv2DTranspose" not in kinds


@pytest.mark.parametrize(
    "build",
    [
        lambda: gan_module.build_dense_discriminator(IMAGE_SHAPE),
        lambda: gan_module.build_dense_discriminator(
            IMAGE_SHAPE, minibatch_discrimination=True
        ),
        lambda: gan_module.build_dcgan_discriminator(IMAGE_SHAPE, filters=(4, 8)),
        lambda: gan_module.build_dcgan_discriminator(
            (8, 8, 3), filters=(4, 8), minibatch_discrimination=True
        ),
    ],
    ids=["dense", "dense-mbd", "dcgan", "dcgan-rgb-mbd"],
)
def test_discriminators_output_one_logit_per_image(build):
    discriminator = build()
    shape = discriminator.inputs[0].shape[1:]
    images = np.random.default_rng(0).random((5, *shape)).astype(np.float32)
    logits = to_numpy(discriminator(images, training=False))
    assert logits.shape == (5, 1)
    assert np.all(np.isfinite(logits))
    assert discriminator.get_layer("features") is not None


def test_gan_call_and_generate_use_the_generator():
    gan = dense_gan()
    codes = make_codes(3)
    np.testing.assert_allclose(to_numpy(gan(codes)), to_numpy(gan.generator(codes)))
    images = gan.generate(5, seed=3)
    assert images.shape == (5, *IMAGE_SHAPE)
    assert images.min() >= 0.0 and images.max() <= 1.0
    np.testing.assert_array_equal(images, gan.generate(5, seed=3))
    assert not np.array_equal(images, gan.generate(5, seed=4))


# --------------------------------------------------------------------------
# the two phases: each updates its own player only
# --------------------------------------------------------------------------


@pytest.mark.parametrize("build", [dense_gan, dcgan], ids=["dense", "dcgan"])
@pytest.mark.parametrize("unroll_steps", [0, 2])
def test_generator_step_leaves_the_discriminator_unchanged(build, unroll_steps):
    gan = compiled(build(unroll_steps=unroll_steps))
    d_before, g_before = snapshot(gan.discriminator), snapshot(gan.generator)

    gan.generator_step(make_images())

    assert same_weights(d_before, snapshot(gan.discriminator))
    assert not same_weights(g_before, snapshot(gan.generator))
    assert int(gan.g_optimizer.iterations) == 1
    assert int(gan.d_optimizer.iterations) == 0


def test_unrolled_generator_step_restores_the_discriminator_in_a_graph():
    gan = compiled(dense_gan(unroll_steps=2))
    d_before, g_before = snapshot(gan.discriminator), snapshot(gan.generator)

    tf.function(gan.generator_step)(tf.constant(make_images()))

    assert same_weights(d_before, snapshot(gan.discriminator))
    assert not same_weights(g_before, snapshot(gan.generator))


@pytest.mark.parametrize("build", [dense_gan, dcgan], ids=["dense", "dcgan"])
def test_discriminator_step_leaves_the_generator_unchanged(build):
    gan = compiled(build())
    d_before, g_before = snapshot(gan.discriminator), snapshot(gan.generator)

    loss, accuracy_real, accuracy_fake = gan.discriminator_step(make_images())

    assert same_weights(g_before, snapshot(gan.generator))
    assert not same_weights(d_before, snapshot(gan.discriminator))
    assert int(gan.d_optimizer.iterations) == 1
    assert int(gan.g_optimizer.iterations) == 0
    assert float(loss) > 0
    assert 0.0 <= float(accuracy_real) <= 1.0 and 0.0 <= float(accuracy_fake) <= 1.0


@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
def test_discriminator_loss_and_accuracies_in_closed_form(label_smoothing):
    logit = 2.0
    gan = compiled(
        gan_module.GAN(
            small_generator(),
            constant_discriminator(logit),
            label_smoothing=label_smoothing,
            seed=0,
        )
    )
    loss, accuracy_real, accuracy_fake = gan.discriminator_step(make_images())
    target = 1.0 - label_smoothing
    # BCE(t, l) = softplus(l) - t * l; real images have target t, fakes 0.
    expected = 0.5 * ((softplus(logit) - target * logit) + softplus(logit))
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    assert float(accuracy_real) == 1.0  # logit > 0: "real" for every image
    assert float(accuracy_fake) == 0.0


def test_discriminator_is_called_once_on_reals_and_once_on_fakes():
    discriminator, recorder = recording_discriminator()
    gan = compiled(gan_module.GAN(small_generator(), discriminator, seed=0))
    real = make_images(seed=0)

    gan.discriminator_step(real)

    # Two calls of one batch each (not one call on the two concatenated), so
    # that batch norm in D never normalises a mixed real and fake batch.
    assert [seen.shape[0] for seen in recorder.seen] == [BATCH_SIZE, BATCH_SIZE]
    np.testing.assert_array_equal(recorder.seen[0], real)
    assert not _rows_in(recorder.seen[1], real).any()


def test_discriminator_loss_with_batch_norm_uses_separate_batch_statistics():
    discriminator = keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            keras.layers.Flatten(),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(1, name="logit"),
        ],
        name="discriminator",
    )
    gan = gan_module.GAN(small_generator(), discriminator, seed=0)
    # Reals and fakes with very different statistics: the batch means differ.
    real, fakes = make_images(seed=0), 3.0 + make_images(seed=1)

    loss, real_logits, fake_logits = gan._discriminator_loss(real, fakes, None)

    def bce(target, logits):
        logits = logits.astype(np.float64)
        return np.mean(softplus(logits) - target * logits)

    separate = [to_numpy(discriminator(x, training=True)) for x in (real, fakes)]
    np.testing.assert_allclose(to_numpy(real_logits), separate[0], rtol=1e-5)
    np.testing.assert_allclose(to_numpy(fake_logits), separate[1], rtol=1e-5)
    expected = (bce(1.0, separate[0]) + bce(0.0, separate[1])) / 2
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    mixed = to_numpy(discriminator(np.concatenate([real, fakes]), training=True))
    mixed_loss = (bce(1.0, mixed[:BATCH_SIZE]) + bce(0.0, mixed[BATCH_SIZE:])) / 2
    assert abs(float(loss) - mixed_loss) > 1e-3  # what one mixed call would give


# --------------------------------------------------------------------------
# remedies
# --------------------------------------------------------------------------


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.3])
def test_label_smoothing_sets_the_real_target_of_the_discriminator_loss(
    label_smoothing,
):
    gan = dense_gan(label_smoothing=label_smoothing)
    real, fakes = make_images(seed=0), make_images(seed=1)

    loss, real_logits, fake_logits = gan._discriminator_loss(real, fakes, None)

    # D is called on the real batch and on the fake batch separately.
    logits = np.concatenate(
        [to_numpy(gan.discriminator(real)), to_numpy(gan.discriminator(fakes))]
    )
    np.testing.assert_allclose(to_numpy(real_logits), logits[:BATCH_SIZE], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(fake_logits), logits[BATCH_SIZE:], rtol=1e-6)
    targets = np.concatenate(
        [np.full(BATCH_SIZE, 1.0 - label_smoothing), np.zeros(BATCH_SIZE)]
    )
    flat = logits[:, 0].astype(np.float64)
    expected = np.mean(softplus(flat) - targets * flat)
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_label_smoothing_is_one_sided():
    """Smoothing shifts only the real term: by s * mean(real logits) / 2."""
    real, fakes = make_images(seed=0), make_images(seed=1)
    plain = dense_gan()
    smoothed = gan_module.GAN(plain.generator, plain.discriminator, label_smoothing=0.2)
    loss_plain, real_logits, _ = plain._discriminator_loss(real, fakes, None)
    loss_smoothed, _, _ = smoothed._discriminator_loss(real, fakes, None)
    expected_shift = 0.2 * float(np.mean(to_numpy(real_logits))) / 2
    assert float(loss_smoothed) - float(loss_plain) == pytest.approx(
        expected_shift, abs=1e-5
    )


def test_instance_noise_is_added_to_every_discriminator_input():
    discriminator, recorder = recording_discriminator()
    gan = gan_module.GAN(small_generator(), discriminator, instance_noise=0.5, seed=0)
    zeros = np.zeros((BATCH_SIZE, *IMAGE_SHAPE), np.float32)

    gan._discriminator_loss(zeros, zeros, None)
    real_seen, fakes_seen = recorder.seen[-2:]
    # Real and fake batches (D sees them one at a time) are both noisy.
    for seen in (real_seen, fakes_seen):
        assert seen.shape == (BATCH_SIZE, *IMAGE_SHAPE)
        assert seen.std() == pytest.approx(0.5, rel=0.15)

    gan.generator_loss_value(zeros, zeros)
    assert recorder.seen[-1].std() == pytest.approx(0.5, rel=0.1)


def test_without_instance_noise_the_discriminator_sees_the_images():
    discriminator, recorder = recording_discriminator()
    gan = gan_module.GAN(small_generator(), discriminator, seed=0)
    real, fakes = make_images(seed=0), make_images(seed=1)
    gan._discriminator_loss(real, fakes, None)
    np.testing.assert_array_equal(recorder.seen[-2], real)
    np.testing.assert_array_equal(recorder.seen[-1], fakes)


def _rows_in(rows, pool):
    """For each row, whether it equals one of the rows of pool exactly."""
    return np.array([any(np.array_equal(row, other) for other in pool) for row in rows])


def test_experience_replay_buffer_fills_with_the_fakes_oldest_first():
    gan = dense_gan(replay_size=16, replay_fraction=0.5)
    first, second, third = (make_images(seed=s) for s in (1, 2, 3))

    mixed = to_numpy(gan.mix_with_replay(first))
    np.testing.assert_array_equal(mixed, first)  # empty buffer: nothing to replay
    np.testing.assert_array_equal(to_numpy(gan.replay_buffer)[:8], first)
    assert float(gan.replay_count) == 8

    buffer_before = to_numpy(gan.replay_buffer)[:8].copy()
    mixed = to_numpy(gan.mix_with_replay(second))
    assert np.all(_rows_in(mixed, buffer_before) | _rows_in(mixed, second))
    np.testing.assert_array_equal(to_numpy(gan.replay_buffer)[8:], second)
    assert float(gan.replay_count) == 16

    gan.mix_with_replay(third)  # the buffer is full: the oldest rows go
    buffer = to_numpy(gan.replay_buffer)
    np.testing.assert_array_equal(buffer[:8], third)
    np.testing.assert_array_equal(buffer[8:], second)
    assert float(gan.replay_count) == 24


def test_experience_replay_with_fraction_one_replays_every_fake():
    gan = dense_gan(replay_size=16, replay_fraction=1.0)
    gan.mix_with_replay(make_images(seed=1))
    gan.mix_with_replay(make_images(seed=2))
    buffer = to_numpy(gan.replay_buffer).copy()
    current = make_images(seed=3)

    mixed = to_numpy(gan.mix_with_replay(current))

    assert np.all(_rows_in(mixed, buffer))
    assert not np.any(_rows_in(mixed, current))


def test_experience_replay_replaces_about_the_requested_fraction():
    gan = dense_gan(replay_size=256, replay_fraction=0.3)
    gan.mix_with_replay(make_images(200, seed=1))
    current = make_images(200, seed=2)
    mixed = to_numpy(gan.mix_with_replay(current))
    replayed = 1.0 - np.mean(_rows_in(mixed, current))
    assert 0.2 < replayed < 0.4


def test_discriminator_steps_feed_generated_images_to_the_buffer():
    gan = compiled(dense_gan(replay_size=32))
    for step in (1, 2, 3):
        gan.discriminator_step(make_images())
        assert float(gan.replay_count) == step * BATCH_SIZE
    buffer = to_numpy(gan.replay_buffer)
    filled = buffer[: 3 * BATCH_SIZE]
    assert filled.min() >= 0.0 and filled.max() <= 1.0  # sigmoid images
    assert np.all(filled.reshape(len(filled), -1).std(axis=1) > 0)
    np.testing.assert_array_equal(buffer[3 * BATCH_SIZE :], 0.0)  # not used yet


def test_without_replay_mix_returns_the_fakes():
    gan = dense_gan()
    fakes = make_images()
    np.testing.assert_array_equal(to_numpy(gan.mix_with_replay(fakes)), fakes)
    assert not hasattr(gan, "replay_buffer")


def test_feature_matching_loss_is_the_squared_difference_of_mean_features():
    gan = dense_gan(feature_matching=True)
    real, fakes = make_images(seed=0), make_images(seed=1)

    loss = float(gan.generator_loss_value(real, fakes))

    def features(images):
        x = images.reshape(len(images), -1).astype(np.float64)
        for layer in gan.discriminator.layers:
            if isinstance(layer, keras.layers.Dense):
                kernel, bias = (to_numpy(w) for w in layer.weights)
                x = selu(x @ kernel + bias)
                if layer.name == "features":
                    return x
        raise AssertionError("no 'features' layer")

    difference = features(real).mean(axis=0) - features(fakes).mean(axis=0)
    assert loss == pytest.approx(np.mean(difference**2), rel=1e-4)


def test_feature_matching_calls_its_extractor_without_warnings():
    # The extractor is built on discriminator.inputs (a list of one tensor), so
    # Keras warns on every call that the input structure does not match.
    gan = dense_gan(feature_matching=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        gan.generator_loss_value(make_images(seed=0), make_images(seed=1))


def test_feature_matching_generator_step_updates_only_the_generator():
    gan = compiled(dense_gan(feature_matching=True))
    d_before, g_before = snapshot(gan.discriminator), snapshot(gan.generator)
    gan.generator_step(make_images())
    assert same_weights(d_before, snapshot(gan.discriminator))
    assert not same_weights(g_before, snapshot(gan.generator))


@pytest.mark.parametrize("logit", [-4.0, 0.0, 3.0])
def test_generator_losses_for_a_known_logit(logit):
    generator = small_generator()
    discriminator = constant_discriminator(logit)
    fakes = make_images()
    non_saturating = gan_module.GAN(generator, discriminator)
    saturating = gan_module.GAN(generator, discriminator, generator_loss="saturating")
    assert float(non_saturating.generator_loss_value(fakes, fakes)) == pytest.approx(
        softplus(-logit), rel=1e-5
    )
    assert float(saturating.generator_loss_value(fakes, fakes)) == pytest.approx(
        -softplus(logit), rel=1e-5
    )


def test_generator_losses_match_numpy_on_varied_logits():
    gan = dense_gan()
    saturating = gan_module.GAN(
        gan.generator, gan.discriminator, generator_loss="saturating"
    )
    fakes = make_images(seed=5)
    logits = to_numpy(gan.discriminator(fakes)).astype(np.float64)
    assert float(gan.generator_loss_value(fakes, fakes)) == pytest.approx(
        np.mean(softplus(-logits)), rel=1e-5
    )
    assert float(saturating.generator_loss_value(fakes, fakes)) == pytest.approx(
        -np.mean(softplus(logits)), rel=1e-5
    )


# --------------------------------------------------------------------------
# fit(): metrics, d_steps, replay and the fixed-noise callback
# --------------------------------------------------------------------------

N_TRAIN, EPOCHS = 32, 2
N_BATCHES = N_TRAIN // BATCH_SIZE


@pytest.fixture(scope="module")
def trained():
    """A dense GAN with every remedy but unrolling, trained for 2 epochs."""
    gan = compiled(
        dense_gan(
            d_steps=2,
            replay_size=16,
            replay_fraction=0.5,
            label_smoothing=0.1,
            instance_noise=0.05,
            feature_matching=False,
        ),
        learning_rate=3e-2,
    )
    samples = gan_module.FixedNoiseSamples(n_images=4, seed=0)
    every_other = gan_module.FixedNoiseSamples(n_images=3, seed=1, every=2)
    codes = np.random.default_rng(0).standard_normal((4, LATENT_DIM))
    untrained = gan.generator.predict(codes.astype(np.float32), verbose=0)
    seen_by_predict = []
    original_predict = gan.generator.predict

    def recording_predict(inputs, *args, **kwargs):
        seen_by_predict.append(np.array(inputs))
        return original_predict(inputs, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gan.generator, "predict", recording_predict)
        history = gan.fit(
            make_images(N_TRAIN),
            batch_size=BATCH_SIZE,
            epochs=EPOCHS,
            callbacks=[samples, every_other],
            verbose=0,
            shuffle=False,
        )
    return {
        "gan": gan,
        "history": history,
        "samples": samples,
        "every_other": every_other,
        "codes": codes.astype(np.float32),
        "untrained": untrained,
        "seen_by_predict": seen_by_predict,
    }


def test_fit_tracks_the_four_metrics(trained):
    history = trained["history"].history
    assert set(history) == {"d_loss", "g_loss", "d_accuracy_real", "d_accuracy_fake"}
    assert [m.name for m in trained["gan"].metrics] == [
        "d_loss",
        "g_loss",
        "d_accuracy_real",
        "d_accuracy_fake",
    ]
    for name, values in history.items():
        assert len(values) == EPOCHS and all(math.isfinite(v) for v in values), name
    for name in ("d_accuracy_real", "d_accuracy_fake"):
        assert all(0.0 <= v <= 1.0 for v in history[name])


def test_d_steps_two_makes_two_discriminator_updates_per_batch(trained):
    gan = trained["gan"]
    assert int(gan.g_optimizer.iterations) == EPOCHS * N_BATCHES
    assert int(gan.d_optimizer.iterations) == 2 * EPOCHS * N_BATCHES


def test_fit_adds_a_batch_to_the_replay_buffer_per_discriminator_step(trained):
    gan = trained["gan"]
    assert float(gan.replay_count) == 2 * EPOCHS * N_TRAIN
    buffer = to_numpy(gan.replay_buffer)
    assert buffer.min() >= 0.0 and buffer.max() <= 1.0
    assert np.all(buffer.reshape(len(buffer), -1).std(axis=1) > 0)  # all filled


def test_fixed_noise_samples_records_a_frame_per_epoch_and_one_before(trained):
    samples = trained["samples"]
    assert samples.epochs == list(range(EPOCHS + 1))
    assert len(samples.frames) == EPOCHS + 1
    assert all(frame.shape == (4, *IMAGE_SHAPE) for frame in samples.frames)
    np.testing.assert_allclose(samples.frames[0], trained["untrained"], atol=1e-6)
    final = trained["gan"].generator.predict(trained["codes"], verbose=0)
    np.testing.assert_allclose(samples.frames[-1], final, atol=1e-6)
    assert not np.allclose(samples.frames[0], samples.frames[-1])


def test_fixed_noise_samples_uses_the_same_codes_every_time(trained):
    seen = [codes for codes in trained["seen_by_predict"] if codes.shape[0] == 4]
    assert len(seen) == EPOCHS + 1
    for codes in seen:
        np.testing.assert_array_equal(codes, trained["codes"])


def test_fixed_noise_samples_every_two_epochs(trained):
    every_other = trained["every_other"]
    assert every_other.epochs == [0, 2]
    assert [frame.shape for frame in every_other.frames] == [(3, *IMAGE_SHAPE)] * 2


def test_gan_round_trips_through_a_keras_file(trained, tmp_path):
    gan = trained["gan"]
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.models.load_model(path)

    assert type(loaded) is gan_module.GAN
    assert options_of(loaded) == options_of(gan)
    codes = make_codes(5, seed=9)
    np.testing.assert_array_equal(
        to_numpy(loaded.generator(codes)), to_numpy(gan.generator(codes))
    )
    images = make_images(5, seed=9)
    np.testing.assert_array_equal(
        to_numpy(loaded.discriminator(images)), to_numpy(gan.discriminator(images))
    )
    np.testing.assert_array_equal(
        to_numpy(loaded.replay_buffer), to_numpy(gan.replay_buffer)
    )
    assert float(loaded.replay_count) == float(gan.replay_count)
    assert loaded.d_optimizer is not loaded.g_optimizer
    for name in ("d_optimizer", "g_optimizer"):
        original, restored = getattr(gan, name), getattr(loaded, name)
        assert type(restored) is type(original)
        assert float(restored.learning_rate) == pytest.approx(
            float(original.learning_rate)
        )
        assert int(restored.iterations) == int(original.iterations)
        assert len(restored.variables) == len(original.variables)
        for a, b in zip(restored.variables, original.variables, strict=True):
            np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


def test_feature_matching_gan_round_trips_through_a_keras_file(tmp_path):
    gan = dense_gan(feature_matching=True, unroll_steps=2, generator_loss="saturating")
    path = tmp_path / "gan.keras"
    gan.save(path)
    loaded = keras.models.load_model(path)
    assert options_of(loaded) == options_of(gan)
    real, fakes = make_images(seed=0), make_images(seed=1)
    assert float(loaded.generator_loss_value(real, fakes)) == pytest.approx(
        float(gan.generator_loss_value(real, fakes)), rel=1e-6
    )


# --------------------------------------------------------------------------
# the value function
# --------------------------------------------------------------------------


def test_value_function_at_the_equilibrium_is_minus_two_log_two():
    value = gan_module.log_value_function(np.zeros(7), np.zeros(5))
    assert value == pytest.approx(-2 * math.log(2))


def test_value_function_matches_numpy():
    rng = np.random.default_rng(0)
    real_logits, fake_logits = rng.normal(size=(20, 1)), rng.normal(size=30)

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    expected = np.mean(np.log(sigmoid(real_logits))) + np.mean(
        np.log(1 - sigmoid(fake_logits))
    )
    value = gan_module.log_value_function(real_logits, fake_logits)
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-10)


def test_value_function_is_stable_for_confident_logits():
    # A perfect discriminator reaches the maximum, V = 0 ...
    assert gan_module.log_value_function([200.0], [-200.0]) == pytest.approx(0.0)
    # ... and a fooled one goes to -infinity, linearly in the logit.
    value = gan_module.log_value_function([-200.0], [200.0])
    assert math.isfinite(value) and value == pytest.approx(-400.0)


# --------------------------------------------------------------------------
# bad arguments
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parts():
    return small_generator(), gan_module.build_dense_discriminator(IMAGE_SHAPE)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("generator_loss", "minimax"),
        ("generator_loss", None),
        ("d_steps", 0),
        ("d_steps", 1.5),
        ("d_steps", True),
        ("label_smoothing", 1.0),
        ("label_smoothing", -0.1),
        ("label_smoothing", "0.1"),
        ("label_smoothing", True),
        ("instance_noise", -0.1),
        ("instance_noise", float("nan")),
        ("instance_noise", float("inf")),
        ("instance_noise", "0.1"),
        ("instance_noise", True),
        ("replay_size", -1),
        ("replay_size", 2.5),
        ("replay_fraction", 1.5),
        ("replay_fraction", -0.5),
        ("replay_fraction", None),
        ("feature_matching", "yes"),
        ("feature_matching", 1),
        ("unroll_steps", -1),
        ("unroll_steps", 0.5),
    ],
    ids=lambda v: repr(v),
)
def test_gan_rejects_a_bad_option_and_names_it(parts, option, value):
    generator, discriminator = parts
    with pytest.raises((ValueError, TypeError), match=option):
        gan_module.GAN(generator, discriminator, **{option: value})


@pytest.mark.parametrize("which", ["generator", "discriminator"])
def test_gan_rejects_parts_that_are_not_models(parts, which):
    models = dict(zip(("generator", "discriminator"), parts, strict=True))
    models[which] = keras.layers.Dense(1)
    with pytest.raises(TypeError, match=which):
        gan_module.GAN(**models)


def test_gan_rejects_a_generator_that_does_not_fit_the_discriminator(parts):
    with pytest.raises(ValueError, match=r"\(8, 8\).*\(4, 4\)"):
        gan_module.GAN(parts[0], gan_module.build_dense_discriminator((4, 4)))


def test_gan_rejects_a_discriminator_with_more_than_one_logit(parts):
    two_logits = keras.Sequential(
        [keras.Input(IMAGE_SHAPE), keras.layers.Flatten(), keras.layers.Dense(2)]
    )
    with pytest.raises(ValueError, match="one logit"):
        gan_module.GAN(parts[0], two_logits)


def test_feature_matching_needs_a_features_layer(parts):
    with pytest.raises(ValueError, match="'features'"):
        gan_module.GAN(parts[0], constant_discriminator(0.0), feature_matching=True)


def test_compile_rejects_one_optimizer_for_both_players(parts):
    gan = gan_module.GAN(*parts)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    with pytest.raises(ValueError, match="d_optimizer and g_optimizer"):
        gan.compile(d_optimizer=optimizer, g_optimizer=optimizer)


@pytest.mark.parametrize("which", ["d_optimizer", "g_optimizer"])
def test_compile_rejects_an_optimizer_name(parts, which):
    gan = gan_module.GAN(*parts)
    optimizers = {
        "d_optimizer": keras.optimizers.Adam(learning_rate=1e-3),
        "g_optimizer": keras.optimizers.Adam(learning_rate=1e-3),
    }
    optimizers[which] = "adam"
    with pytest.raises(TypeError, match=which):
        gan.compile(**optimizers)


@pytest.mark.parametrize(
    ("n", "error"), [(0, ValueError), (-2, ValueError), (1.5, TypeError)]
)
def test_generate_rejects_a_bad_count(parts, n, error):
    with pytest.raises(error, match="n must"):
        gan_module.GAN(*parts).generate(n)


@pytest.mark.parametrize(
    ("build", "kwargs", "match"),
    [
        (gan_module.build_dense_generator, {"latent_dim": 0}, "latent_dim"),
        (gan_module.build_dense_generator, {"image_shape": (8,)}, "image_shape"),
        (gan_module.build_dense_generator, {"hidden_units": (8, 0)}, "hidden_units"),
        (gan_module.build_dense_discriminator, {"hidden_units": ()}, "hidden_units"),
        (
            gan_module.build_dense_discriminator,
            {"image_shape": (0, 8)},
            r"image_shape\[0\]",
        ),
        (
            gan_module.build_dense_discriminator,
            {"image_shape": (8, 8, 1, 1)},
            "image_shape",
        ),
        (gan_module.build_dcgan_generator, {"upsampling": "nearest"}, "upsampling"),
        (gan_module.build_dcgan_generator, {"image_shape": (30, 30)}, "image_shape"),
        (gan_module.build_dcgan_generator, {"filters": (64,)}, "filters"),
        (gan_module.build_dcgan_generator, {"kernel_size": 0}, "kernel_size"),
        (gan_module.build_dcgan_generator, {"latent_dim": -1}, "latent_dim"),
        (gan_module.build_dcgan_discriminator, {"filters": (8, 8, 8)}, "filters"),
        (gan_module.build_dcgan_discriminator, {"dropout": 1.0}, "dropout"),
        (gan_module.build_dcgan_discriminator, {"image_shape": (8,)}, "image_shape"),
        (gan_module.build_dcgan, {"upsampling": "bilinear"}, "upsampling"),
        (gan_module.build_dense_gan, {"latent_dim": 0}, "latent_dim"),
        (gan_module.build_dense_gan, {"d_steps": 0}, "d_steps"),
    ],
    ids=lambda v: getattr(v, "__name__", None) or repr(v),
)
def test_builders_reject_bad_arguments(build, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_images": 0}, "n_images"),
        ({"every": 0}, "every"),
    ],
)
def test_fixed_noise_samples_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gan_module.FixedNoiseSamples(**kwargs)


def test_fixed_noise_samples_rejects_a_non_integer_count():
    with pytest.raises(TypeError, match="n_images must be a positive integer"):
        gan_module.FixedNoiseSamples(n_images=2.5)


def test_fixed_noise_samples_needs_a_gan():
    callback = gan_module.FixedNoiseSamples()
    callback.set_model(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))
    with pytest.raises(TypeError, match="GAN"):
        callback.on_train_begin()


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.full((8, *IMAGE_SHAPE), np.nan, np.float32), r"x must contain only finite"),
        (
            np.full((8, *IMAGE_SHAPE), 255, np.uint8),
            r"scale_images\(images, '\[0,1\]'\)",
        ),
        (np.zeros((8, 3, 3), np.float32), r"x must have shape \(N, 8, 8\)"),
    ],
)
def test_gan_fit_checks_the_images_before_training(bad, message):
    gan = compiled(dense_gan())
    before = snapshot(gan)
    with pytest.raises(ValueError, match=message):
        gan.fit(bad, epochs=1, verbose=0)
    assert same_weights(before, snapshot(gan))


def test_gan_knows_its_value_range_from_the_generator():
    assert dense_gan().value_range == "[0,1]"
    assert dcgan().value_range == "[-1,1]"
    gan = compiled(dcgan())
    with pytest.raises(ValueError, match=r"x must have values in \[-1,1\]"):
        gan.fit(np.full((8, *gan.image_shape), 2.0, np.float32), verbose=0)


def test_generate_follows_the_global_seed_and_checks_explicit_ones():
    from course_utils import seeding

    gan = dense_gan()
    seeding.reset_seed(0)
    first = gan.generate(2)
    seeding.reset_seed(0)
    np.testing.assert_array_equal(gan.generate(2), first)
    assert not np.array_equal(gan.generate(2), first)
    np.testing.assert_array_equal(gan.generate(2, seed=4), gan.generate(2, seed=4))
    with pytest.raises(ValueError, match=r"seed must be an integer between 0"):
        gan.generate(2, seed=2**32)


def test_log_value_function_rejects_empty_and_non_finite_logits():
    with pytest.raises(ValueError, match=r"real_logits must contain only finite"):
        gan_module.log_value_function([np.nan], [0.0])
    with pytest.raises(ValueError, match=r"fake_logits must hold at least one"):
        gan_module.log_value_function([0.0], [])
