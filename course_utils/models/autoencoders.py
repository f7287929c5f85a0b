"""Builders for the autoencoders of notebooks 01-04.

Every builder returns a ``keras.Model`` whose layers ``"encoder"`` and
``"decoder"`` are themselves models: ``model.get_layer("encoder")`` maps
inputs to codings and ``model.get_layer("decoder")`` maps codings back, so
they can be reused (e.g. the encoder of a pretrained autoencoder inside a
classifier). :func:`encoder_and_decoder` returns both. All models are
Functional except the tied-weights one, a small ``keras.Model`` subclass
because its decoder shares kernels with its encoder.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from course_utils import layers as course_layers
from course_utils._arguments import number, positive_int

_DOWNSAMPLING = ("strided", "pooling")
_UPSAMPLING = ("transpose", "upsample")


def _check_units(name: str, units: Sequence[int]) -> tuple[int, ...]:
    if isinstance(units, (str, bytes)) or not isinstance(units, Sequence):
        raise TypeError(
            f"{name} must be a sequence of positive integers; got {units!r}"
        )
    return tuple(positive_int(f"{name}[{i}]", u) for i, u in enumerate(units))


def _check_choice(name: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}"
        )
    return value


def _check_shape(input_shape) -> tuple[int, ...]:
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence):
        raise TypeError(
            f"input_shape must be a tuple of positive integers, e.g. (28, 28); "
            f"got {input_shape!r}"
        )
    return tuple(
        positive_int(f"input_shape[{i}]", s) for i, s in enumerate(input_shape)
    )


def _check_image_shape(input_shape: Sequence[int]) -> tuple[int, ...]:
    shape = _check_shape(input_shape)
    if len(shape) not in (2, 3):
        raise ValueError(
            f"input_shape must be (height, width) or (height, width, channels); "
            f"got {input_shape!r}"
        )
    return tuple(positive_int(f"input_shape[{i}]", s) for i, s in enumerate(shape))


def _autoencoder(inputs, encoder, decoder, name: str) -> keras.Model:
    return keras.Model(inputs, decoder(encoder(inputs)), name=name)


def encoder_and_decoder(model: keras.Model) -> tuple[keras.Model, keras.Model]:
    """Return the ``"encoder"`` and ``"decoder"`` parts of an autoencoder.

    Args:
        model: A model made by a builder of this module (or loaded from one).

    Returns:
        ``(encoder, decoder)``.

    Raises:
        ValueError: If the model has no layer named "encoder" or "decoder".

    Example:
        >>> encoder, decoder = encoder_and_decoder(build_linear_autoencoder())
        >>> encoder.output_shape, decoder.output_shape
        ((None, 2), (None, 3))
    """
    names = [layer.name for layer in model.layers]
    if "encoder" not in names or "decoder" not in names:
        raise ValueError(
            f"model must have layers named 'encoder' and 'decoder'; "
            f"{model.name!r} has {names}"
        )
    return model.get_layer("encoder"), model.get_layer("decoder")


def build_linear_autoencoder(input_dim: int = 3, latent_dim: int = 2) -> keras.Model:
    """A linear autoencoder: one Dense layer each way, no activation.

    Trained with MSE it spans the same subspace as PCA with ``latent_dim``
    components. Taught in ``notebooks/01_linear_autoencoder_pca.ipynb``.

    Args:
        input_dim: Number of input features.
        latent_dim: Size of the codings (the bottleneck).

    Returns:
        The autoencoder, with "encoder" and "decoder" sub-models.

    Raises:
        ValueError: If a size is not positive or ``latent_dim >= input_dim``.

    Example:
        >>> build_linear_autoencoder(3, 2).output_shape
        (None, 3)
    """
    input_dim = positive_int("input_dim", input_dim)
    latent_dim = positive_int("latent_dim", latent_dim)
    if latent_dim >= input_dim:
        raise ValueError(
            f"latent_dim must be smaller than input_dim ({input_dim}) to make a "
            f"bottleneck; got {latent_dim}"
        )
    encoder = keras.Sequential(
        [keras.Input((input_dim,)), keras.layers.Dense(latent_dim)], name="encoder"
    )
    decoder = keras.Sequential(
        [keras.Input((latent_dim,)), keras.layers.Dense(input_dim)], name="decoder"
    )
    inputs = keras.Input((input_dim,))
    return _autoencoder(inputs, encoder, decoder, "linear_autoencoder")


def build_dense_autoencoder(
    input_shape: Sequence[int] = (28, 28),
    latent_dim: int = 30,
    hidden_units: Sequence[int] = (100,),
    *,
    activation: str = "selu",
    latent_activation: str | None = None,
    output_activation: str = "sigmoid",
    latent_regularizer: keras.regularizers.Regularizer | None = None,
    gaussian_noise: float = 0.0,
    input_dropout: float = 0.0,
) -> keras.Model:
    """A stacked (deep) dense autoencoder with a symmetric decoder.

    Encoder: Flatten -> Dense(hidden_units...) -> Dense(latent_dim). Decoder:
    Dense(reversed hidden_units...) -> Dense(prod(input_shape)) -> Reshape.
    Taught in ``notebooks/02_stacked_autoencoders.ipynb``; the corruption and
    regularizer options in ``04_denoising_sparse_autoencoders.ipynb``.

    Args:
        input_shape: Shape of one input, e.g. (28, 28).
        latent_dim: Size of the codings.
        hidden_units: Units of the hidden encoder layers, outermost first.
        activation: Activation of the hidden layers.
        latent_activation: Activation of the codings layer (defaults to
            ``activation``; use "sigmoid" with a KL sparsity regularizer).
        output_activation: Activation of the output ("sigmoid" for [0, 1]).
        latent_regularizer: Activity regularizer on the codings (sparsity).
        gaussian_noise: Standard deviation of Gaussian noise added to the
            inputs during training only (a denoising autoencoder), in [0, 1]
            (the range ``keras.layers.GaussianNoise`` accepts); 0 = none.
        input_dropout: Dropout rate on the inputs during training only
            (another denoising autoencoder); 0 = none.

    Returns:
        The autoencoder, with "encoder" and "decoder" sub-models.

    Raises:
        ValueError: If a size, rate or noise level is out of range.
        TypeError: If a size is not an integer.

    Example:
        >>> model = build_dense_autoencoder((28, 28), latent_dim=30)
        >>> model.get_layer("encoder").output_shape
        (None, 30)
    """
    input_shape = _check_shape(input_shape)
    latent_dim = positive_int("latent_dim", latent_dim)
    hidden_units = _check_units("hidden_units", hidden_units)
    gaussian_noise = number("gaussian_noise", gaussian_noise, low=0, high=1)
    input_dropout = number(
        "input_dropout", input_dropout, low=0, high=1, high_open=True
    )
    latent_activation = activation if latent_activation is None else latent_activation

    encoder_layers: list = [keras.Input(input_shape)]
    if gaussian_noise > 0:
        encoder_layers.append(keras.layers.GaussianNoise(gaussian_noise))
    if input_dropout > 0:
        encoder_layers.append(keras.layers.Dropout(input_dropout))
    encoder_layers.append(keras.layers.Flatten())
    encoder_layers += [
        keras.layers.Dense(u, activation=activation) for u in hidden_units
    ]
    encoder_layers.append(
        keras.layers.Dense(
            latent_dim,
            activation=latent_activation,
            activity_regularizer=latent_regularizer,
            name="codings",
        )
    )
    encoder = keras.Sequential(encoder_layers, name="encoder")

    decoder_layers: list = [keras.Input((latent_dim,))]
    decoder_layers += [
        keras.layers.Dense(u, activation=activation) for u in reversed(hidden_units)
    ]
    decoder_layers += [
        keras.layers.Dense(int(np.prod(input_shape)), activation=output_activation),
        keras.layers.Reshape(input_shape),
    ]
    decoder = keras.Sequential(decoder_layers, name="decoder")
    return _autoencoder(keras.Input(input_shape), encoder, decoder, "dense_autoencoder")


@keras.saving.register_keras_serializable(package="course_utils")
class TiedDenseAutoencoder(keras.Model):
    """A dense autoencoder whose decoder reuses the encoder's kernels.

    Each decoder layer is a :class:`course_utils.layers.DenseTranspose` of its
    mirror encoder layer, so the model has about half the weights of
    :func:`build_dense_autoencoder`. It is a subclass (not Functional) so that
    the sharing survives saving and loading. Taught in
    ``notebooks/02_stacked_autoencoders.ipynb``.

    Args:
        input_shape: Shape of one input, e.g. (28, 28).
        latent_dim: Size of the codings.
        hidden_units: Units of the hidden encoder layers, outermost first.
        activation: Activation of the hidden and codings layers.
        output_activation: Activation of the output.
        **kwargs: ``keras.Model`` arguments (``name``...).

    Example:
        >>> model = TiedDenseAutoencoder((28, 28), latent_dim=30)
        >>> model.encoder.output_shape, model.decoder.output_shape
        ((None, 30), (None, 28, 28))
    """

    def __init__(
        self,
        input_shape: Sequence[int] = (28, 28),
        latent_dim: int = 30,
        hidden_units: Sequence[int] = (100,),
        activation: str = "selu",
        output_activation: str = "sigmoid",
        **kwargs,
    ):
        kwargs.setdefault("name", "tied_dense_autoencoder")
        super().__init__(**kwargs)
        self.image_shape = _check_shape(input_shape)
        self.latent_dim = positive_int("latent_dim", latent_dim)
        self.hidden_units = _check_units("hidden_units", hidden_units)
        self.activation = activation
        self.output_activation = output_activation

        dense_layers = [
            keras.layers.Dense(u, activation=activation)
            for u in (*self.hidden_units, self.latent_dim)
        ]
        self.encoder = keras.Sequential(
            [keras.Input(self.image_shape), keras.layers.Flatten(), *dense_layers],
            name="encoder",
        )
        activations = [activation] * len(self.hidden_units) + [output_activation]
        transposed = [
            course_layers.DenseTranspose(dense, activation=act)
            for dense, act in zip(reversed(dense_layers), activations, strict=True)
        ]
        self.decoder = keras.Sequential(
            [
                keras.Input((self.latent_dim,)),
                *transposed,
                keras.layers.Reshape(self.image_shape),
            ],
            name="decoder",
        )

    def call(self, inputs, training=None):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def get_config(self):
        return {
            "input_shape": list(self.image_shape),
            "latent_dim": self.latent_dim,
            "hidden_units": list(self.hidden_units),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "name": self.name,
        }


def _conv_encoder(
    image_shape: tuple[int, ...],
    latent_dim: int,
    filters: tuple[int, ...],
    downsampling: str,
    activation: str,
) -> keras.Model:
    encoder_layers: list = [keras.Input(image_shape)]
    if len(image_shape) == 2:  # add the channel axis Conv2D needs
        encoder_layers.append(keras.layers.Reshape((*image_shape, 1)))
    for n_filters in filters:
        if downsampling == "strided":
            encoder_layers += [
                keras.layers.Conv2D(
                    n_filters, 3, padding="same", activation=activation
                ),
                keras.layers.Conv2D(
                    n_filters, 3, strides=2, padding="same", activation=activation
                ),
            ]
        else:
            encoder_layers += [
                keras.layers.Conv2D(
                    n_filters, 3, padding="same", activation=activation
                ),
                keras.layers.MaxPool2D(2),
            ]
    encoder_layers += [
        keras.layers.Flatten(),
        keras.layers.Dense(latent_dim, name="codings"),
    ]
    return keras.Sequential(encoder_layers, name="encoder")


def _conv_decoder(
    image_shape: tuple[int, ...],
    latent_dim: int,
    filters: tuple[int, ...],
    upsampling: str,
    activation: str,
    output_activation: str,
) -> keras.Model:
    factor = 2 ** len(filters)
    height, width = image_shape[0] // factor, image_shape[1] // factor
    channels = image_shape[2] if len(image_shape) == 3 else 1
    decoder_layers: list = [
        keras.Input((latent_dim,)),
        keras.layers.Dense(height * width * filters[-1], activation=activation),
        keras.layers.Reshape((height, width, filters[-1])),
    ]
    for n_filters in reversed(filters):
        if upsampling == "transpose":
            decoder_layers.append(
                keras.layers.Conv2DTranspose(
                    n_filters, 3, strides=2, padding="same", activation=activation
                )
            )
        else:
            decoder_layers += [
                keras.layers.UpSampling2D(2),
                keras.layers.Conv2D(
                    n_filters, 3, padding="same", activation=activation
                ),
            ]
    decoder_layers.append(
        keras.layers.Conv2D(channels, 3, padding="same", activation=output_activation)
    )
    if len(image_shape) == 2:  # drop the channel axis again
        decoder_layers.append(keras.layers.Reshape(image_shape))
    return keras.Sequential(decoder_layers, name="decoder")


def build_conv_autoencoder(
    input_shape: Sequence[int] = (28, 28),
    latent_dim: int = 30,
    filters: Sequence[int] = (32, 64),
    *,
    downsampling: str = "strided",
    upsampling: str = "transpose",
    activation: str = "relu",
    output_activation: str = "sigmoid",
) -> keras.Model:
    """A convolutional autoencoder with a dense bottleneck of any size.

    Each encoder stage is a 3x3 convolution followed by a halving of the
    resolution (a strided convolution or max pooling), the number of filters
    growing stage by stage (e.g. 32 then 64); a Dense layer maps the feature
    maps to ``latent_dim`` codings. The decoder mirrors it, doubling the
    resolution with transposed convolutions or with upsampling + convolution.
    Images of shape (H, W) get a channel axis added inside the model. Taught
    in ``notebooks/03_conv_recurrent_autoencoders.ipynb``.

    Args:
        input_shape: (height, width) or (height, width, channels); height and
            width must be divisible by ``2 ** len(filters)``.
        latent_dim: Size of the codings.
        filters: Filters of each stage, outermost first.
        downsampling: "strided" (strided conv) or "pooling" (max pooling).
        upsampling: "transpose" (transposed conv) or "upsample"
            (UpSampling2D + conv).
        activation: Activation of the hidden layers.
        output_activation: Activation of the output.

    Returns:
        The autoencoder, with "encoder" and "decoder" sub-models.

    Raises:
        ValueError: If an option is unknown or the image size does not divide.

    Example:
        >>> model = build_conv_autoencoder((28, 28), latent_dim=16)
        >>> model.get_layer("encoder").output_shape, model.output_shape
        ((None, 16), (None, 28, 28))
    """
    image_shape = _check_image_shape(input_shape)
    latent_dim = positive_int("latent_dim", latent_dim)
    filters = _check_units("filters", filters)
    if not filters:
        raise ValueError("filters must name at least one stage; got ()")
    _check_choice("downsampling", downsampling, _DOWNSAMPLING)
    _check_choice("upsampling", upsampling, _UPSAMPLING)
    factor = 2 ** len(filters)
    if image_shape[0] % factor or image_shape[1] % factor:
        raise ValueError(
            f"input_shape height and width must be divisible by 2**len(filters) = "
            f"{factor}; got {input_shape!r} with filters={filters!r}"
        )
    encoder = _conv_encoder(image_shape, latent_dim, filters, downsampling, activation)
    decoder = _conv_decoder(
        image_shape, latent_dim, filters, upsampling, activation, output_activation
    )
    return _autoencoder(keras.Input(image_shape), encoder, decoder, "conv_autoencoder")


def build_recurrent_autoencoder(
    input_shape: Sequence[int] = (28, 28),
    latent_dim: int = 30,
    units: int = 100,
    *,
    output_activation: str = "sigmoid",
) -> keras.Model:
    """A recurrent autoencoder that reads an image row by row.

    Encoder (sequence-to-vector): LSTM(units) over the rows, then an LSTM
    whose last state is the ``latent_dim`` codings. Decoder
    (vector-to-sequence): RepeatVector(n_rows) -> LSTM(units) -> a Dense layer
    applied to every time step. Taught in
    ``notebooks/03_conv_recurrent_autoencoders.ipynb``.

    Args:
        input_shape: (time steps, features), e.g. (28, 28) for image rows.
        latent_dim: Size of the codings.
        units: Units of the outer LSTM layers.
        output_activation: Activation of the per-step output.

    Returns:
        The autoencoder, with "encoder" and "decoder" sub-models.

    Raises:
        ValueError: If ``input_shape`` is not 2-D or a size is not positive.

    Example:
        >>> build_recurrent_autoencoder((28, 28), latent_dim=30).output_shape
        (None, 28, 28)
    """
    sequence_shape = _check_shape(input_shape)
    if len(sequence_shape) != 2:
        raise ValueError(
            f"input_shape must be (time steps, features); got {input_shape!r}"
        )
    n_steps, n_features = sequence_shape
    latent_dim = positive_int("latent_dim", latent_dim)
    units = positive_int("units", units)
    encoder = keras.Sequential(
        [
            keras.Input((n_steps, n_features)),
            keras.layers.LSTM(units, return_sequences=True),
            keras.layers.LSTM(latent_dim, name="codings"),
        ],
        name="encoder",
    )
    decoder = keras.Sequential(
        [
            keras.Input((latent_dim,)),
            keras.layers.RepeatVector(n_steps),
            keras.layers.LSTM(units, return_sequences=True),
            keras.layers.Dense(n_features, activation=output_activation),
        ],
        name="decoder",
    )
    return _autoencoder(
        keras.Input((n_steps, n_features)), encoder, decoder, "recurrent_autoencoder"
    )
