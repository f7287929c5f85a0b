"""The exercise checks (course_utils.checks) name each problem in plain words.

Every test builds a deliberately broken model or function (one problem each)
and asserts that ``check_conv_vae`` / ``check_acgan`` / ``check_ddim_step``
reports that problem, and that a correct one passes. Models are tiny and the
images synthetic, so the few training steps are quick; tests about one loss
function's message skip the AC-GAN training run, and the DDIM step's sampling
run uses a tiny untrained diffusion model, never the checkpoint.
"""

import math
import re
import types

import keras
import numpy as np
import pytest
from keras import ops

from course_utils import checks
from course_utils.models import conditional_gan as conditional_gan_module
from course_utils.models import diffusion as diffusion_module
from course_utils.models import gan as gan_module
from course_utils.models import vae as vae_module

N_STEPS = 15
LEARNING_RATE = 1e-2  # tiny models, few steps: learn fast


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    # Four "garments" (filled rectangles, ink 1 on a 0 background) with a little
    # noise: mostly black and white like Fashion-MNIST, so a VAE learns fast.
    prototypes = np.zeros((4, 28, 28))
    for prototype, (top, left, bottom, right) in zip(
        prototypes,
        [(4, 8, 24, 20), (2, 4, 26, 12), (10, 2, 18, 26), (6, 6, 22, 22)],
        strict=True,
    ):
        prototype[top:bottom, left:right] = 1.0
    noise = 0.1 * rng.random((32, 28, 28))
    return np.abs(prototypes[rng.integers(0, 4, 32)] - noise).astype(np.float32)


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)


def run_check(build_fn, images, **kwargs):
    kwargs.setdefault("n_steps", N_STEPS)
    kwargs.setdefault("learning_rate", LEARNING_RATE)
    return checks.check_conv_vae(build_fn, images=images, **kwargs)


def conv_parts(
    latent_dim,
    *,
    encoder_convs=2,
    input_shape=(28, 28),
    output_activation="sigmoid",
    reshape_output=True,
    extra_encoder_output=False,
):
    """A small conv encoder (``encoder_convs`` strided Conv2D) and a decoder
    with one Conv2DTranspose: 3 conv layers with the defaults."""
    images = keras.Input(input_shape)
    features = keras.layers.Reshape((28, 28, 1))(images)
    for filters in (4, 8)[:encoder_convs]:
        features = keras.layers.Conv2D(
            filters, 3, strides=2, padding="same", activation="relu"
        )(features)
    features = keras.layers.Flatten()(features)
    features = keras.layers.Dense(16, activation="relu")(features)
    mean = keras.layers.Dense(latent_dim)(features)
    log_var = keras.layers.Dense(latent_dim)(features)
    outputs = [mean, log_var]
    if extra_encoder_output:
        outputs.append(keras.layers.Add()([mean, log_var]))
    encoder = keras.Model(images, outputs, name="encoder")

    codes = keras.Input((latent_dim,))
    hidden = keras.layers.Dense(14 * 14 * 4, activation="relu")(codes)
    hidden = keras.layers.Reshape((14, 14, 4))(hidden)
    pixels = keras.layers.Conv2DTranspose(
        1, 3, strides=2, padding="same", activation=output_activation
    )(hidden)
    if reshape_output:
        pixels = keras.layers.Reshape(input_shape)(pixels)
    decoder = keras.Model(codes, pixels, name="decoder")
    return encoder, decoder


def build_good(latent_dim):
    return vae_module.VAE(*conv_parts(latent_dim), seed=1)


class CustomLossVAE(vae_module.VAE):
    """A VAE whose loss terms a subclass can get wrong, one at a time."""

    def kl_term(self, mean, log_var):
        return vae_module.kl_to_standard_normal(mean, log_var)

    def reconstruction_term(self, images, decoded):
        return self.negative_log_likelihood(images, decoded)

    def code(self, mean, log_var):
        return self.sampling([mean, log_var])

    def call(self, inputs, training=None):
        mean, log_var = self.encoder(inputs, training=training)
        return self.decoder(self.code(mean, log_var), training=training)

    def compute_losses(self, images, training=False):
        mean, log_var = self.encoder(images, training=training)
        decoded = self.decoder(self.code(mean, log_var), training=training)
        images = ops.cast(images, decoded.dtype)
        reconstruction = ops.mean(self.reconstruction_term(images, decoded))
        kl = ops.mean(self.kl_term(mean, log_var))
        return {
            "loss": reconstruction + self.beta * kl,
            "reconstruction_loss": reconstruction,
            "kl_loss": kl,
        }


def builder(cls, **part_kwargs):
    def build_my_conv_vae(latent_dim):
        return cls(*conv_parts(latent_dim, **part_kwargs), seed=1)

    return build_my_conv_vae


# --- a correct model passes ----------------------------------------------------


def test_a_correct_conv_vae_passes(images):
    result = run_check(build_good, images)
    assert result.passed, str(result)
    assert result.messages == []
    assert bool(result)
    text = str(result)
    assert "passed" in text
    assert "3 convolutional layer(s)" in text
    assert "matches the closed form" in text


def test_an_encoder_decoder_pair_is_accepted(images):
    result = run_check(conv_parts, images, latent_dim=3)
    assert result.passed, str(result)


def test_a_correct_subclass_with_its_own_loss_passes(images):
    result = run_check(builder(CustomLossVAE), images)
    assert result.passed, str(result)


# --- the function itself --------------------------------------------------------


def test_unfilled_todo_blanks_are_reported():
    def build_my_conv_vae(latent_dim):
        encoder = ...  # TODO
        decoder = ...  # TODO
        return vae_module.VAE(encoder, decoder)

    result = checks.check_conv_vae(build_my_conv_vae, images=np.zeros((4, 28, 28)))
    assert not result.passed
    (message,) = result.messages
    assert message.startswith("build_my_conv_vae(2) raised TypeError")
    assert "TODO" in message


def test_a_function_that_raises_is_reported_with_its_error():
    def build_my_conv_vae(latent_dim):
        raise RuntimeError("boom")

    result = checks.check_conv_vae(build_my_conv_vae, images=np.zeros((4, 28, 28)))
    (message,) = result.messages
    assert "raised RuntimeError: boom" in message
    assert "in a cell of its own" in message


