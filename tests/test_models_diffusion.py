"""Diffusion models: schedules, the U-Net, the samplers (course_utils.models.diffusion).

Everything is tiny so that the file stays fast: U-Nets with channels (8, 16),
16-D embeddings and 20 to 50 noising steps; the one model that must learn
trains for a few seconds on the first 64 Fashion-MNIST images. The maths of
the forward and reverse processes is checked against hand-written formulas
and, end to end, with "oracle" networks that know the answer: one predicts
the true noise of a single target image exactly (so every sampler must return
that image), another outputs a constant chosen by the label (so the label
dropout of the training loss can be read off the loss).
"""

import math

import keras
import numpy as np
import pytest
from keras import ops

import course_utils as cu
from course_utils import data
from course_utils.models import diffusion as diffusion_module
from course_utils.models.diffusion import (
    Diffusion,
    SinusoidalEmbedding,
    add_noise,
    alpha_bars,
    build_diffusion,
    build_unet,
    noise_schedule,
    reverse_step,
    sampling_steps,
    signal_to_noise,
)

TOTAL_STEPS = 20
N_CLASSES = 3

# --------------------------------------------------------------------------
# helpers and fixtures
# --------------------------------------------------------------------------


def tiny_unet(**kwargs):
    kwargs.setdefault("channels", (8, 16))
    kwargs.setdefault("embedding_dim", 16)
    kwargs.setdefault("groups", 4)
    return build_unet(**kwargs)


def tiny_diffusion(n_classes=None, **kwargs):
    kwargs.setdefault("total_steps", TOTAL_STEPS)
    kwargs.setdefault("seed", 0)
    return Diffusion(tiny_unet(n_classes=n_classes), **kwargs)


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture(scope="module")
def unconditional():
    keras.utils.set_random_seed(0)
    return tiny_diffusion()


@pytest.fixture(scope="module")
def conditional():
    keras.utils.set_random_seed(1)
    model = tiny_diffusion(n_classes=N_CLASSES)
    # Large label embeddings, so that the label visibly changes the prediction.
    embedding = model.network.get_layer("label_embedding")
    rng = np.random.default_rng(0)
    embedding.set_weights([rng.normal(size=embedding.get_weights()[0].shape)])
    return model


@pytest.fixture(scope="module")
def fashion():
    """The first 64 Fashion-MNIST training images in [-1, 1], and their labels."""
    images = data.load_fashion_mnist(value_range="[-1,1]", limit=64, download=False)
    return images.x_train[:64], images.y_train[:64]


class OracleNoise(keras.layers.Layer):
    """The exact noise of ``x_t`` when the data is a single image ``target``.

    ``eps = (x_t - sqrt(alpha_bar_t) * target) / sqrt(1 - alpha_bar_t)``: the
    perfect noise predictor for that one-point data distribution.
    """

    def __init__(self, alpha_bar, target, **kwargs):
        super().__init__(**kwargs)
        self.alpha_bar = np.asarray(alpha_bar, np.float32)
        self.target = np.asarray(target, np.float32)

    def call(self, inputs):
        images, steps = inputs
        signal = ops.take(ops.convert_to_tensor(self.alpha_bar), steps)
        signal = ops.reshape(signal, (-1, 1, 1))
        return (images - ops.sqrt(signal) * self.target) / ops.sqrt(1 - signal)

    def compute_output_shape(self, input_shape):
        return input_shape[0]


def oracle_diffusion(target, schedule="cosine", total_steps=40):
    """A Diffusion model whose network predicts the noise of ``target`` exactly."""
    alpha_bar = alpha_bars(noise_schedule(schedule, total_steps))
    images = keras.Input(target.shape, name="noisy_images")
    steps = keras.Input((), dtype="int32", name="steps")
    noise = OracleNoise(alpha_bar, target)([images, steps])
    network = keras.Model([images, steps], noise, name="oracle")
    return Diffusion(network, schedule=schedule, total_steps=total_steps, seed=0)


class BroadcastValue(keras.layers.Layer):
    """Fill images with one value per image: ``(images, value (batch, 1))``."""

    def call(self, inputs):
        images, steps, value = inputs
        del steps
        return ops.zeros_like(images) + ops.reshape(value, (-1, 1, 1))

    def compute_output_shape(self, input_shape):
        return input_shape[0]


def label_value_diffusion(label_dropout, null_value=100.0):
    """A conditional model whose "noise" is 0 for a label, ``null_value`` for none."""
    images = keras.Input((4, 4), name="noisy_images")
    steps = keras.Input((), dtype="int32", name="steps")
    labels = keras.Input((), dtype="int32", name="labels")
    value = keras.layers.Embedding(N_CLASSES + 1, 1, name="label_embedding")(labels)
    output = BroadcastValue()([images, steps, value])
    network = keras.Model([images, steps, labels], output)
    table = np.zeros((N_CLASSES + 1, 1), np.float32)
    table[N_CLASSES] = null_value
    network.get_layer("label_embedding").set_weights([table])
    return Diffusion(
        network, total_steps=TOTAL_STEPS, label_dropout=label_dropout, seed=3
    )


def fixed_noise_loss(model, images, draws=4, seed=123):
    """The noise-prediction loss at fixed steps and noise (for before/after)."""
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(draws):
        steps = rng.integers(0, model.total_steps, len(images)).astype(np.int32)
        noise = rng.standard_normal(images.shape).astype(np.float32)
        noisy = to_numpy(add_noise(images, steps, noise, model.alpha_bar))
        predicted = model.predict_noise(noisy, steps)
        losses.append(np.mean((predicted - noise) ** 2))
    return float(np.mean(losses))


