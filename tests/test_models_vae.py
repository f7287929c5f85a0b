"""The VAE model, its loss terms and builders (course_utils.models.vae)."""

import keras
import numpy as np
import pytest
from keras import ops

from course_utils import layers
from course_utils.models import vae as vae_module


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    # Blurry blobs with values in [0, 1]: easy to learn, not constant.
    base = rng.random((4, 28, 28))
    return np.clip(
        base[rng.integers(0, 4, 64)] + 0.1 * rng.random((64, 28, 28)), 0, 1
    ).astype(np.float32)


def small_dense_vae(**kwargs):
    kwargs.setdefault("seed", 1)
    return vae_module.build_dense_vae(
        (28, 28), latent_dim=2, hidden_units=(32,), **kwargs
    )


def test_kl_matches_a_monte_carlo_estimate():
    rng = np.random.default_rng(1)
    mean = rng.normal(size=(3, 4)).astype(np.float32)
    log_var = rng.normal(scale=0.5, size=(3, 4)).astype(np.float32)
    closed_form = ops.convert_to_numpy(vae_module.kl_to_standard_normal(mean, log_var))
    std = np.exp(0.5 * log_var)
    z = mean + std * rng.standard_normal((200_000, 3, 4))
    log_q = -0.5 * (((z - mean) / std) ** 2 + log_var + np.log(2 * np.pi))
    log_p = -0.5 * (z**2 + np.log(2 * np.pi))
    monte_carlo = (log_q - log_p).sum(axis=-1).mean(axis=0)
    np.testing.assert_allclose(closed_form, monte_carlo, rtol=0.02, atol=0.02)


def test_kl_is_zero_only_at_the_prior():
    zeros = np.zeros((1, 3), np.float32)
    assert float(vae_module.kl_to_standard_normal(zeros, zeros)[0]) == 0.0
    assert float(
        vae_module.kl_to_standard_normal(zeros + 1, zeros)[0]
    ) == pytest.approx(1.5)


def test_bernoulli_nll_is_summed_binary_cross_entropy():
    rng = np.random.default_rng(2)
    x = rng.random((5, 28, 28)).astype(np.float32)
    p = rng.uniform(0.05, 0.95, (5, 28, 28)).astype(np.float32)
    expected = -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=(1, 2))
    np.testing.assert_allclose(
        ops.convert_to_numpy(vae_module.bernoulli_nll(x, p)), expected, rtol=1e-4
    )


def test_gaussian_nll_formula():
    x = np.zeros((2, 3), np.float32)
    m = np.full((2, 3), 0.5, np.float32)
    expected = 3 * (0.25 / (2 * 0.01) + np.log(0.1 * np.sqrt(2 * np.pi)))
    np.testing.assert_allclose(
        ops.convert_to_numpy(vae_module.gaussian_nll(x, m, 0.1)),
        [expected] * 2,
        rtol=1e-5,
    )


def test_sampling_layer_statistics():
    mean = np.full((100_000, 2), [1.0, -2.0], np.float32)
    log_var = np.full((100_000, 2), np.log([0.25, 4.0]), np.float32)
    z = ops.convert_to_numpy(layers.Sampling(seed=3)([mean, log_var]))
    np.testing.assert_allclose(z.mean(axis=0), [1.0, -2.0], atol=0.02)
    np.testing.assert_allclose(z.var(axis=0), [0.25, 4.0], rtol=0.03)


def test_sampling_layer_is_seeded_and_serializable():
    mean = log_var = np.zeros((4, 3), np.float32)
    first = ops.convert_to_numpy(layers.Sampling(seed=5)([mean, log_var]))
    again = ops.convert_to_numpy(layers.Sampling(seed=5)([mean, log_var]))
    np.testing.assert_array_equal(first, again)
    config = layers.Sampling(seed=5, name="s").get_config()
    assert layers.Sampling.from_config(config).seed == 5