@pytest.mark.parametrize(
    ("returned", "match"),
    [
        (None, "returned None.*forget the return statement"),
        ("a VAE", "returned str 'a VAE'.*cu.models.vae.VAE"),
        ((1, 2), "returned tuple"),
    ],
)
def test_a_wrong_return_type_is_reported(returned, match):
    result = checks.check_conv_vae(
        lambda latent_dim: returned, images=np.zeros((4, 28, 28))
    )
    (message,) = result.messages
    assert re.search(match, message), message


def test_a_plain_keras_model_is_not_a_vae():
    def build_my_conv_vae(latent_dim):
        encoder, decoder = conv_parts(latent_dim)
        inputs = keras.Input((28, 28))
        return keras.Model(inputs, decoder(encoder(inputs)[0]), name="plain")

    result = checks.check_conv_vae(build_my_conv_vae, images=np.zeros((4, 28, 28)))
    (message,) = result.messages
    assert "not a cu.models.vae.VAE" in message
    assert "no sampling and no KL term" in message


# --- shapes -----------------------------------------------------------------------


def test_an_encoder_that_also_outputs_the_code_is_reported():
    # keras-io's example encoder outputs [mean, log_var, z]; the VAE samples z.
    result = checks.check_conv_vae(
        lambda latent_dim: conv_parts(latent_dim, extra_encoder_output=True),
        images=np.zeros((4, 28, 28)),
    )
    (message,) = result.messages
    assert "does not fit together" in message
    assert "encoder must output two tensors" in message
    assert "not the sampled code" in message


def test_a_wrong_latent_size_is_reported(images):
    result = run_check(lambda latent_dim: build_good(3), images, latent_dim=2)
    (message,) = result.messages
    assert "shapes (8, 3) and (8, 3)" in message
    assert "must be (8, 2)" in message


def test_images_with_a_channel_axis_are_reported(images):
    def build_my_conv_vae(latent_dim):
        encoder, decoder = conv_parts(
            latent_dim, input_shape=(28, 28, 1), reshape_output=False
        )
        return vae_module.VAE(encoder, decoder)

    result = run_check(build_my_conv_vae, images)
    (message,) = result.messages
    assert "(batch, 28, 28, 1)" in message
    assert "keras.layers.Reshape((28, 28, 1))" in message


def test_decoder_outputs_outside_zero_one_are_reported(images):
    result = run_check(builder(vae_module.VAE, output_activation=None), images)
    assert any("must lie in [0, 1]" in m and "sigmoid" in m for m in result.messages), (
        result.messages
    )


# --- convolutional layers -----------------------------------------------------------


def test_too_many_conv_layers_are_reported(images):
    result = run_check(
        lambda latent_dim: vae_module.build_conv_vae(
            latent_dim=latent_dim, filters=(4, 8), dense_units=16, seed=1
        ),
        images,
    )
    (message,) = result.messages
    assert "5 convolutional layers" in message
    assert "at most 3 in total" in message
    assert "Conv2DTranspose" in message


def test_a_limit_of_two_conv_layers_can_be_set(images):
    result = run_check(build_good, images, max_conv_layers=2)
    (message,) = result.messages
    assert "3 convolutional layers" in message and "at most 2" in message


def test_a_dense_vae_is_not_a_conv_vae(images):
    result = run_check(
        lambda latent_dim: vae_module.build_dense_vae(
            latent_dim=latent_dim, hidden_units=(16,), seed=1
        ),
        images,
    )
    (message,) = result.messages
    assert "no convolutional layer" in message


# --- sampling, training, loss terms ---------------------------------------------------


class NoSamplingVAE(CustomLossVAE):
    def code(self, mean, log_var):
        return mean


class WrongSignKLVAE(CustomLossVAE):
    def kl_term(self, mean, log_var):
        return -vae_module.kl_to_standard_normal(mean, log_var)


class AveragedKLVAE(CustomLossVAE):
    def kl_term(self, mean, log_var):
        latent_dim = ops.cast(ops.shape(mean)[-1], mean.dtype)
        return vae_module.kl_to_standard_normal(mean, log_var) / latent_dim


class AveragedReconstructionVAE(CustomLossVAE):
    def reconstruction_term(self, images, decoded):
        return self.negative_log_likelihood(images, decoded) / 784.0


class NoUpdateVAE(vae_module.VAE):
    def train_step(self, data):
        return self._update_trackers(self.compute_losses(data, training=True))


def test_a_model_that_does_not_sample_is_reported(images):
    result = run_check(builder(NoSamplingVAE), images)
    (message,) = result.messages
    assert "identical" in message and "does not sample" in message
    assert "z = mean + exp(log_var / 2) * eps" in message


def test_a_kl_term_with_the_wrong_sign_is_reported(images):
    result = run_check(builder(WrongSignKLVAE), images)
    first, *consequences = result.messages
    assert "KL term" in first and "sign is wrong" in first
    # Maximising the KL makes the loss run off; that is reported as a consequence.
    assert all("consequence of a problem above" in m for m in consequences)


def test_a_kl_term_averaged_over_latent_dimensions_is_reported(images):
    result = run_check(builder(AveragedKLVAE), images, latent_dim=4)
    (message,) = result.messages
    assert "averaged over the 4 latent dimensions instead of summed" in message


def test_a_reconstruction_averaged_over_pixels_is_reported(images):
    result = run_check(builder(AveragedReconstructionVAE), images)
    assert any("averaged over pixels" in m for m in result.messages), result.messages


def test_a_loss_that_does_not_go_down_is_reported(images):
    result = run_check(builder(NoUpdateVAE), images)
    (message,) = result.messages
    assert f"did not go down over {N_STEPS} training steps" in message
    assert "apply_gradients" in message


def test_a_frozen_model_is_reported(images):
    def build_my_conv_vae(latent_dim):
        model = build_good(latent_dim)
        model.encoder.trainable = False
        model.decoder.trainable = False
        return model

    result = run_check(build_my_conv_vae, images)
    (message,) = result.messages
    assert "no trainable weights" in message


