"""The GAN models, their remedies and builders (course_utils.models.gan).

Everything runs on tiny 8x8 images with 4-D codes so that the file stays fast:
the two models that need ``fit()`` are trained once, in module fixtures.
"""

import math
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from course_utils.models import gan as gan_module

LATENT_DIM = 4
IMAGE_SHAPE = (8, 8)
BATCH_SIZE = 8
N_CLASSES = 3


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def make_images(n=BATCH_SIZE, seed=0):
    return np.random.default_rng(seed).random((n, *IMAGE_SHAPE)).astype(np.float32)


def make_codes(n=BATCH_SIZE, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, LATENT_DIM)).astype(np.float32)


def to_numpy(tensor):
    return ops.convert_to_numpy(tensor)


def softplus(x):
    return np.logaddexp(0.0, x)


def selu(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def snapshot(model):
    return [np.array(to_numpy(weight)) for weight in model.trainable_weights]


def same_weights(before, after):
    return all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def small_generator():
    return gan_module.build_dense_generator(
        LATENT_DIM, hidden_units=(8,), image_shape=IMAGE_SHAPE
    )


def dense_gan(**options):
    options.setdefault("seed", 1)
    return gan_module.build_dense_gan(LATENT_DIM, IMAGE_SHAPE, **options)


def dcgan(**options):
    options.setdefault("seed", 1)
    return gan_module.build_dcgan(LATENT_DIM, IMAGE_SHAPE, **options)


def compiled(gan, learning_rate=1e-2, **kwargs):
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        g_optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        **kwargs,
    )
    return gan


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


