"""Generative adversarial networks: the ``GAN`` model, remedies and builders.

The discriminator D outputs a logit ``l`` (``D(x) = sigmoid(l)``). One
training step of :class:`GAN`:

1. Discriminator phase (``d_steps`` times): a batch of half real images
   (label 1, or ``1 - label_smoothing``) and half fakes ``G(z)`` (label 0);
   binary cross-entropy; gradients applied to D's weights only.
2. Generator phase: new fakes go through D, whose weights are not updated;
   the non-saturating loss ``-log D(G(z))`` (or the saturating
   ``log(1 - D(G(z)))`` of the original minimax game) is minimised with
   gradients applied to G's weights only.

Remedies for unstable training are options: one-sided label smoothing,
instance noise, experience replay, feature matching and an unrolled
discriminator (mini-batch discrimination is a layer of the discriminator,
:class:`course_utils.layers.MinibatchDiscrimination`). Taught in
``notebooks/06_generative_adversarial_networks.ipynb`` (the model),
``07_dcgan.ipynb`` (DCGAN builders) and ``08_gan_training_problems.ipynb``
(the remedies).

The class-conditional models of ``09_conditional_gans.ipynb``, built on
:class:`GAN`, are in :mod:`course_utils.models.conditional_gan`.
"""

from __future__ import annotations

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
)
from course_utils.models._inputs import ImageInputs

GENERATOR_LOSSES = ("non_saturating", "saturating")
UPSAMPLING = ("transpose", "upsample")


def _bce_with_logits(labels, logits):
    """Binary cross-entropy per example from logits, numerically stable."""
    return ops.mean(
        ops.binary_crossentropy(labels, logits, from_logits=True),
        axis=tuple(range(1, len(logits.shape))) or None,
    )


