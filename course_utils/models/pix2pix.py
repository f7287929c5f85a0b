"""Image-to-image translation: pix2pix (Isola et al. 2017).

A conditional GAN whose condition is a whole image: a U-Net generator G maps
a condition image ``c`` (for example an edge map, see
:func:`course_utils.data.edge_maps`) to a target image, and a PatchGAN
discriminator D judges ``(condition, image)`` pairs patch by patch: it
outputs a map of logits, one per overlapping patch, instead of one logit per
image. One training step of :class:`Pix2Pix`:

1. Discriminator phase: binary cross-entropy (from logits) of
   ``D([c, target])`` against 1 and of ``D([c, G(c)])`` against 0, each
   averaged over patches and examples; D's loss is the mean of the two.
   Gradients are applied to D's weights only.
2. Generator phase: ``adversarial + l1_weight * L1``, where ``adversarial``
   is the mean binary cross-entropy of ``D([c, G(c)])`` against 1 and
   ``L1`` the mean absolute difference ``|target - G(c)|``. The L1 term pulls
   G towards the right image at low frequencies, the adversarial term makes
   the details sharp. Gradients are applied to G's weights only.

Images are (N, H, W) or (N, H, W, C); conditions and targets are in [-1, 1]
(G ends in tanh) and, with the default two down-sampling blocks, H and W are
divisible by 4. Taught in ``notebooks/09_conditional_gans.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from course_utils._arguments import number, positive_int
from course_utils.models import gan

__all__ = [
    "Pix2Pix",
    "build_patch_discriminator",
    "build_pix2pix",
    "build_unet_generator",
]

KERNEL_SIZE = 4  # of every strided (transposed) convolution, as in pix2pix
# Batch-norm momentum: the moving statistics used at inference settle within a
# few dozen steps (Keras' default 0.99 needs hundreds, longer than a short run).
BN_MOMENTUM = 0.9


# -- argument checks ----------------------------------------------------------


def _check_image_shape(image_shape, n_blocks: int) -> tuple[int, ...]:
    """Return ``image_shape`` as a tuple; H and W divisible by 2**n_blocks."""
    try:
        shape = tuple(image_shape)
    except TypeError:
        shape = None
    if shape is None or len(shape) not in (2, 3):
        raise ValueError(
            "image_shape must be (height, width) or (height, width, channels); "
            f"got {image_shape!r}"
        )
    shape = tuple(
        positive_int(f"image_shape[{i}]", size) for i, size in enumerate(shape)
    )
    factor = 2**n_blocks
    if shape[0] % factor or shape[1] % factor:
        raise ValueError(
            f"image_shape height and width must be divisible by {factor} "
            f"(2 ** len(filters), one halving per block); got {image_shape!r}"
        )
    return shape


def _check_filters(filters) -> tuple[int, ...]:
    try:
        filters = tuple(filters)
    except TypeError:
        raise ValueError(
            f"filters must be a sequence of positive integers; got {filters!r}"
        ) from None
    if not filters:
        raise ValueError("filters must name at least one block; got ()")
    return tuple(positive_int(f"filters[{i}]", f) for i, f in enumerate(filters))


def _size(shape) -> str:
    return f"{shape[0]}x{shape[1]}"


# -- builders -----------------------------------------------------------------


def _down_blocks(maps, filters: tuple[int, ...]) -> list:
    """Strided 4x4 convolutions halving the size, each -> [BN] -> LeakyReLU.

    Batch norm on every block but the first (it sees the data as they are).
    Returns the output of every block, largest first; the layers are named
    after their output size (``down_14x14_conv``, ``down_14x14``...).
    """
    outputs = []
    size = tuple(maps.shape[1:3])
    for i, n_filters in enumerate(filters):
        size = (size[0] // 2, size[1] // 2)
        maps = keras.layers.Conv2D(
            n_filters,
            KERNEL_SIZE,
            strides=2,
            padding="same",
            use_bias=i == 0,
            name=f"down_{_size(size)}_conv",
        )(maps)
        if i > 0:
            maps = keras.layers.BatchNormalization(
                momentum=BN_MOMENTUM, name=f"down_{_size(size)}_bn"
            )(maps)
        maps = keras.layers.LeakyReLU(0.2, name=f"down_{_size(size)}")(maps)
        outputs.append(maps)
    return outputs


def build_unet_generator(
    image_shape: Sequence[int] = (28, 28),
    filters: Sequence[int] = (32, 64),
    dropout: float = 0.0,
) -> keras.Model:
    """A U-Net generator: condition image -> image of the same shape.

    Encoder: one block per entry of ``filters``, each a 4x4 Conv2D with
    stride 2 ("same" padding) that halves the resolution, batch norm (not in
    the first block) and LeakyReLU(0.2) as its own layer; for 28x28 images
    and two blocks: 28 -> 14 -> 7. Bottleneck: a 3x3 Conv2D at the smallest
    resolution, batch norm and ReLU. Decoder: before each up block, the
    current maps are concatenated with the output of the encoder block of the
    same resolution (the skip connections, layers named like "skip_7x7" and
    "skip_14x14"); each up block is a 4x4 Conv2DTranspose with stride 2,
    batch norm, ReLU and optional dropout, doubling the resolution back to
    28x28. A final 3x3 Conv2D with tanh maps to the image channels. The
    skips carry the fine detail (edge positions) that the bottleneck alone
    would blur.

    Args:
        image_shape: (height, width) or (height, width, channels); height and
            width divisible by ``2 ** len(filters)`` (4 by default). Without
            a channel axis the model takes and returns (N, H, W) arrays (it
            adds and removes the axis inside).
        filters: Filters of the encoder blocks, outermost first; the decoder
            mirrors them.
        dropout: Dropout rate after each up block, in [0, 1) (pix2pix uses
            0.5 as its source of randomness; 0 = off). Only active in
            training.

    Returns:
        A functional ``keras.Model`` named "unet_generator" whose output has
        the shape of its input, with values in [-1, 1].

    Raises:
        ValueError: If an argument is out of range.

    Example:
        >>> generator = build_unet_generator((28, 28), filters=(8, 16))
        >>> generator.output_shape
        (None, 28, 28)
        >>> [layer.name for layer in generator.layers if "skip" in layer.name]
        ['skip_7x7', 'skip_14x14']
    """
    filters = _check_filters(filters)
    image_shape = _check_image_shape(image_shape, len(filters))
    dropout = number("dropout", dropout, low=0, high=1, high_open=True)
    channels = image_shape[2] if len(image_shape) == 3 else 1
    conditions = keras.Input(image_shape, name="condition")
    maps = conditions
    if len(image_shape) == 2:
        maps = keras.layers.Reshape((*image_shape, 1), name="add_channel_axis")(maps)

    skips = _down_blocks(maps, filters)
    maps = skips[-1]

    maps = keras.layers.Conv2D(
        filters[-1], 3, padding="same", use_bias=False, name="bottleneck_conv"
    )(maps)
    maps = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name="bottleneck_bn")(
        maps
    )
    maps = keras.layers.ReLU(name="bottleneck")(maps)

    up_filters = (*filters[-2::-1], filters[0])  # (32, 32) for (32, 64)
    for skip, n_filters in zip(reversed(skips), up_filters, strict=True):
        size = tuple(skip.shape[1:3])
        maps = keras.layers.Concatenate(name=f"skip_{_size(size)}")([maps, skip])
        up_size = (size[0] * 2, size[1] * 2)
        maps = keras.layers.Conv2DTranspose(
            n_filters,
            KERNEL_SIZE,
            strides=2,
            padding="same",
            use_bias=False,
            name=f"up_{_size(up_size)}_conv",
        )(maps)
        maps = keras.layers.BatchNormalization(
            momentum=BN_MOMENTUM, name=f"up_{_size(up_size)}_bn"
        )(maps)
        maps = keras.layers.ReLU(name=f"up_{_size(up_size)}")(maps)
        if dropout:
            maps = keras.layers.Dropout(
                float(dropout), name=f"up_{_size(up_size)}_dropout"
            )(maps)

    images = keras.layers.Conv2D(
        channels, 3, padding="same", activation="tanh", name="to_image"
    )(maps)
    if len(image_shape) == 2:
        images = keras.layers.Reshape(image_shape, name="drop_channel_axis")(images)
    return keras.Model(conditions, images, name="unet_generator")


def build_patch_discriminator(
    image_shape: Sequence[int] = (28, 28),
    filters: Sequence[int] = (32, 64),
) -> keras.Model:
    """A PatchGAN discriminator: ``[condition, image]`` -> map of patch logits.

    The condition and the image are stacked on the channel axis, go through
    one 4x4 Conv2D with stride 2 per entry of ``filters`` (batch norm except
    in the first block, LeakyReLU(0.2) as its own layer), and a final 4x4
    Conv2D with one filter and stride 1, the layer "patch_logits", gives one
    logit per patch: a (N, H / 2**k, W / 2**k, 1) map for ``k = len(filters)``
    blocks, (N, 7, 7, 1) for 28x28 images and two blocks.

    Each logit only sees a patch of the input, its receptive field:
    ``3 * 2 ** (k + 1) - 2`` pixels square, i.e. 22x22 for two blocks (4
    pixels for the first conv, +3*2 for the second, +3*4 for the last), 46x46
    for three; the patches overlap, and near the border part of the field is
    padding. D thus judges whether each local patch looks real *given its
    condition*, which is what the L1 term cannot do.

    Args:
        image_shape: (height, width) or (height, width, channels) of both the
            condition and the image; height and width divisible by
            ``2 ** len(filters)``.
        filters: Filters of the strided blocks, outermost first.

    Returns:
        A functional ``keras.Model`` named "patch_discriminator" with inputs
        ``[condition, image]``.

    Raises:
        ValueError: If an argument is out of range.

    Example:
        >>> build_patch_discriminator((28, 28), filters=(8, 16)).output_shape
        (None, 7, 7, 1)
    """
    filters = _check_filters(filters)
    image_shape = _check_image_shape(image_shape, len(filters))
    channels = image_shape[2] if len(image_shape) == 3 else 1
    condition = keras.Input(image_shape, name="condition")
    image = keras.Input(image_shape, name="image")
    with_channels = (*image_shape[:2], channels)
    pair = keras.layers.Concatenate(name="condition_and_image")(
        [
            keras.layers.Reshape(with_channels, name="condition_channels")(condition),
            keras.layers.Reshape(with_channels, name="image_channels")(image),
        ]
    )
    maps = _down_blocks(pair, filters)[-1]
    logits = keras.layers.Conv2D(1, KERNEL_SIZE, padding="same", name="patch_logits")(
        maps
    )
    return keras.Model([condition, image], logits, name="patch_discriminator")


# -- the model ----------------------------------------------------------------


def _bce_with_logits(labels, logits):
    """Mean binary cross-entropy over every logit (patches and examples)."""
    return ops.mean(ops.binary_crossentropy(labels, logits, from_logits=True))


@keras.saving.register_keras_serializable(package="course_utils")
class Pix2Pix(gan.TwoPlayerModel):
    """pix2pix: a conditional GAN that translates condition images to images.

    ``fit`` takes ``(conditions, targets)`` batches (``fit(conditions,
    targets)`` or a ``tf.data`` set of pairs), both in [-1, 1] and of the
    generator's input shape. See the module docstring for the two phases of
    a training step; :meth:`discriminator_step` and :meth:`generator_step`
    run one phase each.

    Args:
        generator: Maps a batch of condition images to images of the same
            shape (for example :func:`build_unet_generator`).
        discriminator: Takes ``[conditions, images]`` and returns logits, one
            per image or a map of patch logits (for example
            :func:`build_patch_discriminator`).
        l1_weight: Weight of the L1 term in G's loss (finite, >= 0; pix2pix
            uses 100; 0 leaves the adversarial term alone, and L1 is then
            still tracked).
        **kwargs: ``keras.Model`` arguments.

    Metrics tracked: ``d_loss``, ``g_loss`` (adversarial + weighted L1),
    ``g_adversarial_loss`` and ``g_l1_loss`` (unweighted).

    Example:
        >>> model = build_pix2pix((28, 28), filters=(8, 16))
        >>> model.compile(
        ...     d_optimizer=keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5),
        ...     g_optimizer=keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5),
        ... )
        >>> model.fit(edges, targets, epochs=1)  # doctest: +SKIP
        >>> model.translate(np.zeros((3, 28, 28), dtype="float32")).shape
        (3, 28, 28)
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        l1_weight: float = 100.0,
        **kwargs,
    ):
        kwargs.setdefault("name", "pix2pix")
        super().__init__(**kwargs)
        for name, part in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(part, keras.Model):
                raise TypeError(
                    f"{name} must be a keras.Model; got {type(part).__name__}"
                )
        self.generator = generator
        self.discriminator = discriminator
        self.l1_weight = number("l1_weight", l1_weight, low=0)
        self.image_shape = self._check_parts()
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.g_adversarial_loss_tracker = keras.metrics.Mean(name="g_adversarial_loss")
        self.g_l1_loss_tracker = keras.metrics.Mean(name="g_l1_loss")
        self.built = True  # the parts are built models

    def _check_parts(self) -> tuple[int, ...]:
        """Check that G keeps the shape and D takes two inputs of that shape."""
        if len(self.generator.inputs) != 1 or len(self.generator.outputs) != 1:
            raise ValueError(
                "the generator must take one input (the conditions) and return "
                f"one output; it takes {len(self.generator.inputs)} and returns "
                f"{len(self.generator.outputs)}"
            )
        input_shape = tuple(self.generator.inputs[0].shape[1:])
        output_shape = tuple(self.generator.outputs[0].shape[1:])
        if input_shape != output_shape:
            raise ValueError(
                f"the generator must return images of its input's shape; it maps "
                f"{input_shape} to {output_shape}"
            )
        if len(self.discriminator.inputs) != 2:
            raise ValueError(
                "the discriminator must take two inputs [conditions, images]; it "
                f"takes {len(self.discriminator.inputs)}"
            )
        for which, tensor in zip(
            ("conditions", "images"), self.discriminator.inputs, strict=True
        ):
            if tuple(tensor.shape[1:]) != input_shape:
                raise ValueError(
                    f"the discriminator's {which} input has shape "
                    f"{tuple(tensor.shape[1:])} but the generator's images have "
                    f"shape {input_shape}"
                )
        return input_shape

    @property
    def metrics(self):
        return [
            self.d_loss_tracker,
            self.g_loss_tracker,
            self.g_adversarial_loss_tracker,
            self.g_l1_loss_tracker,
        ]

    # -- the two phases ----------------------------------------------------

    def _check_compiled(self):
        if not hasattr(self, "d_optimizer"):
            raise RuntimeError(
                "compile the model first: model.compile(d_optimizer=..., "
                "g_optimizer=...)"
            )

    def _tensors(self, *arrays):
        """The arrays as tensors of the model's dtype (so NumPy input works)."""
        return tuple(ops.cast(array, self.compute_dtype) for array in arrays)

    def discriminator_loss(self, conditions, targets, fakes):
        """D's loss: mean of BCE(D([c, target]), 1) and BCE(D([c, fake]), 0).

        Real and fake pairs go through D in two separate calls, so that D's
        batch norm never mixes the statistics of real and fake images.
        """
        conditions, targets, fakes = self._tensors(conditions, targets, fakes)
        real_logits = self.discriminator([conditions, targets], training=True)
        fake_logits = self.discriminator([conditions, fakes], training=True)
        real_loss = _bce_with_logits(ops.ones_like(real_logits), real_logits)
        fake_loss = _bce_with_logits(ops.zeros_like(fake_logits), fake_logits)
        return (real_loss + fake_loss) / 2.0

    def generator_losses(self, conditions, targets, fakes):
        """G's losses ``(total, adversarial, l1)`` for fakes ``G(conditions)``."""
        conditions, targets, fakes = self._tensors(conditions, targets, fakes)
        logits = self.discriminator([conditions, fakes], training=True)
        adversarial = _bce_with_logits(ops.ones_like(logits), logits)
        l1 = ops.mean(ops.abs(targets - fakes))
        return adversarial + self.l1_weight * l1, adversarial, l1

    def discriminator_step(self, conditions, targets):
        """One discriminator update; returns D's loss.

        The fakes ``G(conditions)`` are made outside the gradient tape and
        only D's trainable weights are updated. G runs in training mode, so
        its batch-norm moving statistics (not trainable) follow the batch.
        """
        self._check_compiled()
        conditions, targets = self._tensors(conditions, targets)
        fakes = ops.stop_gradient(self.generator(conditions, training=True))
        weights = self.discriminator.trainable_weights
        with tf.GradientTape() as tape:
            loss = self.discriminator_loss(conditions, targets, fakes)
        gradients = tape.gradient(loss, weights)
        self.d_optimizer.apply_gradients(zip(gradients, weights, strict=True))
        return loss

    def generator_step(self, conditions, targets):
        """One generator update through D, whose weights are not updated.

        Only G's trainable weights get gradients. D runs in training mode (as
        in its own phase), so its batch-norm moving statistics, which are not
        trainable, follow the batch.

        Returns:
            ``(g_loss, adversarial loss, l1 loss)``.
        """
        self._check_compiled()
        conditions, targets = self._tensors(conditions, targets)
        weights = self.generator.trainable_weights
        with tf.GradientTape() as tape:
            fakes = self.generator(conditions, training=True)
            loss, adversarial, l1 = self.generator_losses(conditions, targets, fakes)
        gradients = tape.gradient(loss, weights)
        self.g_optimizer.apply_gradients(zip(gradients, weights, strict=True))
        return loss, adversarial, l1

    def _split_batch(self, data):
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError(
                "Pix2Pix trains on (conditions, targets) batches: call "
                "fit(conditions, targets) or fit on a data set of pairs, without "
                "sample weights"
            )
        return self._tensors(data[0], data[1])

    def train_step(self, data):
        conditions, targets = self._split_batch(data)
        d_loss = self.discriminator_step(conditions, targets)
        g_loss, adversarial, l1 = self.generator_step(conditions, targets)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.g_adversarial_loss_tracker.update_state(adversarial)
        self.g_l1_loss_tracker.update_state(l1)
        return {metric.name: metric.result() for metric in self.metrics}

    def call(self, inputs, training=None):
        return self.generator(inputs, training=training)

    # -- using a trained model ---------------------------------------------

    def translate(self, conditions, batch_size: int = 256) -> np.ndarray:
        """Translate condition images into images, as a NumPy array.

        Args:
            conditions: Condition images in [-1, 1], shape (N, *image_shape).
            batch_size: Images per forward pass.

        Returns:
            A float32 array of the same shape, with values in [-1, 1].

        Raises:
            TypeError: If ``conditions`` is not a real-valued numeric array
                or ``batch_size`` is not an integer.
            ValueError: If its shape or value range is wrong, or
                ``batch_size`` is smaller than 1.

        Example:
            >>> model.translate(2 * edge_maps(images[:8]) - 1).shape  # doctest: +SKIP
            (8, 28, 28)
        """
        batch_size = positive_int("batch_size", batch_size)
        conditions = np.asarray(conditions)
        if conditions.dtype == np.bool_ or conditions.dtype.kind not in "iuf":
            raise TypeError(
                f"conditions must be a numeric array; got dtype {conditions.dtype}"
            )
        if conditions.ndim == 0 or conditions.shape[1:] != self.image_shape:
            expected = ", ".join(map(str, self.image_shape))
            raise ValueError(
                f"conditions must have shape (N, {expected}); got shape "
                f"{conditions.shape} (use conditions[None] for one image)"
            )
        if len(conditions) == 0:
            raise ValueError("conditions must hold at least one image; got none")
        low, high = conditions.min(), conditions.max()
        if not (low >= -1 and high <= 1):  # also catches NaN
            raise ValueError(
                f"conditions must be in [-1, 1]; found values in "
                f"[{low:g}, {high:g}]. Map [0, 1] images (such as edge_maps) "
                "with 2 * x - 1."
            )
        images = self.generator.predict(
            conditions.astype(np.float32), batch_size=batch_size, verbose=0
        )
        return np.asarray(images)

    def get_config(self):
        return {
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "l1_weight": self.l1_weight,
            "name": self.name,
        }


def build_pix2pix(
    image_shape: Sequence[int] = (28, 28),
    filters: Sequence[int] = (32, 64),
    l1_weight: float = 100.0,
) -> Pix2Pix:
    """The pix2pix model of notebook 09: U-Net G and PatchGAN D.

    Args:
        image_shape: (height, width) or (height, width, channels) of the
            conditions and the targets; height and width divisible by
            ``2 ** len(filters)``.
        filters: Filters of the down-sampling blocks of both players.
        l1_weight: Weight of the L1 term in G's loss.

    Returns:
        An uncompiled :class:`Pix2Pix`.

    Example:
        >>> model = build_pix2pix((28, 28), filters=(8, 16), l1_weight=50.0)
        >>> model.discriminator.output_shape, model.l1_weight
        ((None, 7, 7, 1), 50.0)
    """
    return Pix2Pix(
        build_unet_generator(image_shape, filters),
        build_patch_discriminator(image_shape, filters),
        l1_weight=l1_weight,
    )