def test_sampling_layer_rejects_a_single_input():
    with pytest.raises(ValueError, match="inputs must be a pair"):
        layers.Sampling()(np.zeros((2, 3), np.float32))


def test_loss_is_reconstruction_plus_beta_kl_and_equals_negative_elbo(images):
    model = small_dense_vae()
    losses = model.compute_losses(images)
    total = float(losses["loss"])
    assert total == pytest.approx(
        float(losses["reconstruction_loss"]) + float(losses["kl_loss"]), rel=1e-5
    )
    # The loss is a one-sample estimate of -ELBO; average many to compare.
    elbo = model.elbo(images, n_samples=50).mean()
    estimates = [float(model.compute_losses(images)["loss"]) for _ in range(20)]
    assert np.mean(estimates) == pytest.approx(-elbo, rel=0.01)


def test_beta_weights_the_kl_term(images):
    plain = small_dense_vae(beta=1.0)
    heavy = vae_module.VAE(plain.encoder, plain.decoder, beta=4.0, seed=1)
    losses = heavy.compute_losses(images)
    assert float(losses["loss"]) == pytest.approx(
        float(losses["reconstruction_loss"]) + 4.0 * float(losses["kl_loss"]), rel=1e-5
    )


def test_beta_changes_the_balance_after_training(images):
    kl = {}
    for beta in (0.1, 10.0):
        keras.utils.set_random_seed(0)
        model = small_dense_vae(beta=beta)
        model.compile(optimizer=keras.optimizers.Adam(1e-2))
        history = model.fit(images, epochs=15, batch_size=32, verbose=0)
        kl[beta] = history.history["kl_loss"][-1]
    assert kl[10.0] < kl[0.1]


def test_training_lowers_the_loss_and_tracks_three_metrics(images):
    keras.utils.set_random_seed(0)
    model = small_dense_vae()
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(images, epochs=10, batch_size=32, verbose=0)
    assert set(history.history) == {"loss", "reconstruction_loss", "kl_loss"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    results = model.evaluate(images, verbose=0, return_dict=True)
    assert set(results) == {"loss", "reconstruction_loss", "kl_loss"}


def test_fit_accepts_x_and_y(images):
    model = small_dense_vae()
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(images, images, epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_sample_encode_decode_shapes_and_ranges(images):
    model = small_dense_vae()
    samples = model.sample(7, seed=0)
    assert samples.shape == (7, 28, 28)
    assert samples.min() >= 0 and samples.max() <= 1
    np.testing.assert_array_equal(samples, model.sample(7, seed=0))
    mean, log_var = model.encode(images)
    assert mean.shape == log_var.shape == (64, 2)
    assert model.decode(mean).shape == (64, 28, 28)
    assert model(images).shape == (64, 28, 28)


@pytest.mark.parametrize(
    "builder", [vae_module.build_dense_vae, vae_module.build_conv_vae]
)
def test_save_and_load_round_trip(builder, images, tmp_path):
    model = builder((28, 28), latent_dim=3, seed=2)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(images, epochs=1, batch_size=32, verbose=0)
    path = tmp_path / "vae.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, vae_module.VAE)
    assert loaded.beta == model.beta and loaded.latent_dim == 3
    codes = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(loaded.decode(codes), model.decode(codes), atol=1e-6)
    np.testing.assert_allclose(
        loaded.encode(images)[0], model.encode(images)[0], atol=1e-6
    )


def test_conv_vae_shapes_with_channels():
    model = vae_module.build_conv_vae((32, 32, 3), latent_dim=4, filters=(8, 16))
    assert model.encoder.output_shape == [(None, 4), (None, 4)]
    assert model.decoder.output_shape == (None, 32, 32, 3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"beta": -1.0}, "beta"),
        ({"beta": float("nan")}, "beta"),
        ({"reconstruction": "poisson"}, "reconstruction"),
        ({"output_std": 0.0}, "output_std"),
    ],
)
def test_vae_bad_arguments(kwargs, match):
    model = small_dense_vae()
    with pytest.raises(ValueError, match=match):
        vae_module.VAE(model.encoder, model.decoder, **kwargs)