class TwoPlayerModel(keras.Model):
    """A model of two players, each with its own optimizer.

    Subclasses have ``generator`` and ``discriminator`` attributes and a
    ``train_step`` that applies ``d_optimizer`` to the discriminator's weights
    and ``g_optimizer`` to the generator's. Both optimizers, and their state,
    round-trip through ``.keras`` files. Used by :class:`GAN` and
    :class:`course_utils.models.pix2pix.Pix2Pix`.
    """

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configure training: one optimizer for each player.

        Args:
            d_optimizer: Optimizer instance of the discriminator.
            g_optimizer: Optimizer instance of the generator (a different
                instance).
            **kwargs: Other ``keras.Model.compile`` arguments.

        Raises:
            TypeError: If an optimizer is missing or not an optimizer instance
                (a name such as "adam" is not enough: each player needs its
                own).
            ValueError: If both optimizers are the same object.

        Example:
            >>> gan = build_dense_gan(latent_dim=30)
            >>> gan.compile(d_optimizer=keras.optimizers.Adam(1e-3),
            ...             g_optimizer=keras.optimizers.Adam(1e-3))
        """
        for name, optimizer in (
            ("d_optimizer", d_optimizer),
            ("g_optimizer", g_optimizer),
        ):
            if not isinstance(optimizer, keras.optimizers.Optimizer):
                raise TypeError(
                    f"{name} must be a keras optimizer instance, e.g. "
                    f"keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5); "
                    f"got {optimizer!r}"
                )
        if d_optimizer is g_optimizer:
            raise ValueError(
                "d_optimizer and g_optimizer must be two optimizer instances; "
                "got the same object twice"
            )
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    def get_compile_config(self):
        if not hasattr(self, "d_optimizer"):
            return None
        return {
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
        }

    def compile_from_config(self, config):
        self.compile(
            d_optimizer=keras.saving.deserialize_keras_object(config["d_optimizer"]),
            g_optimizer=keras.saving.deserialize_keras_object(config["g_optimizer"]),
        )
        # Build the optimizers so that their saved state can be loaded.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for part in ("generator", "discriminator"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)


@keras.saving.register_keras_serializable(package="course_utils")
class GAN(ImageInputs, TwoPlayerModel):
    """A GAN with its own ``train_step`` and optional training remedies.

    Args:
        generator: Maps codes (batch, latent_dim) to images.
        discriminator: Maps images to one logit per image (batch, 1).
        generator_loss: "non_saturating" (``-log D(G(z))``, the default) or
            "saturating" (``log(1 - D(G(z)))``, the minimax game's own term).
        d_steps: Discriminator steps per generator step (k). All k steps use
            the real images of the batch that ``fit`` passes to ``train_step``
            (with fresh fakes each time); Algorithm 1 of Goodfellow et al.
            draws a fresh real batch for each step instead.
        label_smoothing: One-sided label smoothing: real targets are
            ``1 - label_smoothing`` (0 = off).
        instance_noise: Std of Gaussian noise added to every discriminator
            input, real and fake (0 = off).
        replay_size: Size of an experience-replay buffer of old fakes (0 =
            off); a ``replay_fraction`` of each fake batch shown to D is
            replaced by images drawn from the buffer.
        replay_fraction: Share of replayed fakes, in [0, 1].
        feature_matching: Train G to match the mean of D's layer named
            "features" on real and fake batches instead of fooling D.
        unroll_steps: Unrolled GAN: G's loss is computed against a copy of D
            advanced by this many SGD steps (0 = off); D is then restored.
        seed: Seed of the noise and of the random choices.
        **kwargs: ``keras.Model`` arguments.

    Metrics tracked: ``d_loss``, ``g_loss``, ``d_accuracy_real`` and
    ``d_accuracy_fake`` (the share of real / fake images D classifies right).

    Example:
        >>> gan = build_dense_gan(latent_dim=30)
        >>> gan.compile(d_optimizer=keras.optimizers.RMSprop(1e-3),
        ...             g_optimizer=keras.optimizers.RMSprop(1e-3))
        >>> history = gan.fit(images, epochs=1)  # doctest: +SKIP
        >>> gan.generate(16).shape
        (16, 28, 28)
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        *,
        generator_loss: str = "non_saturating",
        d_steps: int = 1,
        label_smoothing: float = 0.0,
        instance_noise: float = 0.0,
        replay_size: int = 0,
        replay_fraction: float = 0.5,
        feature_matching: bool = False,
        unroll_steps: int = 0,
        seed: int | None = None,
        **kwargs,
    ):
        kwargs.setdefault("name", "gan")
        super().__init__(**kwargs)
        for name, part in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(part, keras.Model):
                raise TypeError(
                    f"{name} must be a keras.Model; got {type(part).__name__}"
                )
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(
                "generator_loss must be one of "
                f"{', '.join(map(repr, GENERATOR_LOSSES))}; got {generator_loss!r}"
            )
        self.generator = generator
        self.discriminator = discriminator
        self.generator_loss = generator_loss
        self.d_steps = positive_int("d_steps", d_steps)
        self.label_smoothing = number(
            "label_smoothing", label_smoothing, low=0, high=1, high_open=True
        )
        self.instance_noise = number("instance_noise", instance_noise, low=0)
        self.replay_size = integer("replay_size", replay_size, minimum=0)
        self.replay_fraction = number("replay_fraction", replay_fraction, low=0, high=1)
        if not isinstance(feature_matching, bool):
            raise TypeError(
                f"feature_matching must be True or False; got {feature_matching!r}"
            )
        self.feature_matching = feature_matching
        self.unroll_steps = integer("unroll_steps", unroll_steps, minimum=0)
        self.seed = optional_seed(seed)
        self.latent_dim = self._check_parts()
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.feature_extractor = (
            self._make_feature_extractor() if feature_matching else None
        )
        if self.replay_size:
            image_shape = tuple(generator.outputs[0].shape[1:])
            self.replay_buffer = self.add_weight(
                name="replay_buffer",
                shape=(self.replay_size, *image_shape),
                initializer="zeros",
                trainable=False,
            )
            self.replay_count = self.add_weight(
                name="replay_count", shape=(), initializer="zeros", trainable=False
            )
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_accuracy_real_tracker = keras.metrics.Mean(name="d_accuracy_real")
        self.d_accuracy_fake_tracker = keras.metrics.Mean(name="d_accuracy_fake")
        self.built = True  # the parts are built models

    # -- structure ---------------------------------------------------------

    def _check_parts(self) -> int:
        """Check that G's output fits D's input; return the latent size."""
        generator_input = tuple(self.generator.inputs[0].shape)
        image_shape = tuple(self.generator.outputs[0].shape[1:])
        d_input = tuple(self._discriminator_image_input().shape[1:])
        if image_shape != d_input:
            raise ValueError(
                f"the generator outputs images of shape {image_shape} but the "
                f"discriminator takes {d_input}"
            )
        d_output = tuple(self.discriminator.outputs[0].shape[1:])
        if d_output != (1,):
            raise ValueError(
                f"the discriminator must output one logit per image, shape "
                f"(batch, 1); it outputs (batch, {', '.join(map(str, d_output))})"
            )
        return int(generator_input[1])

    def _discriminator_image_input(self):
        return self.discriminator.inputs[0]

    def _make_feature_extractor(self) -> keras.Model:
        names = [layer.name for layer in self.discriminator.layers]
        if "features" not in names:
            raise ValueError(
                "feature_matching=True needs a discriminator layer named 'features' "
                f"(the builders of this module name one); layers are {names}"
            )
        inputs = self.discriminator.inputs
        return keras.Model(
            inputs[0] if len(inputs) == 1 else inputs,
            self.discriminator.get_layer("features").output,
            name="discriminator_features",
        )

    @property
    def metrics(self):
        return [
            self.d_loss_tracker,
            self.g_loss_tracker,
            self.d_accuracy_real_tracker,
            self.d_accuracy_fake_tracker,
        ]

    # -- hooks that the conditional model overrides ------------------------

    def _split_batch(self, data):
        """Return ``(real images, condition)``; plain GANs have no condition."""
        if isinstance(data, (tuple, list)):
            return data[0], None
        return data, None

    def _generate(self, batch_size, condition, training):
        noise = keras.random.normal(
            (batch_size, self.latent_dim), seed=self.seed_generator
        )
        return self.generator(noise, training=training)

    def _discriminate(self, images, condition, training, model=None):
        model = self.discriminator if model is None else model
        return model(images, training=training)

    # -- remedies ----------------------------------------------------------

    def _add_instance_noise(self, images):
        if not self.instance_noise:
            return images
        noise = keras.random.normal(ops.shape(images), seed=self.seed_generator)
        return images + self.instance_noise * noise

    def mix_with_replay(self, fakes):
        """Replace a share of ``fakes`` with old fakes and store the new ones.

        Each fake is swapped, with probability ``replay_fraction``, for an
        image drawn from the buffer (once the buffer holds any); then the
        current fakes are written into the buffer, oldest first.

        Args:
            fakes: A batch of generated images.

        Returns:
            The batch shown to the discriminator.
        """
        if not self.replay_size:
            return fakes
        fakes = ops.stop_gradient(fakes)
        batch_size = ops.shape(fakes)[0]
        available = ops.minimum(self.replay_count, float(self.replay_size))
        picks = keras.random.uniform((batch_size,), seed=self.seed_generator)
        index = ops.cast(ops.floor(picks * available), "int32")
        old = ops.take(self.replay_buffer, index, axis=0)
        chance = keras.random.uniform((batch_size,), seed=self.seed_generator)
        use_old = ops.logical_and(chance < self.replay_fraction, available > 0)
        mask = ops.reshape(use_old, (-1,) + (1,) * (len(fakes.shape) - 1))
        mixed = ops.where(mask, old, fakes)
        start = ops.cast(self.replay_count, "int32")
        positions = (start + ops.arange(batch_size, dtype="int32")) % self.replay_size
        updated = tf.tensor_scatter_nd_update(
            self.replay_buffer.value, positions[:, None], fakes
        )
        self.replay_buffer.assign(updated)
        self.replay_count.assign(self.replay_count + ops.cast(batch_size, "float32"))
        return mixed

    # -- the two phases ----------------------------------------------------

    def _discriminator_loss(self, real, fakes, condition, model=None):
        """D's loss on a real and a fake batch; returns (loss, real/fake logits).

        D is called once on the real batch and once on the fake batch (never
        on the two concatenated), so that batch-norm layers in D normalise
        single-source batches here as in the generator phase. The loss is
        the mean of the two binary cross-entropy means (the mean over both
        batches when they have the same size).
        """
        real_logits = self._discriminate(
            self._add_instance_noise(real), condition, True, model
        )
        fake_logits = self._discriminate(
            self._add_instance_noise(fakes), condition, True, model
        )
        real_target = 1.0 - self.label_smoothing
        real_loss = ops.mean(
            _bce_with_logits(ops.full_like(real_logits, real_target), real_logits)
        )
        fake_loss = ops.mean(_bce_with_logits(ops.zeros_like(fake_logits), fake_logits))
        return (real_loss + fake_loss) / 2.0, real_logits, fake_logits

    def discriminator_step(self, real, condition=None):
        """One discriminator update; returns (loss, accuracy real, accuracy fake)."""
        batch_size = ops.shape(real)[0]
        fakes = self._generate(batch_size, condition, training=True)
        fakes = self.mix_with_replay(ops.stop_gradient(fakes))
        with tf.GradientTape() as tape:
            loss, real_logits, fake_logits = self._discriminator_loss(
                real, fakes, condition
            )
        weights = self.discriminator.trainable_weights
        gradients = tape.gradient(loss, weights)
        self.d_optimizer.apply_gradients(zip(gradients, weights, strict=True))
        accuracy_real = ops.mean(ops.cast(real_logits > 0, "float32"))
        accuracy_fake = ops.mean(ops.cast(fake_logits < 0, "float32"))
        return loss, accuracy_real, accuracy_fake

    def _unroll_discriminator(self, real, condition):
        """Advance D by ``unroll_steps`` plain SGD steps; return the old weights."""
        weights = self.discriminator.trainable_weights
        saved = [tf.identity(weight.value) for weight in weights]
        learning_rate = ops.cast(self.d_optimizer.learning_rate, "float32")
        for _ in range(self.unroll_steps):
            fakes = self._generate(ops.shape(real)[0], condition, training=True)
            with tf.GradientTape() as tape:
                loss, _, _ = self._discriminator_loss(
                    real, ops.stop_gradient(fakes), condition
                )
            for weight, gradient in zip(
                weights, tape.gradient(loss, weights), strict=True
            ):
                if gradient is not None:
                    weight.assign(weight - learning_rate * gradient)
        return saved

    def generator_loss_value(self, real, fakes, condition=None):
        """The generator's loss on a batch of fakes (D's weights untouched)."""
        if self.feature_matching:
            real_features = self._discriminate(
                self._add_instance_noise(real), condition, True, self.feature_extractor
            )
            fake_features = self._discriminate(
                self._add_instance_noise(fakes), condition, True, self.feature_extractor
            )
            difference = ops.mean(real_features, axis=0) - ops.mean(
                fake_features, axis=0
            )
            return ops.mean(ops.square(difference))
        logits = self._discriminate(self._add_instance_noise(fakes), condition, True)
        if self.generator_loss == "non_saturating":
            return ops.mean(ops.softplus(-logits))  # -log sigmoid(l)
        return -ops.mean(ops.softplus(logits))  # log(1 - sigmoid(l))

    def generator_step(self, real, condition=None):
        """One generator update through the (frozen) discriminator."""
        saved = (
            self._unroll_discriminator(real, condition) if self.unroll_steps else None
        )
        weights = self.generator.trainable_weights
        with tf.GradientTape() as tape:
            fakes = self._generate(ops.shape(real)[0], condition, training=True)
            loss = self.generator_loss_value(real, fakes, condition)
        gradients = tape.gradient(loss, weights)
        self.g_optimizer.apply_gradients(zip(gradients, weights, strict=True))
        if saved is not None:
            for weight, value in zip(
                self.discriminator.trainable_weights, saved, strict=True
            ):
                weight.assign(value)
        return loss

    def train_step(self, data):
        real, condition = self._split_batch(data)
        for _ in range(self.d_steps):
            d_loss, accuracy_real, accuracy_fake = self.discriminator_step(
                real, condition
            )
        g_loss = self.generator_step(real, condition)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_accuracy_real_tracker.update_state(accuracy_real)
        self.d_accuracy_fake_tracker.update_state(accuracy_fake)
        return {metric.name: metric.result() for metric in self.metrics}

    def call(self, inputs, training=None):
        return self.generator(inputs, training=training)

    @property
    def _image_model(self):
        return self.generator

    # -- using a trained model ---------------------------------------------

    def generate(
        self, n: int, seed: int | None = None, batch_size: int = 256
    ) -> np.ndarray:
        """Generate ``n`` images from random codes, as a NumPy array.

        Args:
            n: Number of images (>= 1).
            seed: Seed of the codes (0 to 2**32 - 1); None draws it from
                NumPy's global state, so ``cu.setup(seed)`` repeats samples.
            batch_size: Prediction batch size.

        Example:
            >>> gan.generate(8, seed=0).shape  # doctest: +SKIP
            (8, 28, 28)
        """
        n = positive_int("n", n)
        batch_size = positive_int("batch_size", batch_size)
        codes = numpy_rng(seed).standard_normal((n, self.latent_dim))
        return self.generator.predict(
            codes.astype(np.float32), batch_size=batch_size, verbose=0
        )

    def get_config(self):
        return {
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "generator_loss": self.generator_loss,
            "d_steps": self.d_steps,
            "label_smoothing": self.label_smoothing,
            "instance_noise": self.instance_noise,
            "replay_size": self.replay_size,
            "replay_fraction": self.replay_fraction,
            "feature_matching": self.feature_matching,
            "unroll_steps": self.unroll_steps,
            "seed": self.seed,
            "name": self.name,
        }