# --- reporting ----------------------------------------------------------------------


def test_raise_on_failure_raises_an_assertion_error_with_the_report():
    with pytest.raises(checks.ExerciseCheckError, match="returned None") as info:
        checks.check_conv_vae(
            lambda latent_dim: None,
            images=np.zeros((4, 28, 28)),
            raise_on_failure=True,
        )
    assert isinstance(info.value, AssertionError)
    assert info.value.result.passed is False


def test_the_report_lists_problems_then_what_is_fine():
    result = checks.CheckResult(
        "check_conv_vae", "build", False, ["first", "second"], ["shapes"]
    )
    assert str(result).splitlines() == [
        "check_conv_vae(build): 2 problems to fix",
        "  1. first",
        "  2. second",
        "What is already fine:",
        "  - shapes",
    ]
    assert repr(result) == str(result)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"build_fn": "build"}, TypeError, "build_fn must be a function"),
        ({"latent_dim": 0}, ValueError, "latent_dim must be an integer >= 1; got 0"),
        ({"latent_dim": 2.0}, TypeError, "latent_dim must be an integer"),
        ({"max_conv_layers": 0}, ValueError, "max_conv_layers"),
        ({"n_steps": 2}, ValueError, "n_steps must be an integer >= 6"),
        (
            {"learning_rate": 0.0},
            ValueError,
            "learning_rate must be a finite number > 0",
        ),
        ({"learning_rate": "fast"}, TypeError, "learning_rate"),
        ({"raise_on_failure": 1}, TypeError, "raise_on_failure must be True or False"),
        ({"images": np.zeros((4, 28, 28, 1))}, ValueError, r"shape \(N, 28, 28\)"),
        ({"images": np.full((4, 28, 28), 255.0)}, ValueError, r"values in \[0, 1\]"),
        ({"images": np.zeros((1, 28, 28))}, ValueError, "N >= 2"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, error, match):
    arguments = {"build_fn": build_good, "images": np.zeros((4, 28, 28))}
    arguments.update(kwargs)
    build_fn = arguments.pop("build_fn")
    with pytest.raises(error, match=match):
        checks.check_conv_vae(build_fn, **arguments)


# === check_acgan ===================================================================

ACGAN_CLASSES = 3


def acgan_batch(n=18, n_classes=ACGAN_CLASSES, seed=0):
    """Images in [-1, 1] whose class is the horizontal band that is lit."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % n_classes
    images = np.full((n, 28, 28), -1.0, np.float32)
    height = 28 // n_classes
    for image, label in zip(images, labels, strict=True):
        image[height * label : height * (label + 1)] = 1.0
    noise = 0.1 * rng.standard_normal(images.shape)
    return np.clip(images + noise, -1, 1).astype(np.float32), labels


def tiny_discriminator(n_classes, *, logit_activation=None, class_activation=None):
    images = keras.Input((28, 28))
    features = keras.layers.Flatten()(images)
    features = keras.layers.Dense(16)(features)
    features = keras.layers.LeakyReLU(0.2)(features)
    logit = keras.layers.Dense(1, activation=logit_activation)(features)
    class_logits = keras.layers.Dense(n_classes, activation=class_activation)(features)
    return keras.Model(images, [logit, class_logits], name="discriminator")


def bce(target, logits, from_logits=True):
    targets = ops.full_like(logits, target)
    return ops.mean(ops.binary_crossentropy(targets, logits, from_logits=from_logits))


def ce(labels, class_logits, from_logits=True):
    return ops.mean(
        ops.sparse_categorical_crossentropy(
            labels, class_logits, from_logits=from_logits
        )
    )


def good_d_loss(real_logits, real_class_logits, fake_logits, fake_class_logits, y):
    adversarial = (bce(1.0, real_logits) + bce(0.0, fake_logits)) / 2
    return adversarial + (ce(y, real_class_logits) + ce(y, fake_class_logits)) / 2


def good_g_loss(fake_logits, fake_class_logits, labels):
    return ops.mean(ops.softplus(-fake_logits)) + ce(labels, fake_class_logits)


def run_acgan_check(
    build=tiny_discriminator, d_loss=good_d_loss, g_loss=good_g_loss, **kwargs
):
    images, labels = acgan_batch()
    kwargs.setdefault("n_classes", ACGAN_CLASSES)
    kwargs.setdefault("n_steps", 5)
    return checks.check_acgan(
        build, d_loss, g_loss, images=images, labels=labels, **kwargs
    )


@pytest.fixture
def no_training(monkeypatch):
    """Skip the training run: these tests are about one function's messages."""
    monkeypatch.setattr(checks, "_check_acgan_training", lambda *args: None)


def test_the_reference_acgan_passes():
    result = run_acgan_check(
        conditional_gan_module.build_acgan_discriminator,
        conditional_gan_module.acgan_discriminator_loss,
        conditional_gan_module.acgan_generator_loss,
        raise_on_failure=True,
    )
    assert result.passed and result.messages == []
    text = str(result)
    assert text.startswith(
        "check_acgan(build_acgan_discriminator, acgan_discriminator_loss, "
        "acgan_generator_loss): passed"
    )
    assert "matches acgan_discriminator_loss" in text
    assert "matches acgan_generator_loss" in text
    assert "losses stayed finite and the class head learned" in text


def test_learner_functions_written_with_keras_ops_pass(no_training):
    result = run_acgan_check()
    assert result.passed, str(result)
    assert len(result.notes) == 3


# --- the discriminator ---------------------------------------------------------------


def two_input_discriminator(n_classes):
    return conditional_gan_module.build_conditional_discriminator(n_classes)


def one_output_discriminator(n_classes):
    return gan_module.build_dcgan_discriminator(filters=(4, 8))


def swapped_heads_discriminator(n_classes):
    model = tiny_discriminator(n_classes)
    return keras.Model(model.inputs[0], model.outputs[::-1])


def ten_classes_discriminator(n_classes):
    return tiny_discriminator(10)