# --------------------------------------------------------------------------
# noise schedules
# --------------------------------------------------------------------------


def test_linear_schedule_of_ho_et_al():
    betas = noise_schedule("linear", 1000)
    assert betas.shape == (1000,)
    assert betas.dtype == np.float64
    assert betas[0] == pytest.approx(1e-4, rel=1e-12)
    assert betas[-1] == pytest.approx(0.02, rel=1e-12)
    # Evenly spaced.
    np.testing.assert_allclose(np.diff(betas), (0.02 - 1e-4) / 999, rtol=1e-9)


def test_linear_schedule_scales_with_the_number_of_steps():
    betas = noise_schedule("linear", 500)
    assert len(betas) == 500
    assert betas[0] == pytest.approx(2e-4) and betas[-1] == pytest.approx(0.04)
    # Few steps: the largest variance is capped below 1.
    short = noise_schedule("linear", 10)
    assert short[-1] == pytest.approx(0.999)
    assert np.all((short > 0) & (short < 1))


def test_cosine_schedule_follows_the_squared_cosine():
    steps, offset = 1000, 0.008
    alpha_bar = alpha_bars(noise_schedule("cosine", steps))

    def f(t):
        return np.cos((t / steps + offset) / (1 + offset) * math.pi / 2) ** 2

    t = np.arange(1, steps + 1)
    expected = f(t) / f(0)
    # All but the last steps, whose betas are clipped to 0.999.
    np.testing.assert_allclose(alpha_bar[:990], expected[:990], rtol=1e-9)
    assert np.all(np.diff(alpha_bar) < 0)
    assert alpha_bar[0] > 0.999
    assert alpha_bar[-1] < 1e-6


@pytest.mark.parametrize("kind", ["linear", "cosine"])
@pytest.mark.parametrize("steps", [2, 3, 50, 1000])
def test_schedules_are_variances_with_decreasing_signal_to_noise(kind, steps):
    betas = noise_schedule(kind, steps)
    assert betas.shape == (steps,)
    assert np.all((betas > 0) & (betas < 1))
    alpha_bar = alpha_bars(betas)
    assert np.all(np.diff(alpha_bar) < 0)
    assert np.all(np.diff(signal_to_noise(alpha_bar)) < 0)


def test_signal_to_noise_formula():
    np.testing.assert_allclose(
        signal_to_noise(np.array([0.5, 0.2, 0.9])), [1.0, 0.25, 9.0], rtol=1e-12
    )


def test_noise_schedule_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match=r"kind must be one of 'linear', 'cosine'"):
        noise_schedule("quadratic", 100)


@pytest.mark.parametrize(
    ("steps", "error"),
    [
        (0, ValueError),
        (1, ValueError),
        (-5, ValueError),
        (2.5, TypeError),
        ("10", TypeError),
        (True, TypeError),
        (None, TypeError),
    ],
)
def test_noise_schedule_rejects_bad_steps(steps, error):
    with pytest.raises(error, match=r"steps must be an integer >= 2"):
        noise_schedule("cosine", steps)


def test_noise_schedule_accepts_numpy_integers():
    np.testing.assert_array_equal(
        noise_schedule("linear", np.int64(100)), noise_schedule("linear", 100)
    )


# --------------------------------------------------------------------------
# alpha_bar and the closed form of the forward process
# --------------------------------------------------------------------------


def test_alpha_bars_is_the_cumulative_product():
    betas = np.array([0.1, 0.2, 0.5, 0.01])
    expected = [0.9, 0.9 * 0.8, 0.9 * 0.8 * 0.5, 0.9 * 0.8 * 0.5 * 0.99]
    np.testing.assert_allclose(alpha_bars(betas), expected, rtol=1e-12)
    assert alpha_bars([0.5, 0.5]).tolist() == [0.5, 0.25]


@pytest.mark.parametrize(
    "betas",
    [
        [0.1, 1.0],
        [0.0, 0.1],
        [0.1, -0.2],
        [0.1, 1.5],
        [0.1, float("nan")],
        [[0.1, 0.2]],
        [],
    ],
)
def test_alpha_bars_rejects_bad_betas(betas):
    with pytest.raises(ValueError, match=r"betas must be a non-empty 1-D array"):
        alpha_bars(betas)


def test_add_noise_is_the_closed_form():
    rng = np.random.default_rng(0)
    alpha_bar = alpha_bars(noise_schedule("cosine", 20))
    images = rng.uniform(-1, 1, (3, 5, 5)).astype(np.float32)
    noise = rng.standard_normal((3, 5, 5)).astype(np.float32)
    steps = np.array([0, 7, 19])
    expected = (
        np.sqrt(alpha_bar[steps])[:, None, None] * images
        + np.sqrt(1 - alpha_bar[steps])[:, None, None] * noise
    )
    noisy = to_numpy(add_noise(images, steps, noise, alpha_bar))
    assert noisy.shape == (3, 5, 5)
    np.testing.assert_allclose(noisy, expected, rtol=1e-5, atol=1e-6)
    # A Python list of steps and images with a channel axis work the same.
    channels = to_numpy(
        add_noise(images[..., None], list(steps), noise[..., None], alpha_bar)
    )
    np.testing.assert_allclose(channels[..., 0], expected, rtol=1e-5, atol=1e-6)


