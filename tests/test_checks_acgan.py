"""check_acgan (course_utils.checks.acgan) names each problem in plain words.

Every test builds a deliberately broken discriminator or loss function (one
problem each) and asserts that ``check_acgan`` reports that problem, and that
correct ones pass. Models are tiny and the images synthetic; tests about one
loss function's message skip the AC-GAN training run.
"""

import types

import keras
import numpy as np
import pytest
from keras import ops

from course_utils import checks
from course_utils.models import conditional_gan as conditional_gan_module
from course_utils.models import gan as gan_module


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)


ACGAN_CLASSES = 3


def acgan_batch(n=18, n_classes=ACGAN_CLASSES, seed=0):
    """Images in [-1, 1] whose class is the horizontal band that is lit."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % n_classes
    images = np.full((n, 28, 28), -1.0, np.float32)
    height = 28 // n_classes
    for image, label in zip(images, labels, strict=True):
        image[height * label : height * (label + 1)] = 1.0
    noise = 0.1 * rng.standard_normal(images.shape)
    return np.clip(images + noise, -1, 1).astype(np.float32), labels


def tiny_discriminator(n_classes, *, logit_activation=None, class_activation=None):
    images = keras.Input((28, 28))
    features = keras.layers.Flatten()(images)
    features = keras.layers.Dense(16)(features)
    features = keras.layers.LeakyReLU(0.2)(features)
    logit = keras.layers.Dense(1, activation=logit_activation)(features)
    class_logits = keras.layers.Dense(n_classes, activation=class_activation)(features)
    return keras.Model(images, [logit, class_logits], name="discriminator")


def bce(target, logits, from_logits=True):
    targets = ops.full_like(logits, target)
    return ops.mean(ops.binary_crossentropy(targets, logits, from_logits=from_logits))


def ce(labels, class_logits, from_logits=True):
    return ops.mean(
        ops.sparse_categorical_crossentropy(
            labels, class_logits, from_logits=from_logits
        )
    )


def good_d_loss(real_logits, real_class_logits, fake_logits, fake_class_logits, y):
    adversarial = (bce(1.0, real_logits) + bce(0.0, fake_logits)) / 2
    return adversarial + (ce(y, real_class_logits) + ce(y, fake_class_logits)) / 2


def good_g_loss(fake_logits, fake_class_logits, labels):
    return ops.mean(ops.softplus(-fake_logits)) + ce(labels, fake_class_logits)


def run_acgan_check(
    build=tiny_discriminator, d_loss=good_d_loss, g_loss=good_g_loss, **kwargs
):
    images, labels = acgan_batch()
    kwargs.setdefault("n_classes", ACGAN_CLASSES)
    kwargs.setdefault("n_steps", 5)
    return checks.check_acgan(
        build, d_loss, g_loss, images=images, labels=labels, **kwargs
    )


@pytest.fixture
def no_training(monkeypatch):
    """Skip the training run: these tests are about one function's messages."""
    monkeypatch.setattr(checks.acgan, "_check_acgan_training", lambda *args: None)


def test_the_reference_acgan_passes():
    result = run_acgan_check(
        conditional_gan_module.build_acgan_discriminator,
        conditional_gan_module.acgan_discriminator_loss,
        conditional_gan_module.acgan_generator_loss,
        raise_on_failure=True,
    )
    assert result.passed and result.messages == []
    text = str(result)
    assert text.startswith(
        "check_acgan(build_acgan_discriminator, acgan_discriminator_loss, "
        "acgan_generator_loss): passed"
    )
    assert "matches acgan_discriminator_loss" in text
    assert "matches acgan_generator_loss" in text
    assert "losses stayed finite and the class head learned" in text


def test_learner_functions_written_with_keras_ops_pass(no_training):
    result = run_acgan_check()
    assert result.passed, str(result)
    assert len(result.notes) == 3


# --- the discriminator ---------------------------------------------------------------


def two_input_discriminator(n_classes):
    return conditional_gan_module.build_conditional_discriminator(n_classes)