# -- builders -----------------------------------------------------------------


def _image_shape(image_shape) -> tuple[int, ...]:
    shape = tuple(image_shape)
    if len(shape) not in (2, 3):
        raise ValueError(
            f"image_shape must be (height, width) or (height, width, channels); "
            f"got {image_shape!r}"
        )
    return tuple(positive_int(f"image_shape[{i}]", s) for i, s in enumerate(shape))


def build_dense_generator(
    latent_dim: int = 30,
    hidden_units: Sequence[int] = (100, 150),
    image_shape: Sequence[int] = (28, 28),
    *,
    output_activation: str = "sigmoid",
) -> keras.Model:
    """A dense generator: codes -> Dense(selu)... -> pixels -> image.

    Example:
        >>> build_dense_generator(30).output_shape
        (None, 28, 28)
    """
    latent_dim = positive_int("latent_dim", latent_dim)
    image_shape = _image_shape(image_shape)
    model_layers: list = [keras.Input((latent_dim,))]
    for i, units in enumerate(hidden_units):
        units = positive_int(f"hidden_units[{i}]", units)
        model_layers.append(keras.layers.Dense(units, activation="selu"))
    model_layers += [
        keras.layers.Dense(int(np.prod(image_shape)), activation=output_activation),
        keras.layers.Reshape(image_shape),
    ]
    return keras.Sequential(model_layers, name="generator")


