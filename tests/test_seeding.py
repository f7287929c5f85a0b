"""Tests for course_utils.seeding.reset_seed."""

import os
import pathlib
import random
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils.seeding import reset_seed

ROOT = pathlib.Path(__file__).resolve().parent.parent

RANDOM_SOURCES = {
    "python random": lambda: np.array([random.random() for _ in range(3)]),
    "numpy": lambda: np.random.rand(3),
    "keras.random.normal": lambda: np.asarray(keras.random.normal((3,))),
    "keras.random.uniform": lambda: np.asarray(keras.random.uniform((3,))),
    "tf.random.normal": lambda: tf.random.normal((3,)).numpy(),
}


@pytest.mark.parametrize(
    ("seed", "error"),
    [
        (-1, ValueError),
        (1.5, TypeError),
        (42.0, TypeError),
        (True, TypeError),
        ("42", TypeError),
        (None, TypeError),
    ],
)
def test_bad_seed(seed, error):
    with pytest.raises(error, match="seed"):
        reset_seed(seed)


@pytest.mark.parametrize("deterministic", [1, "yes", None])
def test_bad_deterministic(deterministic):
    with pytest.raises(TypeError, match="deterministic"):
        reset_seed(0, deterministic=deterministic)


def test_numpy_integer_seed_is_accepted():
    reset_seed(np.int64(3))
    first = np.random.rand()
    reset_seed(3)
    assert np.random.rand() == first


@pytest.mark.parametrize("source", list(RANDOM_SOURCES))
def test_same_seed_same_numbers_other_seed_other_numbers(source):
    draw = RANDOM_SOURCES[source]
    reset_seed(5)
    first = draw()
    reset_seed(5)
    np.testing.assert_array_equal(draw(), first)
    reset_seed(6)
    assert not np.array_equal(draw(), first)


def test_keras_session_is_cleared():
    reset_seed(0)
    first = keras.layers.Dense(2).name
    assert keras.layers.Dense(2).name != first, "names count up within a session"
    reset_seed(0)
    assert keras.layers.Dense(2).name == first


def train_small_model(seed: int) -> tuple[list, list]:
    """Return the initial and trained weights of a small seeded model."""
    reset_seed(seed)
    x = np.random.rand(64, 8).astype(np.float32)
    y = (x @ np.arange(8, dtype=np.float32))[:, None]
    with tf.device("/CPU:0"):
        model = keras.Sequential(
            [
                keras.Input((8,)),
                keras.layers.Dense(16, activation="relu"),
                keras.layers.Dropout(0.2),
                keras.layers.Dense(1),
            ]
        )
        initial = [w.copy() for w in model.get_weights()]
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y, epochs=2, batch_size=16, shuffle=True, verbose=0)
    return initial, model.get_weights()


def test_seeded_training_gives_identical_weights_on_cpu():
    initial, trained = train_small_model(1)
    _, again = train_small_model(1)
    _, other = train_small_model(2)
    assert len(trained) == len(again) == 4
    for before, after in zip(initial, trained, strict=True):
        assert not np.array_equal(before, after), "training changed the weights"
    for first, second in zip(trained, again, strict=True):
        np.testing.assert_array_equal(first, second)
    assert not np.array_equal(trained[0], other[0])


DETERMINISM_SCRIPT = textwrap.dedent(
    """
    from tensorflow.python.framework import config as tf_config

    from course_utils.seeding import reset_seed

    reset_seed(0)
    print("after reset_seed(0):", tf_config.is_op_determinism_enabled())
    reset_seed(0, deterministic=True)
    print("after deterministic=True:", tf_config.is_op_determinism_enabled())
    """
)


def test_deterministic_turns_on_op_determinism_in_a_subprocess():
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", DETERMINISM_SCRIPT],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "after reset_seed(0): False" in result.stdout
    assert "after deterministic=True: True" in result.stdout
