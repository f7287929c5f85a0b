"""Reusable Keras layers and regularizers, registered for ``.keras`` files.

Each one is taught inline first in the notebook named in its docstring; later
notebooks import it from here.
"""

from __future__ import annotations

import functools

import keras
import numpy as np
from keras import ops

from course_utils._arguments import number, optional_seed, positive_int

_PACKAGE = "course_utils"


@keras.saving.register_keras_serializable(package=_PACKAGE)
class DenseTranspose(keras.layers.Layer):
    """A dense layer that reuses the transposed kernel of another Dense layer.

    Tying a decoder layer to its mirror encoder layer halves the number of
    weights of a symmetric autoencoder. The layer owns only its bias. Taught
    in ``notebooks/02_stacked_autoencoders.ipynb``.

    Args:
        dense: The ``keras.layers.Dense`` layer whose kernel (shape
            ``(n_in, n_out)``) is reused as ``kernel.T``; the output of this
            layer has ``n_in`` units.
        activation: Activation function (name or callable).
        **kwargs: Base layer arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: A tensor of shape ``(batch, n_out)``.

    Example:
        >>> dense = keras.layers.Dense(30)
        >>> codings = dense(keras.ops.ones((2, 100)))
        >>> tuple(DenseTranspose(dense, activation="sigmoid")(codings).shape)
        (2, 100)
    """

    def __init__(self, dense: keras.layers.Dense, activation=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(dense, keras.layers.Dense):
            raise TypeError(
                f"dense must be a keras.layers.Dense layer; got {type(dense).__name__}"
            )
        # Not tracked as a sub-layer: the kernel belongs to (and is saved with)
        # the Dense layer; this layer's only own weight is its bias.
        object.__setattr__(self, "dense", dense)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        if not self.dense.built:
            raise ValueError(
                f"dense layer {self.dense.name!r} must be built (called once) "
                "before the DenseTranspose that reuses its kernel"
            )
        n_out = self.dense.kernel.shape[1]
        if input_shape[-1] is not None and input_shape[-1] != n_out:
            raise ValueError(
                f"inputs must have {n_out} features (the units of "
                f"{self.dense.name!r}); got shape {tuple(input_shape)}"
            )
        self.bias = self.add_weight(
            name="bias", shape=(self.dense.kernel.shape[0],), initializer="zeros"
        )

    def call(self, inputs):
        outputs = ops.matmul(inputs, ops.transpose(self.dense.kernel)) + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.dense.kernel.shape[0])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "dense": keras.saving.serialize_keras_object(self.dense),
                "activation": keras.activations.serialize(self.activation),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["dense"] = keras.saving.deserialize_keras_object(config["dense"])
        return cls(**config)


def _constant_one(outputs):
    """An activity regularizer that always returns 1 (for the probe below)."""
    return ops.ones((), dtype=outputs.dtype)


@functools.cache
def keras_divides_activity_penalties() -> bool:
    """Whether this Keras divides activity-regularizer losses by the batch size.

    Keras 3.14 and later divide what an activity regularizer returns by the
    batch size before adding it to the loss (a sum over the examples becomes
    a mean); older releases (3.10 to 3.13) add it as it is. The answer is
    measured once, on a throwaway layer, rather than read from the version.

    Returns:
        True if a layer with an activity regularizer that returns 1, called
        on a batch of 2, adds 0.5 to its losses; False if it adds 1.

    Example:
        >>> keras_divides_activity_penalties() in (True, False)
        True
    """
    probe = keras.layers.Identity(
        activity_regularizer=_constant_one, name="activity_penalty_probe"
    )
    probe(np.zeros((2, 1), dtype="float32"))
    return float(ops.convert_to_numpy(probe.losses[0])) < 0.75