def test_add_noise_doctest_values():
    x0 = np.ones((2, 4, 4), "float32")
    noisy = to_numpy(add_noise(x0, np.array([0, 1]), np.zeros_like(x0), [0.64, 0.36]))
    np.testing.assert_allclose(noisy[:, 0, 0], [0.8, 0.6], rtol=1e-6)


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_closed_form_matches_the_step_by_step_chain(schedule):
    """Run x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps_t on 20,000 samples.

    Given x_0 the chain's x_t is Gaussian with mean sqrt(alpha_bar_t) x_0 and
    variance 1 - alpha_bar_t, which add_noise must produce in one go.
    """
    total, n = 50, 20_000
    betas = noise_schedule(schedule, total)
    alpha_bar = alpha_bars(betas)
    x0 = np.array([-1.0, -0.25, 0.5, 1.0])
    rng = np.random.default_rng(0)
    x = np.broadcast_to(x0, (n, 4)).copy()
    checked = 0
    for t in range(total):
        x = np.sqrt(1 - betas[t]) * x + np.sqrt(betas[t]) * rng.standard_normal(x.shape)
        if t not in (0, 4, 24, 49):
            continue
        checked += 1
        steps = np.array([t])
        # The closed form's mean (noise 0) and standard deviation (x_0 = 0, noise 1).
        mean = to_numpy(add_noise(x0[None], steps, np.zeros((1, 4)), alpha_bar))[0]
        zeros, ones = np.zeros((1, 4)), np.ones((1, 4))
        std = to_numpy(add_noise(zeros, steps, ones, alpha_bar))[0]
        np.testing.assert_allclose(mean, np.sqrt(alpha_bar[t]) * x0, rtol=1e-5)
        np.testing.assert_allclose(std**2, 1 - alpha_bar[t], rtol=1e-4)
        mean_error = 5 * std / np.sqrt(n)  # five standard errors
        assert np.all(np.abs(x.mean(axis=0) - mean) < mean_error), (t, x.mean(0), mean)
        variance_error = 5 * std**2 * np.sqrt(2 / n)
        assert np.all(np.abs(x.var(axis=0) - std**2) < variance_error), (
            t,
            x.var(0),
            std**2,
        )
    assert checked == 4


# --------------------------------------------------------------------------
# the step embedding
# --------------------------------------------------------------------------


def test_sinusoidal_embedding_values():
    steps = np.array([0, 1, 10, 999])
    embedding = to_numpy(SinusoidalEmbedding(8)(steps))
    assert embedding.shape == (4, 8)
    np.testing.assert_allclose(embedding[0, :4], 0.0, atol=1e-7)  # sin(0)
    np.testing.assert_allclose(embedding[0, 4:], 1.0, atol=1e-7)  # cos(0)
    frequencies = 10_000.0 ** (-np.arange(4) / 4)
    angles = steps[:, None] * frequencies[None, :]
    expected = np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
    np.testing.assert_allclose(embedding, expected, atol=1e-4)
    # Every step gets its own embedding.
    distances = np.linalg.norm(embedding[:, None] - embedding[None, :], axis=-1)
    assert np.all(distances[~np.eye(4, dtype=bool)] > 0.1)
    # (batch, 1) steps give the same embedding.
    np.testing.assert_allclose(
        to_numpy(SinusoidalEmbedding(8)(steps[:, None])), embedding, atol=1e-7
    )


def test_sinusoidal_embedding_max_period_sets_the_lowest_frequency():
    embedding = to_numpy(SinusoidalEmbedding(4, max_period=100.0)(np.array([3])))
    angles = 3 * np.array([1.0, 100.0 ** (-1 / 2)])
    np.testing.assert_allclose(
        embedding[0], np.concatenate([np.sin(angles), np.cos(angles)]), atol=1e-6
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"dim": 7}, ValueError, "dim must be even"),
        ({"dim": 0}, ValueError, "dim must be an integer >= 2"),
        ({"dim": 8.0}, TypeError, "dim"),
        ({"dim": 8, "max_period": 0.5}, ValueError, "max_period"),
    ],
)
def test_sinusoidal_embedding_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        SinusoidalEmbedding(**kwargs)


def test_sinusoidal_embedding_config_round_trip():
    layer = SinusoidalEmbedding(6, max_period=500.0, name="sinusoids")
    assert layer.compute_output_shape((None,)) == (None, 6)
    config = layer.get_config()
    assert config["dim"] == 6 and config["max_period"] == 500.0
    copy = SinusoidalEmbedding.from_config(config)
    assert (copy.dim, copy.max_period, copy.name) == (6, 500.0, "sinusoids")
    steps = np.array([0, 3, 42])
    np.testing.assert_array_equal(to_numpy(copy(steps)), to_numpy(layer(steps)))
    # Registered for saving: the generic (de)serialisation finds the class.
    revived = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer)
    )
    assert isinstance(revived, SinusoidalEmbedding) and revived.dim == 6


# --------------------------------------------------------------------------
# the U-Net
# --------------------------------------------------------------------------


def test_unconditional_unet_shapes():
    unet = tiny_unet()
    assert [tuple(i.shape) for i in unet.inputs] == [(None, 28, 28), (None,)]
    assert unet.output_shape == (None, 28, 28)
    rng = np.random.default_rng(0)
    images = rng.standard_normal((3, 28, 28)).astype(np.float32)
    noise = to_numpy(unet([images, np.array([0, 5, 19], np.int32)]))
    assert noise.shape == (3, 28, 28)
    assert np.all(np.isfinite(noise)) and noise.std() > 0


def test_conditional_unet_shapes_and_null_label():
    unet = tiny_unet(n_classes=10)
    assert [tuple(i.shape) for i in unet.inputs] == [(None, 28, 28), (None,), (None,)]
    assert unet.output_shape == (None, 28, 28)
    # One more embedding row than classes: the "no label" token n_classes.
    assert unet.get_layer("label_embedding").input_dim == 11
    images = np.zeros((2, 28, 28), np.float32)
    steps = np.array([1, 2], np.int32)
    noise = to_numpy(unet([images, steps, np.array([0, 10], np.int32)]))
    assert noise.shape == (2, 28, 28)