def build_dense_discriminator(
    image_shape: Sequence[int] = (28, 28),
    hidden_units: Sequence[int] = (150, 100),
    *,
    minibatch_discrimination: bool = False,
) -> keras.Model:
    """A dense discriminator: image -> Dense(selu)... -> one logit.

    The last hidden layer is named "features" (for feature matching).

    Args:
        image_shape: Shape of one image.
        hidden_units: Hidden layer sizes, outermost first.
        minibatch_discrimination: Insert a
            :class:`~course_utils.layers.MinibatchDiscrimination` layer before
            the logit.

    Example:
        >>> build_dense_discriminator().output_shape
        (None, 1)
    """
    image_shape = _image_shape(image_shape)
    if not hidden_units:
        raise ValueError("hidden_units must name at least one layer; got ()")
    model_layers: list = [keras.Input(image_shape), keras.layers.Flatten()]
    for i, units in enumerate(hidden_units):
        units = positive_int(f"hidden_units[{i}]", units)
        name = "features" if i == len(hidden_units) - 1 else None
        model_layers.append(keras.layers.Dense(units, activation="selu", name=name))
    if minibatch_discrimination:
        model_layers.append(
            course_layers.MinibatchDiscrimination(n_kernels=50, kernel_dim=5)
        )
    model_layers.append(keras.layers.Dense(1, name="logit"))
    return keras.Sequential(model_layers, name="discriminator")