class InputRecorder(keras.layers.Layer):
    """The identity, which keeps a copy of every batch it sees (eager only)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs):
        self.seen.append(np.array(to_numpy(inputs)))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


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


def options_of(gan):
    config = gan.get_config()
    return {k: v for k, v in config.items() if k not in ("generator", "discriminator")}


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


def test_conditional_generator_outputs_tanh_images():
    generator = gan_module.build_conditional_generator(
        LATENT_DIM, N_CLASSES, IMAGE_SHAPE
    )
    labels = np.array([0, 1, 2, 0, 1, 2], np.int32)
    images = to_numpy(generator([10.0 * make_codes(6), labels], training=False))
    assert images.shape == (6, *IMAGE_SHAPE)
    assert images.min() >= -1.0 and images.max() <= 1.0


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


def test_conditional_discriminator_outputs_one_logit_per_image():
    discriminator = gan_module.build_conditional_discriminator(N_CLASSES, IMAGE_SHAPE)
    logits = to_numpy(
        discriminator([make_images(5), np.array([0, 1, 2, 0, 1])], training=False)
    )
    assert logits.shape == (5, 1)


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
# the conditional GAN
# --------------------------------------------------------------------------


def conditional_gan(**options):
    options.setdefault("seed", 1)
    return gan_module.build_conditional_gan(
        LATENT_DIM, N_CLASSES, IMAGE_SHAPE, **options
    )


@pytest.fixture(scope="module")
def untrained_conditional():
    return conditional_gan()


@pytest.fixture(scope="module")
def trained_conditional():
    # Eager: the graph path of train_step is covered by the dense GAN above.
    cgan = compiled(conditional_gan(), run_eagerly=True)
    samples = gan_module.FixedNoiseSamples(n_images=6)
    images = 2 * make_images(16) - 1
    labels = np.arange(16) % N_CLASSES
    history = cgan.fit(
        images, labels, batch_size=BATCH_SIZE, epochs=1, callbacks=[samples], verbose=0
    )
    return cgan, history, samples


def test_conditional_generator_honours_the_label():
    generator = gan_module.build_conditional_generator(
        LATENT_DIM, N_CLASSES, IMAGE_SHAPE
    )
    codes = np.repeat(make_codes(1), N_CLASSES, axis=0)
    images = to_numpy(generator([codes, np.arange(N_CLASSES)], training=False))
    for i in range(N_CLASSES):
        for j in range(i):
            assert np.abs(images[i] - images[j]).max() > 1e-4


def test_conditional_gan_generates_for_labels(untrained_conditional):
    cgan = untrained_conditional
    assert cgan.n_classes == N_CLASSES
    assert cgan.generate_for_labels([0, 2, 1, 1]).shape == (4, *IMAGE_SHAPE)
    assert cgan.generate_class(2, n=3).shape == (3, *IMAGE_SHAPE)
    images, labels = cgan.generate(5, seed=0)
    assert images.shape == (5, *IMAGE_SHAPE)
    assert labels.shape == (5,) and labels.min() >= 0 and labels.max() < N_CLASSES
    assert images.min() >= -1.0 and images.max() <= 1.0


@pytest.mark.parametrize("labels", [[3], [-1], [[0, 1]], [], [0.5, 1.0]], ids=str)
def test_conditional_gan_rejects_bad_labels(untrained_conditional, labels):
    with pytest.raises(ValueError, match="labels"):
        untrained_conditional.generate_for_labels(labels)


@pytest.mark.parametrize("label", [N_CLASSES, -1])
def test_generate_class_rejects_an_unknown_class(untrained_conditional, label):
    with pytest.raises(ValueError, match="labels"):
        untrained_conditional.generate_class(label, n=2)


def test_conditional_gan_trains_on_images_and_labels(trained_conditional):
    cgan, history, samples = trained_conditional
    assert set(history.history) == {
        "d_loss",
        "g_loss",
        "d_accuracy_real",
        "d_accuracy_fake",
    }
    assert int(cgan.g_optimizer.iterations) == 2
    assert int(cgan.d_optimizer.iterations) == 2
    assert samples.epochs == [0, 1]
    assert all(frame.shape == (6, *IMAGE_SHAPE) for frame in samples.frames)


def test_conditional_gan_rejects_unlabeled_images():
    cgan = compiled(conditional_gan(), run_eagerly=True)
    with pytest.raises(ValueError, match=r"\(images, labels\)"):
        cgan.fit(make_images(8), batch_size=BATCH_SIZE, epochs=1, verbose=0)


def test_conditional_gan_rejects_experience_replay():
    with pytest.raises(ValueError, match="replay_size"):
        conditional_gan(replay_size=8)


def test_conditional_gan_needs_two_inputs_per_player():
    with pytest.raises(ValueError, match="two inputs"):
        gan_module.ConditionalGAN(
            small_generator(),
            gan_module.build_dense_discriminator(IMAGE_SHAPE),
            n_classes=N_CLASSES,
        )


def test_conditional_gan_round_trips_through_a_keras_file(
    trained_conditional, tmp_path
):
    cgan = trained_conditional[0]
    path = tmp_path / "cgan.keras"
    cgan.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is gan_module.ConditionalGAN
    assert options_of(loaded) == options_of(cgan)
    assert loaded.n_classes == N_CLASSES
    inputs = [make_codes(6, seed=2), np.arange(6) % N_CLASSES]
    np.testing.assert_array_equal(
        to_numpy(loaded.generator(inputs, training=False)),
        to_numpy(cgan.generator(inputs, training=False)),
    )
    for name in ("d_optimizer", "g_optimizer"):
        original, restored = getattr(cgan, name), getattr(loaded, name)
        assert int(restored.iterations) == int(original.iterations)
        for a, b in zip(restored.variables, original.variables, strict=True):
            np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


@pytest.mark.parametrize("architecture", gan_module.CONDITIONAL_ARCHITECTURES)
def test_conditional_builders_make_each_architecture(architecture):
    cgan = conditional_gan(architecture=architecture)
    generator, discriminator = cgan.generator, cgan.discriminator
    labels = np.array([0, 1, 2, 0, 1], np.int32)
    images = to_numpy(generator([make_codes(5), labels], training=False))
    assert images.shape == (5, *IMAGE_SHAPE)
    assert images.min() >= -1.0 and images.max() <= 1.0
    logits = to_numpy(discriminator([images, labels], training=False))
    assert logits.shape == (5, 1)
    assert discriminator.get_layer("features") is not None
    assert isinstance(
        generator.get_layer(gan_module.LABEL_EMBEDDING), keras.layers.Embedding
    )
    assert isinstance(generator.get_layer(gan_module.SYNTHESIS), keras.Model)
    has_conv = any(
        isinstance(layer, keras.layers.Conv2D) for layer in discriminator.layers
    )
    assert has_conv == (architecture == "dcgan")


@pytest.mark.parametrize(
    "build",
    [
        gan_module.build_conditional_generator,
        gan_module.build_conditional_discriminator,
        gan_module.build_conditional_gan,
    ],
)
def test_conditional_builders_reject_an_unknown_architecture(build):
    with pytest.raises(ValueError, match=r"architecture must be one of .*'conv'"):
        build(architecture="conv")


@pytest.mark.parametrize("architecture", gan_module.CONDITIONAL_ARCHITECTURES)
def test_one_hot_label_weights_give_the_labels_images(architecture):
    cgan = conditional_gan(architecture=architecture)
    codes = make_codes(4, seed=5)
    labels = np.array([2, 0, 1, 2])
    from_weights = cgan.generate_for_label_weights(np.eye(N_CLASSES)[labels], codes)
    from_labels = to_numpy(cgan.generator([codes, labels], training=False))
    np.testing.assert_allclose(from_weights, from_labels, atol=1e-5)


def test_label_weights_mix_the_embedding_vectors(untrained_conditional):
    cgan = untrained_conditional
    codes = np.repeat(make_codes(1, seed=6), 3, axis=0)
    weights = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])
    images = cgan.generate_for_label_weights(weights, codes)
    synthesis = cgan.generator.get_layer(gan_module.SYNTHESIS)
    table = to_numpy(cgan.generator.get_layer(gan_module.LABEL_EMBEDDING).embeddings)
    middle = to_numpy(
        synthesis([codes[:1], (table[0:1] + table[1:2]) / 2], training=False)
    )
    np.testing.assert_allclose(images[1], middle[0], atol=1e-5)
    assert np.abs(images[1] - images[0]).max() > 1e-5
    assert np.abs(images[1] - images[2]).max() > 1e-5
    drawn = cgan.generate_for_label_weights(weights, seed=3)
    again = cgan.generate_for_label_weights(weights, seed=3)
    np.testing.assert_array_equal(drawn, again)


@pytest.mark.parametrize(
    ("weights", "codes", "match"),
    [
        (np.ones((2, N_CLASSES + 1)), None, r"weights must have shape \(N, 3\)"),
        (np.ones(N_CLASSES), None, r"weights must have shape"),
        (np.ones((0, N_CLASSES)), None, r"weights must have shape"),
        (np.full((2, N_CLASSES), np.nan), None, "weights must be finite"),
        (np.ones((2, N_CLASSES)), np.ones((3, LATENT_DIM)), r"codes must have shape"),
        (np.ones((2, N_CLASSES)), np.ones((2, LATENT_DIM + 1)), r"codes must have"),
    ],
)
def test_label_weights_reject_bad_arguments(
    untrained_conditional, weights, codes, match
):
    with pytest.raises(ValueError, match=match):
        untrained_conditional.generate_for_label_weights(weights, codes)


def test_label_weights_need_an_embedding_and_a_synthesis_model():
    codes = keras.Input((LATENT_DIM,))
    labels = keras.Input((), dtype="int32")
    vectors = keras.layers.Embedding(N_CLASSES, 4)(labels)
    hidden = keras.layers.Concatenate()([codes, vectors])
    pixels = keras.layers.Dense(int(np.prod(IMAGE_SHAPE)), activation="tanh")(hidden)
    generator = keras.Model([codes, labels], keras.layers.Reshape(IMAGE_SHAPE)(pixels))
    cgan = gan_module.ConditionalGAN(
        generator,
        gan_module.build_conditional_discriminator(N_CLASSES, IMAGE_SHAPE),
        N_CLASSES,
    )
    with pytest.raises(ValueError, match="'label_embedding' layer and a 'synthesis'"):
        cgan.generate_for_label_weights(np.eye(N_CLASSES))


def test_dense_conditional_gan_round_trips_through_a_keras_file(tmp_path):
    cgan = conditional_gan(architecture="dense")
    path = tmp_path / "dense_cgan.keras"
    cgan.save(path)
    loaded = keras.models.load_model(path)
    weights = np.eye(N_CLASSES)[[0, 1, 2]]
    codes = make_codes(3, seed=4)
    np.testing.assert_allclose(
        loaded.generate_for_label_weights(weights, codes),
        cgan.generate_for_label_weights(weights, codes),
        atol=1e-6,
    )


# --------------------------------------------------------------------------
# the auxiliary-classifier GAN
# --------------------------------------------------------------------------


def acgan(**options):
    options.setdefault("seed", 1)
    return gan_module.build_acgan(LATENT_DIM, N_CLASSES, IMAGE_SHAPE, **options)


def conditional_generator():
    return gan_module.build_conditional_generator(LATENT_DIM, N_CLASSES, IMAGE_SHAPE)


def labelled_images(n=BATCH_SIZE, seed=0):
    """Images in [-1, 1] whose class is the row band that is lit, and labels."""
    labels = np.arange(n) % N_CLASSES
    images = np.full((n, *IMAGE_SHAPE), -1.0, np.float32)
    for image, label in zip(images, labels, strict=True):
        image[3 * label : 3 * label + 2] = 1.0
    noise = 0.1 * np.random.default_rng(seed).standard_normal(images.shape)
    return np.clip(images + noise, -1, 1).astype(np.float32), labels


def acgan_logits(n=BATCH_SIZE, seed=0):
    rng = np.random.default_rng(seed)
    return (
        2 * rng.standard_normal((n, 1)).astype(np.float32),
        2 * rng.standard_normal((n, N_CLASSES)).astype(np.float32),
        2 * rng.standard_normal((n, 1)).astype(np.float32),
        2 * rng.standard_normal((n, N_CLASSES)).astype(np.float32),
        rng.integers(0, N_CLASSES, n),
    )


def numpy_cross_entropy(labels, class_logits):
    class_logits = class_logits.astype(np.float64)
    log_norm = np.logaddexp.reduce(class_logits, axis=1)
    return np.mean(log_norm - class_logits[np.arange(len(labels)), labels])


def numpy_bce(target, logits):
    logits = logits.astype(np.float64)
    return np.mean(softplus(logits) - target * logits)


def acgan_recording_discriminator():
    """An AC-GAN discriminator (one input, two heads) that records its inputs."""
    recorder = InputRecorder()
    images = keras.Input(IMAGE_SHAPE)
    features = keras.layers.Flatten()(recorder(images))
    outputs = [keras.layers.Dense(1)(features), keras.layers.Dense(N_CLASSES)(features)]
    return keras.Model(images, outputs, name="discriminator"), recorder


def test_acgan_discriminator_has_a_logit_and_a_class_head():
    discriminator = gan_module.build_acgan_discriminator(N_CLASSES, IMAGE_SHAPE)
    assert len(discriminator.inputs) == 1
    logits, class_logits = discriminator(make_images(5), training=False)
    assert to_numpy(logits).shape == (5, 1)
    assert to_numpy(class_logits).shape == (5, N_CLASSES)
    for name in ("logit", "class_logits"):  # logits: no sigmoid, no softmax
        assert discriminator.get_layer(name).activation is keras.activations.linear
    assert discriminator.get_layer("features") is not None
    kinds = [type(layer).__name__ for layer in discriminator.layers]
    assert kinds.count("Conv2D") == 2 and kinds.count("LeakyReLU") == 2
    assert "BatchNormalization" in kinds and "Dropout" in kinds
    assert gan_module.build_acgan_discriminator().output_shape == [
        (None, 1),
        (None, 10),
    ]


def test_acgan_builder_makes_tanh_images_of_the_requested_classes():
    model = acgan()
    assert isinstance(model, gan_module.AuxiliaryClassifierGAN)
    assert model.latent_dim == LATENT_DIM and model.n_classes == N_CLASSES
    images = model.generate_for_labels([0, 2, 1, 1, 0], seed=0)
    assert images.shape == (5, *IMAGE_SHAPE)
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert model.generate_class(2, n=3).shape == (3, *IMAGE_SHAPE)
    images, labels = model.generate(4, seed=0)
    assert images.shape == (4, *IMAGE_SHAPE) and labels.shape == (4,)
    assert labels.min() >= 0 and labels.max() < N_CLASSES
    np.testing.assert_array_equal(images, model.generate(4, seed=0)[0])


def test_acgan_classify_returns_class_probabilities():
    model = acgan()
    probabilities = model.classify(make_images(5))
    assert probabilities.shape == (5, N_CLASSES)
    assert probabilities.min() >= 0.0
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    _, class_logits = model.discriminator(make_images(5), training=False)
    np.testing.assert_allclose(
        probabilities, to_numpy(ops.softmax(class_logits)), rtol=1e-4, atol=1e-6
    )


@pytest.mark.parametrize("images", [np.zeros((2, 4, 4)), np.zeros((0, *IMAGE_SHAPE))])
def test_acgan_classify_rejects_images_of_the_wrong_shape(images):
    with pytest.raises(ValueError, match=r"images must be an array of shape \(N, 8"):
        acgan().classify(images)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_acgan_discriminator_loss_matches_numpy(label_smoothing):
    real, real_class, fake, fake_class, labels = acgan_logits()
    loss = gan_module.acgan_discriminator_loss(
        real, real_class, fake, fake_class, labels, label_smoothing=label_smoothing
    )
    adversarial = (numpy_bce(1 - label_smoothing, real) + numpy_bce(0.0, fake)) / 2
    classes = (
        numpy_cross_entropy(labels, real_class)
        + numpy_cross_entropy(labels, fake_class)
    ) / 2
    assert tuple(ops.shape(loss)) == ()
    assert float(loss) == pytest.approx(adversarial + classes, rel=1e-5)


def test_acgan_generator_loss_matches_numpy():
    _, _, fake, fake_class, labels = acgan_logits(seed=3)
    loss = gan_module.acgan_generator_loss(fake, fake_class, labels)
    expected = np.mean(softplus(-fake.astype(np.float64))) + numpy_cross_entropy(
        labels, fake_class
    )
    assert tuple(ops.shape(loss)) == ()
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_acgan_generator_loss_rewards_fakes_classified_as_their_label():
    fake = np.zeros((2, 1), np.float32)
    labels = np.array([0, 2])
    right = np.array([[5.0, 0, 0], [0, 0, 5.0]], np.float32)
    wrong = np.array([[0, 5.0, 0], [5.0, 0, 0]], np.float32)
    assert float(gan_module.acgan_generator_loss(fake, right, labels)) < float(
        gan_module.acgan_generator_loss(fake, wrong, labels)
    )


def test_acgan_label_smoothing_shifts_the_real_term_only():
    """As for the GAN: the loss rises by s * mean(real logits) / 2."""
    real, real_class, fake, fake_class, labels = acgan_logits(seed=1)
    plain = gan_module.acgan_discriminator_loss(
        real, real_class, fake, fake_class, labels
    )
    smoothed = gan_module.acgan_discriminator_loss(
        real, real_class, fake, fake_class, labels, label_smoothing=0.3
    )
    assert float(smoothed) - float(plain) == pytest.approx(
        0.3 * float(np.mean(real)) / 2, abs=1e-5
    )


@pytest.mark.parametrize("label_smoothing", [1.0, -0.1])
def test_acgan_discriminator_loss_rejects_bad_label_smoothing(label_smoothing):
    with pytest.raises(ValueError, match="label_smoothing"):
        gan_module.acgan_discriminator_loss(
            *acgan_logits(), label_smoothing=label_smoothing
        )


def test_acgan_calls_its_discriminator_once_on_reals_and_once_on_fakes():
    discriminator, recorder = acgan_recording_discriminator()
    model = gan_module.AuxiliaryClassifierGAN(
        conditional_generator(), discriminator, N_CLASSES, instance_noise=0.5, seed=0
    )
    zeros = np.zeros((BATCH_SIZE, *IMAGE_SHAPE), np.float32)
    labels = np.arange(BATCH_SIZE) % N_CLASSES

    model._discriminator_loss(zeros, zeros, labels)

    assert len(recorder.seen) == 2
    for seen in recorder.seen:  # each batch on its own, with instance noise
        assert seen.shape == (BATCH_SIZE, *IMAGE_SHAPE)
        assert seen.std() == pytest.approx(0.5, rel=0.15)


def test_acgan_loss_functions_get_the_outputs_of_both_heads():
    calls = {}

    def discriminator_loss(*args, label_smoothing=0.0):
        calls["d"] = [tuple(ops.shape(a)) for a in args], label_smoothing
        return gan_module.acgan_discriminator_loss(
            *args, label_smoothing=label_smoothing
        )

    def generator_loss(*args):
        calls["g"] = [tuple(ops.shape(a)) for a in args]
        return 2.0 * gan_module.acgan_generator_loss(*args)

    model = acgan(
        discriminator_loss_fn=discriminator_loss,
        generator_loss_fn=generator_loss,
        label_smoothing=0.1,
    )
    images, labels = labelled_images()
    fakes = model._generate(BATCH_SIZE, labels, training=False)
    model._discriminator_loss(images, fakes, labels)
    loss = model.generator_loss_value(images, fakes, labels)

    batch, classes = (BATCH_SIZE, 1), (BATCH_SIZE, N_CLASSES)
    assert calls["d"] == ([batch, classes, batch, classes, (BATCH_SIZE,)], 0.1)
    assert calls["g"] == [batch, classes, (BATCH_SIZE,)]
    logits, class_logits = model.discriminator(fakes, training=True)
    default = gan_module.acgan_generator_loss(logits, class_logits, labels)
    assert float(loss) == pytest.approx(2 * float(default), rel=0.2)  # dropout


def test_acgan_generator_step_leaves_the_discriminator_unchanged():
    model = compiled(acgan())
    images, labels = labelled_images()
    d_before, g_before = snapshot(model.discriminator), snapshot(model.generator)

    loss = model.generator_step(images, labels)

    assert np.isfinite(float(loss))
    assert same_weights(d_before, snapshot(model.discriminator))
    assert not same_weights(g_before, snapshot(model.generator))
    assert int(model.g_optimizer.iterations) == 1
    assert int(model.d_optimizer.iterations) == 0


def test_acgan_discriminator_step_leaves_the_generator_unchanged():
    model = compiled(acgan())
    images, labels = labelled_images()
    d_before, g_before = snapshot(model.discriminator), snapshot(model.generator)

    loss, *accuracies = model.discriminator_step(images, labels)

    assert float(loss) > 0
    assert len(accuracies) == 3
    assert all(0.0 <= float(accuracy) <= 1.0 for accuracy in accuracies)
    assert same_weights(g_before, snapshot(model.generator))
    assert not same_weights(d_before, snapshot(model.discriminator))
    assert int(model.d_optimizer.iterations) == 1
    assert int(model.g_optimizer.iterations) == 0


ACGAN_EPOCHS = 6


@pytest.fixture(scope="module")
def trained_acgan():
    """An AC-GAN trained on one batch of 3 easy classes, one step per epoch."""
    keras.utils.set_random_seed(0)
    # Eager (cheaper here); the graph path of train_step is covered by the
    # exercise check of tests/test_checks.py.
    model = compiled(
        acgan(label_smoothing=0.1, instance_noise=0.05), 3e-3, run_eagerly=True
    )
    images, labels = labelled_images(12)
    _, class_logits = model.discriminator(images, training=False)
    class_loss_before = numpy_cross_entropy(labels, to_numpy(class_logits))
    samples = gan_module.FixedNoiseSamples(n_images=6, every=ACGAN_EPOCHS)
    history = model.fit(
        images,
        labels,
        batch_size=12,
        epochs=ACGAN_EPOCHS,
        callbacks=[samples],
        shuffle=False,
        verbose=0,
    )
    return model, history.history, class_loss_before, samples


def test_acgan_fit_tracks_six_metrics(trained_acgan):
    model, history, _, samples = trained_acgan
    assert set(history) == {
        "d_loss",
        "g_loss",
        "d_accuracy_real",
        "d_accuracy_fake",
        "d_class_accuracy_real",
        "g_class_accuracy",
    }
    assert all(np.all(np.isfinite(values)) for values in history.values())
    assert int(model.d_optimizer.iterations) == ACGAN_EPOCHS
    assert int(model.g_optimizer.iterations) == ACGAN_EPOCHS
    assert samples.epochs == [0, ACGAN_EPOCHS]


def test_acgan_training_teaches_the_class_head(trained_acgan):
    model, history, class_loss_before, _ = trained_acgan
    images, labels = labelled_images(12)
    # Training mode: after a few steps the batch-norm moving averages are
    # still far from the batch statistics.
    _, class_logits = model.discriminator(images, training=True)
    class_loss_after = numpy_cross_entropy(labels, to_numpy(class_logits))
    assert class_loss_after < 0.7 * class_loss_before
    accuracy = history["d_class_accuracy_real"]
    assert np.mean(accuracy[-3:]) > np.mean(accuracy[:3])
    assert np.mean(accuracy[-3:]) >= 0.9


def test_acgan_round_trips_through_a_keras_file(trained_acgan, tmp_path):
    model = trained_acgan[0]
    path = tmp_path / "acgan.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is gan_module.AuxiliaryClassifierGAN
    assert options_of(loaded) == options_of(model)
    assert options_of(model) == {
        "d_steps": 1,
        "label_smoothing": 0.1,
        "instance_noise": 0.05,
        "seed": 1,
        "name": "gan",
        "n_classes": N_CLASSES,
    }
    assert loaded.discriminator_loss_fn is gan_module.acgan_discriminator_loss
    assert loaded.generator_loss_fn is gan_module.acgan_generator_loss
    inputs = [make_codes(6, seed=2), np.arange(6) % N_CLASSES]
    np.testing.assert_array_equal(
        to_numpy(loaded.generator(inputs, training=False)),
        to_numpy(model.generator(inputs, training=False)),
    )
    images = make_images(6, seed=3)
    for a, b in zip(
        loaded.discriminator(images, training=False),
        model.discriminator(images, training=False),
        strict=True,
    ):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    np.testing.assert_array_equal(loaded.classify(images), model.classify(images))
    for name in ("d_optimizer", "g_optimizer"):
        original, restored = getattr(model, name), getattr(loaded, name)
        assert int(restored.iterations) == int(original.iterations)


def test_acgan_with_custom_losses_saves_weights_but_not_a_keras_file(tmp_path):
    def my_generator_loss(fake_logits, fake_class_logits, labels):
        return gan_module.acgan_generator_loss(fake_logits, fake_class_logits, labels)

    model = acgan(generator_loss_fn=my_generator_loss)
    with pytest.raises(ValueError, match="generator_loss_fn=my_generator_loss") as info:
        model.save(tmp_path / "acgan.keras")
    assert "save_weights" in str(info.value)
    assert "cannot be saved" in str(info.value)

    path = tmp_path / "acgan.weights.h5"
    model.save_weights(path)
    restored = acgan(generator_loss_fn=my_generator_loss, seed=7)
    restored.load_weights(path)
    images = make_images(4)
    np.testing.assert_array_equal(restored.classify(images), model.classify(images))


def test_acgan_needs_labels():
    model = compiled(acgan(), run_eagerly=True)
    with pytest.raises(ValueError, match=r"\(images, labels\)"):
        model.fit(make_images(8), batch_size=BATCH_SIZE, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="labels"):
        model.generator_step(make_images(8))


def test_acgan_rejects_a_conditional_gan_discriminator():
    with pytest.raises(ValueError, match="conditional GAN's discriminator") as info:
        gan_module.AuxiliaryClassifierGAN(
            conditional_generator(),
            gan_module.build_conditional_discriminator(N_CLASSES, IMAGE_SHAPE),
            N_CLASSES,
        )
    assert "takes 2" in str(info.value) and "predicts it" in str(info.value)


@pytest.mark.parametrize(
    ("discriminator", "match"),
    [
        (
            lambda: gan_module.build_acgan_discriminator(N_CLASSES + 1, IMAGE_SHAPE),
            r"n_classes=3\)\]; it outputs \[\(batch, 1\), \(batch, 4\)\]",
        ),
        (
            lambda: gan_module.build_dcgan_discriminator(IMAGE_SHAPE, filters=(4, 8)),
            r"two outputs.*it outputs \[\(batch, 1\)\]",
        ),
    ],
    ids=["class-head-size", "one-output"],
)
def test_acgan_rejects_a_discriminator_with_the_wrong_heads(discriminator, match):
    with pytest.raises(ValueError, match=match):
        gan_module.AuxiliaryClassifierGAN(
            conditional_generator(), discriminator(), N_CLASSES
        )


def test_acgan_needs_a_conditional_generator():
    with pytest.raises(ValueError, match=r"two inputs \[codes, labels\]"):
        gan_module.AuxiliaryClassifierGAN(
            small_generator(),
            gan_module.build_acgan_discriminator(N_CLASSES, IMAGE_SHAPE),
            N_CLASSES,
        )


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"replay_size": 8}, ValueError, "replay_size=8 is not available"),
        ({"feature_matching": True}, ValueError, "feature_matching=True"),
        ({"unroll_steps": 2}, ValueError, "unroll_steps=2"),
        ({"generator_loss": "saturating"}, ValueError, "'saturating' is not avail"),
        ({"n_classes": 1}, ValueError, "n_classes must be an integer >= 2; got 1"),
        ({"discriminator_loss_fn": "bce"}, TypeError, "discriminator_loss_fn must"),
        ({"generator_loss_fn": 3}, TypeError, "generator_loss_fn must be a function"),
        (
            {
                "discriminator_loss_fn": lambda *args: args[0],
                "label_smoothing": 0.1,
            },
            ValueError,
            "label_smoothing keyword",
        ),
        ({"d_steps": 0}, ValueError, "d_steps"),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else None,
)
def test_acgan_rejects_bad_options_and_names_them(options, error, match):
    options = {"n_classes": N_CLASSES, **options}
    n_classes = options.pop("n_classes")
    with pytest.raises(error, match=match):
        gan_module.AuxiliaryClassifierGAN(
            conditional_generator(),
            gan_module.build_acgan_discriminator(N_CLASSES, IMAGE_SHAPE),
            n_classes,
            **options,
        )


@pytest.mark.parametrize("n_classes", [1, 2.5, True])
def test_acgan_discriminator_builder_rejects_bad_n_classes(n_classes):
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        gan_module.build_acgan_discriminator(n_classes)


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


@pytest.mark.parametrize("n", [0, -2, 1.5])
def test_generate_rejects_a_bad_count(parts, n):
    with pytest.raises(ValueError, match="n must"):
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
        (gan_module.build_conditional_generator, {"n_classes": 0}, "n_classes"),
        (
            gan_module.build_conditional_generator,
            {"image_shape": (10, 10)},
            "image_shape",
        ),
        (gan_module.build_conditional_discriminator, {"n_classes": 0}, "n_classes"),
        (gan_module.build_conditional_gan, {"replay_size": 4}, "replay_size"),
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
        ({"n_images": 2.5}, "n_images"),
    ],
)
def test_fixed_noise_samples_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gan_module.FixedNoiseSamples(**kwargs)


def test_fixed_noise_samples_needs_a_gan():
    callback = gan_module.FixedNoiseSamples()
    callback.set_model(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))
    with pytest.raises(TypeError, match="GAN"):
        callback.on_train_begin()