def test_unet_with_three_levels_and_a_rectangular_image():
    unet = tiny_unet(image_shape=(16, 8), channels=(4, 8, 8), groups=4)
    assert unet.output_shape == (None, 16, 8)
    noise = to_numpy(unet([np.zeros((2, 16, 8), np.float32), np.array([0, 1])]))
    assert noise.shape == (2, 16, 8)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"channels": (8, 16, 16, 16)},
            ValueError,
            r"image_shape \(28, 28\) must divide by 8",
        ),
        ({"image_shape": (28,)}, ValueError, "image_shape must be"),
        ({"image_shape": (28, 0)}, ValueError, "image_shape"),
        (
            {"groups": 3},
            ValueError,
            r"groups \(3\) must divide every entry of channels",
        ),
        ({"groups": 0}, ValueError, "groups"),
        ({"embedding_dim": 15}, ValueError, "embedding_dim must be even"),
        ({"embedding_dim": 1}, ValueError, "embedding_dim"),
        ({"n_classes": 1}, ValueError, "n_classes must be an integer >= 2"),
        ({"n_classes": 2.0}, TypeError, "n_classes"),
        ({"channels": ()}, ValueError, "channels must be a non-empty tuple"),
        ({"channels": (8, 0)}, ValueError, "channels"),
    ],
)
def test_unet_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        tiny_unet(**kwargs)


# --------------------------------------------------------------------------
# sampling steps and the reverse step
# --------------------------------------------------------------------------


def test_sampling_steps_doctest():
    assert sampling_steps(1000, 5).tolist() == [999, 749, 500, 250, 0]


def test_sampling_steps_are_strictly_decreasing_from_t_minus_one_to_zero():
    for total in range(2, 41):
        for steps in range(2, total + 1):
            visited = sampling_steps(total, steps)
            assert len(visited) == steps, (total, steps)
            assert visited[0] == total - 1 and visited[-1] == 0, (total, steps)
            assert np.all(np.diff(visited) < 0), (total, steps, visited)
        assert sampling_steps(total, total).tolist() == list(range(total - 1, -1, -1))
        assert sampling_steps(total, 1).tolist() == [total - 1]


@pytest.mark.parametrize(
    ("total", "steps", "error", "match"),
    [
        (20, 0, ValueError, "steps must be an integer between 1 and 20"),
        (20, 21, ValueError, "steps must be an integer between 1 and 20"),
        (20, 2.5, TypeError, "steps"),
        (1, 1, ValueError, "total_steps"),
    ],
)
def test_sampling_steps_bad_arguments(total, steps, error, match):
    with pytest.raises(error, match=match):
        sampling_steps(total, steps)


ALPHA_BAR = alpha_bars(noise_schedule("cosine", 100))
STEP_PAIRS = [(99, 79), (50, 40), (10, 9), (1, 0)]


def known_x_t(t, shape=(3, 4, 4), seed=0):
    """x_0 in [-0.9, 0.9], the noise, and x_t made from them with add_noise."""
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(-0.9, 0.9, shape)
    eps = rng.standard_normal(shape)
    steps = np.full(shape[0], t)
    x_t = to_numpy(add_noise(x0, steps, eps, ALPHA_BAR)).astype(np.float64)
    # Recompute eps in float64 so that it is exactly the noise of this x_t.
    eps = (x_t - np.sqrt(ALPHA_BAR[t]) * x0) / np.sqrt(1 - ALPHA_BAR[t])
    return x0, eps, x_t


@pytest.mark.parametrize(("t", "previous"), STEP_PAIRS)
def test_ddim_step_with_a_perfect_prediction(t, previous):
    a_t, a_prev = ALPHA_BAR[t], ALPHA_BAR[previous]
    x0, eps, x_t = known_x_t(t)
    x_prev, x0_estimate = reverse_step(x_t, eps, a_t, a_prev, 0.0, np.zeros_like(x_t))
    np.testing.assert_allclose(x0_estimate, x0, atol=1e-9)
    np.testing.assert_allclose(
        x_prev, np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps, atol=1e-9
    )
    # eta = 0 ignores the noise argument.
    other, _ = reverse_step(x_t, eps, a_t, a_prev, 0.0, np.ones_like(x_t))
    np.testing.assert_array_equal(other, x_prev)


@pytest.mark.parametrize(("t", "previous"), STEP_PAIRS)
def test_ddpm_step_is_the_posterior_of_ho_et_al(t, previous):
    a_t, a_prev = ALPHA_BAR[t], ALPHA_BAR[previous]
    beta = 1 - a_t / a_prev  # the variance of the (merged) forward step
    x0, eps, x_t = known_x_t(t, seed=1)
    mean, x0_estimate = reverse_step(x_t, eps, a_t, a_prev, 1.0, np.zeros_like(x_t))
    np.testing.assert_allclose(x0_estimate, x0, atol=1e-9)
    posterior_mean = (np.sqrt(a_prev) * beta / (1 - a_t)) * x0 + (
        np.sqrt(1 - beta) * (1 - a_prev) / (1 - a_t)
    ) * x_t
    np.testing.assert_allclose(mean, posterior_mean, atol=1e-9)
    # The added noise is scaled by the posterior's standard deviation.
    z = np.random.default_rng(2).standard_normal(x_t.shape)
    noisy, _ = reverse_step(x_t, eps, a_t, a_prev, 1.0, z)
    posterior_std = np.sqrt(beta * (1 - a_prev) / (1 - a_t))
    np.testing.assert_allclose(noisy - mean, posterior_std * z, atol=1e-9)