@keras.saving.register_keras_serializable(package=_PACKAGE)
class KLSparsityRegularizer(keras.regularizers.Regularizer):
    """Activity regularizer pushing each unit's mean activation to a target.

    For activations in (0, 1) (sigmoid units), the mean activation ``q_j`` of
    unit ``j`` over the batch is compared with the target ``p`` by the KL
    divergence of two Bernoulli distributions::

        penalty = weight * sum_j [p log(p / q_j) + (1 - p) log((1 - p) / (1 - q_j))]

    Unlike an L1 penalty it stops pushing once a unit is at the target. Used
    as a Dense layer's ``activity_regularizer``, the loss Keras adds is
    exactly ``penalty`` whatever the batch size and the Keras version. Taught
    in ``notebooks/04_denoising_sparse_autoencoders.ipynb``.

    :meth:`penalty` returns ``penalty``. Calling the regularizer returns what
    Keras must receive for that: ``batch_size * penalty`` on the Keras
    releases that divide every activity-regularizer loss by the batch size
    (this penalty is already a statistic of the whole batch), ``penalty``
    on the older ones (see :func:`keras_divides_activity_penalties`).

    Args:
        weight: Weight of the penalty in the loss (>= 0).
        target: Target mean activation, strictly between 0 and 1.

    Example:
        >>> regularizer = KLSparsityRegularizer(weight=0.05, target=0.1)
        >>> round(float(regularizer.penalty(keras.ops.full((4, 3), 0.1))), 6)
        0.0
        >>> round(float(regularizer.penalty(keras.ops.full((4, 1), 0.5))), 4)
        0.0184
    """

    def __init__(self, weight: float = 0.05, target: float = 0.1):
        self.weight = number("weight", weight, low=0)
        self.target = number(
            "target", target, low=0, high=1, low_open=True, high_open=True
        )
        # Measured now, eagerly: __call__ may run inside a traced function.
        self._scale_by_batch_size = keras_divides_activity_penalties()

    def penalty(self, inputs):
        """The penalty for a batch of activations: what the loss should get.

        Args:
            inputs: Activations of shape ``(batch, units)``, in (0, 1).

        Returns:
            A scalar tensor, ``weight * sum_j KL(target || q_j)``.
        """
        epsilon = keras.config.epsilon()
        mean_activities = ops.clip(ops.mean(inputs, axis=0), epsilon, 1 - epsilon)
        p = self.target
        kl = p * ops.log(p / mean_activities) + (1 - p) * ops.log(
            (1 - p) / (1 - mean_activities)
        )
        return self.weight * ops.sum(kl)

    def __call__(self, inputs):
        penalty = self.penalty(inputs)
        if not self._scale_by_batch_size:
            return penalty
        # Keras will divide by the batch size: scale the batch statistic back.
        return penalty * ops.cast(ops.shape(inputs)[0], penalty.dtype)

    def get_config(self):
        return {"weight": self.weight, "target": self.target}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class Sampling(keras.layers.Layer):
    """The reparameterization trick: ``z = mu + sigma * eps``, ``eps ~ N(0, I)``.

    The encoder of a variational autoencoder outputs the mean ``mu`` and
    ``gamma = log(sigma^2)`` of a Gaussian over codings. Sampling ``z``
    directly would block back-propagation; writing the sample as a
    deterministic function of ``mu``, ``gamma`` and independent noise ``eps``
    lets gradients flow to both. Taught in
    ``notebooks/05_variational_autoencoders.ipynb``.

    Args:
        seed: Seed of the layer's ``keras.random.SeedGenerator`` (None for a
            random seed).
        **kwargs: Base layer arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: A pair ``(mean, log_var)`` of tensors of the same shape.

    Example:
        >>> mean, log_var = keras.ops.zeros((2, 3)), keras.ops.zeros((2, 3))
        >>> tuple(Sampling(seed=1)([mean, log_var]).shape)
        (2, 3)
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = optional_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                f"inputs must be a pair (mean, log_var); got {type(inputs).__name__}"
            )
        mean, log_var = inputs
        epsilon = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * epsilon

    def compute_output_shape(self, input_shape):
        mean_shape, log_var_shape = input_shape
        if tuple(mean_shape) != tuple(log_var_shape):
            raise ValueError(
                "mean and log_var must have the same shape; got "
                f"{tuple(mean_shape)} and {tuple(log_var_shape)}"
            )
        return mean_shape

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed})
        return config


@keras.saving.register_keras_serializable(package=_PACKAGE)
class MinibatchDiscrimination(keras.layers.Layer):
    """Let the discriminator compare each example with the rest of the batch.

    Salimans et al. (2016): features ``f`` (batch, n_in) are projected by a
    learned tensor to ``M`` (batch, n_kernels, kernel_dim); for each kernel
    ``b`` the closeness of examples i and j is
    ``c_b(i, j) = exp(-||M_i,b - M_j,b||_1)`` and the layer appends
    ``o_b(i) = sum_{j != i} c_b(i, j)`` to the features. A collapsed generator
    makes all fakes close to each other, which these extra features reveal.
    Taught in ``notebooks/08_gan_training_problems.ipynb``.

    Args:
        n_kernels: Number of closeness features appended.
        kernel_dim: Size of each projection.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: A tensor of shape (batch, n_in).

    Example:
        >>> layer = MinibatchDiscrimination(n_kernels=5, kernel_dim=3)
        >>> tuple(layer(keras.ops.ones((4, 10))).shape)
        (4, 15)
    """

    def __init__(self, n_kernels: int = 50, kernel_dim: int = 5, **kwargs):
        super().__init__(**kwargs)
        self.n_kernels = positive_int("n_kernels", n_kernels)
        self.kernel_dim = positive_int("kernel_dim", kernel_dim)

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                f"inputs must have shape (batch, features); got {tuple(input_shape)}"
            )
        self.projection = self.add_weight(
            name="projection",
            shape=(input_shape[-1], self.n_kernels * self.kernel_dim),
            initializer="glorot_uniform",
        )

    def call(self, inputs):
        projected = ops.reshape(
            ops.matmul(inputs, self.projection), (-1, self.n_kernels, self.kernel_dim)
        )
        differences = ops.expand_dims(projected, 0) - ops.expand_dims(projected, 1)
        closeness = ops.exp(-ops.sum(ops.abs(differences), axis=-1))
        # Each example is at distance 0 from itself: remove that 1.
        features = ops.sum(closeness, axis=0) - 1.0
        return ops.concatenate([inputs, features], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1] + self.n_kernels)

    def get_config(self):
        config = super().get_config()
        config.update({"n_kernels": self.n_kernels, "kernel_dim": self.kernel_dim})
        return config
