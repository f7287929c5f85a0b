"""Helpers shared by test_models_gan.py and test_models_conditional_gan.py."""

import keras
import numpy as np
from keras import ops

from course_utils.models import gan as gan_module

LATENT_DIM = 4
IMAGE_SHAPE = (8, 8)
BATCH_SIZE = 8
N_CLASSES = 3


def make_images(n=BATCH_SIZE, seed=0):
    return np.random.default_rng(seed).random((n, *IMAGE_SHAPE)).astype(np.float32)


def make_codes(n=BATCH_SIZE, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, LATENT_DIM)).astype(np.float32)


def to_numpy(tensor):
    return ops.convert_to_numpy(tensor)


def softplus(x):
    return np.logaddexp(0.0, x)


def snapshot(model):
    return [np.array(to_numpy(weight)) for weight in model.trainable_weights]


def same_weights(before, after):
    return all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def small_generator():
    return gan_module.build_dense_generator(
        LATENT_DIM, hidden_units=(8,), image_shape=IMAGE_SHAPE
    )


def compiled(gan, learning_rate=1e-2, **kwargs):
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        g_optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        **kwargs,
    )
    return gan


class InputRecorder(keras.layers.Layer):
    """The identity, which keeps a copy of every batch it sees (eager only)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs):
        self.seen.append(np.array(to_numpy(inputs)))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def options_of(gan):
    config = gan.get_config()
    return {k: v for k, v in config.items() if k not in ("generator", "discriminator")}