@pytest.mark.parametrize(
    ("builder", "kwargs", "match"),
    [
        (vae_module.build_dense_vae, {"latent_dim": 0}, "latent_dim"),
        (vae_module.build_dense_vae, {"hidden_units": (0,)}, "hidden_units"),
        (vae_module.build_dense_vae, {"beta": -0.5}, "beta"),
        (vae_module.build_conv_vae, {"latent_dim": 0}, "latent_dim"),
        (vae_module.build_conv_vae, {"input_shape": (30, 30)}, "divisible"),
        (vae_module.build_conv_vae, {"filters": ()}, "filters"),
        (vae_module.build_conv_vae, {"input_shape": (28,)}, "input_shape"),
    ],
)
def test_builder_bad_arguments(builder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        builder(**kwargs)


def test_builder_rejects_a_non_integer_latent_dim():
    with pytest.raises(TypeError, match="latent_dim must be a positive integer"):
        vae_module.build_dense_vae(latent_dim=2.0)


def test_mismatched_encoder_and_decoder_are_rejected():
    model = small_dense_vae()
    other = vae_module.build_dense_vae((28, 28), latent_dim=3, hidden_units=(8,))
    with pytest.raises(ValueError, match="decoder must take codes of shape"):
        vae_module.VAE(model.encoder, other.decoder)
    small_images = vae_module.build_dense_vae((8, 8), latent_dim=2, hidden_units=(8,))
    with pytest.raises(ValueError, match="decoder must output images"):
        vae_module.VAE(model.encoder, small_images.decoder)
    single_output = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(2)]
    )
    with pytest.raises(ValueError, match="encoder must output two tensors"):
        vae_module.VAE(single_output, model.decoder)
    with pytest.raises(TypeError, match="encoder must be a keras.Model"):
        vae_module.VAE("encoder", model.decoder)


@pytest.mark.parametrize(
    ("n", "error"),
    [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)],
)
def test_sample_rejects_bad_n(n, error):
    with pytest.raises(error, match=rf"n must be a positive integer; got {n!r}"):
        small_dense_vae().sample(n)


def test_decode_rejects_codes_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"codes must have shape \(N, 2\)"):
        small_dense_vae().decode(np.zeros((3, 5)))


def compiled_vae(**kwargs):
    vae = small_dense_vae(**kwargs)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    return vae


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (
            np.full((8, 28, 28), 200, np.uint8),
            ValueError,
            r"x must have values in \[0,1\]; got values from 200 to 200: scale "
            r"them with cu.data.scale_images",
        ),
        (np.full((8, 28, 28), np.nan, np.float32), ValueError, r"x must .* finite"),
        (np.zeros((8, 28, 28, 3), np.float32), ValueError, r"x must have shape"),
        (np.full((8, 28, 28), -1.0, np.float32), ValueError, r"\(images \+ 1\) / 2"),
    ],
)
def test_vae_fit_checks_the_images_before_training(bad, error, message):
    vae = compiled_vae()
    before = [ops.convert_to_numpy(w) for w in vae.trainable_weights]
    with pytest.raises(error, match=message):
        vae.fit(bad, epochs=1, verbose=0)
    assert all(
        np.array_equal(a, ops.convert_to_numpy(b))
        for a, b in zip(before, vae.trainable_weights, strict=True)
    )


def test_vae_fit_checks_the_first_batch_of_a_dataset(images):
    import tensorflow as tf

    vae = compiled_vae()
    dataset = tf.data.Dataset.from_tensor_slices(images * 255).batch(16)
    with pytest.raises(ValueError, match=r"x must have values in \[0,1\]"):
        vae.fit(dataset, epochs=1, verbose=0)
    history = vae.fit(
        tf.data.Dataset.from_tensor_slices(images).batch(16), epochs=1, verbose=0
    )
    assert np.isfinite(history.history["loss"][-1])