def channel_axis_discriminator(n_classes):
    images = keras.Input((28, 28, 1))
    features = keras.layers.Flatten()(images)
    return keras.Model(
        images,
        [keras.layers.Dense(1)(features), keras.layers.Dense(n_classes)(features)],
    )


def merged_heads_discriminator(n_classes):
    images = keras.Input((28, 28))
    return keras.Model(
        images, keras.layers.Dense(n_classes + 1)(keras.layers.Flatten()(images))
    )


class SubclassedSoftmaxDiscriminator(keras.Model):
    """Applies the softmax in call(): only the values can give it away."""

    def __init__(self, n_classes):
        super().__init__()
        self.flatten = keras.layers.Flatten()
        self.logit = keras.layers.Dense(1)
        self.class_logits = keras.layers.Dense(n_classes)

    def call(self, images):
        features = self.flatten(images)
        return self.logit(features), ops.softmax(self.class_logits(features))


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (
            two_input_discriminator,
            ["two inputs", "conditional GAN's discriminator", "PREDICT the class"],
        ),
        (one_output_discriminator, ["one tensor of shape (8, 1)", "second head"]),
        (merged_heads_discriminator, ["(8, 4)", "two separate Dense heads"]),
        (swapped_heads_discriminator, ["[class_logits, logit]", "order must be"]),
        (ten_classes_discriminator, ["10 units for n_classes=3", "Dense(n_classes)"]),
        (channel_axis_discriminator, ["(batch, 28, 28, 1)", "Reshape((28, 28, 1))"]),
        (lambda n_classes: None, ["returned None", "return statement"]),
        (lambda n_classes: "model", ["returned str", "keras.Model"]),
    ],
    ids=[
        "two-inputs",
        "one-output",
        "merged-heads",
        "swapped",
        "fixed-10",
        "channel-axis",
        "none",
        "str",
    ],
)
def test_discriminator_problems_are_explained_and_stop_the_check(build, words):
    # Broken losses too: nothing after the discriminator is checked.
    result = run_acgan_check(build, lambda *args: None, lambda *args: None)
    (message,) = result.messages
    for word in words:
        assert word in message, message


def test_a_discriminator_builder_that_raises_is_reported():
    def build_discriminator(n_classes):
        features = ...  # TODO
        return keras.Model(features)

    result = run_acgan_check(build_discriminator)
    (message,) = result.messages
    assert message.startswith("build_discriminator(3) raised")
    assert "TODO" in message


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (
            lambda n: tiny_discriminator(n, class_activation="softmax"),
            ["class head outputs probabilities", "applies a softmax", "logits"],
        ),
        (
            lambda n: SubclassedSoftmaxDiscriminator(n),
            ["class head outputs probabilities", "sums to 1", "from_logits=True"],
        ),
        (
            lambda n: tiny_discriminator(n, logit_activation="sigmoid"),
            ["looks like a probability", "applies a sigmoid", "Dense(1)"],
        ),
    ],
    ids=["softmax-layer", "softmax-values", "sigmoid-logit"],
)
def test_probabilities_out_of_the_discriminator_are_explained(build, words):
    result = run_acgan_check(build)
    (message,) = result.messages
    for word in words:
        assert word in message, message


def test_both_probability_heads_are_reported_at_once():
    result = run_acgan_check(
        lambda n: tiny_discriminator(
            n, logit_activation="sigmoid", class_activation="softmax"
        )
    )
    assert len(result.messages) == 2


def test_the_reference_discriminator_does_not_look_like_probabilities(no_training):
    for seed in range(3):
        keras.utils.set_random_seed(seed)
        result = run_acgan_check(conditional_gan_module.build_acgan_discriminator)
        assert result.passed, str(result)


# --- the loss functions ------------------------------------------------------------


def d_no_class_on_fakes(rl, rc, fl, fc, y):
    return (bce(1.0, rl) + bce(0.0, fl)) / 2 + ce(y, rc)


def d_no_class_on_reals(rl, rc, fl, fc, y):
    return (bce(1.0, rl) + bce(0.0, fl)) / 2 + ce(y, fc) / 2


def d_no_class(rl, rc, fl, fc, y):
    return (bce(1.0, rl) + bce(0.0, fl)) / 2


def d_no_adversarial(rl, rc, fl, fc, y):
    return (ce(y, rc) + ce(y, fc)) / 2


def d_swapped(rl, rc, fl, fc, y):
    return (bce(0.0, rl) + bce(1.0, fl)) / 2 + (ce(y, rc) + ce(y, fc)) / 2


# Written out by hand: Keras's cross-entropies recognise a tensor made by
# ops.sigmoid / ops.softmax and use its logits, which hides the mistake.
def sigmoid(x):
    return 1.0 / (1.0 + ops.exp(-x))


def softmax(x):
    e = ops.exp(x - ops.max(x, axis=1, keepdims=True))
    return e / ops.sum(e, axis=1, keepdims=True)


def d_sigmoid_twice(rl, rc, fl, fc, y):
    return good_d_loss(sigmoid(rl), rc, sigmoid(fl), fc, y)


def d_softmax_twice(rl, rc, fl, fc, y):
    return good_d_loss(rl, softmax(rc), fl, softmax(fc), y)


def d_not_from_logits(rl, rc, fl, fc, y):
    adversarial = (bce(1.0, rl, False) + bce(0.0, fl, False)) / 2
    return adversarial + (ce(y, rc) + ce(y, fc)) / 2


def d_summed_over_batch(rl, rc, fl, fc, y):
    n = ops.cast(ops.shape(rl)[0], "float32")
    return n * good_d_loss(rl, rc, fl, fc, y)


def d_terms_added(rl, rc, fl, fc, y):
    return bce(1.0, rl) + bce(0.0, fl) + ce(y, rc) + ce(y, fc)


def d_sign_flipped(rl, rc, fl, fc, y):
    # The value function, which D maximises: log D(x) + log(1 - D(G(z))).
    return -good_d_loss(rl, rc, fl, fc, y)


def d_class_sign_flipped(rl, rc, fl, fc, y):
    return (bce(1.0, rl) + bce(0.0, fl)) / 2 - (ce(y, rc) + ce(y, fc)) / 2


