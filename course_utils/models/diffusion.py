"""Denoising diffusion models: noise schedules, a small U-Net and ``Diffusion``.

The forward process adds Gaussian noise to an image ``x_0`` in ``T`` small
steps, with variances ``beta_1 ... beta_T`` (the *schedule*). With
``alpha_bar_t = prod_{s<=t} (1 - beta_s)`` it has a closed form::

    x_t = sqrt(alpha_bar_t) * x_0 + sqrt(1 - alpha_bar_t) * noise

A network ``eps(x_t, t)`` learns to predict that noise (the simplified loss of
Ho et al., 2020: the mean squared error between the true and the predicted
noise, at a random step ``t`` for each image). Sampling runs the chain
backwards from pure noise: :meth:`Diffusion.sample` implements DDPM's
ancestral sampling (``method="ddpm"``) and DDIM's deterministic update
(``method="ddim"``, Song et al., 2021) with one formula, on any number of
steps, and classifier-free guidance (Ho & Salimans, 2022) for networks that
take a class label.

Time steps run from 0 to ``T - 1`` in code (``t = 0`` is the first noising
step, ``alpha_bar[0] = 1 - beta[0]``). Images are in [-1, 1].

Taught in ``notebooks/11_diffusion_models.ipynb``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from course_utils._arguments import (
    class_labels,
    integer,
    number,
    numpy_rng,
    optional_seed,
    positive_int,
)
from course_utils.models._inputs import ImageInputs

SCHEDULES = ("linear", "cosine")
METHODS = ("ddpm", "ddim")
#: The value range of every diffusion model's images.
VALUE_RANGE = "[-1,1]"


def noise_schedule(kind: str = "cosine", steps: int = 1000) -> np.ndarray:
    """The noise variances ``beta_t`` of the forward process, t = 0 ... steps - 1.

    Args:
        kind: "linear" (Ho et al.: beta from 1e-4 to 0.02, scaled to
            ``steps``) or "cosine" (Nichol & Dhariwal, 2021: ``alpha_bar``
            follows a squared cosine, so the signal fades evenly).
        steps: Number of noising steps T (at least 2).

    Returns:
        A float64 array of ``steps`` variances in (0, 1).

    Example:
        >>> betas = noise_schedule("linear", 1000)
        >>> float(betas[0]), float(betas[-1])
        (0.0001, 0.02)
    """
    if kind not in SCHEDULES:
        raise ValueError(
            f"kind must be one of {', '.join(map(repr, SCHEDULES))}; got {kind!r}"
        )
    steps = integer("steps", steps, minimum=2)
    if kind == "linear":
        scale = 1000 / steps
        return np.linspace(scale * 1e-4, min(scale * 0.02, 0.999), steps)
    offset = 0.008
    t = np.arange(steps + 1) / steps
    alpha_bar = np.cos((t + offset) / (1 + offset) * math.pi / 2) ** 2
    return np.clip(1 - alpha_bar[1:] / alpha_bar[:-1], 1e-8, 0.999)


def alpha_bars(betas) -> np.ndarray:
    """``alpha_bar_t = prod_{s<=t} (1 - beta_s)``: the share of signal variance left.

    Example:
        >>> alpha_bars(np.array([0.5, 0.5])).tolist()
        [0.5, 0.25]
    """
    betas = np.asarray(betas, dtype=np.float64)
    if betas.ndim != 1 or betas.size == 0 or not np.all((betas > 0) & (betas < 1)):
        raise ValueError(
            "betas must be a non-empty 1-D array of variances in (0, 1); got "
            f"shape {betas.shape}"
            + (
                f", values from {betas.min():.3g} to {betas.max():.3g}"
                if betas.size
                else ""
            )
        )
    return np.cumprod(1 - betas)


def signal_to_noise(alpha_bar) -> np.ndarray:
    """The signal-to-noise ratio ``alpha_bar / (1 - alpha_bar)`` of each step.

    Example:
        >>> signal_to_noise(np.array([0.5, 0.2])).round(2).tolist()
        [1.0, 0.25]
    """
    alpha_bar = np.asarray(alpha_bar, dtype=np.float64)
    return alpha_bar / (1 - alpha_bar)


def add_noise(images, steps, noise, alpha_bar):
    """Sample ``x_t`` from ``q(x_t | x_0)`` in one go (the closed form).

    Args:
        images: Clean images ``x_0`` (batch, ...), in [-1, 1].
        steps: The step ``t`` of each image (batch,), integers.
        noise: Standard normal noise of the images' shape.
        alpha_bar: The schedule's ``alpha_bar`` (all T values).

    Returns:
        ``sqrt(alpha_bar_t) * x_0 + sqrt(1 - alpha_bar_t) * noise``, a tensor.

    Example:
        >>> x0 = np.ones((2, 4, 4), "float32")
        >>> eps = np.zeros_like(x0)
        >>> xt = add_noise(x0, np.array([0, 1]), eps, np.array([0.64, 0.36]))
        >>> [round(float(v), 2) for v in ops.convert_to_numpy(xt)[:, 0, 0]]
        [0.8, 0.6]
    """
    images = ops.convert_to_tensor(images, "float32")
    signal = ops.take(ops.convert_to_tensor(alpha_bar, "float32"), steps)
    shape = (-1,) + (1,) * (len(images.shape) - 1)
    signal = ops.reshape(signal, shape)
    return ops.sqrt(signal) * images + ops.sqrt(1 - signal) * noise


@keras.saving.register_keras_serializable(package="course_utils")
class SinusoidalEmbedding(keras.layers.Layer):
    """Embed integer time steps as sines and cosines of geometric frequencies.

    The transformer's position encoding applied to the step ``t``: half the
    features are ``sin(t * f_k)``, half ``cos(t * f_k)``, with frequencies
    ``f_k`` from 1 down to ``1 / max_period``.

    Args:
        dim: Size of the embedding (even, at least 2).
        max_period: Longest period, in steps.

    Call arguments:
        steps: Time steps, shape (batch,) or (batch, 1).

    Example:
        >>> SinusoidalEmbedding(8)(np.array([0, 10])).shape
        TensorShape([2, 8])
    """

    def __init__(self, dim: int, max_period: float = 10_000.0, **kwargs):
        super().__init__(**kwargs)
        self.dim = integer("dim", dim, minimum=2)
        if self.dim % 2:
            raise ValueError(f"dim must be even; got {dim!r}")
        self.max_period = number("max_period", max_period, low=1)

    def call(self, steps):
        steps = ops.reshape(ops.cast(steps, "float32"), (-1, 1))
        half = self.dim // 2
        frequencies = ops.exp(
            -math.log(self.max_period) * ops.arange(half, dtype="float32") / half
        )
        angles = steps * frequencies[None, :]
        return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return super().get_config() | {"dim": self.dim, "max_period": self.max_period}


def _residual_block(x, embedding, channels: int, groups: int, name: str):
    """GroupNorm -> swish -> conv, plus the step embedding, twice, plus a skip."""
    skip = x
    if x.shape[-1] != channels:
        skip = keras.layers.Conv2D(channels, 1, name=f"{name}_skip")(x)
    h = keras.layers.GroupNormalization(min(groups, x.shape[-1]), name=f"{name}_norm1")(
        x
    )
    h = keras.layers.Activation("swish", name=f"{name}_act1")(h)
    h = keras.layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv1")(h)
    shift = keras.layers.Dense(channels, name=f"{name}_embedding")(embedding)
    h = keras.layers.Add(name=f"{name}_add_embedding")(
        [h, keras.layers.Reshape((1, 1, channels), name=f"{name}_reshape")(shift)]
    )
    h = keras.layers.GroupNormalization(groups, name=f"{name}_norm2")(h)
    h = keras.layers.Activation("swish", name=f"{name}_act2")(h)
    h = keras.layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv2")(h)
    return keras.layers.Add(name=f"{name}_out")([skip, h])


def build_unet(
    image_shape: tuple[int, int] = (28, 28),
    channels: tuple[int, ...] = (32, 64, 128),
    embedding_dim: int = 128,
    n_classes: int | None = None,
    groups: int = 8,
) -> keras.Model:
    """A small U-Net that predicts the noise in ``x_t`` from ``(x_t, t[, label])``.

    Each level has one residual block (group norm, swish, two 3x3 convolutions,
    the step embedding added in between); levels halve the resolution with a
    strided convolution on the way down and double it (nearest neighbour, then
    a convolution) on the way up, where the block also sees the skip
    connection of its level. The lowest level has two blocks.

    Args:
        image_shape: (height, width) of grey images; each must divide by
            ``2 ** (len(channels) - 1)``.
        channels: Channels of each level, from full resolution down.
        embedding_dim: Size of the step (and class) embedding.
        n_classes: None for an unconditional network; else the network takes
            a third input, the class label, from 0 to ``n_classes`` (the label
            ``n_classes`` means "no label", for classifier-free guidance).
        groups: Groups of the group normalisation (must divide every entry
            of ``channels``).

    Returns:
        A functional model with inputs ``[images (batch, H, W), steps (batch,)]``
        (plus ``labels (batch,)``), output the predicted noise (batch, H, W).

    Example:
        >>> unet = build_unet(channels=(16, 32), n_classes=10)
        >>> [tuple(i.shape) for i in unet.inputs]
        [(None, 28, 28), (None,), (None,)]
    """
    if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2:
        raise ValueError(f"image_shape must be (height, width); got {image_shape!r}")
    height, width = (positive_int("image_shape", side) for side in image_shape)
    if not isinstance(channels, (tuple, list)) or not channels:
        raise ValueError(f"channels must be a non-empty tuple; got {channels!r}")
    channels = tuple(positive_int("channels", c) for c in channels)
    groups = positive_int("groups", groups)
    if any(c % groups for c in channels):
        raise ValueError(
            f"groups ({groups}) must divide every entry of channels {channels}"
        )
    factor = 2 ** (len(channels) - 1)
    if height % factor or width % factor:
        raise ValueError(
            f"image_shape {image_shape} must divide by {factor} (2 ** (number of "
            f"levels - 1)) for channels {channels}"
        )
    embedding_dim = integer("embedding_dim", embedding_dim, minimum=2)
    if embedding_dim % 2:
        raise ValueError(f"embedding_dim must be even; got {embedding_dim}")
    if n_classes is not None:
        n_classes = integer("n_classes", n_classes, minimum=2)

    images = keras.Input((height, width), name="noisy_images")
    steps = keras.Input((), dtype="int32", name="steps")
    inputs = [images, steps]
    embedding = SinusoidalEmbedding(embedding_dim, name="step_sinusoids")(steps)
    embedding = keras.layers.Dense(embedding_dim, activation="swish", name="step_mlp1")(
        embedding
    )
    embedding = keras.layers.Dense(embedding_dim, name="step_mlp2")(embedding)
    if n_classes is not None:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs.append(labels)
        label_embedding = keras.layers.Embedding(
            n_classes + 1, embedding_dim, name="label_embedding"
        )(labels)
        embedding = keras.layers.Add(name="step_and_label")(
            [embedding, label_embedding]
        )
    embedding = keras.layers.Activation("swish", name="embedding")(embedding)

    x = keras.layers.Reshape((height, width, 1), name="add_channel")(images)
    x = keras.layers.Conv2D(channels[0], 3, padding="same", name="stem")(x)
    skips = []
    for level, width_ in enumerate(channels[:-1]):
        x = _residual_block(x, embedding, width_, groups, f"down{level}")
        skips.append(x)
        x = keras.layers.Conv2D(
            channels[level + 1], 3, strides=2, padding="same", name=f"downsample{level}"
        )(x)
    x = _residual_block(x, embedding, channels[-1], groups, "middle1")
    x = _residual_block(x, embedding, channels[-1], groups, "middle2")
    for level in reversed(range(len(channels) - 1)):
        x = keras.layers.UpSampling2D(2, name=f"upsample{level}")(x)
        x = keras.layers.Conv2D(
            channels[level], 3, padding="same", name=f"upsample{level}_conv"
        )(x)
        x = keras.layers.Concatenate(name=f"skip{level}")([x, skips[level]])
        x = _residual_block(x, embedding, channels[level], groups, f"up{level}")
    x = keras.layers.GroupNormalization(groups, name="out_norm")(x)
    x = keras.layers.Activation("swish", name="out_act")(x)
    x = keras.layers.Conv2D(1, 3, padding="same", name="out_conv")(x)
    noise = keras.layers.Reshape((height, width), name="predicted_noise")(x)
    return keras.Model(inputs, noise, name="unet")


def sampling_steps(total_steps: int, steps: int) -> np.ndarray:
    """The time steps a sampler of ``steps`` steps visits, from ``T - 1`` down to 0.

    Evenly spaced (rounded) over the ``total_steps`` of training; ``steps``
    equal to ``total_steps`` visits every step.

    Example:
        >>> sampling_steps(1000, 5).tolist()
        [999, 749, 500, 250, 0]
    """
    total_steps = integer("total_steps", total_steps, minimum=2)
    steps = integer("steps", steps, minimum=1, maximum=total_steps)
    if steps == 1:
        return np.array([total_steps - 1])
    return np.round(np.linspace(total_steps - 1, 0, steps)).astype(np.int64)


def reverse_step(x_t, predicted_noise, alpha_bar_t, alpha_bar_prev, eta, noise):
    """One step of the reverse chain, from ``x_t`` to the previous visited step.

    The update of DDIM (Song et al., 2021, eq. 12), which is DDPM's ancestral
    step for ``eta = 1`` and deterministic for ``eta = 0``::

        x0    = (x_t - sqrt(1 - a_t) * eps) / sqrt(a_t), clipped to [-1, 1]
        sigma = eta * sqrt((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev))
        x_prev = sqrt(a_prev) * x0 + sqrt(1 - a_prev - sigma**2) * eps + sigma * z

    where ``eps`` is recomputed from the clipped ``x0``. For the last step
    pass ``alpha_bar_prev = 1`` (the result is ``x0``).

    Args:
        x_t: Current images (NumPy).
        predicted_noise: The network's noise prediction for ``x_t``.
        alpha_bar_t: ``alpha_bar`` at this step.
        alpha_bar_prev: ``alpha_bar`` at the next visited step (1 after the last).
        eta: 0 (DDIM) to 1 (DDPM).
        noise: Standard normal noise of ``x_t``'s shape (unused if eta = 0).

    Returns:
        ``(x_prev, x0)``: the next images and the current estimate of x_0.

    Example:
        >>> x, eps = np.zeros((1, 2, 2)), np.zeros((1, 2, 2))
        >>> reverse_step(x, eps, 0.5, 1.0, 0.0, eps)[0].shape
        (1, 2, 2)
    """
    x0 = np.clip(
        (x_t - math.sqrt(1 - alpha_bar_t) * predicted_noise) / math.sqrt(alpha_bar_t),
        -1.0,
        1.0,
    )
    eps = (x_t - math.sqrt(alpha_bar_t) * x0) / math.sqrt(1 - alpha_bar_t)
    variance = (
        eta**2
        * (1 - alpha_bar_prev)
        / (1 - alpha_bar_t)
        * (1 - alpha_bar_t / alpha_bar_prev)
    )
    x_prev = (
        math.sqrt(alpha_bar_prev) * x0
        + math.sqrt(max(1 - alpha_bar_prev - variance, 0.0)) * eps
        + math.sqrt(variance) * noise
    )
    return x_prev, x0


def _label_classes(network: keras.Model) -> int:
    """The classes of a conditional network: its label embedding's rows - 1."""
    embeddings = [
        layer for layer in network.layers if isinstance(layer, keras.layers.Embedding)
    ]
    if len(embeddings) != 1:
        raise ValueError(
            "a class-conditional network (inputs [images, steps, labels]) must have "
            "one Embedding layer of the labels, with n_classes + 1 rows (the last "
            f"one means 'no label'); this network has {len(embeddings)}"
        )
    return int(embeddings[0].input_dim) - 1