def test_vae_encode_elbo_and_decode_check_their_inputs(images):
    vae = small_dense_vae()
    with pytest.raises(ValueError, match=r"images must have values in \[0,1\]"):
        vae.encode(images * 255)
    with pytest.raises(ValueError, match=r"images must contain only finite"):
        vae.elbo(np.full((2, 28, 28), np.inf, np.float32))
    for n_samples in (-1, 0):
        with pytest.raises(ValueError, match=r"n_samples must be a positive integer"):
            vae.elbo(images[:2], n_samples=n_samples)
    with pytest.raises(TypeError, match=r"n_samples must be a positive integer"):
        vae.elbo(images[:2], n_samples=1.5)
    with pytest.raises(ValueError, match=r"codes must contain only finite"):
        vae.decode(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match=r"codes must have shape \(N, 2\)"):
        vae.decode(np.zeros((1, 3)))
    assert vae.elbo(images[:3], n_samples=np.int64(2)).shape == (3,)


def test_vae_sample_follows_the_global_seed_and_checks_explicit_ones():
    from course_utils import seeding

    vae = small_dense_vae()
    seeding.reset_seed(0)
    first = vae.sample(2)
    seeding.reset_seed(0)
    np.testing.assert_array_equal(vae.sample(2), first)
    assert not np.array_equal(vae.sample(2), first)
    np.testing.assert_array_equal(vae.sample(2, seed=3), vae.sample(2, seed=3))
    with pytest.raises(ValueError, match=r"seed must be an integer between 0"):
        vae.sample(2, seed=-1)


def test_losses_refuse_mismatched_shapes_instead_of_broadcasting():
    with pytest.raises(ValueError, match=r"mean and log_var must have the same"):
        vae_module.kl_to_standard_normal(ops.zeros((4, 2)), ops.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"images and probabilities must have"):
        vae_module.bernoulli_nll(ops.ones((4, 6)), ops.ones((4, 1)) / 2)
    with pytest.raises(ValueError, match=r"images and means must have the same"):
        vae_module.gaussian_nll(ops.ones((4, 6)), ops.ones((6,)), 1.0)
    with pytest.raises(ValueError, match=r"std must be a finite number > 0"):
        vae_module.gaussian_nll(ops.ones((1, 2)), ops.ones((1, 2)), 0.0)


def test_latent_code_helpers_reject_non_finite_values():
    with pytest.raises(ValueError, match=r"span must be a finite number > 0"):
        vae_module.grid_codes(2, span=float("inf"))
    with pytest.raises(ValueError, match=r"start must contain only finite"):
        vae_module.traversal_codes(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match=r"end must contain only finite"):
        vae_module.interpolate_codes([0.0, 0.0], [np.inf, 0.0])


# -- the "logistic" decoder and the importance-weighted bound (notebook 10) ----


def tiny_logistic_vae(seed=0):
    """A VAE of 1x2-pixel images with a 1-D code, random weights."""
    vae = vae_module.build_dense_vae(
        (1, 2), latent_dim=1, hidden_units=(8,), reconstruction="logistic", seed=seed
    )
    rng = np.random.default_rng(seed)
    for weight in vae.trainable_weights:
        weight.assign(rng.normal(0, 0.3, weight.shape).astype("float32"))
    return vae


def test_logistic_nll_is_a_probability_of_the_levels():
    levels = np.arange(256, dtype=np.float32).reshape(256, 1) / 255
    means = np.full((256, 1), 0.4, np.float32)
    nll = ops.convert_to_numpy(vae_module.logistic_nll(levels, means, np.full(1, 1.5)))
    assert np.exp(-nll).sum() == pytest.approx(1.0, abs=1e-4)
    assert np.argmin(nll) == round(0.4 * 255)