def d_unknown(rl, rc, fl, fc, y):
    return 0.7 * good_d_loss(rl, rc, fl, fc, y)


@pytest.mark.parametrize(
    ("d_loss", "words"),
    [
        (d_no_class_on_fakes, ["class term on the FAKE images is missing"]),
        (d_no_class_on_reals, ["class term on the REAL images is missing"]),
        (d_no_class, ["class term is missing", "plain GAN loss"]),
        (d_no_adversarial, ["adversarial (real/fake) term is missing"]),
        (d_swapped, ["real and fake targets are swapped"]),
        (d_sigmoid_twice, ["treats the logits as probabilities", "from_logits=True"]),
        (d_softmax_twice, ["applies a sigmoid / softmax before a loss"]),
        (d_not_from_logits, ["treats the logits as probabilities"]),
        (d_summed_over_batch, ["sums over the batch instead of averaging"]),
        (d_terms_added, ["adds the real and fake terms instead of averaging"]),
        (d_sign_flipped, ["sign is flipped"]),
        (d_class_sign_flipped, ["sign of the class term is flipped", "MISclassify"]),
        (d_unknown, ["Compare your function with the formula", "(BCE(1, real"]),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_discriminator_loss_mistakes_are_named(no_training, d_loss, words):
    result = run_acgan_check(d_loss=d_loss)
    (message,) = result.messages
    assert message.startswith(f"{d_loss.__name__}(real_logits, real_class_logits")
    assert "acgan_discriminator_loss returns" in message
    for word in words:
        assert word in message, message


def g_no_class(fl, fc, y):
    return ops.mean(ops.softplus(-fl))


def g_class_sign_flipped(fl, fc, y):
    return ops.mean(ops.softplus(-fl)) - ce(y, fc)


def g_saturating(fl, fc, y):
    # log(1 - D(G(z))), written with the probabilities.
    return ops.mean(ops.log(1.0 - ops.sigmoid(fl))) + ce(y, fc)


def g_no_adversarial(fl, fc, y):
    return ce(y, fc)


def g_fake_target(fl, fc, y):
    return bce(0.0, fl) + ce(y, fc)


def g_sigmoid_twice(fl, fc, y):
    return bce(1.0, sigmoid(fl)) + ce(y, fc)


def g_summed(fl, fc, y):
    return ops.sum(ops.softplus(-fl)) + ops.sum(
        ops.sparse_categorical_crossentropy(y, fc, from_logits=True)
    )


def g_sign_flipped(fl, fc, y):
    return -good_g_loss(fl, fc, y)


@pytest.mark.parametrize(
    ("g_loss", "words"),
    [
        (g_no_class, ["class term is missing", "CE(labels, fake_class_logits)"]),
        (g_class_sign_flipped, ["wrong sign", "maximise the classifier's error"]),
        (g_saturating, ["saturating loss log(1 - D(G(z)))", "non-saturating"]),
        (g_no_adversarial, ["adversarial term is missing"]),
        (g_fake_target, ["discriminator's target for the fakes (0)"]),
        (g_sigmoid_twice, ["treats the logits as probabilities"]),
        (g_summed, ["sums over the batch instead of averaging"]),
        (g_sign_flipped, ["sign is flipped"]),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_generator_loss_mistakes_are_named(no_training, g_loss, words):
    result = run_acgan_check(g_loss=g_loss)
    (message,) = result.messages
    assert message.startswith(f"{g_loss.__name__}(fake_logits, fake_class_logits")
    assert "acgan_generator_loss returns" in message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_the_diagnosed_mistakes_give_distinct_values(n_classes):
    tensors = checks._loss_inputs(n_classes)
    parts = checks._loss_parts(tensors)
    d_args = [tensors[k] for k in ("real_logits", "real_class_logits")]
    d_args += [tensors[k] for k in ("fake_logits", "fake_class_logits", "labels")]
    g_args = [tensors[k] for k in ("fake_logits", "fake_class_logits", "labels")]
    for mistakes, reference in (
        (
            checks._d_loss_mistakes(parts),
            conditional_gan_module.acgan_discriminator_loss(*d_args),
        ),
        (
            checks._g_loss_mistakes(parts),
            conditional_gan_module.acgan_generator_loss(*g_args),
        ),
    ):
        values = [float(ops.convert_to_numpy(reference))]
        values += [value for value, _ in mistakes]
        for i, a in enumerate(values):  # the reference first, then each mistake
            for b in values[i + 1 :]:
                assert abs(a - b) > 10 * checks._LOSS_RTOL * max(1.0, abs(a), abs(b))


def numpy_loss(*args):
    return float(np.mean(np.asarray(args[0])))


def per_example_loss(fl, fc, y):
    return ops.softplus(-fl)[:, 0] + ops.sparse_categorical_crossentropy(
        y, fc, from_logits=True
    )


def nan_loss(fl, fc, y):
    return ops.mean(ops.log(ops.sigmoid(fl) - 2.0))


def unfinished_loss(fl, fc, y):
    adversarial = ...  # TODO
    return adversarial + ce(y, fc)


@pytest.mark.parametrize(
    ("g_loss", "words"),
    [
        (numpy_loss, ["returned float", "NumPy", "cannot differentiate"]),
        (per_example_loss, ["shape (16,)", "must be one number", "ops.mean"]),
        (nan_loss, ["returned nan"]),
        (unfinished_loss, ["unfinished_loss(fake_logits", "raised", "TODO"]),
        (lambda fl, fc, y: None, ["returned None", "return statement"]),
    ],
    ids=["numpy", "per-example", "nan", "todo", "none"],
)
def test_unusable_loss_values_are_explained_and_skip_training(g_loss, words):
    result = run_acgan_check(g_loss=g_loss)  # would fail if it trained: it can't
    (message,) = result.messages
    for word in words:
        assert word in message, message


# --- the training run ----------------------------------------------------------------


def test_a_class_head_that_does_not_learn_is_reported_as_a_consequence():
    result = run_acgan_check(d_loss=d_class_sign_flipped)
    loss_message, training_message = result.messages
    assert "sign of the class term is flipped" in loss_message
    assert "the class head classifies only" in training_message
    assert "consequence of a problem above" in training_message


def test_a_frozen_discriminator_is_reported():
    def build_discriminator(n_classes):
        model = tiny_discriminator(n_classes)
        model.trainable = False
        return model

    result = run_acgan_check(build_discriminator)
    (message,) = result.messages
    assert "no trainable weights" in message


def test_the_default_batch_is_fashion_mnist_in_minus_one_one(monkeypatch):
    from course_utils import data

    calls = []
    rng = np.random.default_rng(0)
    fake = types.SimpleNamespace(
        x_train=rng.uniform(-1, 1, (300, 28, 28)).astype(np.float32),
        y_train=np.arange(300) % 10,
    )

    def load_fashion_mnist(**kwargs):
        calls.append(kwargs)
        return fake

    monkeypatch.setattr(data, "load_fashion_mnist", load_fashion_mnist)
    images, labels = checks._check_labelled_images(None, None, 4)
    assert calls[0]["value_range"] == "[-1,1]"
    assert images.shape == (64, 28, 28) and labels.shape == (64,)
    assert labels.max() == 3  # only the classes asked for
    np.testing.assert_array_equal(images, fake.x_train[fake.y_train < 4][:64])


# --- reporting and arguments ---------------------------------------------------------


def test_acgan_raise_on_failure_raises_with_the_report(no_training):
    with pytest.raises(checks.ExerciseCheckError, match="sign is flipped") as info:
        run_acgan_check(d_loss=d_sign_flipped, raise_on_failure=True)
    assert info.value.result.passed is False
    assert "check_acgan(tiny_discriminator, d_sign_flipped" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"build": "build"}, TypeError, "build_discriminator must be a function"),
        ({"d_loss": 1.0}, TypeError, "discriminator_loss must be a function"),
        ({"g_loss": None}, TypeError, "generator_loss must be a function"),
        ({"n_classes": 1}, ValueError, "n_classes must be an integer >= 2; got 1"),
        ({"n_classes": 3.0}, TypeError, "n_classes must be an integer"),
        ({"n_steps": 2}, ValueError, "n_steps must be an integer >= 5"),
        ({"raise_on_failure": "yes"}, TypeError, "raise_on_failure"),
        ({"images": np.zeros((18, 28, 28, 1))}, ValueError, r"shape \(N, 28, 28\)"),
        ({"images": np.full((18, 28, 28), 2.0)}, ValueError, r"values in \[-1,1\]"),
        ({"labels": None}, ValueError, "go together.*labels=None"),
        ({"images": None}, ValueError, "go together.*images=None"),
        ({"labels": np.zeros(5, int)}, ValueError, "one label per image"),
        ({"labels": np.zeros(18)}, TypeError, "labels must hold integers"),
        (
            {"labels": np.full(18, 3)},
            ValueError,
            r"labels must be integers from 0 to 2",
        ),
    ],
    ids=lambda v: repr(v)[:40] if isinstance(v, dict) else None,
)
def test_check_acgan_rejects_bad_arguments(kwargs, error, match):
    images, labels = acgan_batch()
    arguments = {
        "build": tiny_discriminator,
        "d_loss": good_d_loss,
        "g_loss": good_g_loss,
        "n_classes": ACGAN_CLASSES,
        "images": images,
        "labels": labels,
    }
    arguments.update(kwargs)
    functions = [arguments.pop(key) for key in ("build", "d_loss", "g_loss")]
    with pytest.raises(error, match=match):
        checks.check_acgan(*functions, **arguments)