def one_output_discriminator(n_classes):
    return gan_module.build_dcgan_discriminator(filters=(4, 8))


def swapped_heads_discriminator(n_classes):
    model = tiny_discriminator(n_classes)
    return keras.Model(model.inputs[0], model.outputs[::-1])


def ten_classes_discriminator(n_classes):
    return tiny_discriminator(10)


def channel_axis_discriminator(n_classes):
    images = keras.Input((28, 28, 1))
    features = keras.layers.Flatten()(images)
    return keras.Model(
        images,
        [keras.layers.Dense(1)(features), keras.layers.Dense(n_classes)(features)],
    )


def merged_heads_discriminator(n_classes):
    images = keras.Input((28, 28))
    return keras.Model(
        images, keras.layers.Dense(n_classes + 1)(keras.layers.Flatten()(images))
    )


class SubclassedSoftmaxDiscriminator(keras.Model):
    """Applies the softmax in call(): only the values can give it away."""

    def __init__(self, n_classes):
        super().__init__()
        self.flatten = keras.layers.Flatten()
        self.logit = keras.layers.Dense(1)
        self.class_logits = keras.layers.Dense(n_classes)

    def call(self, images):
        features = self.flatten(images)
        return self.logit(features), ops.softmax(self.class_logits(features))


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (
            two_input_discriminator,
            ["two inputs", "conditional GAN's discriminator", "PREDICT the class"],
        ),
        (one_output_discriminator, ["one tensor of shape (8, 1)", "second head"]),
        (merged_heads_discriminator, ["(8, 4)", "two separate Dense heads"]),
        (swapped_heads_discriminator, ["[class_logits, logit]", "order must be"]),
        (ten_classes_discriminator, ["10 units for n_classes=3", "Dense(n_classes)"]),
        (channel_axis_discriminator, ["(batch, 28, 28, 1)", "Reshape((28, 28, 1))"]),
        (lambda n_classes: None, ["returned None", "return statement"]),
        (lambda n_classes: "model", ["returned str", "keras.Model"]),
    ],
    ids=[
        "two-inputs",
        "one-output",
        "merged-heads",
        "swapped",
        "fixed-10",
        "channel-axis",
        "none",
        "str",
    ],
)
def test_discriminator_problems_are_explained_and_stop_the_check(build, words):
    # Broken losses too: nothing after the discriminator is checked.
    result = run_acgan_check(build, lambda *args: None, lambda *args: None)
    (message,) = result.messages
    for word in words:
        assert word in message, message


def test_a_discriminator_builder_that_raises_is_reported():
    def build_discriminator(n_classes):
        features = ...  # TODO
        return keras.Model(features)

    result = run_acgan_check(build_discriminator)
    (message,) = result.messages
    assert message.startswith("build_discriminator(3) raised")
    assert "TODO" in message


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (
            lambda n: tiny_discriminator(n, class_activation="softmax"),
            ["class head outputs probabilities", "applies a softmax", "logits"],
        ),
        (
            lambda n: SubclassedSoftmaxDiscriminator(n),
            ["class head outputs probabilities", "sums to 1", "from_logits=True"],
        ),
        (
            lambda n: tiny_discriminator(n, logit_activation="sigmoid"),
            ["looks like a probability", "applies a sigmoid", "Dense(1)"],
        ),
    ],
    ids=["softmax-layer", "softmax-values", "sigmoid-logit"],
)
def test_probabilities_out_of_the_discriminator_are_explained(build, words):
    result = run_acgan_check(build)
    (message,) = result.messages
    for word in words:
        assert word in message, message


def test_both_probability_heads_are_reported_at_once():
    result = run_acgan_check(
        lambda n: tiny_discriminator(
            n, logit_activation="sigmoid", class_activation="softmax"
        )
    )
    assert len(result.messages) == 2


def test_the_reference_discriminator_does_not_look_like_probabilities(no_training):
    for seed in range(3):
        keras.utils.set_random_seed(seed)
        result = run_acgan_check(conditional_gan_module.build_acgan_discriminator)
        assert result.passed, str(result)


# --- the loss functions ------------------------------------------------------------