def test_logistic_vae_log_likelihood_by_brute_force():
    """log p(x) by integrating p(x|z) p(z) over a grid of the 1-D code."""
    vae = tiny_logistic_vae()
    x = np.array([[[30, 200]]], np.float32) / 255
    z = np.linspace(-9, 9, 6001, dtype=np.float32)[:, None]
    means, log_scales = vae.likelihood_parameters(z)
    log_likelihood = -ops.convert_to_numpy(
        vae_module.logistic_nll(np.repeat(x, len(z), 0), means, log_scales)
    )
    log_prior = -0.5 * (z[:, 0] ** 2 + np.log(2 * np.pi))
    integrand = np.exp(log_likelihood + log_prior - (log_likelihood + log_prior).max())
    log_p = (
        np.log(np.trapezoid(integrand, z[:, 0])) + (log_likelihood + log_prior).max()
    )
    many = np.repeat(x, 4000, 0)  # 4,000 draws of z for the Monte Carlo means
    elbo = vae.elbo(many).mean()
    iwae_1 = vae.importance_weighted_bound(many, k=1).mean()
    iwae = vae.importance_weighted_bound(x, k=20_000)[0]
    # measured: log p -181.6, ELBO -206.4 (+- 0.6), k = 1 -206.7, k = 20,000 -181.6
    assert log_p - elbo > 10  # the ELBO is a loose lower bound here ...
    assert iwae_1 == pytest.approx(elbo, abs=2.5)  # ... k = 1 estimates the same ...
    assert iwae == pytest.approx(log_p, abs=0.05)  # ... and many samples close the gap


def test_importance_weighted_bound_rises_with_k():
    vae = tiny_logistic_vae(seed=3)
    x = np.array([[[0, 255]], [[128, 7]]], np.float32) / 255
    bounds = [
        vae.importance_weighted_bound(np.repeat(x, 300, 0), k=k).mean()
        for k in (1, 10, 100)
    ]
    assert bounds[0] < bounds[1] < bounds[2]


def test_logistic_vae_scores_bits_per_dim_and_round_trips(tmp_path):
    vae = vae_module.build_dense_vae(
        (28, 28), latent_dim=2, hidden_units=(16,), reconstruction="logistic", seed=0
    )
    images = np.random.default_rng(0).integers(0, 256, (8, 28, 28)) / 255
    bits = vae.bits_per_dim(images, k=5)
    assert 8 < bits < 30  # no model compresses uniformly random levels
    assert np.isfinite(bits)
    path = tmp_path / "vae.keras"
    vae.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.reconstruction == "logistic"
    # the same weights: the same parameters of p(x|z), log-scales included
    codes = np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2)
    for a, b in zip(
        vae.likelihood_parameters(codes),
        loaded.likelihood_parameters(codes),
        strict=True,
    ):
        np.testing.assert_allclose(ops.convert_to_numpy(a), ops.convert_to_numpy(b))


def test_logistic_vae_refuses_images_that_are_not_8_bit_levels():
    vae = small_dense_vae(reconstruction="logistic")
    with pytest.raises(ValueError, match=r"x must be 8-bit grey levels / 255"):
        vae.fit(np.full((4, 28, 28), 0.3, np.float32), epochs=1, verbose=0)


def test_bits_per_dim_needs_the_logistic_decoder(images):
    with pytest.raises(
        ValueError, match="reconstruction='logistic'; this VAE has 'bernoulli'"
    ):
        small_dense_vae().bits_per_dim(images)
    with pytest.raises(
        ValueError, match="reconstruction must be 'bernoulli' or 'logistic'"
    ):
        small_dense_vae(reconstruction="gaussian")
    with pytest.raises(ValueError, match="k"):
        small_dense_vae(reconstruction="logistic").importance_weighted_bound(
            np.zeros((1, 28, 28)), k=0
        )