# === check_ddim_step ===============================================================


@pytest.fixture(scope="module")
def tiny_diffusion():
    """An untrained conditional diffusion model, small enough to sample in 1 s."""
    return diffusion_module.build_diffusion(
        channels=(8, 16), embedding_dim=16, n_classes=10, seed=0
    )


def my_ddim_step(x_t, predicted_noise, alpha_bar_t, alpha_bar_prev):
    x0 = (x_t - np.sqrt(1 - alpha_bar_t) * predicted_noise) / np.sqrt(alpha_bar_t)
    x0 = np.clip(x0, -1, 1)
    eps = (x_t - np.sqrt(alpha_bar_t) * x0) / np.sqrt(1 - alpha_bar_t)
    return np.sqrt(alpha_bar_prev) * x0 + np.sqrt(1 - alpha_bar_prev) * eps


def float32_step(x_t, predicted_noise, alpha_bar_t, alpha_bar_prev):
    a, a_prev = np.float32(alpha_bar_t), np.float32(alpha_bar_prev)
    x_t, eps = x_t.astype(np.float32), predicted_noise.astype(np.float32)
    x0 = np.clip((x_t - np.sqrt(1 - a) * eps) / np.sqrt(a), -1, 1)
    eps = (x_t - np.sqrt(a) * x0) / np.sqrt(1 - a)
    return np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps


def keras_ops_step(x_t, predicted_noise, alpha_bar_t, alpha_bar_prev):
    x0 = ops.clip(
        (x_t - math.sqrt(1 - alpha_bar_t) * predicted_noise) / math.sqrt(alpha_bar_t),
        -1,
        1,
    )
    eps = (x_t - math.sqrt(alpha_bar_t) * x0) / math.sqrt(1 - alpha_bar_t)
    return math.sqrt(alpha_bar_prev) * x0 + math.sqrt(1 - alpha_bar_prev) * eps


def run_ddim_check(step_fn, model, **kwargs):
    kwargs.setdefault("verbose", False)
    return checks.check_ddim_step(step_fn, model, **kwargs)


@pytest.mark.parametrize(
    "step_fn", [my_ddim_step, float32_step, keras_ops_step], ids=lambda f: f.__name__
)
def test_a_correct_ddim_step_passes(tiny_diffusion, step_fn):
    result = run_ddim_check(step_fn, tiny_diffusion, raise_on_failure=True)
    assert result.passed and result.messages == []
    text = str(result)
    assert text.startswith(f"check_ddim_step({step_fn.__name__}): passed")
    assert "matches the package's (reverse_step with eta = 0) on 5 random" in text
    assert "8 images sampled in 20 steps with your step match model.sample(8" in text