def d_no_class_on_fakes(rl, rc, fl, fc, y):
    return (bce(1.0, rl) + bce(0.0, fl)) / 2 + ce(y, rc)


def d_no_class_on_reals(rl, rc, fl, fc, y):
    return (bce(1.0, rl) + bce(0.0, fl)) / 2 + ce(y, fc) / 2


def d_no_class(rl, rc, fl, fc, y):
    return (bce(1.0, rl) + bce(0.0, fl)) / 2


def d_no_adversarial(rl, rc, fl, fc, y):
    return (ce(y, rc) + ce(y, fc)) / 2


def d_swapped(rl, rc, fl, fc, y):
    return (bce(0.0, rl) + bce(1.0, fl)) / 2 + (ce(y, rc) + ce(y, fc)) / 2


# Written out by hand: Keras's cross-entropies recognise a tensor made by
# ops.sigmoid / ops.softmax and use its logits, which hides the mistake.
def sigmoid(x):
    return 1.0 / (1.0 + ops.exp(-x))


def softmax(x):
    e = ops.exp(x - ops.max(x, axis=1, keepdims=True))
    return e / ops.sum(e, axis=1, keepdims=True)


def d_sigmoid_twice(rl, rc, fl, fc, y):
    return good_d_loss(sigmoid(rl), rc, sigmoid(fl), fc, y)


def d_softmax_twice(rl, rc, fl, fc, y):
    return good_d_loss(rl, softmax(rc), fl, softmax(fc), y)


def d_not_from_logits(rl, rc, fl, fc, y):
    adversarial = (bce(1.0, rl, False) + bce(0.0, fl, False)) / 2
    return adversarial + (ce(y, rc) + ce(y, fc)) / 2


def d_summed_over_batch(rl, rc, fl, fc, y):
    n = ops.cast(ops.shape(rl)[0], "float32")
    return n * good_d_loss(rl, rc, fl, fc, y)


def d_terms_added(rl, rc, fl, fc, y):
    return bce(1.0, rl) + bce(0.0, fl) + ce(y, rc) + ce(y, fc)


def d_sign_flipped(rl, rc, fl, fc, y):
    # The value function, which D maximises: log D(x) + log(1 - D(G(z))).
    return -good_d_loss(rl, rc, fl, fc, y)


def d_class_sign_flipped(rl, rc, fl, fc, y):
    return (bce(1.0, rl) + bce(0.0, fl)) / 2 - (ce(y, rc) + ce(y, fc)) / 2


def d_unknown(rl, rc, fl, fc, y):
    return 0.7 * good_d_loss(rl, rc, fl, fc, y)


