"""Autoregressive image models: MADE and PixelCNN, trained by maximum likelihood.

The chain rule writes the probability of an image's pixels in a fixed order
as a product of conditionals,
``p(x) = prod_i p(x_i | x_1 ... x_{i-1})``; a network whose output ``i`` sees
only the inputs before ``i`` gives every conditional in one pass, so the exact
log-likelihood of an image is one network call, while sampling needs one
call per pixel. Two ways to build such a network:

* MADE (Germain et al., 2015): dense layers whose weights are multiplied by
  binary masks built from each unit's *degree* (:func:`made_masks`).
* PixelCNN (van den Oord et al., 2016): convolutions whose kernels are
  masked so that a pixel sees only the rows above and the pixels to its left
  (:class:`MaskedConv2D`, type A for the first layer, B after it).

:class:`Autoregressive` wraps either network with its likelihood: a 256-way
softmax per pixel (``"categorical"``) or a discretised logistic
(``"logistic"``, two numbers per pixel); see :mod:`course_utils.likelihood`.
Images are 8-bit grey levels 0 ... 255; the network sees them scaled to
[0, 1].

Taught in ``notebooks/10_tractable_density_models.ipynb``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from course_utils._arguments import integer, numpy_rng, positive_int
from course_utils.data import first_fit_batch
from course_utils.likelihood import (
    PIXEL_LEVELS,
    discretized_logistic_log_prob,
    pixel_levels,
)

MASK_TYPES = ("A", "B")
LIKELIHOODS = ("categorical", "logistic")
#: Network outputs per pixel for each likelihood.
PARAMETERS_PER_PIXEL = {"categorical": PIXEL_LEVELS, "logistic": 2}


#: A logistic's log-scale (in grey levels) when the network outputs 0: a
#: scale of about 20 levels, so that training starts from broad distributions.
INITIAL_LOG_SCALE = 3.0


def logistic_parameters(parameters):
    """Mean and log-scale of a discretised logistic from a network's raw outputs.

    The mean is ``127.5 * (1 + parameters[..., 0])``: 0 maps to mid-grey and
    nothing bounds it, so that a background pixel can get a mean below level 0
    (a squashing function such as a sigmoid would stall there, leaving the
    scale to grow instead); ``parameters[..., 1]`` is shifted by
    :data:`INITIAL_LOG_SCALE`.

    Example:
        >>> mean, log_scale = logistic_parameters(np.zeros((1, 2), "float32"))
        >>> float(mean[0]), float(log_scale[0])
        (127.5, 3.0)
    """
    parameters = ops.convert_to_tensor(parameters, "float32")
    mean = (PIXEL_LEVELS - 1) / 2 * (1 + parameters[..., 0])
    return mean, parameters[..., 1] + INITIAL_LOG_SCALE


def _ordering(ordering, n_inputs: int) -> np.ndarray:
    """Check that ``ordering`` is a permutation of ``0 ... n_inputs - 1``."""
    if ordering is None:
        return np.arange(n_inputs)
    array = np.asarray(ordering)
    if array.shape != (n_inputs,) or array.dtype.kind not in "iu":
        raise ValueError(
            f"ordering must be {n_inputs} integers (a permutation of 0 ... "
            f"{n_inputs - 1}); got shape {array.shape} and dtype {array.dtype}"
        )
    if not np.array_equal(np.sort(array), np.arange(n_inputs)):
        repeated = int(n_inputs - len(np.unique(array)))
        raise ValueError(
            f"ordering must visit each of the {n_inputs} inputs once (a "
            f"permutation of 0 ... {n_inputs - 1}); got {repeated} repeated "
            f"value(s), values from {array.min()} to {array.max()}"
        )
    return array.astype(np.int64)


def made_degrees(
    n_inputs: int, hidden_sizes, ordering=None, seed: int | None = 0
) -> list[np.ndarray]:
    """The degree of every unit of a MADE network, input layer first.

    An input's degree is its position in the ordering (1 ... D); a hidden
    unit's degree ``m`` (1 ... D - 1) is the number of leading inputs it may
    see; hidden degrees are drawn at random, at least the smallest degree of
    the layer below, so that no unit is cut off.

    Args:
        n_inputs: Number of inputs D (>= 2).
        hidden_sizes: Units of each hidden layer, e.g. (512,).
        ordering: Which input comes first, second, ...: a permutation of
            0 ... D - 1; None is the raster order 0, 1, 2, ...
        seed: Seed of the hidden degrees.

    Returns:
        ``[input_degrees, hidden_1_degrees, ...]``, int arrays.

    Example:
        >>> [d.tolist() for d in made_degrees(3, (4,), ordering=[2, 0, 1])]
        [[2, 3, 1], [2, 2, 2, 1]]
    """
    n_inputs = integer("n_inputs", n_inputs, minimum=2)
    if not isinstance(hidden_sizes, (tuple, list)) or not hidden_sizes:
        raise ValueError(
            f"hidden_sizes must be a non-empty tuple of layer sizes; got "
            f"{hidden_sizes!r}"
        )
    hidden_sizes = [positive_int("hidden_sizes", size) for size in hidden_sizes]
    order = _ordering(ordering, n_inputs)
    input_degrees = np.empty(n_inputs, np.int64)
    input_degrees[order] = np.arange(1, n_inputs + 1)
    rng = numpy_rng(seed)
    degrees = [input_degrees]
    for size in hidden_sizes:
        low = min(int(degrees[-1].min()), n_inputs - 1)
        degrees.append(rng.integers(low, n_inputs, size=size))
    return degrees


def degree_mask(below, above, strict: bool = False) -> np.ndarray:
    """The MADE mask between two layers of units with degrees ``below``, ``above``.

    Unit ``k`` above connects to unit ``j`` below if ``above[k] >= below[j]``
    (hidden layers) or ``above[k] > below[j]`` (``strict``: the output layer,
    whose unit for input ``d`` has degree ``d``).

    Example:
        >>> degree_mask([1, 2], [1, 2], strict=True).astype(int).tolist()
        [[0, 1], [0, 0]]
    """
    below, above = np.asarray(below), np.asarray(above)
    if strict:
        return (above[None, :] > below[:, None]).astype(np.float32)
    return (above[None, :] >= below[:, None]).astype(np.float32)


def made_masks(degrees: list[np.ndarray]) -> list[np.ndarray]:
    """The binary masks of a MADE network from its units' degrees.

    A hidden unit of degree ``m`` connects to units below of degree <= m; an
    output of degree ``d`` (the output for input ``d``) connects to units of
    degree < d only. So output ``d`` depends on inputs 1 ... d - 1 alone.

    Args:
        degrees: As returned by :func:`made_degrees`.

    Returns:
        One float32 mask (units below, units above) per layer, the last one
        for the output layer (hidden units, D).

    Example:
        >>> masks = made_masks(made_degrees(3, (4,), ordering=[2, 0, 1]))
        >>> masks[-1].astype(int).tolist()
        [[0, 1, 0], [0, 1, 0], [0, 1, 0], [1, 1, 0]]
    """
    masks = [
        degree_mask(below, above)
        for below, above in zip(degrees[:-1], degrees[1:], strict=True)
    ]
    masks.append(degree_mask(degrees[-1], degrees[0], strict=True))
    return masks


@keras.saving.register_keras_serializable(package="course_utils")
class MaskedDense(keras.layers.Layer):
    """A dense layer whose weights are multiplied by a MADE mask.

    The mask comes from the degrees of the units below (the inputs) and of
    this layer's units (see :func:`degree_mask`); the degrees are part of the
    layer's config, so the mask is rebuilt when the layer is loaded and is not
    stored with the weights.

    Args:
        below_degrees: Degree of each input feature.
        unit_degrees: Degree of each unit of this layer (their number is the
            number of units).
        strict: True for an output layer (``>``), False for hidden ones
            (``>=``).
        activation: Keras activation, e.g. "relu"; None for a linear layer.
        **kwargs: ``keras.layers.Layer`` arguments (name, ...).

    Example:
        >>> layer = MaskedDense([1, 2], [1, 2], strict=True)
        >>> layer(np.ones((1, 2))).shape
        TensorShape([1, 2])
    """

    def __init__(
        self, below_degrees, unit_degrees, strict=False, activation=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.below_degrees = self._degrees("below_degrees", below_degrees)
        self.unit_degrees = self._degrees("unit_degrees", unit_degrees)
        self.strict = bool(strict)
        self.units = len(self.unit_degrees)
        self.activation = keras.activations.get(activation)
        self.mask = degree_mask(self.below_degrees, self.unit_degrees, self.strict)

    @staticmethod
    def _degrees(name: str, degrees) -> list[int]:
        array = np.asarray(degrees)
        if array.ndim != 1 or array.size == 0 or array.dtype.kind not in "iu":
            raise ValueError(
                f"{name} must be a non-empty list of integer degrees; got shape "
                f"{array.shape} and dtype {array.dtype}"
            )
        return [int(d) for d in array]

    def build(self, input_shape):
        if input_shape[-1] != len(self.below_degrees):
            raise ValueError(
                f"inputs must have {len(self.below_degrees)} features (one per "
                f"entry of below_degrees); got {input_shape[-1]}"
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(len(self.below_degrees), self.units),
            initializer="glorot_uniform",
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.units,), initializer="zeros"
        )

    def call(self, inputs):
        outputs = ops.matmul(inputs, self.kernel * self.mask) + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return super().get_config() | {
            "below_degrees": self.below_degrees,
            "unit_degrees": self.unit_degrees,
            "strict": self.strict,
            "activation": keras.activations.serialize(self.activation),
        }


def _image_shape(image_shape) -> tuple[int, int]:
    if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2:
        raise ValueError(f"image_shape must be (height, width); got {image_shape!r}")
    return tuple(positive_int("image_shape", side) for side in image_shape)


def _likelihood(likelihood: str) -> str:
    if likelihood not in LIKELIHOODS:
        raise ValueError(
            f"likelihood must be one of {', '.join(map(repr, LIKELIHOODS))}; got "
            f"{likelihood!r}"
        )
    return likelihood


def build_made_network(
    image_shape: tuple[int, int] = (28, 28),
    hidden_sizes: tuple[int, ...] = (512,),
    ordering=None,
    likelihood: str = "logistic",
    seed: int | None = 0,
) -> keras.Model:
    """A MADE network for grey images: masked dense layers over the flat pixels.

    Args:
        image_shape: (height, width).
        hidden_sizes: Units of each hidden (relu) layer.
        ordering: Pixel order (flat indices), see :func:`made_degrees`.
        likelihood: "logistic" (2 outputs per pixel) or "categorical" (256;
            a large output layer).
        seed: Seed of the hidden degrees (and so of the masks).

    Returns:
        A functional model from images (batch, H, W) scaled to [0, 1] to
        parameters (batch, H, W, 2 or 256).

    Example:
        >>> build_made_network((4, 4), (32,)).output.shape
        (None, 4, 4, 2)
    """
    height, width = _image_shape(image_shape)
    likelihood = _likelihood(likelihood)
    n_pixels = height * width
    degrees = made_degrees(n_pixels, hidden_sizes, ordering, seed)
    per_pixel = PARAMETERS_PER_PIXEL[likelihood]
    images = keras.Input((height, width), name="images")
    x = keras.layers.Flatten(name="flatten")(images)
    for index, (below, above) in enumerate(zip(degrees[:-1], degrees[1:], strict=True)):
        x = MaskedDense(below, above, activation="relu", name=f"masked_dense{index}")(x)
    # Each pixel's parameters are output units with the pixel's degree.
    output_degrees = np.repeat(degrees[0], per_pixel)
    x = MaskedDense(degrees[-1], output_degrees, strict=True, name="masked_output")(x)
    outputs = keras.layers.Reshape((height, width, per_pixel), name="parameters")(x)
    return keras.Model(images, outputs, name="made")


def pixelcnn_mask(kernel_size: int, mask_type: str) -> np.ndarray:
    """The (kernel_size, kernel_size) mask of a PixelCNN convolution.

    Rows above the centre are kept, rows below are zeroed; in the centre row
    the pixels left of the centre are kept, and the centre itself only for
    type "B". Type "A" (first layer) stops a pixel from seeing itself; type
    "B" (later layers) lets a feature see its own position, which by then
    only holds information about earlier pixels.

    Example:
        >>> pixelcnn_mask(3, "A").astype(int).tolist()
        [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    """
    kernel_size = integer("kernel_size", kernel_size, minimum=1)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd (a centre pixel); got {kernel_size}")
    if mask_type not in MASK_TYPES:
        raise ValueError(f"mask_type must be 'A' or 'B'; got {mask_type!r}")
    centre = kernel_size // 2
    mask = np.ones((kernel_size, kernel_size), np.float32)
    mask[centre, centre + (mask_type == "B") :] = 0
    mask[centre + 1 :] = 0
    return mask


@keras.saving.register_keras_serializable(package="course_utils")
class MaskedConv2D(keras.layers.Conv2D):
    """A 'same' convolution whose kernel sees only earlier pixels (raster order).

    Args:
        filters: Output channels.
        kernel_size: Odd square kernel size.
        mask_type: "A" (excludes the centre pixel: first layer) or "B".
        **kwargs: ``keras.layers.Conv2D`` arguments (not ``padding``).

    Example:
        >>> MaskedConv2D(8, 3, "A")(np.zeros((1, 5, 5, 1))).shape
        TensorShape([1, 5, 5, 8])
    """

    def __init__(self, filters, kernel_size, mask_type="B", **kwargs):
        if kwargs.pop("padding", "same") != "same":
            raise ValueError("MaskedConv2D always uses padding='same'")
        if not isinstance(kernel_size, int):
            raise TypeError(
                f"kernel_size must be one odd int (square kernels); got {kernel_size!r}"
            )
        self.mask_type = mask_type
        self._mask = pixelcnn_mask(kernel_size, mask_type)[:, :, None, None]
        super().__init__(filters, kernel_size, padding="same", **kwargs)

    def convolution_op(self, inputs, kernel):
        return super().convolution_op(inputs, kernel * self._mask)

    def get_config(self):
        config = super().get_config()
        config["kernel_size"] = config["kernel_size"][0]
        for key in ("padding", "strides", "dilation_rate", "groups"):
            config.pop(key, None)
        return config | {"mask_type": self.mask_type}


def build_pixelcnn_network(
    image_shape: tuple[int, int] = (28, 28),
    filters: int = 32,
    hidden_layers: int = 4,
    first_kernel: int = 7,
    kernel_size: int = 3,
    likelihood: str = "categorical",
) -> keras.Model:
    """A PixelCNN: one type-A masked convolution, then residual type-B ones.

    ``first_kernel`` x ``first_kernel`` type-A convolution, ``hidden_layers``
    residual blocks (relu, ``kernel_size`` type-B convolution, added to
    their input), then two 1x1 convolutions to the parameters of each pixel.

    Args:
        image_shape: (height, width).
        filters: Channels of every hidden layer.
        hidden_layers: Number of type-B residual blocks (>= 0).
        first_kernel: Odd kernel size of the first (type-A) convolution.
        kernel_size: Odd kernel size of the hidden (type-B) convolutions.
        likelihood: "categorical" (256 logits per pixel) or "logistic".

    Returns:
        A functional model from images (batch, H, W) scaled to [0, 1] to
        parameters (batch, H, W, 256 or 2).

    Example:
        >>> build_pixelcnn_network((8, 8), filters=8, hidden_layers=1).output.shape
        (None, 8, 8, 256)
    """
    height, width = _image_shape(image_shape)
    filters = positive_int("filters", filters)
    hidden_layers = integer("hidden_layers", hidden_layers, minimum=0)
    likelihood = _likelihood(likelihood)
    images = keras.Input((height, width), name="images")
    x = keras.layers.Reshape((height, width, 1), name="add_channel")(images)
    x = MaskedConv2D(filters, first_kernel, "A", name="masked_a")(x)
    for index in range(hidden_layers):
        h = keras.layers.ReLU(name=f"block{index}_relu")(x)
        h = MaskedConv2D(filters, kernel_size, "B", name=f"block{index}_masked_b")(h)
        x = keras.layers.Add(name=f"block{index}_add")([x, h])
    x = keras.layers.ReLU(name="head_relu1")(x)
    x = MaskedConv2D(filters, 1, "B", name="head_1x1")(x)
    x = keras.layers.ReLU(name="head_relu2")(x)
    outputs = MaskedConv2D(PARAMETERS_PER_PIXEL[likelihood], 1, "B", name="parameters")(
        x
    )
    return keras.Model(images, outputs, name="pixelcnn")


def input_gradient(network: keras.Model, image, position: tuple[int, int]):
    """How strongly each input pixel moves the outputs at one ``position``.

    The absolute gradient of the sum of the network's outputs at
    ``position`` (row, column) with respect to the input image: zero
    wherever the output cannot see the input. For an autoregressive network
    it must be zero at ``position`` and after it (in the network's order);
    for a stack of masked convolutions it also shows the *blind spot*,
    earlier pixels up and to the right that the output never sees.

    Args:
        network: A model from images (1, H, W) to (1, H, W, P).
        image: One image (H, W), scaled to [0, 1].
        position: (row, column) of the output pixel.

    Returns:
        An (H, W) NumPy array of absolute gradients.

    Example:
        >>> net = build_pixelcnn_network((5, 5), filters=4, hidden_layers=0)
        >>> g = input_gradient(net, np.full((5, 5), 0.5), (2, 2))
        >>> bool(g[2, 2] == 0 and g[3:].sum() == 0)
        True
    """
    image = np.asarray(image, np.float32)
    if image.shape != tuple(network.inputs[0].shape[1:]):
        raise ValueError(
            f"image must have the network's image shape "
            f"{tuple(network.inputs[0].shape[1:])}; got {image.shape}"
        )
    row, column = position
    height, width = image.shape
    if not (0 <= row < height and 0 <= column < width):
        raise ValueError(
            f"position must be inside the {height}x{width} image; got {position!r}"
        )
    x = tf.convert_to_tensor(image[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = network(x, training=False)
        target = ops.sum(outputs[0, row, column])
    return np.abs(tape.gradient(target, x).numpy()[0])


@keras.saving.register_keras_serializable(package="course_utils")
class Autoregressive(keras.Model):
    """An autoregressive image model: a masked network and its likelihood.

    Trained by maximum likelihood: ``fit(levels)`` on 8-bit images (grey
    levels 0 ... 255, e.g. ``load_fashion_mnist(value_range="uint8")``)
    minimises the mean negative log-likelihood per pixel.

    Args:
        network: A model from images (batch, H, W) scaled to [0, 1] to
            parameters (batch, H, W, P), whose output at a pixel sees only
            the pixels before it in ``ordering`` (:func:`build_made_network`,
            :func:`build_pixelcnn_network`).
        likelihood: "categorical" (P = 256 logits) or "logistic" (P = 2:
            mean and log-scale of a discretised logistic, in grey levels).
        ordering: The order in which :meth:`sample` draws the pixels (flat
            indices); None is the raster order, the order of a PixelCNN.
        **kwargs: ``keras.Model`` arguments.

    Metrics tracked by ``fit`` and ``evaluate``: ``loss`` (nats per pixel)
    and ``bits_per_dim`` (the same in bits).

    Example:
        >>> model = Autoregressive(build_pixelcnn_network((8, 8), filters=8))
        >>> model.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> model.log_prob(np.zeros((2, 8, 8), np.uint8)).shape
        (2,)
    """

    def __init__(self, network, likelihood="categorical", ordering=None, **kwargs):
        kwargs.setdefault("name", "autoregressive")
        super().__init__(**kwargs)
        if not isinstance(network, keras.Model):
            raise TypeError(
                f"network must be a keras.Model; got {type(network).__name__}"
            )
        self.network = network
        self.likelihood = _likelihood(likelihood)
        image_shape = tuple(network.inputs[0].shape[1:])
        expected = (*image_shape, PARAMETERS_PER_PIXEL[self.likelihood])
        if len(image_shape) != 2 or tuple(network.outputs[0].shape[1:]) != expected:
            raise ValueError(
                f"network must map images (H, W) to parameters (H, W, "
                f"{PARAMETERS_PER_PIXEL[self.likelihood]}) for likelihood="
                f"{self.likelihood!r}; it maps {image_shape} to "
                f"{tuple(network.outputs[0].shape[1:])}"
            )
        self.image_shape = image_shape
        self.dims = int(np.prod(image_shape))
        self.ordering = _ordering(ordering, self.dims)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.bits_tracker = keras.metrics.Mean(name="bits_per_dim")
        self._parameters = None
        self.built = True

    @property
    def metrics(self):
        return [self.loss_tracker, self.bits_tracker]

    def call(self, inputs, training=None):
        return self.network(inputs, training=training)

    def pixel_log_probs(self, levels, parameters):
        """``log p(x_i | x_<i)`` of every pixel (nats), shape (batch, H, W)."""
        levels = ops.cast(levels, "int32")
        if self.likelihood == "categorical":
            log_softmax = ops.log_softmax(parameters, axis=-1)
            return ops.squeeze(
                ops.take_along_axis(log_softmax, levels[..., None], axis=-1), -1
            )
        mean, log_scale = logistic_parameters(parameters)
        return discretized_logistic_log_prob(levels, mean, log_scale)

    def _negative_log_likelihood(self, levels, training):
        parameters = self.network(
            ops.cast(levels, "float32") / 255.0, training=training
        )
        return -ops.mean(self.pixel_log_probs(levels, parameters))

    def _update(self, loss):
        self.loss_tracker.update_state(loss)
        self.bits_tracker.update_state(loss / math.log(2))
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        levels = data[0] if isinstance(data, (tuple, list)) else data
        with tf.GradientTape() as tape:
            loss = self._negative_log_likelihood(levels, training=True)
        weights = self.network.trainable_weights
        gradients = tape.gradient(loss, weights)
        self.optimizer.apply_gradients(zip(gradients, weights, strict=True))
        return self._update(loss)

    def test_step(self, data):
        levels = data[0] if isinstance(data, (tuple, list)) else data
        return self._update(self._negative_log_likelihood(levels, training=False))

    def check_levels(self, levels, name: str = "levels") -> np.ndarray:
        """Check 8-bit images of this model's shape; return them as int32.

        Example:
            >>> model = Autoregressive(build_pixelcnn_network((8, 8), filters=8))
            >>> model.check_levels(np.full((2, 8, 8), 0.5))
            Traceback (most recent call last):
            ValueError: levels must hold whole grey levels 0 ... 255; ...
        """
        levels = pixel_levels(levels, name)
        if levels.shape[1:] != self.image_shape:
            raise ValueError(
                f"{name} must have shape (batch, {self.image_shape[0]}, "
                f"{self.image_shape[1]}); got {levels.shape}"
            )
        return levels

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit`` on 8-bit images, checked once before training.

        The images (an array, or the first batch of a ``tf.data.Dataset``) are
        checked with :meth:`check_levels`; ``y`` is ignored.
        """
        images, _ = first_fit_batch(x, y)
        if images is not None:
            self.check_levels(images, "x")
        return super().fit(x, y, *args, **kwargs)

    def _network_parameters(self, images):
        if self._parameters is None:
            self._parameters = tf.function(
                lambda x: self.network(x, training=False),
                input_signature=[tf.TensorSpec((None, *self.image_shape), "float32")],
            )
        return self._parameters(images)

    def log_prob(self, levels, batch_size: int = 500) -> np.ndarray:
        """The exact log-likelihood (nats) of each 8-bit image: one network call.

        Example:
            >>> model = Autoregressive(build_pixelcnn_network((8, 8), filters=8))
            >>> model.log_prob(np.zeros((2, 8, 8), np.uint8)).shape
            (2,)
        """
        levels = self.check_levels(levels)
        batch_size = positive_int("batch_size", batch_size)
        totals = []
        for start in range(0, len(levels), batch_size):
            batch = levels[start : start + batch_size]
            parameters = self._network_parameters(batch.astype(np.float32) / 255.0)
            log_probs = self.pixel_log_probs(batch, parameters)
            totals.append(ops.convert_to_numpy(ops.sum(log_probs, axis=(1, 2))))
        return np.concatenate(totals).astype(np.float64)

    def bits_per_dim(self, levels, batch_size: int = 500) -> float:
        """Mean negative log-likelihood of 8-bit images in bits per pixel.

        Example:
            >>> model = Autoregressive(build_pixelcnn_network((8, 8), filters=8))
            >>> 0 < model.bits_per_dim(np.zeros((2, 8, 8), np.uint8)) < 30
            True
        """
        return float(
            -self.log_prob(levels, batch_size).mean() / (self.dims * math.log(2))
        )

    def _draw(self, parameters: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draw one grey level per row of ``parameters`` (batch, P)."""
        if self.likelihood == "categorical":
            logits = parameters - parameters.max(axis=1, keepdims=True)
            gumbel = -np.log(-np.log(rng.random(logits.shape)))
            return np.argmax(logits + gumbel, axis=1)
        mean, log_scale = (
            ops.convert_to_numpy(v) for v in logistic_parameters(parameters)
        )
        uniform = rng.uniform(1e-5, 1 - 1e-5, len(parameters))
        value = mean + np.exp(log_scale) * (np.log(uniform) - np.log1p(-uniform))
        return np.clip(np.round(value), 0, PIXEL_LEVELS - 1)

    def sample(
        self, n: int, *, seed: int | None = None, batch_size: int = 500
    ) -> np.ndarray:
        """Draw ``n`` images pixel by pixel: one network call per pixel.

        Each call recomputes every output, and the pixel next in
        ``ordering`` is drawn from its conditional distribution.

        Args:
            n: Number of images.
            seed: Seed of the draws; None follows NumPy's global state.
            batch_size: Images drawn at once.

        Returns:
            uint8 images (n, H, W).

        Example:
            >>> model = Autoregressive(build_pixelcnn_network((8, 8), filters=8))
            >>> model.sample(2, seed=0).shape
            (2, 8, 8)
        """
        n = positive_int("n", n)
        batch_size = positive_int("batch_size", batch_size)
        rng = numpy_rng(seed)
        rows, columns = np.unravel_index(self.ordering, self.image_shape)
        images = []
        for start in range(0, n, batch_size):
            count = min(batch_size, n - start)
            levels = np.zeros((count, *self.image_shape), np.float32)
            for row, column in zip(rows, columns, strict=True):
                parameters = self._network_parameters(levels / 255.0)
                pixel = ops.convert_to_numpy(parameters[:, row, column])
                levels[:, row, column] = self._draw(pixel, rng)
            images.append(levels.astype(np.uint8))
        return np.concatenate(images)

    def get_config(self):
        return {
            "network": keras.saving.serialize_keras_object(self.network),
            "likelihood": self.likelihood,
            "ordering": self.ordering.tolist(),
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["network"] = keras.saving.deserialize_keras_object(config["network"])
        return cls(**config)


def build_made(
    image_shape: tuple[int, int] = (28, 28),
    hidden_sizes: tuple[int, ...] = (512,),
    ordering=None,
    likelihood: str = "logistic",
    seed: int | None = 0,
) -> Autoregressive:
    """A MADE model (:class:`Autoregressive` around :func:`build_made_network`).

    Its sampling order is the network's ``ordering``.

    Example:
        >>> build_made((4, 4), (32,), ordering=np.arange(16)[::-1]).ordering[:3]
        array([15, 14, 13])
    """
    network = build_made_network(image_shape, hidden_sizes, ordering, likelihood, seed)
    return Autoregressive(network, likelihood, ordering=ordering, name="made")


def build_pixelcnn(
    image_shape: tuple[int, int] = (28, 28),
    filters: int = 32,
    hidden_layers: int = 4,
    first_kernel: int = 7,
    kernel_size: int = 3,
    likelihood: str = "categorical",
) -> Autoregressive:
    """A PixelCNN model (:class:`Autoregressive` around :func:`build_pixelcnn_network`).

    Example:
        >>> build_pixelcnn((8, 8), filters=8, hidden_layers=1).likelihood
        'categorical'
    """
    network = build_pixelcnn_network(
        image_shape, filters, hidden_layers, first_kernel, kernel_size, likelihood
    )
    return Autoregressive(network, likelihood, name="pixelcnn")
