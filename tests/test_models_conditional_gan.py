"""The class-conditional GANs (course_utils.models.conditional_gan).

The conditional GAN and the auxiliary-classifier GAN (AC-GAN) on tiny 8x8 images
with 4-D codes, 3 classes; the models that need ``fit()`` are trained once, in
module fixtures.
"""

import keras
import numpy as np
import pytest
from gan_helpers import (
    BATCH_SIZE,
    IMAGE_SHAPE,
    LATENT_DIM,
    N_CLASSES,
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
from keras import ops

from course_utils.models import conditional_gan as conditional_gan_module
from course_utils.models import gan as gan_module

# --------------------------------------------------------------------------
# conditional builders: shapes and ranges
# --------------------------------------------------------------------------


def test_conditional_generator_outputs_tanh_images():
    generator = conditional_gan_module.build_conditional_generator(
        LATENT_DIM, N_CLASSES, IMAGE_SHAPE
    )
    labels = np.array([0, 1, 2, 0, 1, 2], np.int32)
    images = to_numpy(generator([10.0 * make_codes(6), labels], training=False))
    assert images.shape == (6, *IMAGE_SHAPE)
    assert images.min() >= -1.0 and images.max() <= 1.0


def test_conditional_discriminator_outputs_one_logit_per_image():
    discriminator = conditional_gan_module.build_conditional_discriminator(
        N_CLASSES, IMAGE_SHAPE
    )
    logits = to_numpy(
        discriminator([make_images(5), np.array([0, 1, 2, 0, 1])], training=False)
    )
    assert logits.shape == (5, 1)


# --------------------------------------------------------------------------
# the conditional GAN
# --------------------------------------------------------------------------


def conditional_gan(**options):
    options.setdefault("seed", 1)
    return conditional_gan_module.build_conditional_gan(
        LATENT_DIM, N_CLASSES, IMAGE_SHAPE, **options
    )


@pytest.fixture(scope="module")
def untrained_conditional():
    return conditional_gan()


@pytest.fixture(scope="module")
def trained_conditional():
    # Eager: the graph path of train_step is covered by the dense GAN of
    # test_models_gan.py.
    cgan = compiled(conditional_gan(), run_eagerly=True)
    samples = gan_module.FixedNoiseSamples(n_images=6)
    images = 2 * make_images(16) - 1
    labels = np.arange(16) % N_CLASSES
    history = cgan.fit(
        images, labels, batch_size=BATCH_SIZE, epochs=1, callbacks=[samples], verbose=0
    )
    return cgan, history, samples


def test_conditional_generator_honours_the_label():
    generator = conditional_gan_module.build_conditional_generator(
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
    with pytest.raises((ValueError, TypeError), match="labels"):
        untrained_conditional.generate_for_labels(labels)


@pytest.mark.parametrize("label", [N_CLASSES, -1])
def test_generate_class_rejects_an_unknown_class(untrained_conditional, label):
    with pytest.raises(ValueError, match=r"label must be an integer between 0 and 2"):
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
        conditional_gan_module.ConditionalGAN(
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
    assert type(loaded) is conditional_gan_module.ConditionalGAN
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


@pytest.mark.parametrize(
    "architecture", conditional_gan_module.CONDITIONAL_ARCHITECTURES
)
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
        generator.get_layer(conditional_gan_module.LABEL_EMBEDDING),
        keras.layers.Embedding,
    )
    assert isinstance(
        generator.get_layer(conditional_gan_module.SYNTHESIS), keras.Model
    )
    has_conv = any(
        isinstance(layer, keras.layers.Conv2D) for layer in discriminator.layers
    )
    assert has_conv == (architecture == "dcgan")


@pytest.mark.parametrize(
    "build",
    [
        conditional_gan_module.build_conditional_generator,
        conditional_gan_module.build_conditional_discriminator,
        conditional_gan_module.build_conditional_gan,
    ],
)
def test_conditional_builders_reject_an_unknown_architecture(build):
    with pytest.raises(ValueError, match=r"architecture must be one of .*'conv'"):
        build(architecture="conv")


@pytest.mark.parametrize(
    "architecture", conditional_gan_module.CONDITIONAL_ARCHITECTURES
)
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
    synthesis = cgan.generator.get_layer(conditional_gan_module.SYNTHESIS)
    table = to_numpy(
        cgan.generator.get_layer(conditional_gan_module.LABEL_EMBEDDING).embeddings
    )
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
        (np.full((2, N_CLASSES), np.nan), None, "weights must contain only finite"),
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
    cgan = conditional_gan_module.ConditionalGAN(
        generator,
        conditional_gan_module.build_conditional_discriminator(N_CLASSES, IMAGE_SHAPE),
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
    return conditional_gan_module.build_acgan(
        LATENT_DIM, N_CLASSES, IMAGE_SHAPE, **options
    )


def conditional_generator():
    return conditional_gan_module.build_conditional_generator(
        LATENT_DIM, N_CLASSES, IMAGE_SHAPE
    )


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
    discriminator = conditional_gan_module.build_acgan_discriminator(
        N_CLASSES, IMAGE_SHAPE
    )
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
    assert conditional_gan_module.build_acgan_discriminator().output_shape == [
        (None, 1),
        (None, 10),
    ]


def test_acgan_builder_makes_tanh_images_of_the_requested_classes():
    model = acgan()
    assert isinstance(model, conditional_gan_module.AuxiliaryClassifierGAN)
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


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((2, 4, 4)), r"images must have shape \(N, 8, 8\)"),
        (np.zeros((0, *IMAGE_SHAPE)), r"images must hold at least one"),
        (np.full((2, *IMAGE_SHAPE), np.nan), r"images must contain only finite"),
        (np.full((2, *IMAGE_SHAPE), 255.0), r"images must have values in \[-1,1\]"),
    ],
)
def test_acgan_classify_rejects_images_of_the_wrong_shape(images, message):
    with pytest.raises(ValueError, match=message):
        acgan().classify(images)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_acgan_discriminator_loss_matches_numpy(label_smoothing):
    real, real_class, fake, fake_class, labels = acgan_logits()
    loss = conditional_gan_module.acgan_discriminator_loss(
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
    loss = conditional_gan_module.acgan_generator_loss(fake, fake_class, labels)
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
    assert float(
        conditional_gan_module.acgan_generator_loss(fake, right, labels)
    ) < float(conditional_gan_module.acgan_generator_loss(fake, wrong, labels))


def test_acgan_label_smoothing_shifts_the_real_term_only():
    """As for the GAN: the loss rises by s * mean(real logits) / 2."""
    real, real_class, fake, fake_class, labels = acgan_logits(seed=1)
    plain = conditional_gan_module.acgan_discriminator_loss(
        real, real_class, fake, fake_class, labels
    )
    smoothed = conditional_gan_module.acgan_discriminator_loss(
        real, real_class, fake, fake_class, labels, label_smoothing=0.3
    )
    assert float(smoothed) - float(plain) == pytest.approx(
        0.3 * float(np.mean(real)) / 2, abs=1e-5
    )


@pytest.mark.parametrize("label_smoothing", [1.0, -0.1])
def test_acgan_discriminator_loss_rejects_bad_label_smoothing(label_smoothing):
    with pytest.raises(ValueError, match="label_smoothing"):
        conditional_gan_module.acgan_discriminator_loss(
            *acgan_logits(), label_smoothing=label_smoothing
        )


def test_acgan_calls_its_discriminator_once_on_reals_and_once_on_fakes():
    discriminator, recorder = acgan_recording_discriminator()
    model = conditional_gan_module.AuxiliaryClassifierGAN(
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
        return conditional_gan_module.acgan_discriminator_loss(
            *args, label_smoothing=label_smoothing
        )

    def generator_loss(*args):
        calls["g"] = [tuple(ops.shape(a)) for a in args]
        return 2.0 * conditional_gan_module.acgan_generator_loss(*args)

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
    default = conditional_gan_module.acgan_generator_loss(logits, class_logits, labels)
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
    # exercise check of tests/test_checks_acgan.py.
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
    assert type(loaded) is conditional_gan_module.AuxiliaryClassifierGAN
    assert options_of(loaded) == options_of(model)
    assert options_of(model) == {
        "d_steps": 1,
        "label_smoothing": 0.1,
        "instance_noise": 0.05,
        "seed": 1,
        "name": "gan",
        "n_classes": N_CLASSES,
    }
    assert (
        loaded.discriminator_loss_fn is conditional_gan_module.acgan_discriminator_loss
    )
    assert loaded.generator_loss_fn is conditional_gan_module.acgan_generator_loss
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
        return conditional_gan_module.acgan_generator_loss(
            fake_logits, fake_class_logits, labels
        )

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
        conditional_gan_module.AuxiliaryClassifierGAN(
            conditional_generator(),
            conditional_gan_module.build_conditional_discriminator(
                N_CLASSES, IMAGE_SHAPE
            ),
            N_CLASSES,
        )
    assert "takes 2" in str(info.value) and "predicts it" in str(info.value)


@pytest.mark.parametrize(
    ("discriminator", "match"),
    [
        (
            lambda: conditional_gan_module.build_acgan_discriminator(
                N_CLASSES + 1, IMAGE_SHAPE
            ),
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
        conditional_gan_module.AuxiliaryClassifierGAN(
            conditional_generator(), discriminator(), N_CLASSES
        )


def test_acgan_needs_a_conditional_generator():
    with pytest.raises(ValueError, match=r"two inputs \[codes, labels\]"):
        conditional_gan_module.AuxiliaryClassifierGAN(
            small_generator(),
            conditional_gan_module.build_acgan_discriminator(N_CLASSES, IMAGE_SHAPE),
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
    ids=lambda v: "+".join(v) if isinstance(v, dict) else None,
)
def test_acgan_rejects_bad_options_and_names_them(options, error, match):
    options = {"n_classes": N_CLASSES, **options}
    n_classes = options.pop("n_classes")
    with pytest.raises(error, match=match):
        conditional_gan_module.AuxiliaryClassifierGAN(
            conditional_generator(),
            conditional_gan_module.build_acgan_discriminator(N_CLASSES, IMAGE_SHAPE),
            n_classes,
            **options,
        )


@pytest.mark.parametrize(
    ("n_classes", "error"), [(1, ValueError), (2.5, TypeError), (True, TypeError)]
)
def test_acgan_discriminator_builder_rejects_bad_n_classes(n_classes, error):
    with pytest.raises(
        error, match=rf"n_classes must be an integer >= 2; got {n_classes!r}"
    ):
        conditional_gan_module.build_acgan_discriminator(n_classes)


# --------------------------------------------------------------------------
# bad arguments
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "kwargs", "match"),
    [
        (
            conditional_gan_module.build_conditional_generator,
            {"n_classes": 0},
            "n_classes",
        ),
        (
            conditional_gan_module.build_conditional_generator,
            {"image_shape": (10, 10)},
            "image_shape",
        ),
        (
            conditional_gan_module.build_conditional_discriminator,
            {"n_classes": 0},
            "n_classes",
        ),
        (
            conditional_gan_module.build_conditional_gan,
            {"replay_size": 4},
            "replay_size",
        ),
    ],
    ids=lambda v: getattr(v, "__name__", None) or repr(v),
)
def test_builders_reject_bad_arguments(build, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


@pytest.mark.parametrize(
    "labels, error, message",
    [
        (np.full(8, -1), ValueError, r"y must be integers from 0 to 2 .* -1 to -1"),
        (np.full(8, N_CLASSES), ValueError, r"from 0 to 2 .* got values from 3 to 3"),
        (
            np.eye(N_CLASSES)[np.arange(8) % N_CLASSES],
            ValueError,
            r"y.argmax\(axis=1\)",
        ),
        (np.zeros(8), TypeError, r"y must hold integers .* got dtype float64"),
        (np.zeros(7, int), ValueError, r"one label per image \(8\); got 7"),
    ],
)
@pytest.mark.parametrize("build", [conditional_gan, acgan], ids=["cgan", "acgan"])
def test_conditional_fit_checks_labels_before_training(build, labels, error, message):
    cgan = compiled(build())
    before = snapshot(cgan)
    with pytest.raises(error, match=message):
        cgan.fit(2 * make_images(8) - 1, labels, epochs=1, verbose=0)
    assert same_weights(before, snapshot(cgan))


def test_conditional_fit_checks_images_and_dataset_labels():
    import tensorflow as tf

    cgan = compiled(conditional_gan())
    labels = np.arange(8) % N_CLASSES
    with pytest.raises(ValueError, match=r"x must contain only finite"):
        cgan.fit(np.full((8, *IMAGE_SHAPE), np.nan, np.float32), labels, verbose=0)
    with pytest.raises(ValueError, match=r"x must have values in \[-1,1\]"):
        cgan.fit(np.full((8, *IMAGE_SHAPE), 255, np.uint8), labels, verbose=0)
    dataset = tf.data.Dataset.from_tensor_slices((2 * make_images(8) - 1, labels + 5))
    with pytest.raises(ValueError, match=r"y must be integers from 0 to 2"):
        cgan.fit(dataset.batch(4), epochs=1, verbose=0)


def test_conditional_generation_follows_the_global_seed(untrained_conditional):
    from course_utils import seeding

    cgan = untrained_conditional
    seeding.reset_seed(0)
    images, labels = cgan.generate(4)
    by_label = cgan.generate_for_labels([0, 1])
    seeding.reset_seed(0)
    again, again_labels = cgan.generate(4)
    np.testing.assert_array_equal(again, images)
    np.testing.assert_array_equal(again_labels, labels)
    np.testing.assert_array_equal(cgan.generate_for_labels([0, 1]), by_label)
    with pytest.raises(ValueError, match=r"seed must be an integer between 0"):
        cgan.generate(2, seed=-3)
    with pytest.raises(TypeError, match=r"seed must be an integer"):
        cgan.generate_class(1, n=2, seed=0.5)