def build_dense_gan(
    latent_dim: int = 30,
    image_shape: Sequence[int] = (28, 28),
    *,
    minibatch_discrimination: bool = False,
    **gan_options,
) -> GAN:
    """The dense GAN of notebook 06 (30 -> 100 -> 150 -> 784, mirrored D).

    Args:
        latent_dim: Size of the codes.
        image_shape: Shape of one image (pixels in [0, 1], sigmoid output).
        minibatch_discrimination: Add mini-batch discrimination to D.
        **gan_options: Options of :class:`GAN` (remedies, seed...).

    Example:
        >>> build_dense_gan(30).latent_dim
        30
    """
    return GAN(
        build_dense_generator(latent_dim, image_shape=image_shape),
        build_dense_discriminator(
            image_shape, minibatch_discrimination=minibatch_discrimination
        ),
        **gan_options,
    )


def build_dcgan_generator(
    latent_dim: int = 100,
    image_shape: Sequence[int] = (28, 28),
    *,
    filters: Sequence[int] = (128, 64),
    upsampling: str = "transpose",
    kernel_size: int = 5,
) -> keras.Model:
    """A DCGAN generator, following the DCGAN guidelines.

    Dense -> Reshape to (H/4, W/4, filters[0]) -> batch norm + ReLU -> for
    each stage: double the resolution (a strided transposed convolution, or
    UpSampling2D + convolution) -> batch norm + ReLU; the last stage has no
    batch norm and a tanh output, so images are in [-1, 1].

    Args:
        latent_dim: Size of the codes.
        image_shape: (height, width) or (height, width, channels); height and
            width divisible by 4.
        filters: Filters of the hidden stages (the output stage has the image
            channels).
        upsampling: "transpose" or "upsample".
        kernel_size: Kernel size of the (transposed) convolutions.

    Example:
        >>> build_dcgan_generator(100).output_shape
        (None, 28, 28)
    """
    latent_dim = positive_int("latent_dim", latent_dim)
    image_shape = _image_shape(image_shape)
    if upsampling not in UPSAMPLING:
        raise ValueError(
            f"upsampling must be one of {', '.join(map(repr, UPSAMPLING))}; "
            f"got {upsampling!r}"
        )
    kernel_size = positive_int("kernel_size", kernel_size)
    filters = tuple(positive_int(f"filters[{i}]", f) for i, f in enumerate(filters))
    if len(filters) != 2:
        raise ValueError(f"filters must hold two stages; got {filters!r}")
    if image_shape[0] % 4 or image_shape[1] % 4:
        raise ValueError(
            f"image_shape height and width must be divisible by 4; got {image_shape!r}"
        )
    channels = image_shape[2] if len(image_shape) == 3 else 1
    height, width = image_shape[0] // 4, image_shape[1] // 4

    def upsample(n_filters, activation=None):
        if upsampling == "transpose":
            return [
                keras.layers.Conv2DTranspose(
                    n_filters,
                    kernel_size,
                    strides=2,
                    padding="same",
                    activation=activation,
                )
            ]
        return [
            keras.layers.UpSampling2D(2),
            keras.layers.Conv2D(
                n_filters, kernel_size, padding="same", activation=activation
            ),
        ]

    model_layers = [
        keras.Input((latent_dim,)),
        keras.layers.Dense(height * width * filters[0], use_bias=False),
        keras.layers.Reshape((height, width, filters[0])),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        *upsample(filters[1]),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        *upsample(channels, activation="tanh"),
    ]
    if len(image_shape) == 2:
        model_layers.append(keras.layers.Reshape(image_shape))
    return keras.Sequential(model_layers, name="generator")