@pytest.mark.parametrize("eta", [0.25, 0.5])
def test_eta_scales_the_noise_standard_deviation(eta):
    t, previous = 50, 40
    a_t, a_prev = ALPHA_BAR[t], ALPHA_BAR[previous]
    x0, eps, x_t = known_x_t(t, seed=3)
    sigma = eta * np.sqrt((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev))
    mean, _ = reverse_step(x_t, eps, a_t, a_prev, eta, np.zeros_like(x_t))
    np.testing.assert_allclose(
        mean,
        np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev - sigma**2) * eps,
        atol=1e-9,
    )
    noisy, _ = reverse_step(x_t, eps, a_t, a_prev, eta, np.ones_like(x_t))
    np.testing.assert_allclose(noisy - mean, sigma, atol=1e-9)


@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_last_step_returns_the_estimate_of_x0(eta):
    t = 3
    x0, eps, x_t = known_x_t(t, seed=4)
    noise = 10 * np.ones_like(x_t)  # ignored: no noise is added at the end
    x_prev, x0_estimate = reverse_step(x_t, eps, ALPHA_BAR[t], 1.0, eta, noise)
    np.testing.assert_allclose(x0_estimate, x0, atol=1e-9)
    np.testing.assert_allclose(x_prev, x0, atol=1e-9)


def test_reverse_step_clips_the_estimate_to_the_image_range():
    t = 50
    a_t = ALPHA_BAR[t]
    x_t = np.array([[[5.0, -5.0, 0.1]]])
    x_prev, x0 = reverse_step(x_t, np.zeros_like(x_t), a_t, 1.0, 0.0, 0.0)
    np.testing.assert_allclose(x0, [[[1.0, -1.0, 0.1 / np.sqrt(a_t)]]], atol=1e-12)
    np.testing.assert_allclose(x_prev, x0, atol=1e-12)
    # The noise is recomputed from the clipped x0, so the step stays consistent.
    previous = ALPHA_BAR[40]
    x_prev, x0 = reverse_step(x_t, np.zeros_like(x_t), a_t, previous, 0.0, 0.0)
    eps = (x_t - np.sqrt(a_t) * x0) / np.sqrt(1 - a_t)
    np.testing.assert_allclose(
        x_prev, np.sqrt(previous) * x0 + np.sqrt(1 - previous) * eps, atol=1e-12
    )


# --------------------------------------------------------------------------
# the Diffusion model: construction
# --------------------------------------------------------------------------


def test_diffusion_attributes(conditional, unconditional):
    assert unconditional.n_classes is None
    assert conditional.n_classes == N_CLASSES
    assert unconditional.image_shape == (28, 28)
    assert unconditional.value_range == "[-1,1]"
    assert unconditional.total_steps == TOTAL_STEPS
    np.testing.assert_array_equal(
        unconditional.betas, noise_schedule("cosine", TOTAL_STEPS)
    )
    np.testing.assert_array_equal(
        unconditional.alpha_bar, alpha_bars(unconditional.betas)
    )
    assert [m.name for m in unconditional.metrics] == ["loss"]


def test_diffusion_keeps_its_schedule():
    model = tiny_diffusion(schedule="linear", total_steps=30, label_dropout=0.3)
    assert model.schedule == "linear" and model.total_steps == 30
    assert model.label_dropout == 0.3
    np.testing.assert_array_equal(model.betas, noise_schedule("linear", 30))


def _single_input_network():
    return keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Reshape((28, 28))], name="one_input"
    )


def _wrong_output_network():
    images = keras.Input((28, 28))
    steps = keras.Input((), dtype="int32")
    # every input feeds the output (older Keras rejects unused inputs)
    step_shift = keras.ops.cast(steps, "float32")[:, None, None]
    output = keras.layers.Reshape((14, 56))(images) + step_shift
    return keras.Model([images, steps], output)


@pytest.mark.parametrize(
    ("network", "kwargs", "error", "match"),
    [
        ("not a model", {}, TypeError, "network must be a keras.Model; got str"),
        (_single_input_network, {}, ValueError, "it takes 1 inputs"),
        (_wrong_output_network, {}, ValueError, "network must output noise"),
        (tiny_unet, {"schedule": "quadratic"}, ValueError, "quadratic"),
        (tiny_unet, {"total_steps": 1}, ValueError, "total_steps"),
        (tiny_unet, {"total_steps": 10.0}, TypeError, "total_steps"),
        (
            tiny_unet,
            {"label_dropout": 1.5},
            ValueError,
            r"label_dropout must be a number in \[0, 1\]",
        ),
        (tiny_unet, {"label_dropout": -0.1}, ValueError, "label_dropout"),
        (tiny_unet, {"seed": -1}, ValueError, "seed"),
        (tiny_unet, {"seed": 1.5}, TypeError, "seed"),
    ],
)
def test_diffusion_bad_arguments(network, kwargs, error, match):
    if callable(network):
        network = network()
    with pytest.raises(error, match=match):
        Diffusion(network, **kwargs)


def test_bad_schedule_message_names_the_schedule_argument():
    with pytest.raises(ValueError, match="schedule"):
        Diffusion(tiny_unet(), schedule="quadratic")


def test_conditional_network_without_embedding_gets_a_clear_error():
    images = keras.Input((4, 4))
    steps = keras.Input((), dtype="int32")
    labels = keras.Input((), dtype="int32")
    flat = keras.layers.Flatten()(images)
    # every input feeds the output (older Keras rejects unused inputs)
    shift = keras.ops.cast(steps + labels, "float32")[:, None, None]
    output = keras.layers.Reshape((4, 4))(keras.layers.Dense(16)(flat)) + shift
    network = keras.Model([images, steps, labels], output)
    with pytest.raises(ValueError, match="label"):
        Diffusion(network)