def test_ddim_check_works_with_an_unconditional_model_of_100_steps():
    network = diffusion_module.build_unet(channels=(8, 16), embedding_dim=16, groups=4)
    model = diffusion_module.Diffusion(network, total_steps=100)
    result = run_ddim_check(my_ddim_step, model, raise_on_failure=True)
    assert "match model.sample(8, steps=20, seed=0)" in str(result)


def test_the_check_reproduces_the_package_sampler(tiny_diffusion):
    # The check's own loop, run with the package's step, gives sample's images.
    calls = []

    def package_step(x_t, predicted_noise, alpha_bar_t, alpha_bar_prev):
        calls.append((x_t.dtype, alpha_bar_t, alpha_bar_prev))
        return diffusion_module.reverse_step(
            x_t, predicted_noise, alpha_bar_t, alpha_bar_prev, 0.0, 0.0
        )[0]

    result = run_ddim_check(package_step, tiny_diffusion)
    assert result.passed, str(result)
    sampling = calls[len(checks._ddim_cases()) :]
    assert len(sampling) == 20
    assert all(dtype == np.float32 for dtype, _, _ in sampling)
    steps = diffusion_module.sampling_steps(tiny_diffusion.total_steps, 20)
    assert [a for _, a, _ in sampling] == [
        float(tiny_diffusion.alpha_bar[t]) for t in steps
    ]
    assert [a for _, _, a in sampling] == [
        float(tiny_diffusion.alpha_bar[t]) for t in steps[1:]
    ] + [1.0]
    assert "largest difference 0" in str(result)  # the very same arithmetic


def test_verbose_prints_a_short_message_on_success_only(tiny_diffusion, capsys):
    checks.check_ddim_step(my_ddim_step, tiny_diffusion)
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("check_ddim_step(my_ddim_step): passed")
    checks.check_ddim_step(my_ddim_step, tiny_diffusion, verbose=False)
    checks.check_ddim_step(lambda *args: None, tiny_diffusion)
    assert capsys.readouterr().out == ""


def test_the_default_model_is_the_checkpoint_loaded_only_when_needed(
    tiny_diffusion, monkeypatch
):
    from course_utils import pretrained

    loaded = []

    def load(name):
        loaded.append(name)
        return tiny_diffusion

    monkeypatch.setattr(pretrained, "load", load)
    assert not checks.check_ddim_step(ddim_no_clip, verbose=False).passed
    assert loaded == []  # a wrong step is not worth loading the checkpoint
    assert checks.check_ddim_step(my_ddim_step, verbose=False).passed
    assert loaded == ["diffusion"]


# --- the usual mistakes, one per function ------------------------------------------


def ddim_no_clip(x_t, eps, a, a_prev):
    x0 = (x_t - math.sqrt(1 - a) * eps) / math.sqrt(a)
    return math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps


def ddim_no_recompute(x_t, eps, a, a_prev):
    x0 = np.clip((x_t - math.sqrt(1 - a) * eps) / math.sqrt(a), -1, 1)
    return math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps


def ddim_swapped(x_t, eps, a, a_prev):
    with np.errstate(all="ignore"):  # divides by sqrt(1 - 1) at the last step
        return my_ddim_step(x_t, eps, a_prev, a)


def ddim_variances(x_t, eps, a, a_prev):
    x0 = np.clip((x_t - (1 - a) * eps) / a, -1, 1)
    eps = (x_t - a * x0) / (1 - a)
    return a_prev * x0 + (1 - a_prev) * eps


def ddim_update_variances(x_t, eps, a, a_prev):
    x0 = np.clip((x_t - np.sqrt(1 - a) * eps) / np.sqrt(a), -1, 1)
    eps = (x_t - np.sqrt(a) * x0) / np.sqrt(1 - a)
    return a_prev * x0 + (1 - a_prev) * eps


def ddim_estimate_variance(x_t, eps, a, a_prev):
    x0 = np.clip((x_t - (1 - a) * eps) / np.sqrt(a), -1, 1)
    eps = (x_t - np.sqrt(a) * x0) / np.sqrt(1 - a)
    return np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps


def ddim_returns_x0(x_t, eps, a, a_prev):
    return np.clip((x_t - np.sqrt(1 - a) * eps) / np.sqrt(a), -1, 1)


def ddim_swapped_no_clip(x_t, eps, a, a_prev):
    return ddim_no_clip(x_t, eps, a_prev, a)


def ddim_sign(x_t, eps, a, a_prev):
    return my_ddim_step(x_t, -eps, a, a_prev)


def ddim_divides_by_zero(x_t, eps, a, a_prev):
    x_prev = my_ddim_step(x_t, eps, a, a_prev)
    with np.errstate(all="ignore"):  # a learner would see a RuntimeWarning
        return x_prev * (1 - a_prev) / (1 - a_prev)


def ddim_in_place(x_t, eps, a, a_prev):
    x_prev = my_ddim_step(x_t, eps, a, a_prev)
    x_t *= 0.5
    return x_prev


def ddim_mean(x_t, eps, a, a_prev):
    return my_ddim_step(x_t, eps, a, a_prev).mean()


def ddim_tuple(x_t, eps, a, a_prev):
    return diffusion_module.reverse_step(x_t, eps, a, a_prev, 0.0, 0.0)


def ddim_none(x_t, eps, a, a_prev):
    my_ddim_step(x_t, eps, a, a_prev)


def ddim_unfinished(x_t, eps, a, a_prev):
    x0 = ...  # TODO
    return np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps


def ddim_blank_return(x_t, eps, a, a_prev):
    x_prev = ...  # TODO
    return x_prev


def ddim_raises(x_t, eps, a, a_prev):
    raise RuntimeError("boom")


def ddim_placeholder(x_t, eps, a, a_prev):
    # Replace this line by the DDIM update (eta = 0) described in exercise 1.
    return x_t