@pytest.mark.parametrize(
    ("d_loss", "words"),
    [
        (d_no_class_on_fakes, ["class term on the FAKE images is missing"]),
        (d_no_class_on_reals, ["class term on the REAL images is missing"]),
        (d_no_class, ["class term is missing", "plain GAN loss"]),
        (d_no_adversarial, ["adversarial (real/fake) term is missing"]),
        (d_swapped, ["real and fake targets are swapped"]),
        (d_sigmoid_twice, ["treats the logits as probabilities", "from_logits=True"]),
        (d_softmax_twice, ["applies a sigmoid / softmax before a loss"]),
        (d_not_from_logits, ["treats the logits as probabilities"]),
        (d_summed_over_batch, ["sums over the batch instead of averaging"]),
        (d_terms_added, ["adds the real and fake terms instead of averaging"]),
        (d_sign_flipped, ["sign is flipped"]),
        (d_class_sign_flipped, ["sign of the class term is flipped", "MISclassify"]),
        (d_unknown, ["Compare your function with the formula", "(BCE(1, real"]),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_discriminator_loss_mistakes_are_named(no_training, d_loss, words):
    result = run_acgan_check(d_loss=d_loss)
    (message,) = result.messages
    assert message.startswith(f"{d_loss.__name__}(real_logits, real_class_logits")
    assert "acgan_discriminator_loss returns" in message
    for word in words:
        assert word in message, message


def g_no_class(fl, fc, y):
    return ops.mean(ops.softplus(-fl))


def g_class_sign_flipped(fl, fc, y):
    return ops.mean(ops.softplus(-fl)) - ce(y, fc)


def g_saturating(fl, fc, y):
    # log(1 - D(G(z))), written with the probabilities.
    return ops.mean(ops.log(1.0 - ops.sigmoid(fl))) + ce(y, fc)


def g_no_adversarial(fl, fc, y):
    return ce(y, fc)


def g_fake_target(fl, fc, y):
    return bce(0.0, fl) + ce(y, fc)


def g_sigmoid_twice(fl, fc, y):
    return bce(1.0, sigmoid(fl)) + ce(y, fc)


def g_summed(fl, fc, y):
    return ops.sum(ops.softplus(-fl)) + ops.sum(
        ops.sparse_categorical_crossentropy(y, fc, from_logits=True)
    )


def g_sign_flipped(fl, fc, y):
    return -good_g_loss(fl, fc, y)


@pytest.mark.parametrize(
    ("g_loss", "words"),
    [
        (g_no_class, ["class term is missing", "CE(labels, fake_class_logits)"]),
        (g_class_sign_flipped, ["wrong sign", "maximise the classifier's error"]),
        (g_saturating, ["saturating loss log(1 - D(G(z)))", "non-saturating"]),
        (g_no_adversarial, ["adversarial term is missing"]),
        (g_fake_target, ["discriminator's target for the fakes (0)"]),
        (g_sigmoid_twice, ["treats the logits as probabilities"]),
        (g_summed, ["sums over the batch instead of averaging"]),
        (g_sign_flipped, ["sign is flipped"]),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_generator_loss_mistakes_are_named(no_training, g_loss, words):
    result = run_acgan_check(g_loss=g_loss)
    (message,) = result.messages
    assert message.startswith(f"{g_loss.__name__}(fake_logits, fake_class_logits")
    assert "acgan_generator_loss returns" in message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_the_diagnosed_mistakes_give_distinct_values(n_classes):
    tensors = checks._loss_inputs(n_classes)
    parts = checks._loss_parts(tensors)
    d_args = [tensors[k] for k in ("real_logits", "real_class_logits")]
    d_args += [tensors[k] for k in ("fake_logits", "fake_class_logits", "labels")]
    g_args = [tensors[k] for k in ("fake_logits", "fake_class_logits", "labels")]
    for mistakes, reference in (
        (
            checks._d_loss_mistakes(parts),
            conditional_gan_module.acgan_discriminator_loss(*d_args),
        ),
        (
            checks._g_loss_mistakes(parts),
            conditional_gan_module.acgan_generator_loss(*g_args),
        ),
    ):
        values = [float(ops.convert_to_numpy(reference))]
        values += [value for value, _ in mistakes]
        for i, a in enumerate(values):  # the reference first, then each mistake
            for b in values[i + 1 :]:
                assert abs(a - b) > 10 * checks._LOSS_RTOL * max(1.0, abs(a), abs(b))


def numpy_loss(*args):
    return float(np.mean(np.asarray(args[0])))


def per_example_loss(fl, fc, y):
    return ops.softplus(-fl)[:, 0] + ops.sparse_categorical_crossentropy(
        y, fc, from_logits=True
    )


def nan_loss(fl, fc, y):
    return ops.mean(ops.log(ops.sigmoid(fl) - 2.0))


def unfinished_loss(fl, fc, y):
    adversarial = ...  # TODO
    return adversarial + ce(y, fc)


@pytest.mark.parametrize(
    ("g_loss", "words"),
    [
        (numpy_loss, ["returned float", "NumPy", "cannot differentiate"]),
        (per_example_loss, ["shape (16,)", "must be one number", "ops.mean"]),
        (nan_loss, ["returned nan"]),
        (unfinished_loss, ["unfinished_loss(fake_logits", "raised", "TODO"]),
        (lambda fl, fc, y: None, ["returned None", "return statement"]),
    ],
    ids=["numpy", "per-example", "nan", "todo", "none"],
)
def test_unusable_loss_values_are_explained_and_skip_training(g_loss, words):
    result = run_acgan_check(g_loss=g_loss)  # would fail if it trained: it can't
    (message,) = result.messages
    for word in words:
        assert word in message, message


# --- the training run ----------------------------------------------------------------


def test_a_class_head_that_does_not_learn_is_reported_as_a_consequence():
    result = run_acgan_check(d_loss=d_class_sign_flipped)
    loss_message, training_message = result.messages
    assert "sign of the class term is flipped" in loss_message
    assert "the class head classifies only" in training_message
    assert "consequence of a problem above" in training_message


def test_a_frozen_discriminator_is_reported():
    def build_discriminator(n_classes):
        model = tiny_discriminator(n_classes)
        model.trainable = False
        return model

    result = run_acgan_check(build_discriminator)
    (message,) = result.messages
    assert "no trainable weights" in message


def test_the_default_batch_is_fashion_mnist_in_minus_one_one(monkeypatch):
    from course_utils import data

    calls = []
    rng = np.random.default_rng(0)
    fake = types.SimpleNamespace(
        x_train=rng.uniform(-1, 1, (300, 28, 28)).astype(np.float32),
        y_train=np.arange(300) % 10,
    )

    def load_fashion_mnist(**kwargs):
        calls.append(kwargs)
        return fake

    monkeypatch.setattr(data, "load_fashion_mnist", load_fashion_mnist)
    images, labels = checks._check_labelled_images(None, None, 4)
    assert calls[0]["value_range"] == "[-1,1]"
    assert images.shape == (64, 28, 28) and labels.shape == (64,)
    assert labels.max() == 3  # only the classes asked for
    np.testing.assert_array_equal(images, fake.x_train[fake.y_train < 4][:64])


# --- reporting and arguments ---------------------------------------------------------


def test_acgan_raise_on_failure_raises_with_the_report(no_training):
    with pytest.raises(checks.ExerciseCheckError, match="sign is flipped") as info:
        run_acgan_check(d_loss=d_sign_flipped, raise_on_failure=True)
    assert info.value.result.passed is False
    assert "check_acgan(tiny_discriminator, d_sign_flipped" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"build": "build"}, TypeError, "build_discriminator must be a function"),
        ({"d_loss": 1.0}, TypeError, "discriminator_loss must be a function"),
        ({"g_loss": None}, TypeError, "generator_loss must be a function"),
        ({"n_classes": 1}, ValueError, "n_classes must be an integer >= 2; got 1"),
        ({"n_classes": 3.0}, TypeError, "n_classes must be an integer"),
        ({"n_steps": 2}, ValueError, "n_steps must be an integer >= 5"),
        ({"raise_on_failure": "yes"}, TypeError, "raise_on_failure"),
        ({"images": np.zeros((18, 28, 28, 1))}, ValueError, r"shape \(N, 28, 28\)"),
        ({"images": np.full((18, 28, 28), 2.0)}, ValueError, r"values in \[-1,1\]"),
        ({"labels": None}, ValueError, "go together.*labels=None"),
        ({"images": None}, ValueError, "go together.*images=None"),
        ({"labels": np.zeros(5, int)}, ValueError, "one label per image"),
        ({"labels": np.zeros(18)}, TypeError, "labels must hold integers"),
        (
            {"labels": np.full(18, 3)},
            ValueError,
            r"labels must be integers from 0 to 2",
        ),
    ],
    ids=lambda v: repr(v)[:40] if isinstance(v, dict) else None,
)
def test_check_acgan_rejects_bad_arguments(kwargs, error, match):
    images, labels = acgan_batch()
    arguments = {
        "build": tiny_discriminator,
        "d_loss": good_d_loss,
        "g_loss": good_g_loss,
        "n_classes": ACGAN_CLASSES,
        "images": images,
        "labels": labels,
    }
    arguments.update(kwargs)
    functions = [arguments.pop(key) for key in ("build", "d_loss", "g_loss")]
    with pytest.raises(error, match=match):
        checks.check_acgan(*functions, **arguments)