def test_build_diffusion():
    unconditional = build_diffusion(channels=(8, 16), embedding_dim=16, seed=1)
    assert isinstance(unconditional, Diffusion)
    assert unconditional.n_classes is None
    assert unconditional.total_steps == 1000 and unconditional.schedule == "cosine"
    assert unconditional.image_shape == (28, 28)
    assert len(unconditional.network.inputs) == 2
    conditional = build_diffusion(
        channels=(8, 16),
        embedding_dim=16,
        n_classes=10,
        schedule="linear",
        total_steps=100,
        label_dropout=0.2,
        seed=2,
    )
    assert isinstance(conditional, Diffusion)
    assert conditional.n_classes == 10
    assert len(conditional.network.inputs) == 3
    assert (conditional.schedule, conditional.total_steps) == ("linear", 100)
    assert conditional.label_dropout == 0.2 and conditional.seed == 2


# --------------------------------------------------------------------------
# the training loss
# --------------------------------------------------------------------------


def test_loss_is_zero_for_the_oracle_network():
    """The loss noises the images at the steps it gives the network."""
    rng = np.random.default_rng(0)
    target = rng.uniform(-0.8, 0.8, (4, 6)).astype(np.float32)
    model = oracle_diffusion(target, total_steps=40)
    images = np.broadcast_to(target, (256, 4, 6))
    loss = float(model.noise_prediction_loss(images))
    assert loss < 1e-6
    # The same network on other images is wrong: the loss sees the images.
    assert float(model.noise_prediction_loss(images * 0.5)) > 1e-3


@pytest.mark.parametrize(
    ("label_dropout", "low", "high"),
    [(0.0, 0.9, 1.1), (1.0, 9950.0, 10050.0), (0.5, 4e3, 6e3)],
)
def test_loss_drops_a_share_of_the_labels(label_dropout, low, high):
    """The network outputs 0 for a real label and 100 for "no label".

    So the loss is about 1 (the noise's variance) plus 10,000 times the share
    of dropped labels.
    """
    model = label_value_diffusion(label_dropout)
    images = np.zeros((1000, 4, 4), np.float32)
    labels = np.arange(1000) % N_CLASSES
    loss = float(model.noise_prediction_loss(images, labels))
    assert low < loss < high


def test_training_lowers_the_noise_prediction_loss(fashion):
    images, _ = fashion
    keras.utils.set_random_seed(0)
    model = tiny_diffusion(total_steps=50)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = fixed_noise_loss(model, images)
    history = model.fit(images, epochs=15, batch_size=32, verbose=0)
    after = fixed_noise_loss(model, images)
    assert set(history.history) == {"loss"}
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < 0.6 * losses[0]
    assert after < 0.5 * before
    # Better than predicting no noise at all (a loss of 1).
    assert after < 0.6


def test_fit_rejects_0_255_images(unconditional):
    unconditional.compile(optimizer=keras.optimizers.Adam(1e-3))
    images = np.full((8, 28, 28), 200, np.uint8)
    message = r"x must have values in \[-1,1\].*scale_images"
    with pytest.raises(ValueError, match=message):
        unconditional.fit(images, epochs=1, verbose=0)


def test_fit_rejects_images_of_the_wrong_shape(unconditional):
    unconditional.compile(optimizer=keras.optimizers.Adam(1e-3))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 28, 28\)"):
        unconditional.fit(np.zeros((8, 32, 32), np.float32), epochs=1, verbose=0)