def build_dcgan_discriminator(
    image_shape: Sequence[int] = (28, 28),
    *,
    filters: Sequence[int] = (64, 128),
    dropout: float = 0.3,
    minibatch_discrimination: bool = False,
) -> keras.Model:
    """A DCGAN discriminator: strided convolutions and leaky ReLU.

    No pooling (strided convolutions downsample), no batch norm on the input
    layer, batch norm after the second convolution, LeakyReLU(0.2) as its
    own layer, and one logit out. The flattened features are named
    "features".

    Example:
        >>> build_dcgan_discriminator().output_shape
        (None, 1)
    """
    image_shape = _image_shape(image_shape)
    filters = tuple(positive_int(f"filters[{i}]", f) for i, f in enumerate(filters))
    if len(filters) != 2:
        raise ValueError(f"filters must hold two stages; got {filters!r}")
    dropout = number("dropout", dropout, low=0, high=1, high_open=True)
    channels = image_shape[2] if len(image_shape) == 3 else 1
    model_layers: list = [
        keras.Input(image_shape),
        keras.layers.Reshape((*image_shape[:2], channels)),
        keras.layers.Conv2D(filters[0], 5, strides=2, padding="same"),
        keras.layers.LeakyReLU(0.2),
        keras.layers.Dropout(dropout),
        keras.layers.Conv2D(filters[1], 5, strides=2, padding="same"),
        keras.layers.BatchNormalization(),
        keras.layers.LeakyReLU(0.2),
        keras.layers.Dropout(dropout),
        keras.layers.Flatten(name="features"),
    ]
    if minibatch_discrimination:
        model_layers.append(
            course_layers.MinibatchDiscrimination(n_kernels=50, kernel_dim=5)
        )
    model_layers.append(keras.layers.Dense(1, name="logit"))
    return keras.Sequential(model_layers, name="discriminator")


