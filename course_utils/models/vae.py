"""Variational autoencoders: the ``VAE`` model and dense / conv builders.

A VAE's encoder outputs the mean ``mu`` and ``gamma = log(sigma^2)`` of a
Gaussian ``q(z|x)``; a code ``z = mu + sigma * eps`` is sampled (the
reparameterization trick, :class:`course_utils.layers.Sampling`) and decoded
into the parameters of ``p(x|z)``. Training minimises the negative evidence
lower bound (ELBO), per image, in nats::

    loss = reconstruction + beta * KL
    reconstruction = -log p(x|z)             (summed over pixels)
    KL = -1/2 * sum_j (1 + gamma_j - mu_j^2 - exp(gamma_j))

With ``beta = 1`` the loss is exactly ``-ELBO``. Taught in
``notebooks/05_variational_autoencoders.ipynb``; the ``"logistic"`` decoder
and the importance-weighted bound (:meth:`VAE.importance_weighted_bound`),
which turn the VAE into a likelihood model of 8-bit images comparable with
the exact likelihoods of PixelCNN and RealNVP, in
``notebooks/10_tractable_density_models.ipynb``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from course_utils import layers as course_layers
from course_utils._arguments import (
    finite_array,
    integer,
    number,
    numpy_rng,
    optional_seed,
    positive_int,
    same_shape,
)
from course_utils.data import check_images
from course_utils.likelihood import (
    PIXEL_LEVELS,
    bits_per_dim,
    discretized_logistic_log_prob,
)
from course_utils.models._inputs import ImageInputs

_RECONSTRUCTIONS = ("bernoulli", "gaussian", "logistic")
#: Initial log-scale (in grey levels) of the "logistic" decoder's pixels.
INITIAL_PIXEL_LOG_SCALE = 2.0


def kl_to_standard_normal(mean, log_var):
    """KL divergence from ``N(mean, exp(log_var))`` to ``N(0, I)``, per example.

    ``KL = -1/2 * sum_j (1 + log_var_j - mean_j^2 - exp(log_var_j))``, summed
    over the last axis.

    Args:
        mean: Tensor of shape (batch, latent_dim).
        log_var: Tensor of the same shape, ``gamma = log(sigma^2)``.

    Returns:
        A tensor of shape (batch,), in nats.

    Raises:
        ValueError: If ``mean`` and ``log_var`` differ in shape (checked on
            static shapes, once per trace inside ``train_step``).

    Example:
        >>> float(kl_to_standard_normal(ops.ones((1, 2)), ops.zeros((1, 2)))[0])
        1.0
    """
    same_shape("mean", mean, "log_var", log_var)
    return -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)


def bernoulli_nll(images, probabilities):
    """Negative log-likelihood of images under independent Bernoulli pixels.

    ``-sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)]`` over all pixels, i.e. the
    binary cross-entropy summed (not averaged) over pixels. Probabilities are
    clipped to ``[eps, 1 - eps]`` (``keras.config.epsilon()``) for the logs.

    Args:
        images: Tensor (batch, ...) with values in [0, 1].
        probabilities: Decoder outputs of the same shape, in [0, 1].

    Returns:
        A tensor of shape (batch,), in nats.

    Raises:
        ValueError: If ``images`` and ``probabilities`` differ in shape.

    Example:
        >>> x = ops.ones((1, 4)); p = ops.full((1, 4), 0.5)
        >>> round(float(bernoulli_nll(x, p)[0]), 4)  # 4 * log 2
        2.7726
    """
    same_shape("images", images, "probabilities", probabilities)
    epsilon = keras.config.epsilon()
    p = ops.clip(probabilities, epsilon, 1.0 - epsilon)
    log_likelihood = images * ops.log(p) + (1.0 - images) * ops.log(1.0 - p)
    return -ops.sum(ops.reshape(log_likelihood, (ops.shape(images)[0], -1)), axis=-1)


def gaussian_nll(images, means, std: float):
    """Negative log-likelihood under independent Gaussians of fixed std.

    ``sum_i [(x_i - m_i)^2 / (2 std^2) + log(std * sqrt(2 pi))]``: the MSE
    loss is this up to a scale and a constant, so MSE training assumes
    Gaussian pixel noise of one fixed standard deviation.

    Args:
        images: Tensor (batch, ...).
        means: Decoder outputs of the same shape.
        std: The fixed standard deviation (> 0).

    Returns:
        A tensor of shape (batch,), in nats.

    Raises:
        ValueError: If ``images`` and ``means`` differ in shape or ``std`` is
            not a finite number > 0.

    Example:
        >>> x = ops.zeros((1, 1)); m = ops.zeros((1, 1))
        >>> round(float(gaussian_nll(x, m, 1.0)[0]), 4)  # log sqrt(2 pi)
        0.9189
    """
    same_shape("images", images, "means", means)
    std = number("std", std, low=0, low_open=True)
    squared = ops.reshape(ops.square(images - means), (ops.shape(images)[0], -1))
    n_pixels = ops.cast(ops.shape(squared)[1], squared.dtype)
    constant = n_pixels * math.log(std * math.sqrt(2.0 * math.pi))
    return ops.sum(squared, axis=-1) / (2.0 * std**2) + constant


def logistic_nll(images, means, log_scales):
    """Negative log-likelihood of 8-bit images under discretised logistics.

    ``images`` are grey levels scaled to [0, 1] (``level / 255``); each
    pixel's level has the probability of its bin under a logistic of mean
    ``255 * means`` and log-scale ``log_scales`` (in grey levels, one per
    pixel, broadcast over the batch); see
    :func:`course_utils.likelihood.discretized_logistic_log_prob`. Being a
    probability of the levels, not a density, it makes the VAE's ELBO a
    bound on the same quantity as a PixelCNN's exact likelihood.

    Args:
        images: Tensor (batch, ...) of levels / 255.
        means: Decoder outputs of the same shape, in [0, 1].
        log_scales: Log-scales of the pixels, the images' shape (or one
            image's, broadcast over the batch).

    Returns:
        A tensor of shape (batch,), in nats.

    Example:
        >>> x = ops.zeros((1, 2)); m = ops.zeros((1, 2))
        >>> round(float(logistic_nll(x, m, ops.zeros(2))[0]), 3)  # -2 log sigmoid(0.5)
        0.948
    """
    same_shape("images", images, "means", means)
    levels = ops.round(ops.cast(images, "float32") * (PIXEL_LEVELS - 1))
    log_probs = discretized_logistic_log_prob(
        levels, ops.cast(means, "float32") * (PIXEL_LEVELS - 1), log_scales
    )
    return -ops.sum(ops.reshape(log_probs, (ops.shape(levels)[0], -1)), axis=-1)


def _normal_log_density(z, mean, log_var):
    """``log N(z; mean, exp(log_var))`` summed over the last axis."""
    return -0.5 * ops.sum(
        math.log(2 * math.pi) + log_var + ops.square(z - mean) / ops.exp(log_var),
        axis=-1,
    )


@keras.saving.register_keras_serializable(package="course_utils")
class VAE(ImageInputs, keras.Model):
    """A variational autoencoder with its own ``train_step`` and ``test_step``.

    Args:
        encoder: A model mapping images to ``[mean, log_var]``, two tensors of
            shape (batch, latent_dim).
        decoder: A model mapping codes (batch, latent_dim) to images of the
            encoder's input shape: pixel probabilities for "bernoulli", means
            for "gaussian".
        beta: Weight of the KL term (1 = the true ELBO; > 1 = beta-VAE).
        reconstruction: "bernoulli" (binary cross-entropy summed over pixels),
            "gaussian" (squared error with fixed ``output_std``) or
            "logistic" (a discretised logistic per pixel for images of 8-bit
            levels / 255: the decoder gives the means, a linear map of the
            code, the dense layer ``pixel_log_scale`` of the VAE, gives each
            pixel's log-scale; the ELBO is then a bound on the
            log-probability of the levels, see :func:`logistic_nll`).
        output_std: Standard deviation of the Gaussian likelihood.
        seed: Seed of the sampling layer.
        **kwargs: ``keras.Model`` arguments (``name``...).

    Metrics tracked by ``fit`` / ``evaluate`` (per image, in nats): ``loss``,
    ``reconstruction_loss`` and ``kl_loss``.

    Example:
        >>> vae = build_dense_vae((28, 28), latent_dim=2)
        >>> vae.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> history = vae.fit(images, epochs=1)  # doctest: +SKIP
        >>> vae.sample(16).shape  # doctest: +SKIP
        (16, 28, 28)
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        beta: float = 1.0,
        reconstruction: str = "bernoulli",
        output_std: float = 0.1,
        seed: int | None = None,
        **kwargs,
    ):
        kwargs.setdefault("name", "vae")
        super().__init__(**kwargs)
        self.latent_dim = _check_encoder_decoder(encoder, decoder)
        if reconstruction not in _RECONSTRUCTIONS:
            raise ValueError(
                "reconstruction must be one of "
                f"{', '.join(map(repr, _RECONSTRUCTIONS))}; got {reconstruction!r}"
            )
        self.encoder = encoder
        self.decoder = decoder
        self.beta = number("beta", beta, low=0)
        self.reconstruction = reconstruction
        self.output_std = number("output_std", output_std, low=0, low_open=True)
        self.seed = optional_seed(seed)
        self.sampling = course_layers.Sampling(seed=self.seed, name="sampling")
        if reconstruction == "logistic":
            image_shape = tuple(encoder.inputs[0].shape[1:])
            self.pixel_log_scale = keras.layers.Dense(
                int(np.prod(image_shape)),
                kernel_initializer="zeros",
                bias_initializer=keras.initializers.Constant(INITIAL_PIXEL_LOG_SCALE),
                name="pixel_log_scale",
            )
            self.pixel_log_scale.build((None, self.latent_dim))
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")
        self.built = True  # the parts are built models; sampling has no weights

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def call(self, inputs, training=None):
        mean, log_var = self.encoder(inputs, training=training)
        return self.decoder(self.sampling([mean, log_var]), training=training)

    def likelihood_parameters(self, codes, training=False):
        """The parameters of ``p(x|z)`` for codes ``z``.

        The decoder's output, or for a "logistic" VAE the tuple (decoder
        output, log-scales of the pixels).
        """
        decoded = self.decoder(codes, training=training)
        if self.reconstruction != "logistic":
            return decoded
        log_scales = ops.reshape(self.pixel_log_scale(codes), ops.shape(decoded))
        return decoded, log_scales

    def negative_log_likelihood(self, images, decoded):
        """``-log p(x|z)`` per image for the chosen reconstruction model.

        ``decoded`` is what :meth:`likelihood_parameters` returns.
        """
        if self.reconstruction == "bernoulli":
            return bernoulli_nll(images, decoded)
        if self.reconstruction == "logistic":
            return logistic_nll(images, *decoded)
        return gaussian_nll(images, decoded, self.output_std)

    def check_images(self, images, name: str = "images") -> np.ndarray:
        """Check images (see :class:`ImageInputs`), and 8-bit levels if "logistic".

        A "logistic" VAE scores each pixel's grey level, so its images must be
        8-bit levels / 255.

        Example:
            >>> vae = build_dense_vae(latent_dim=2, reconstruction="logistic")
            >>> vae.check_images(np.full((1, 28, 28), 0.3))
            Traceback (most recent call last):
            ValueError: images must be 8-bit grey levels / 255 for ...
        """
        images = super().check_images(images, name)
        if self.reconstruction == "logistic":
            levels = np.asarray(images, np.float64) * (PIXEL_LEVELS - 1)
            off = np.abs(levels - np.round(levels)).max()
            if off > 1e-3:
                raise ValueError(
                    f"{name} must be 8-bit grey levels / 255 for "
                    "reconstruction='logistic' (e.g. load_fashion_mnist()); got "
                    f"values up to {off:.3g} levels away from a whole level"
                )
        return images

    def compute_losses(self, images, training=False) -> dict:
        """Per-batch mean of the loss terms (nats per image) on one sample of z.

        Args:
            images: A batch of images.
            training: Passed to the encoder and decoder.

        Returns:
            A dict with ``loss``, ``reconstruction_loss`` and ``kl_loss``.
        """
        mean, log_var = self.encoder(images, training=training)
        codes = self.sampling([mean, log_var])
        decoded = self.likelihood_parameters(codes, training=training)
        images = ops.cast(images, "float32")
        reconstruction = ops.mean(self.negative_log_likelihood(images, decoded))
        kl = ops.mean(kl_to_standard_normal(mean, log_var))
        return {
            "loss": reconstruction + self.beta * kl,
            "reconstruction_loss": reconstruction,
            "kl_loss": kl,
        }

    def _update_trackers(self, losses: dict) -> dict:
        self.loss_tracker.update_state(losses["loss"])
        self.reconstruction_tracker.update_state(losses["reconstruction_loss"])
        self.kl_tracker.update_state(losses["kl_loss"])
        return {metric.name: metric.result() for metric in self.metrics}

    def train_step(self, data):
        images = _images_of(data)
        with tf.GradientTape() as tape:
            losses = self.compute_losses(images, training=True)
        gradients = tape.gradient(losses["loss"], self.trainable_weights)
        self.optimizer.apply_gradients(
            zip(gradients, self.trainable_weights, strict=True)
        )
        return self._update_trackers(losses)

    def test_step(self, data):
        return self._update_trackers(self.compute_losses(_images_of(data)))

    @property
    def _image_model(self):
        return self.decoder

    def encode(self, images, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Return the encoder's ``(mean, log_var)`` as NumPy arrays.

        Args:
            images: Images (N, *image_shape) in the model's value range.
            batch_size: Prediction batch size.

        Raises:
            TypeError, ValueError: For images of the wrong dtype, shape or
                range, or holding NaN / infinity (see :meth:`check_images`).

        Example:
            >>> mean, log_var = vae.encode(images)  # doctest: +SKIP
        """
        images = self.check_images(images)
        batch_size = positive_int("batch_size", batch_size)
        mean, log_var = self.encoder.predict(images, batch_size=batch_size, verbose=0)
        return mean, log_var

    def decode(self, codes, batch_size: int = 256) -> np.ndarray:
        """Decode codes (N, latent_dim) into images (pixel means) as NumPy.

        Raises:
            TypeError: If the codes are not numbers.
            ValueError: If they are not (N, latent_dim) or not finite.

        Example:
            >>> vae.decode(np.zeros((1, vae.latent_dim))).shape  # doctest: +SKIP
            (1, 28, 28)
        """
        codes = check_images(codes, (self.latent_dim,), name="codes")
        batch_size = positive_int("batch_size", batch_size)
        return self.decoder.predict(
            codes.astype(np.float32), batch_size=batch_size, verbose=0
        )

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """Generate ``n`` images by decoding codes drawn from the prior N(0, I).

        Args:
            n: Number of images (>= 1).
            seed: Seed of the codes (0 to 2**32 - 1); None draws it from
                NumPy's global state, so ``cu.setup(seed)`` repeats samples.

        Example:
            >>> vae.sample(16, seed=0).shape  # doctest: +SKIP
            (16, 28, 28)
        """
        n = positive_int("n", n)
        codes = numpy_rng(seed).standard_normal((n, self.latent_dim))
        return self.decode(codes)

    def elbo(self, images, n_samples: int = 1, batch_size: int = 256) -> np.ndarray:
        """Monte Carlo estimate of the ELBO of each image, in nats.

        ``ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z))``, averaged over
        ``n_samples`` draws of z. Higher is better; use ``-elbo`` as an
        anomaly score.

        Args:
            images: Images (N, *image_shape) in the model's value range.
            n_samples: Draws of z per image (a positive integer).
            batch_size: Images per forward pass.

        Raises:
            TypeError, ValueError: For bad images (see :meth:`check_images`)
                or an ``n_samples`` / ``batch_size`` that is not a positive
                integer.

        Example:
            >>> vae.elbo(images[:10]).shape  # doctest: +SKIP
            (10,)
        """
        images = self.check_images(images).astype(np.float32)
        n_samples = positive_int("n_samples", n_samples)
        batch_size = positive_int("batch_size", batch_size)
        results = []
        for start in range(0, len(images), batch_size):
            batch = images[start : start + batch_size]
            mean, log_var = self.encoder(batch, training=False)
            kl = kl_to_standard_normal(mean, log_var)
            nll = 0.0
            for _ in range(n_samples):
                decoded = self.likelihood_parameters(self.sampling([mean, log_var]))
                nll = nll + self.negative_log_likelihood(batch, decoded)
            results.append(ops.convert_to_numpy(-(nll / n_samples) - kl))
        return np.concatenate(results)

    def importance_weighted_bound(
        self, images, k: int = 100, batch_size: int = 100
    ) -> np.ndarray:
        """The importance-weighted bound of each image's log-likelihood, in nats.

        ``log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x)`` with ``z_i ~ q(z|x)``
        (Burda et al., 2016): with ``k = 1`` an estimate of the ELBO, and it
        rises towards ``log p(x)`` as ``k`` grows, so it is a tighter lower
        bound than the ELBO. Costs ``k`` decoder passes per image.

        Args:
            images: Images (N, *image_shape) in the model's value range.
            k: Importance samples per image (>= 1).
            batch_size: Images per pass (``batch_size * k`` codes at once).

        Example:
            >>> vae.importance_weighted_bound(images[:10], k=50).shape  # doctest: +SKIP
            (10,)
        """
        images = self.check_images(images).astype(np.float32)
        k = positive_int("k", k)
        batch_size = positive_int("batch_size", batch_size)
        results = []
        for start in range(0, len(images), batch_size):
            batch = images[start : start + batch_size]
            n = len(batch)
            mean, log_var = self.encoder(batch, training=False)
            mean = ops.repeat(mean, k, axis=0)
            log_var = ops.repeat(log_var, k, axis=0)
            codes = self.sampling([mean, log_var])
            decoded = self.likelihood_parameters(codes)
            repeated = ops.repeat(batch, k, axis=0)
            log_weights = (
                -self.negative_log_likelihood(repeated, decoded)
                + _normal_log_density(codes, 0.0, ops.zeros_like(codes))
                - _normal_log_density(codes, mean, log_var)
            )
            log_weights = ops.reshape(log_weights, (n, k))
            bound = ops.logsumexp(log_weights, axis=1) - math.log(k)
            results.append(ops.convert_to_numpy(bound).astype(np.float64))
        return np.concatenate(results)

    def bits_per_dim(self, images, k: int = 1, batch_size: int = 100) -> float:
        """A bound of the negative log-likelihood in bits per pixel (upper bound).

        ``k = 1``: the negative ELBO (one z per image); ``k > 1``: the
        importance-weighted bound. Only a "logistic" VAE scores 8-bit levels,
        so only its bits per dimension compare with PixelCNN's.

        Example:
            >>> vae.bits_per_dim(images[:100], k=100)  # doctest: +SKIP
            4.2
        """
        if self.reconstruction != "logistic":
            raise ValueError(
                "bits_per_dim needs a likelihood of 8-bit levels: "
                f"reconstruction='logistic'; this VAE has {self.reconstruction!r}"
            )
        bound = self.importance_weighted_bound(images, k, batch_size)
        dims = int(np.prod(self.image_shape))
        return float(bits_per_dim(-bound.mean(), dims))

    def get_config(self):
        return {
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "beta": self.beta,
            "reconstruction": self.reconstruction,
            "output_std": self.output_std,
            "seed": self.seed,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for part in ("encoder", "decoder"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)


def _images_of(data):
    """``fit(x)`` passes x; ``fit(x, y)`` a tuple: a VAE only needs x."""
    if isinstance(data, (tuple, list)):
        return data[0]
    return data


def _check_encoder_decoder(encoder, decoder) -> int:
    """Check that the parts fit together; return the latent size."""
    for name, part in (("encoder", encoder), ("decoder", decoder)):
        if not isinstance(part, keras.Model):
            raise TypeError(f"{name} must be a keras.Model; got {type(part).__name__}")
    outputs = encoder.outputs if isinstance(encoder.outputs, list) else None
    if outputs is None or len(outputs) != 2:
        raise ValueError(
            "encoder must output two tensors [mean, log_var]; "
            f"got {len(outputs) if outputs else 'a single output'}"
        )
    mean_shape, log_var_shape = (tuple(t.shape) for t in outputs)
    if mean_shape != log_var_shape or len(mean_shape) != 2:
        raise ValueError(
            "encoder outputs mean and log_var must both have shape (batch, "
            f"latent_dim); got {mean_shape} and {log_var_shape}"
        )
    latent_dim = mean_shape[1]
    decoder_input = tuple(decoder.inputs[0].shape)
    if decoder_input[1:] != (latent_dim,):
        raise ValueError(
            f"decoder must take codes of shape (batch, {latent_dim}) like the "
            f"encoder's outputs; its input has shape {decoder_input}"
        )
    image_shape = tuple(encoder.inputs[0].shape[1:])
    decoded_shape = tuple(decoder.outputs[0].shape[1:])
    if image_shape != decoded_shape:
        raise ValueError(
            f"decoder must output images of the encoder's input shape "
            f"{image_shape}; it outputs {decoded_shape}"
        )
    return int(latent_dim)


def _gaussian_head(features, latent_dim: int):
    mean = keras.layers.Dense(latent_dim, name="z_mean")(features)
    log_var = keras.layers.Dense(latent_dim, name="z_log_var")(features)
    return [mean, log_var]


def build_dense_vae(
    input_shape: Sequence[int] = (28, 28),
    latent_dim: int = 2,
    hidden_units: Sequence[int] = (256, 128),
    *,
    activation: str = "relu",
    beta: float = 1.0,
    reconstruction: str = "bernoulli",
    seed: int | None = None,
) -> VAE:
    """A dense VAE with a Bernoulli decoder (sigmoid outputs).

    Encoder: Flatten -> Dense(hidden_units...) -> two Dense heads, ``z_mean``
    and ``z_log_var``. Decoder: Dense(reversed hidden_units...) ->
    Dense(prod(input_shape), sigmoid) -> Reshape.

    Args:
        input_shape: Shape of one image.
        latent_dim: Size of the codes.
        hidden_units: Hidden layer sizes of the encoder, outermost first.
        activation: Hidden activation.
        beta: Weight of the KL term.
        reconstruction: The likelihood of the sigmoid outputs, "bernoulli"
            or "logistic" (see :class:`VAE`).
        seed: Seed of the sampling layer.

    Returns:
        An uncompiled :class:`VAE`.

    Raises:
        TypeError: If a size is not an integer.
        ValueError: If a size is smaller than 1 or beta is negative.

    Example:
        >>> build_dense_vae((28, 28), latent_dim=2).latent_dim
        2
    """
    image_shape = tuple(
        positive_int(f"input_shape[{i}]", s) for i, s in enumerate(input_shape)
    )
    latent_dim = positive_int("latent_dim", latent_dim)
    hidden_units = tuple(
        positive_int(f"hidden_units[{i}]", u) for i, u in enumerate(hidden_units)
    )
    inputs = keras.Input(image_shape)
    features = keras.layers.Flatten()(inputs)
    for units in hidden_units:
        features = keras.layers.Dense(units, activation=activation)(features)
    encoder = keras.Model(inputs, _gaussian_head(features, latent_dim), name="encoder")

    codes = keras.Input((latent_dim,))
    hidden = codes
    for units in reversed(hidden_units):
        hidden = keras.layers.Dense(units, activation=activation)(hidden)
    pixels = keras.layers.Dense(int(np.prod(image_shape)), activation="sigmoid")(hidden)
    decoder = keras.Model(
        codes, keras.layers.Reshape(image_shape)(pixels), name="decoder"
    )
    if reconstruction not in ("bernoulli", "logistic"):
        raise ValueError(
            "reconstruction must be 'bernoulli' or 'logistic' for the sigmoid "
            f"decoder; got {reconstruction!r}"
        )
    return VAE(
        encoder,
        decoder,
        beta=beta,
        reconstruction=reconstruction,
        seed=seed,
        name="dense_vae",
    )


def build_conv_vae(
    input_shape: Sequence[int] = (28, 28),
    latent_dim: int = 2,
    filters: Sequence[int] = (32, 64),
    *,
    dense_units: int = 128,
    beta: float = 1.0,
    seed: int | None = None,
) -> VAE:
    """A convolutional VAE with a Bernoulli decoder.

    Encoder: one strided 3x3 convolution per entry of ``filters`` (halving
    the resolution each time) -> Flatten -> Dense(dense_units) -> ``z_mean``
    and ``z_log_var``. Decoder: Dense -> Reshape -> one transposed
    convolution per stage -> a sigmoid convolution to the image channels.

    Args:
        input_shape: (height, width) or (height, width, channels); height and
            width divisible by ``2 ** len(filters)``.
        latent_dim: Size of the codes.
        filters: Filters per stage, outermost first.
        dense_units: Units of the dense layer before the Gaussian heads.
        beta: Weight of the KL term.
        seed: Seed of the sampling layer.

    Returns:
        An uncompiled :class:`VAE`.

    Raises:
        ValueError: For bad sizes or an image size that does not divide.

    Example:
        >>> build_conv_vae((28, 28), latent_dim=2).decoder.output_shape
        (None, 28, 28)
    """
    image_shape = tuple(
        positive_int(f"input_shape[{i}]", s) for i, s in enumerate(input_shape)
    )
    if len(image_shape) not in (2, 3):
        raise ValueError(
            f"input_shape must be (height, width) or (height, width, channels); "
            f"got {input_shape!r}"
        )
    latent_dim = positive_int("latent_dim", latent_dim)
    dense_units = positive_int("dense_units", dense_units)
    filters = tuple(positive_int(f"filters[{i}]", f) for i, f in enumerate(filters))
    if not filters:
        raise ValueError("filters must name at least one stage; got ()")
    factor = 2 ** len(filters)
    if image_shape[0] % factor or image_shape[1] % factor:
        raise ValueError(
            f"input_shape height and width must be divisible by 2**len(filters) = "
            f"{factor}; got {input_shape!r}"
        )
    channels = image_shape[2] if len(image_shape) == 3 else 1

    inputs = keras.Input(image_shape)
    features = keras.layers.Reshape((*image_shape[:2], channels))(inputs)
    for n_filters in filters:
        features = keras.layers.Conv2D(
            n_filters, 3, strides=2, padding="same", activation="relu"
        )(features)
    features = keras.layers.Flatten()(features)
    features = keras.layers.Dense(dense_units, activation="relu")(features)
    encoder = keras.Model(inputs, _gaussian_head(features, latent_dim), name="encoder")

    height, width = image_shape[0] // factor, image_shape[1] // factor
    codes = keras.Input((latent_dim,))
    hidden = keras.layers.Dense(height * width * filters[-1], activation="relu")(codes)
    hidden = keras.layers.Reshape((height, width, filters[-1]))(hidden)
    for n_filters in reversed(filters):
        hidden = keras.layers.Conv2DTranspose(
            n_filters, 3, strides=2, padding="same", activation="relu"
        )(hidden)
    pixels = keras.layers.Conv2D(channels, 3, padding="same", activation="sigmoid")(
        hidden
    )
    decoder = keras.Model(
        codes, keras.layers.Reshape(image_shape)(pixels), name="decoder"
    )
    return VAE(encoder, decoder, beta=beta, seed=seed, name="conv_vae")


def traversal_codes(
    start: np.ndarray, *, n_steps: int = 7, span: float = 3.0
) -> tuple[np.ndarray, np.ndarray]:
    """Codes that sweep each latent dimension in turn, the others fixed.

    Args:
        start: The code (latent_dim,) that every sweep starts from.
        n_steps: Values per dimension (>= 2), evenly spaced.
        span: Each dimension goes from ``start - span`` to ``start + span``.

    Returns:
        ``(codes, offsets)``: codes of shape (latent_dim * n_steps, latent_dim),
        dimension by dimension, and the ``n_steps`` offsets used.

    Raises:
        ValueError: If ``n_steps`` < 2, ``span`` is not a finite number > 0
            or ``start`` is not a finite 1-D code.

    Example:
        >>> codes, offsets = traversal_codes(np.zeros(2), n_steps=3, span=1.0)
        >>> codes.tolist()
        [[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, -1.0], [0.0, 0.0], [0.0, 1.0]]
    """
    start = np.asarray(start, dtype=np.float32)
    if start.ndim != 1 or start.size == 0:
        raise ValueError(f"start must be a 1-D code; got shape {start.shape}")
    finite_array(start, "start")
    n_steps = integer("n_steps", n_steps, minimum=2)
    span = number("span", span, low=0, low_open=True)
    offsets = np.linspace(-span, span, n_steps).astype(np.float32)
    latent_dim = start.size
    codes = np.repeat(start[np.newaxis], latent_dim * n_steps, axis=0)
    for dimension in range(latent_dim):
        rows = slice(dimension * n_steps, (dimension + 1) * n_steps)
        codes[rows, dimension] = start[dimension] + offsets
    return codes, offsets


def grid_codes(n: int = 15, span: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Codes on a regular n x n grid over a 2-D latent space.

    Args:
        n: Points per axis (>= 2).
        span: The grid covers ``[-span, span]`` on both axes.

    Returns:
        ``(codes, values)``: codes (n * n, 2) ordered so that
        ``codes.reshape(n, n, 2)[i, j] == (values[j], values[i])``, ready for
        :func:`course_utils.plotting.plot_latent_manifold`, and the ``n``
        grid values.

    Raises:
        ValueError: If ``n`` < 2 or ``span`` is not a finite number > 0.

    Example:
        >>> codes, values = grid_codes(2, span=1.0)
        >>> codes.tolist()
        [[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]]
    """
    n = integer("n", n, minimum=2)
    span = number("span", span, low=0, low_open=True)
    values = np.linspace(-span, span, n).astype(np.float32)
    z1, z2 = np.meshgrid(values, values)
    return np.stack([z1.ravel(), z2.ravel()], axis=1), values


def interpolate_codes(start, end, n_steps: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Codes on the straight line from ``start`` to ``end``.

    Args:
        start: Code (latent_dim,).
        end: Code of the same shape.
        n_steps: Number of codes, both ends included (>= 2).

    Returns:
        ``(codes, alphas)``: codes (n_steps, latent_dim) equal to
        ``(1 - alpha) * start + alpha * end`` and the alphas from 0 to 1.

    Example:
        >>> codes, alphas = interpolate_codes([0.0, 0.0], [1.0, 2.0], 3)
        >>> codes.tolist()
        [[0.0, 0.0], [0.5, 1.0], [1.0, 2.0]]
    """
    start = np.asarray(start, dtype=np.float32)
    end = np.asarray(end, dtype=np.float32)
    if start.ndim != 1 or start.shape != end.shape:
        raise ValueError(
            f"start and end must be 1-D codes of the same shape; got {start.shape} "
            f"and {end.shape}"
        )
    finite_array(start, "start")
    finite_array(end, "end")
    n_steps = integer("n_steps", n_steps, minimum=2)
    alphas = np.linspace(0.0, 1.0, n_steps).astype(np.float32)
    return (1 - alphas)[:, None] * start + alphas[:, None] * end, alphas