@pytest.mark.parametrize(
    ("labels", "error", "match"),
    [
        (None, ValueError, r"call fit\(images, labels\)"),
        (np.arange(8) % 4, ValueError, "y must be integers from 0 to 2"),
        (np.arange(8) - 1, ValueError, "y must be integers from 0 to 2"),
        (np.zeros(5, np.int64), ValueError, r"one label per image \(8\)"),
        (np.zeros(8, np.float32), TypeError, "y must hold integers"),
    ],
)
def test_conditional_fit_checks_the_labels(conditional, labels, error, match):
    conditional.compile(optimizer=keras.optimizers.Adam(1e-3))
    images = np.zeros((8, 28, 28), np.float32)
    weights = [w.copy() for w in conditional.network.get_weights()]
    with pytest.raises(error, match=match):
        conditional.fit(images, labels, epochs=1, verbose=0)
    for a, b in zip(weights, conditional.network.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_evaluate_reports_the_noise_prediction_loss(unconditional):
    unconditional.compile(optimizer=keras.optimizers.Adam(1e-3))
    images = np.zeros((8, 28, 28), np.float32)
    results = unconditional.evaluate(images, verbose=0, return_dict=True)
    assert set(results) == {"loss"}
    assert 0 < results["loss"] < 100


# --------------------------------------------------------------------------
# noise prediction with classifier-free guidance
# --------------------------------------------------------------------------


def noisy_batch(n=4, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((n, 28, 28)).astype(np.float32)
    steps = rng.integers(0, TOTAL_STEPS, n).astype(np.int32)
    return images, steps


def test_predict_noise_matches_the_network(unconditional):
    images, steps = noisy_batch()
    predicted = unconditional.predict_noise(images, steps)
    assert isinstance(predicted, np.ndarray) and predicted.shape == (4, 28, 28)
    np.testing.assert_allclose(
        predicted, to_numpy(unconditional.network([images, steps])), atol=1e-5
    )
    # One step for all images is broadcast.
    np.testing.assert_allclose(
        unconditional.predict_noise(images, 7),
        unconditional.predict_noise(images, np.full(4, 7)),
        atol=1e-6,
    )


@pytest.mark.parametrize("guidance", [0.5, 2.0, 3.5])
def test_guidance_mixes_the_conditional_and_unconditional_predictions(
    conditional, guidance
):
    images, steps = noisy_batch(seed=1)
    labels = np.array([0, 1, 2, 1])
    unconditional_noise = conditional.predict_noise(images, steps, labels, guidance=0)
    conditional_noise = conditional.predict_noise(images, steps, labels, guidance=1)
    # The label matters, else this test would prove nothing.
    assert np.abs(conditional_noise - unconditional_noise).max() > 1e-2
    # Guidance 0 is the "no label" prediction; guidance 1 the labelled one.
    none = np.full(4, N_CLASSES, np.int32)
    np.testing.assert_allclose(
        unconditional_noise,
        to_numpy(conditional.network([images, steps, none])),
        atol=1e-5,
    )
    np.testing.assert_allclose(
        conditional_noise,
        to_numpy(conditional.network([images, steps, labels.astype(np.int32)])),
        atol=1e-5,
    )
    np.testing.assert_allclose(
        conditional.predict_noise(images, steps, labels, guidance=guidance),
        unconditional_noise + guidance * (conditional_noise - unconditional_noise),
        atol=1e-4,
    )


def test_predict_noise_without_labels_is_unconditional(conditional):
    images, steps = noisy_batch(seed=2)
    np.testing.assert_array_equal(
        conditional.predict_noise(images, steps),
        conditional.predict_noise(images, steps, [0, 1, 2, 0], guidance=0),
    )


# --------------------------------------------------------------------------
# sampling
# --------------------------------------------------------------------------


def test_sample_shapes_range_and_seeds(unconditional):
    images = unconditional.sample(5, steps=5, seed=0)
    assert images.shape == (5, 28, 28) and images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert images.std() > 0
    np.testing.assert_array_equal(images, unconditional.sample(5, steps=5, seed=0))
    assert not np.allclose(images, unconditional.sample(5, steps=5, seed=1))


def test_ddpm_and_ddim_differ_and_both_repeat(unconditional):
    ddim = unconditional.sample(3, steps=5, method="ddim", seed=4)
    ddpm = unconditional.sample(3, steps=5, method="ddpm", seed=4)
    assert ddpm.shape == (3, 28, 28)
    assert ddpm.min() >= -1.0 and ddpm.max() <= 1.0
    assert not np.allclose(ddim, ddpm)
    np.testing.assert_array_equal(
        ddpm, unconditional.sample(3, steps=5, method="ddpm", seed=4)
    )


def test_setup_seeds_the_samples(unconditional):
    cu.setup(11, verbose=False)
    first = unconditional.sample(3, steps=4)
    second = unconditional.sample(3, steps=4)
    cu.setup(11, verbose=False)
    again = unconditional.sample(3, steps=4)
    np.testing.assert_array_equal(first, again)
    # Without a new setup the next call continues NumPy's stream: new images.
    assert not np.allclose(first, second)


def test_sample_can_visit_every_step(unconditional):
    images = unconditional.sample(2, steps=TOTAL_STEPS, seed=0)
    assert images.shape == (2, 28, 28)
    assert images.min() >= -1.0 and images.max() <= 1.0


def test_ddim_samples_do_not_depend_on_the_batch_size(unconditional):
    whole = unconditional.sample(5, steps=4, seed=3)
    # Equal up to float32 round-off of convolutions on other batch sizes.
    np.testing.assert_allclose(
        unconditional.sample(5, steps=4, seed=3, batch_size=2), whole, atol=1e-3
    )
    # The first images of a larger sample are the smaller sample.
    np.testing.assert_allclose(
        unconditional.sample(2, steps=4, seed=3), whole[:2], atol=1e-3
    )


def test_record_returns_the_chain(unconditional):
    steps, n = 10, 4
    images, chain, recorded = unconditional.sample(n, steps=steps, seed=0, record=5)
    assert chain.shape == (5, n, 28, 28)
    assert recorded.shape == (5,)
    visited = sampling_steps(TOTAL_STEPS, steps)
    assert recorded[0] == TOTAL_STEPS - 1
    assert np.all(np.diff(recorded) < 0)
    assert set(recorded.tolist()) <= set(visited.tolist())
    # The first state is the initial noise: standard normal, from the seed.
    start = np.random.default_rng(0).standard_normal((n, 28, 28)).astype("float32")
    np.testing.assert_array_equal(chain[0], start)
    assert abs(chain[0].std() - 1) < 0.05 and abs(chain[0].mean()) < 0.05
    # Recording does not change the images.
    np.testing.assert_array_equal(images, unconditional.sample(n, steps=steps, seed=0))
    # Every step can be recorded, over several batches.
    _, chain, recorded = unconditional.sample(
        n, steps=steps, seed=0, record=steps, batch_size=3
    )
    assert chain.shape == (steps, n, 28, 28)
    np.testing.assert_array_equal(recorded, visited)


@pytest.mark.parametrize("schedule", ["cosine", "linear"])
@pytest.mark.parametrize("method", ["ddim", "ddpm"])
def test_samplers_return_the_data_of_a_perfect_network(schedule, method):
    """With the exact noise of a one-image data set, every sampler finds it."""
    rng = np.random.default_rng(0)
    target = rng.uniform(-0.8, 0.8, (4, 6)).astype(np.float32)
    model = oracle_diffusion(target, schedule=schedule, total_steps=40)
    for steps in (1, 7, 40):
        images = model.sample(3, steps=steps, method=method, seed=1)
        expected = np.broadcast_to(target, (3, 4, 6))
        np.testing.assert_allclose(images, expected, atol=1e-3)


def test_ddim_chain_of_a_perfect_network_stays_on_one_noise():
    """DDIM with exact noise keeps x_t = sqrt(a_t) x_0 + sqrt(1 - a_t) eps.

    eps is the noise of the start x_T; every recorded x_t must be that mix at
    its recorded step t, which checks the alpha_bar of every step.
    """
    rng = np.random.default_rng(1)
    target = rng.uniform(-0.8, 0.8, (4, 6)).astype(np.float32)
    model = oracle_diffusion(target, total_steps=40)
    alpha_bar = model.alpha_bar
    _, chain, recorded = model.sample(2, steps=8, seed=2, record=8)
    start = chain[0].astype(np.float64)
    eps = (start - np.sqrt(alpha_bar[39]) * target) / np.sqrt(1 - alpha_bar[39])
    for state, step in zip(chain, recorded, strict=True):
        expected = (
            np.sqrt(alpha_bar[step]) * target + np.sqrt(1 - alpha_bar[step]) * eps
        )
        np.testing.assert_allclose(state, expected, atol=1e-4, err_msg=f"step {step}")


def test_conditional_sampling(conditional):
    labels = np.array([0, 1, 2, 0])
    guided = conditional.sample(4, steps=4, labels=labels, guidance=3.0, seed=0)
    assert guided.shape == (4, 28, 28)
    assert guided.min() >= -1.0 and guided.max() <= 1.0
    np.testing.assert_array_equal(
        guided, conditional.sample(4, steps=4, labels=labels, guidance=3.0, seed=0)
    )
    plain = conditional.sample(4, steps=4, labels=labels, seed=0)
    unlabelled = conditional.sample(4, steps=4, seed=0)
    assert not np.allclose(guided, plain)
    assert not np.allclose(plain, unlabelled)
    # Guidance 0 with labels is the unconditional model.
    np.testing.assert_allclose(
        conditional.sample(4, steps=4, labels=labels, guidance=0.0, seed=0),
        unlabelled,
        atol=1e-5,
    )
    # Labels as a list work like an array.
    np.testing.assert_array_equal(
        plain, conditional.sample(4, steps=4, labels=[0, 1, 2, 0], seed=0)
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"labels": [0, 1]}, ValueError, r"labels must hold n=3 labels; got 2"),
        ({"labels": [0, 1, 3]}, ValueError, "labels must be integers from 0 to 2"),
        ({"labels": [0, -1, 2]}, ValueError, "labels must be integers from 0 to 2"),
        ({"labels": [0.0, 1.0, 2.0]}, TypeError, "labels must hold integers"),
        ({"labels": np.eye(3)}, ValueError, r"looks one-hot.*argmax"),
        ({"guidance": 2.0}, ValueError, "guidance=2.0 needs labels"),
        ({"labels": [0, 1, 2], "guidance": -1.0}, ValueError, "guidance"),
        ({"method": "foo"}, ValueError, r"method must be one of 'ddpm', 'ddim'"),
        ({"steps": 0}, ValueError, "steps must be an integer between 1 and 20"),
        ({"steps": 21}, ValueError, "steps must be an integer between 1 and 20"),
        ({"record": 5}, ValueError, "record must be an integer between 0 and 4"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"seed": -1}, ValueError, "seed"),
    ],
)
def test_conditional_sample_bad_arguments(conditional, kwargs, error, match):
    kwargs.setdefault("steps", 4)
    with pytest.raises(error, match=match):
        conditional.sample(3, **kwargs)