@pytest.mark.parametrize(
    ("step_fn", "words"),
    [
        (ddim_no_clip, ["does not clip the estimate of x_0 to [-1, 1]"]),
        (ddim_no_recompute, ["does not recompute the noise after clipping x_0"]),
        (
            ddim_swapped,
            [
                "alpha_bar_t and alpha_bar_prev are swapped",
                "NaN or infinite values on the last step",
                "divides by sqrt(1 - 1) = 0",
            ],
        ),
        (
            ddim_variances,
            ["variances where standard deviations belong", "no square root at all"],
        ),
        (
            ddim_update_variances,
            [
                "variances where standard deviations belong",
                "alpha_bar_prev instead of sqrt(alpha_bar_prev) in x_prev; "
                "1 - alpha_bar_prev instead of sqrt(1 - alpha_bar_prev) in x_prev.",
            ],
        ),
        (
            ddim_estimate_variance,
            [
                "belong: 1 - alpha_bar_t instead of sqrt(1 - alpha_bar_t) in the "
                "estimate of x_0."
            ],
        ),
        (ddim_returns_x0, ["returns the estimate of x_0 instead of x_prev"]),
        (
            ddim_swapped_no_clip,
            [
                "It has 2 mistakes: (1) alpha_bar_t and alpha_bar_prev are swapped",
                "(2) it does not clip",
            ],
        ),
        (ddim_sign, ["Compare your function with the update, line by line"]),
        (
            ddim_divides_by_zero,
            [
                "returned NaN or infinite values on the last step",
                "1 - alpha_bar_prev = 0",
            ],
        ),
        (ddim_in_place, ["changes its argument x_t in place"]),
        (ddim_mean, ["returned an array of shape ()", "average or sum"]),
        (ddim_tuple, ["returned a tuple of 2 values", "x_prev alone"]),
        (ddim_none, ["returned None", "forget the return statement"]),
        (ddim_unfinished, ["raised TypeError", "'# TODO' blanks look empty"]),
        (ddim_blank_return, ["returned ... (Ellipsis)", "'# TODO' blanks"]),
        (ddim_raises, ["raised RuntimeError: boom", "in a cell of its own"]),
        (ddim_placeholder, ["returns x_t unchanged", "placeholder (return x_t)"]),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_ddim_step_mistakes_are_named(tiny_diffusion, step_fn, words):
    result = run_ddim_check(step_fn, tiny_diffusion)
    assert not result.passed
    (message,) = result.messages
    assert message.startswith(f"{step_fn.__name__}(x_t, predicted_noise, ")
    for word in words:
        assert word in message, message
    assert "images sampled" not in str(result)  # no sampling with a wrong step


def test_a_step_that_fails_only_in_the_sampler_is_reported(tiny_diffusion):
    calls = []

    def stateful_step(x_t, eps, a, a_prev):  # right on the first 5 calls only
        calls.append(a)
        step = my_ddim_step if len(calls) <= 5 else ddim_no_recompute
        return step(x_t, eps, a, a_prev)

    result = run_ddim_check(stateful_step, tiny_diffusion)
    (message,) = result.messages
    assert "8 images sampled in 20 steps with stateful_step differ from" in message
    assert "model.sample(8, steps=20, seed=0) by up to" in message
    assert "passed the random test cases" in message
    assert "largest difference of one step" in message


def test_the_reference_of_the_cases_is_reverse_step():
    for case in checks._ddim_cases():
        expected = diffusion_module.reverse_step(
            case.x_t, case.noise, case.alpha_bar_t, case.alpha_bar_prev, 0.0, 0.0
        )[0]
        variant = checks._ddim_variant(case, checks._DDIMVariant())
        np.testing.assert_allclose(variant, expected, rtol=1e-12, atol=1e-12)
        # Clipping matters: some estimates of x_0 are outside [-1, 1].
        a = case.alpha_bar_t
        x0 = (case.x_t - math.sqrt(1 - a) * case.noise) / math.sqrt(a)
        assert np.any(np.abs(x0) > 1)
    assert checks._ddim_cases()[-1].alpha_bar_prev == 1.0


def test_the_diagnosed_ddim_mistakes_give_distinct_values():
    cases = checks._ddim_cases()
    n_roots = len(checks._DDIM_ROOTS)
    singles = [
        checks._DDIMVariant(),  # the right step
        checks._DDIMVariant(no_clip=True),
        checks._DDIMVariant(no_recompute=True),
        checks._DDIMVariant(swapped=True),
        checks._DDIMVariant(returns_x0=True),
        checks._DDIMVariant(missing_roots=(True,) * n_roots),
    ] + [
        checks._DDIMVariant(missing_roots=tuple(i == j for j in range(n_roots)))
        for i in range(n_roots)
    ]
    values = [[checks._ddim_variant(c, v) for c in cases] for v in singles]
    for i, a in enumerate(values):
        for b in values[i + 1 :]:
            gaps = [
                np.max(np.abs(x - y))
                for x, y in zip(a, b, strict=True)
                if np.all(np.isfinite(x)) and np.all(np.isfinite(y))
            ]
            assert max(gaps) > 100 * checks._DDIM_TOLERANCE


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"step_fn": "my_ddim_step"}, TypeError, "step_fn must be a function"),
        ({"step_fn": None}, TypeError, "step_fn must be a function"),
        ({"model": "diffusion"}, TypeError, "model must be a cu.models.diffusion"),
        ({"verbose": 1}, TypeError, "verbose must be True or False; got 1"),
        ({"raise_on_failure": "yes"}, TypeError, "raise_on_failure"),
    ],
    ids=lambda v: repr(v)[:40] if isinstance(v, dict) else None,
)
def test_check_ddim_step_rejects_bad_arguments(kwargs, error, match):
    arguments = {"step_fn": my_ddim_step, "model": None}
    arguments.update(kwargs)
    step_fn = arguments.pop("step_fn")
    with pytest.raises(error, match=match):
        checks.check_ddim_step(step_fn, **arguments)


def test_ddim_raise_on_failure_raises_with_the_report(tiny_diffusion):
    with pytest.raises(checks.ExerciseCheckError, match="does not clip") as info:
        run_ddim_check(ddim_no_clip, tiny_diffusion, raise_on_failure=True)
    assert info.value.result.passed is False
    assert "check_ddim_step(ddim_no_clip): 1 problem to fix" in str(info.value)