def build_dcgan(
    latent_dim: int = 100,
    image_shape: Sequence[int] = (28, 28),
    *,
    upsampling: str = "transpose",
    minibatch_discrimination: bool = False,
    **gan_options,
) -> GAN:
    """The DCGAN of notebook 07 (data scaled to [-1, 1]).

    Example:
        >>> build_dcgan(100, upsampling="upsample").latent_dim
        100
    """
    return GAN(
        build_dcgan_generator(latent_dim, image_shape, upsampling=upsampling),
        build_dcgan_discriminator(
            image_shape, minibatch_discrimination=minibatch_discrimination
        ),
        **gan_options,
    )


class FixedNoiseSamples(keras.callbacks.Callback):
    """Keep the images generated from one fixed batch of codes every epoch.

    Watching the same codes evolve shows training progress (and collapse);
    :func:`course_utils.plotting.animate_frames` turns the frames into an
    inline animation. For a class-conditional model (one with an
    ``n_classes`` attribute), image ``i`` is drawn for class ``i % n_classes``.

    Args:
        n_images: Number of fixed codes.
        seed: Seed of the codes.
        every: Keep a frame every ``every`` epochs.

    Attributes:
        frames: List of arrays (n_images, H, W), the first taken before
            training starts.
        epochs: The epoch of each frame (0 = before training).

    Example:
        >>> samples = FixedNoiseSamples(n_images=16)
        >>> gan.fit(images, epochs=5, callbacks=[samples])  # doctest: +SKIP
        >>> len(samples.frames)  # doctest: +SKIP
        6
    """

    def __init__(self, n_images: int = 16, seed: int = 0, every: int = 1):
        super().__init__()
        self.n_images = positive_int("n_images", n_images)
        self.every = positive_int("every", every)
        self.seed = optional_seed(seed)
        self.frames: list[np.ndarray] = []
        self.epochs: list[int] = []

    def _codes(self):
        latent_dim = self.model.latent_dim
        rng = np.random.default_rng(self.seed)
        return rng.standard_normal((self.n_images, latent_dim)).astype(np.float32)

    def _inputs(self):
        codes = self._codes()
        n_classes = getattr(self.model, "n_classes", None)  # conditional models
        if n_classes is not None:
            labels = np.arange(self.n_images) % n_classes
            return [codes, labels.astype(np.int32)]
        return codes

    def _record(self, epoch: int):
        images = self.model.generator.predict(self._inputs(), verbose=0)
        self.frames.append(np.asarray(images))
        self.epochs.append(epoch)

    def on_train_begin(self, logs=None):
        if not isinstance(self.model, GAN):
            raise TypeError("FixedNoiseSamples works with course_utils GAN models")
        if not self.frames:
            self._record(0)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self._record(epoch + 1)


def log_value_function(real_logits, fake_logits) -> float:
    """The minimax value V(D, G) = E[log D(x)] + E[log(1 - D(G(z)))].

    Args:
        real_logits: D's logits on real images.
        fake_logits: D's logits on generated images.

    Returns:
        V as a float (at most 0; ``-2 log 2`` at the game's equilibrium, where
        D outputs 1/2 everywhere).

    Raises:
        ValueError: If either array is empty or holds NaN or infinity.

    Example:
        >>> round(log_value_function(np.zeros(4), np.zeros(4)), 4)  # -2 log 2
        -1.3863
    """
    real_logits = np.asarray(real_logits, dtype=np.float64)
    fake_logits = np.asarray(fake_logits, dtype=np.float64)
    for name, logits in (("real_logits", real_logits), ("fake_logits", fake_logits)):
        if logits.size == 0:
            raise ValueError(
                f"{name} must hold at least one logit; got shape {logits.shape}"
            )
        finite_array(logits, name)
    log_d_real = -np.logaddexp(0.0, -real_logits)  # log sigmoid(l)
    log_one_minus_d_fake = -np.logaddexp(0.0, fake_logits)  # log(1 - sigmoid(l))
    return float(log_d_real.mean() + log_one_minus_d_fake.mean())


__all__ = [
    "GAN",
    "TwoPlayerModel",
    "FixedNoiseSamples",
    "GENERATOR_LOSSES",
    "build_dcgan",
    "build_dcgan_discriminator",
    "build_dcgan_generator",
    "build_dense_discriminator",
    "build_dense_gan",
    "build_dense_generator",
    "log_value_function",
]