@pytest.mark.parametrize(
    ("n", "kwargs", "match"),
    [
        (2, {"labels": [0, 1]}, "this model is unconditional"),
        (2, {"guidance": 0.0}, "needs labels"),
        (0, {}, "n must be a positive integer"),
    ],
)
def test_unconditional_sample_bad_arguments(unconditional, n, kwargs, match):
    with pytest.raises(ValueError, match=match):
        unconditional.sample(n, steps=2, **kwargs)


# --------------------------------------------------------------------------
# saving
# --------------------------------------------------------------------------


def test_conditional_training_then_save_and_load_round_trip(fashion, tmp_path):
    images, labels = fashion
    keras.utils.set_random_seed(2)
    model = tiny_diffusion(
        n_classes=10,
        schedule="linear",
        total_steps=30,
        label_dropout=0.3,
        seed=5,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    before = [w.copy() for w in model.network.get_weights()]
    history = model.fit(images[:16], labels[:16], epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    # fit(images, labels) trains every weight of the network, the labels' too.
    for old, new in zip(before, model.network.get_weights(), strict=True):
        assert not np.array_equal(old, new)
    path = tmp_path / "diffusion.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, Diffusion)
    assert loaded.schedule == "linear" and loaded.total_steps == 30
    assert loaded.n_classes == 10
    assert loaded.label_dropout == 0.3 and loaded.seed == 5
    np.testing.assert_array_equal(loaded.betas, model.betas)
    for original, copy in zip(
        model.network.get_weights(), loaded.network.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(original, copy)
    for kwargs in ({}, {"labels": [0, 5, 9], "guidance": 2.0}, {"method": "ddpm"}):
        np.testing.assert_allclose(
            loaded.sample(3, steps=5, seed=7, **kwargs),
            model.sample(3, steps=5, seed=7, **kwargs),
            atol=1e-6,
        )


def test_module_constants():
    assert diffusion_module.SCHEDULES == ("linear", "cosine")
    assert diffusion_module.METHODS == ("ddpm", "ddim")
    assert diffusion_module.VALUE_RANGE == "[-1,1]"
