"""check_conv_vae (course_utils.checks.conv_vae) names each problem in plain words.

Every test builds a deliberately broken model (one problem each) and asserts
that ``check_conv_vae`` reports that problem, and that a correct one passes.
Models are tiny and the images synthetic, so the few training steps are quick.
"""

import re

import keras
import numpy as np
import pytest
from keras import ops

from course_utils import checks
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