def _images_and_labels(data):
    """``fit(x)`` passes images; ``fit(x, y)`` a tuple (images, labels)."""
    if isinstance(data, (tuple, list)):
        return data[0], (data[1] if len(data) > 1 else None)
    return data, None


@keras.saving.register_keras_serializable(package="course_utils")
class Diffusion(ImageInputs, keras.Model):
    """A denoising diffusion model: the noise-prediction loss and its samplers.

    Args:
        network: A model ``[x_t, t] -> noise`` (or ``[x_t, t, label] ->
            noise`` for class-conditional models), e.g. :func:`build_unet`.
        schedule: "cosine" or "linear" (see :func:`noise_schedule`).
        total_steps: Number of noising steps T.
        label_dropout: Conditional models only: the share of training labels
            replaced by the "no label" token ``n_classes``, which teaches the
            same network the unconditional model needed for classifier-free
            guidance.
        seed: Seed of the training noise and steps.
        **kwargs: ``keras.Model`` arguments.

    Metrics tracked by ``fit`` and ``evaluate``: ``loss``, the mean squared
    error between the true and the predicted noise.

    Example:
        >>> model = Diffusion(build_unet(channels=(16, 32)), total_steps=100)
        >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> history = model.fit(images, epochs=1)  # doctest: +SKIP
        >>> model.sample(4, steps=10, seed=0).shape
        (4, 28, 28)
    """

    def __init__(
        self,
        network: keras.Model,
        *,
        schedule: str = "cosine",
        total_steps: int = 1000,
        label_dropout: float = 0.1,
        seed: int | None = None,
        **kwargs,
    ):
        kwargs.setdefault("name", "diffusion")
        super().__init__(**kwargs)
        if not isinstance(network, keras.Model):
            raise TypeError(
                f"network must be a keras.Model; got {type(network).__name__}"
            )
        n_inputs = len(network.inputs)
        if n_inputs not in (2, 3):
            raise ValueError(
                "network must take [images, steps] or [images, steps, labels]; "
                f"it takes {n_inputs} inputs"
            )
        if tuple(network.inputs[0].shape[1:]) != tuple(network.outputs[0].shape[1:]):
            raise ValueError(
                "network must output noise of its input images' shape; it takes "
                f"{tuple(network.inputs[0].shape[1:])} and outputs "
                f"{tuple(network.outputs[0].shape[1:])}"
            )
        self.network = network
        self.n_classes = None if n_inputs == 2 else _label_classes(network)
        if schedule not in SCHEDULES:
            raise ValueError(
                f"schedule must be one of {', '.join(map(repr, SCHEDULES))}; "
                f"got {schedule!r}"
            )
        self.schedule = schedule
        self.total_steps = integer("total_steps", total_steps, minimum=2)
        self.betas = noise_schedule(schedule, self.total_steps)
        self.alpha_bar = alpha_bars(self.betas)
        self.label_dropout = number("label_dropout", label_dropout, low=0, high=1)
        self.seed = optional_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self._predict = None
        self.built = True  # the network is a built model

    @property
    def metrics(self):
        return [self.loss_tracker]

    @property
    def _image_model(self):
        return self.network

    @property
    def value_range(self) -> str:
        """Diffusion models work on images in [-1, 1]."""
        return VALUE_RANGE

    def _check_fit_labels(self, labels, n_images: int) -> None:
        if self.n_classes is None:
            return
        if labels is None:
            raise ValueError(
                "a class-conditional Diffusion model trains on (images, labels): "
                "call fit(images, labels)"
            )
        class_labels("y", labels, self.n_classes, n=n_images)

    def call(self, inputs, training=None):
        return self.network(inputs, training=training)

    def noise_prediction_loss(self, images, labels=None):
        """The simplified loss on one batch: ``mean (noise - eps(x_t, t))**2``.

        Each image gets its own random step t and noise; conditional models
        drop a ``label_dropout`` share of the labels (replaced by "no label").

        Example:
            >>> float(model.noise_prediction_loss(images[:8]))  # doctest: +SKIP
            0.062
        """
        images = ops.cast(images, "float32")
        batch_size = ops.shape(images)[0]
        steps = keras.random.randint(
            (batch_size,), 0, self.total_steps, seed=self.seed_generator
        )
        noise = keras.random.normal(ops.shape(images), seed=self.seed_generator)
        noisy = add_noise(images, steps, noise, self.alpha_bar)
        inputs = [noisy, steps]
        if self.n_classes is not None:
            labels = ops.cast(ops.reshape(labels, (-1,)), "int32")
            drop = keras.random.uniform((batch_size,), seed=self.seed_generator)
            labels = ops.where(drop < self.label_dropout, self.n_classes, labels)
            inputs.append(labels)
        predicted = self.network(inputs, training=True)
        return ops.mean(ops.square(noise - predicted))

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss = self.noise_prediction_loss(*_images_and_labels(data))
        weights = self.network.trainable_weights
        gradients = tape.gradient(loss, weights)
        self.optimizer.apply_gradients(zip(gradients, weights, strict=True))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        self.loss_tracker.update_state(
            self.noise_prediction_loss(*_images_and_labels(data))
        )
        return {"loss": self.loss_tracker.result()}

    # -- sampling ------------------------------------------------------------

    def predict_noise(self, images, steps, labels=None, guidance: float = 1.0):
        """The network's noise prediction, with classifier-free guidance.

        For a conditional model with ``guidance`` w the prediction is
        ``eps(x, t, none) + w * (eps(x, t, label) - eps(x, t, none))``:
        w = 1 is the conditional model, w = 0 the unconditional one, w > 1
        pushes further towards the label.

        Args:
            images: Noisy images (batch, H, W), float32.
            steps: One step per image (batch,), or one int for all.
            labels: Conditional models: class labels (batch,), from 0 to
                n_classes - 1, or None for unconditional samples.
            guidance: The guidance scale w (conditional models, labels given).

        Returns:
            The predicted noise as a NumPy array.
        """
        images = np.asarray(images, np.float32)
        steps = np.broadcast_to(np.asarray(steps, np.int32), (len(images),))
        if self._predict is None:
            signature = [tf.TensorSpec((None, *self.image_shape), "float32")] + [
                tf.TensorSpec((None,), "int32")
            ] * (len(self.network.inputs) - 1)
            self._predict = tf.function(
                lambda *inputs: self.network(list(inputs), training=False),
                input_signature=signature,
            )
        if self.n_classes is None:
            return self._predict(images, steps).numpy()
        none = np.full(len(images), self.n_classes, np.int32)
        if labels is None or guidance == 0:
            return self._predict(images, steps, none).numpy()
        if guidance == 1:
            return self._predict(images, steps, np.asarray(labels, np.int32)).numpy()
        both = self._predict(
            np.concatenate([images, images]),
            np.concatenate([steps, steps]),
            np.concatenate([labels, none]).astype(np.int32),
        ).numpy()
        conditional, unconditional = np.split(both, 2)
        return unconditional + guidance * (conditional - unconditional)

    def _sampling_labels(self, n: int, labels):
        if labels is None:
            return None
        if self.n_classes is None:
            raise ValueError(
                "labels need a class-conditional model (a network with a label "
                "input); this model is unconditional"
            )
        labels = class_labels("labels", labels, self.n_classes)
        if len(labels) != n:
            raise ValueError(f"labels must hold n={n} labels; got {len(labels)}")
        return labels

    def sample(
        self,
        n: int,
        *,
        steps: int = 50,
        method: str = "ddim",
        labels=None,
        guidance: float = 1.0,
        seed: int | None = None,
        batch_size: int = 500,
        record: int = 0,
    ):
        """Generate ``n`` images by running the reverse chain from pure noise.

        Args:
            n: Number of images (>= 1).
            steps: Number of denoising steps, 1 to ``total_steps`` (evenly
                spaced, see :func:`sampling_steps`).
            method: "ddim" (deterministic, good with few steps) or "ddpm"
                (ancestral: fresh noise at every step; needs many steps).
            labels: Conditional models: one class per image (None samples
                without a label, i.e. from the unconditional model).
            guidance: Classifier-free guidance scale w >= 0 (see
                :meth:`predict_noise`); only with ``labels``.
            seed: Seed of the noise (0 to 2**32 - 1); None follows NumPy's
                global state, so ``cu.setup(seed)`` repeats samples.
            batch_size: Images denoised at once. DDIM samples do not depend
                on it; DDPM's fresh noise is drawn batch after batch, so its
                samples do.
            record: Also return the chain at this many evenly spaced steps
                (0 = no).

        Returns:
            Images (n, H, W) in [-1, 1]; with ``record``, ``(images, chain,
            recorded_steps)`` where ``chain`` is (record, n, H, W): the
            noisy images ``x_t`` at the steps ``recorded_steps``.

        Example:
            >>> model.sample(4, steps=10, seed=0).shape  # doctest: +SKIP
            (4, 28, 28)
        """
        n = positive_int("n", n)
        if method not in METHODS:
            raise ValueError(
                f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}"
            )
        visited = sampling_steps(self.total_steps, steps)
        labels = self._sampling_labels(n, labels)
        guidance = number("guidance", guidance, low=0)
        if guidance != 1 and labels is None:
            raise ValueError(
                f"guidance={guidance} needs labels (and a class-conditional model)"
            )
        batch_size = positive_int("batch_size", batch_size)
        record = integer("record", record, minimum=0, maximum=len(visited))
        rng = numpy_rng(seed)
        eta = 1.0 if method == "ddpm" else 0.0
        kept = (
            set(np.round(np.linspace(0, len(visited) - 1, record)).astype(int))
            if record
            else set()
        )
        images, chains = [], []
        for start in range(0, n, batch_size):
            count = min(batch_size, n - start)
            batch_labels = None if labels is None else labels[start : start + count]
            x = rng.standard_normal((count, *self.image_shape)).astype(np.float32)
            chain = []
            for index, step in enumerate(visited):
                if index in kept:
                    chain.append(x)
                eps = self.predict_noise(x, step, batch_labels, guidance)
                previous = (
                    1.0
                    if index + 1 == len(visited)
                    else self.alpha_bar[visited[index + 1]]
                )
                noise = rng.standard_normal(x.shape).astype(np.float32) if eta else 0.0
                x, _ = reverse_step(x, eps, self.alpha_bar[step], previous, eta, noise)
                x = x.astype(np.float32)
            images.append(x)
            chains.append(np.stack(chain) if chain else None)
        images = np.concatenate(images)
        if not record:
            return images
        kept_steps = visited[sorted(kept)]
        return images, np.concatenate(chains, axis=1), kept_steps

    def get_config(self):
        return {
            "network": keras.saving.serialize_keras_object(self.network),
            "schedule": self.schedule,
            "total_steps": self.total_steps,
            "label_dropout": self.label_dropout,
            "seed": self.seed,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["network"] = keras.saving.deserialize_keras_object(config["network"])
        return cls(**config)


def build_diffusion(
    channels: tuple[int, ...] = (32, 64, 128),
    embedding_dim: int = 128,
    n_classes: int | None = None,
    schedule: str = "cosine",
    total_steps: int = 1000,
    label_dropout: float = 0.1,
    seed: int | None = None,
) -> Diffusion:
    """A :class:`Diffusion` model with a :func:`build_unet` network for 28x28 images.

    Example:
        >>> model = build_diffusion(channels=(16, 32), n_classes=10, seed=0)
        >>> model.n_classes, model.total_steps
        (10, 1000)
    """
    network = build_unet(
        (28, 28), channels=channels, embedding_dim=embedding_dim, n_classes=n_classes
    )
    return Diffusion(
        network,
        schedule=schedule,
        total_steps=total_steps,
        label_dropout=label_dropout,
        seed=seed,
    )
