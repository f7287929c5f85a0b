"""The check of the AC-GAN exercise (notebook 09).

:func:`check_acgan`: "write the AC-GAN's discriminator builder and its two
loss functions", the exercise of ``notebooks/09_conditional_gans.ipynb``
(worked solution in ``notebooks/solutions/09_acgan_solution.ipynb``): the
discriminator's inputs and heads, both losses against the package's (naming
the usual mistakes), and a short training run.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from course_utils._arguments import class_labels, integer
from course_utils.checks._report import (
    _MAX_CHECK_IMAGES,
    IMAGE_SHAPE,
    CheckResult,
    ExerciseCheckError,
    _CheckStoppedError,
    _describe,
    _function_name,
    _raised,
    _Report,
    _shape,
    _to_numpy,
)

__all__ = ["check_acgan"]

# Fashion-MNIST images scanned for the default batch when n_classes < 10.
_ACGAN_DATA_LIMIT = 1_000
# Training steps of the short AC-GAN run, and the accuracy the discriminator's
# class head must reach on the real batch by then (mean of the last steps):
# chance plus this share of the way from chance to 100% (40% for 10 classes).
# Calibrated on the first 64 Fashion-MNIST images: the reference (the
# package's losses and build_acgan_discriminator) reaches 89-97% over 8 seeds,
# smaller learner-style discriminators (dense, or 32/64-filter convolutions)
# 67-88%, losses without the class term on real images 6-19%.
_ACGAN_STEPS = 10
_ACGAN_ABOVE_CHANCE = 1 / 3
_ACGAN_LAST_STEPS = 3
_ACGAN_LEARNING_RATE = 2e-3
_ACGAN_LATENT_DIM = 32
# Batch of the fixed random tensors fed to the loss functions, and the
# tolerance (relative, with an absolute floor of 1e-4) of the comparisons.
_LOSS_BATCH = 16
_LOSS_RTOL = 1e-4

_D_LOSS_FORMULA = (
    "loss = (BCE(1, real_logits) + BCE(0, fake_logits)) / 2 "
    "+ (CE(labels, real_class_logits) + CE(labels, fake_class_logits)) / 2, each "
    "term a mean over the batch, with keras.ops.binary_crossentropy(..., "
    "from_logits=True) as BCE and keras.ops.sparse_categorical_crossentropy(..., "
    "from_logits=True) as CE"
)
_G_LOSS_FORMULA = (
    "loss = mean(softplus(-fake_logits)) + CE(labels, fake_class_logits), i.e. "
    "BCE(1, fake_logits) + CE(labels, fake_class_logits), each term a mean over "
    "the batch, with from_logits=True"
)


def _check_labelled_images(images, labels, n_classes: int):
    """The batch of the AC-GAN check: (images in [-1, 1], integer labels)."""
    if images is None and labels is None:
        from course_utils import data

        fashion = data.load_fashion_mnist(value_range="[-1,1]", limit=_ACGAN_DATA_LIMIT)
        keep = np.flatnonzero(fashion.y_train < n_classes)[:_MAX_CHECK_IMAGES]
        return fashion.x_train[keep], fashion.y_train[keep].astype(np.int32)
    if images is None or labels is None:
        missing = "labels" if labels is None else "images"
        raise ValueError(
            f"images and labels go together: pass both or neither; got {missing}=None"
        )
    from course_utils import data

    array = data.check_images(
        images,
        IMAGE_SHAPE,
        "[-1,1]",
        "images",
        fix="use pixels / 127.5 - 1, the range of the generator's tanh "
        "(cu.data.scale_images(images, '[-1,1]'))",
    ).astype(np.float32)
    if len(array) < 2:
        raise ValueError(f"images must hold at least 2 images; got shape {array.shape}")
    label_array = class_labels("labels", labels, n_classes, n=len(array))
    return array[:_MAX_CHECK_IMAGES], label_array[:_MAX_CHECK_IMAGES]


def check_acgan(
    build_discriminator: Callable,
    discriminator_loss: Callable,
    generator_loss: Callable,
    *,
    n_classes: int = 10,
    images=None,
    labels=None,
    n_steps: int = _ACGAN_STEPS,
    raise_on_failure: bool = False,
) -> CheckResult:
    """Check the AC-GAN exercise: the discriminator and the two loss functions.

    The exercise of ``notebooks/09_conditional_gans.ipynb`` asks for three
    functions; the check verifies, in this order, and explains every problem
    in plain words:

    1. ``build_discriminator(n_classes)`` returns a Keras model with ONE
       input, images (batch, 28, 28) in [-1, 1], and TWO outputs, a
       real/fake logit (batch, 1) and class logits (batch, n_classes); both
       are logits (no sigmoid, no softmax), and the class is predicted, not
       given as an input;
    2. ``discriminator_loss(real_logits, real_class_logits, fake_logits,
       fake_class_logits, labels)`` returns a finite scalar tensor equal to
       :func:`course_utils.models.conditional_gan.acgan_discriminator_loss`
       on fixed random inputs (common mistakes are named: a missing class or
       adversarial term, swapped targets, probabilities instead of logits,
       sums instead of means, a flipped sign);
    3. ``generator_loss(fake_logits, fake_class_logits, labels)`` equals
       :func:`course_utils.models.conditional_gan.acgan_generator_loss`
       (mistakes named: a missing class term or one with the wrong sign, the
       saturating loss, a missing adversarial term...);
    4. an
       :class:`~course_utils.models.conditional_gan.AuxiliaryClassifierGAN`
       made of the learner's discriminator and losses and the package's
       conditional generator trains for ``n_steps`` steps on one batch (Adam,
       learning rate 2e-3): the losses stay finite and the class head's
       accuracy on the real images (mean of the last 3 steps) ends clearly
       above chance, at least a third of the way from chance to 100% (40% for
       10 classes; the reference reaches about 90%).

    A problem in step 1 stops the check (the model cannot be used); a loss
    function that raises or returns no usable scalar skips step 4.

    Args:
        build_discriminator: The learner's function, called as
            ``build_discriminator(n_classes)``.
        discriminator_loss: The learner's discriminator loss.
        generator_loss: The learner's generator loss.
        n_classes: Number of classes (>= 2).
        images: Images (N, 28, 28) in [-1, 1] for the training run (the first
            64 are used); by default the first 64 Fashion-MNIST training
            images (of a class below ``n_classes``).
        labels: Their integer labels (N,), given with ``images``.
        n_steps: Training steps of the short run (>= 5).
        raise_on_failure: Raise :class:`ExerciseCheckError` (an
            ``AssertionError``) with the report when a problem is found,
            instead of returning the failed result.

    Returns:
        The :class:`CheckResult`; print it (or make it the last line of a
        notebook cell) to read the report.

    Raises:
        ExerciseCheckError: With ``raise_on_failure=True``, if a problem is
            found.
        TypeError: If a function is not callable or an argument has the
            wrong type.
        ValueError: If ``n_classes``, ``n_steps``, ``images`` or ``labels``
            is out of range, or only one of ``images`` and ``labels`` is
            given.

    Example:
        >>> result = check_acgan(build_my_discriminator, my_discriminator_loss,
        ...                      my_generator_loss)  # doctest: +SKIP
        >>> result.passed  # doctest: +SKIP
        True
    """
    for argument, function, call in (
        ("build_discriminator", build_discriminator, "build_discriminator(n_classes)"),
        (
            "discriminator_loss",
            discriminator_loss,
            "discriminator_loss(real_logits, real_class_logits, fake_logits, "
            "fake_class_logits, labels)",
        ),
        (
            "generator_loss",
            generator_loss,
            "generator_loss(fake_logits, fake_class_logits, labels)",
        ),
    ):
        if not callable(function):
            raise TypeError(
                f"{argument} must be a function called as {call}; got "
                f"{type(function).__name__}"
            )
    n_classes = integer("n_classes", n_classes, minimum=2)
    n_steps = integer("n_steps", n_steps, minimum=5)
    if not isinstance(raise_on_failure, bool):
        raise TypeError(
            f"raise_on_failure must be True or False; got {raise_on_failure!r}"
        )
    batch, batch_labels = _check_labelled_images(images, labels, n_classes)

    names = [
        _function_name(f)
        for f in (build_discriminator, discriminator_loss, generator_loss)
    ]
    report = _Report("check_acgan", ", ".join(names))
    try:
        discriminator = _check_acgan_discriminator(
            build_discriminator, names[0], n_classes, batch, report
        )
        tensors = _loss_inputs(n_classes)
        d_usable = _check_acgan_d_loss(discriminator_loss, names[1], tensors, report)
        g_usable = _check_acgan_g_loss(generator_loss, names[2], tensors, report)
        if d_usable and g_usable:
            _check_acgan_training(
                discriminator,
                discriminator_loss,
                generator_loss,
                n_classes,
                batch,
                batch_labels,
                n_steps,
                report,
            )
    except _CheckStoppedError:
        pass
    result = report.result()
    if raise_on_failure and not result.passed:
        raise ExerciseCheckError(result)
    return result


def _output_activation(model, index: int) -> str | None:
    """The activation ("sigmoid", "softmax" or None) of a model's output layer."""
    try:
        operation = model.outputs[index]._keras_history.operation
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    activation = getattr(operation, "activation", None)
    names = {type(operation).__name__.lower()}
    if activation is not None:
        names.add(getattr(activation, "__name__", str(activation)).lower())
    for name in ("softmax", "sigmoid"):
        if name in names:
            return name
    return None


def _check_acgan_discriminator(
    build_fn: Callable, name: str, n_classes: int, batch: np.ndarray, report: _Report
):
    import keras

    call = f"{name}({n_classes})"
    try:
        model = build_fn(n_classes)
    except Exception as error:  # the learner's code: report whatever it raised
        report.fatal(_raised(build_fn, call, error))
    if model is None:
        report.fatal(
            f"{call} returned None: it must return the discriminator, a "
            "keras.Model. Did you forget the return statement?"
        )
    if not isinstance(model, keras.Model):
        report.fatal(
            f"{call} returned {type(model).__name__} {_describe(model)}: it must "
            "return a keras.Model, e.g. keras.Model(images, [logit, class_logits])."
        )
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) == 2:
        report.fatal(
            f"{call} returns a model with two inputs (probably [images, labels]): "
            "that is a conditional GAN's discriminator, which is told the class. "
            "An AC-GAN's discriminator must PREDICT the class rather than be told "
            "it: give it one input, the images, and a second output head, "
            f"keras.layers.Dense(n_classes), whose class logits say which of the "
            f"{n_classes} classes the image looks like."
        )
    if len(inputs) > 2:
        report.fatal(
            f"{call} returns a model with {len(inputs)} inputs; an AC-GAN's "
            "discriminator takes one input, the images (batch, 28, 28)."
        )
    if inputs:
        input_shape = tuple(inputs[0].shape[1:])
        if input_shape != IMAGE_SHAPE:
            advice = (
                " Start with keras.Input((28, 28)) followed by "
                "keras.layers.Reshape((28, 28, 1)) to add the channel axis that "
                "Conv2D needs."
                if input_shape == (*IMAGE_SHAPE, 1)
                else ""
            )
            report.fatal(
                f"The discriminator takes inputs of shape (batch, "
                f"{', '.join(map(str, input_shape))}); it must take the course's "
                f"images, of shape (batch, 28, 28).{advice}"
            )
    sample = batch[:8]
    try:
        outputs = model(sample, training=False)
    except Exception as error:
        report.fatal(
            "Calling the discriminator on a batch of 8 images (8, 28, 28) failed: "
            f"{type(error).__name__}: {error}"
        )
    expected = f"[logit (8, 1), class_logits (8, {n_classes})]"
    if not isinstance(outputs, (list, tuple)):
        shape = _shape(outputs)
        if shape == (8, 1):
            cause = (
                "only the real/fake logit. An AC-GAN's discriminator has a second "
                "head that predicts the class: add class_logits = "
                "keras.layers.Dense(n_classes)(features) next to the logit and "
                "return keras.Model(images, [logit, class_logits])."
            )
        elif shape == (8, n_classes + 1):
            cause = (
                f"a single tensor with {n_classes + 1} values per image. Make two "
                "separate Dense heads on the same features, Dense(1) for the "
                "logit and Dense(n_classes) for the class logits, and return "
                "keras.Model(images, [logit, class_logits])."
            )
        else:
            cause = (
                "one tensor: return keras.Model(images, [logit, class_logits]) "
                "with two Dense heads, Dense(1) and Dense(n_classes)."
            )
        report.fatal(
            f"On 8 images the discriminator outputs one tensor of shape {shape}; "
            f"it must output two, {expected}: it outputs {cause}"
        )
    if len(outputs) != 2:
        report.fatal(
            f"On 8 images the discriminator outputs {len(outputs)} tensors; it must "
            f"output two, {expected}."
        )
    shapes = [_shape(output) for output in outputs]
    if shapes == [(8, n_classes), (8, 1)]:
        report.fatal(
            f"The discriminator outputs [class_logits, logit] (shapes {shapes[0]} "
            f"and {shapes[1]}): the order must be {expected}, the order the "
            "AuxiliaryClassifierGAN and the loss functions use. Return "
            "keras.Model(images, [logit, class_logits])."
        )
    if shapes[0] != (8, 1) or shapes[1] != (8, n_classes):
        advice = ""
        if shapes[0] == (8, 1) and len(shapes[1]) == 2 and shapes[1][0] == 8:
            advice = (
                f" The class head has {shapes[1][1]} units for n_classes="
                f"{n_classes}: use Dense(n_classes), the function's argument, "
                "rather than a fixed number."
            )
        report.fatal(
            f"On 8 images the discriminator outputs tensors of shapes "
            f"{shapes[0]} and {shapes[1]}; they must be {expected}.{advice}"
        )
    values = [_to_numpy(output) for output in outputs]
    if not all(np.all(np.isfinite(value)) for value in values):
        report.fatal("The discriminator outputs NaN or infinite values on real images.")

    # The loss functions take logits: look for a sigmoid or a softmax on the
    # heads, in the layers that make them and in the values (probe images
    # beyond [-1, 1] push a linear logit out of (0, 1); a sigmoid never).
    rng = np.random.default_rng(0)
    probe = np.concatenate(
        [batch, rng.uniform(-5, 5, (16, *IMAGE_SHAPE)).astype(np.float32)]
    )
    try:
        logits, class_logits = (_to_numpy(t) for t in model(probe, training=False))
    except Exception:  # the model ran on 8 images: use those
        logits, class_logits = values
    found = False
    logit_activation = _output_activation(model, 0)
    if logit_activation or (np.all(logits > 0) and np.all(logits < 1)):
        how = (
            f"the layer that makes it applies a {logit_activation}"
            if logit_activation
            else "it stays between 0 and 1 on every image, like a sigmoid's output"
        )
        report.problem(
            f"The discriminator's first output looks like a probability ({how}). "
            "It must be a logit, any real number: the loss functions apply the "
            "sigmoid themselves, in a numerically stable way "
            "(binary_crossentropy(..., from_logits=True)), and a second sigmoid "
            "squashes every score into a narrow band where D can hardly learn. "
            "Remove the activation: keras.layers.Dense(1)."
        )
        found = True
    class_activation = _output_activation(model, 1)
    rows_sum_to_one = np.allclose(class_logits.sum(axis=1), 1.0, atol=1e-4)
    in_unit_range = class_logits.min() >= 0 and class_logits.max() <= 1
    if class_activation or (rows_sum_to_one and in_unit_range):
        how = (
            f"the layer that makes it applies a {class_activation}"
            if class_activation
            else "each row is in [0, 1] and sums to 1, like a softmax's output"
        )
        report.problem(
            f"The class head outputs probabilities ({how}). It must output class "
            "logits: the loss functions apply the softmax themselves "
            "(sparse_categorical_crossentropy(..., from_logits=True)), and a "
            "softmax applied twice flattens the class scores so the classifier "
            "learns slowly. Remove the activation: keras.layers.Dense(n_classes)."
        )
        found = True
    if found:
        raise _CheckStoppedError
    report.note(
        f"the discriminator maps images (batch, 28, 28) to [logit (batch, 1), "
        f"class_logits (batch, {n_classes})]"
    )
    return model


def _loss_inputs(n_classes: int) -> dict[str, np.ndarray]:
    """Fixed random logits and labels to call the loss functions with."""
    rng = np.random.default_rng(2024)

    def normal(*shape):
        return (2.0 * rng.standard_normal(shape)).astype(np.float32)

    return {
        "real_logits": normal(_LOSS_BATCH, 1),
        "real_class_logits": normal(_LOSS_BATCH, n_classes),
        "fake_logits": normal(_LOSS_BATCH, 1),
        "fake_class_logits": normal(_LOSS_BATCH, n_classes),
        "labels": rng.integers(0, n_classes, _LOSS_BATCH).astype(np.int32),
    }


def _loss_value(
    function: Callable, name: str, call: str, args: list, report: _Report
) -> float | None:
    """Call a learner's loss function; the value, or None (problem reported)."""
    from keras import ops

    try:
        value = function(*[ops.convert_to_tensor(arg) for arg in args])
    except Exception as error:  # the learner's code: report whatever it raised
        report.problem(_raised(function, call, error))
        return None
    if value is None:
        report.problem(
            f"{call} returned None: it must return the loss, a scalar tensor. Did "
            "you forget the return statement?"
        )
        return None
    if not ops.is_tensor(value):
        report.problem(
            f"{call} returned {type(value).__name__} {_describe(value)}, not a "
            "tensor: it was computed with NumPy or Python, which TensorFlow cannot "
            "differentiate, so no gradient would reach the weights. Compute the "
            "loss with keras.ops (ops.mean, ops.binary_crossentropy, "
            "ops.sparse_categorical_crossentropy...) and return the tensor."
        )
        return None
    array = _to_numpy(value)
    if array.size != 1:
        report.problem(
            f"{call} returned a tensor of shape {array.shape}, one value per "
            "example or per output: the loss must be one number. Average each "
            "term over the batch with keras.ops.mean."
        )
        return None
    result = float(array.reshape(()))
    if not math.isfinite(result):
        report.problem(
            f"{call} returned {result} on ordinary logits: look for a log of 0 "
            "(use the from_logits=True losses rather than log(sigmoid(...)))."
        )
        return None
    return result


def _matches(value: float, expected: float) -> bool:
    return abs(value - expected) <= _LOSS_RTOL * max(1.0, abs(expected))


def _loss_parts(tensors: dict) -> dict[str, float]:
    """The terms of the two AC-GAN losses, and of their usual mistakes."""
    from keras import ops

    labels = tensors["labels"]

    def mean(tensor) -> float:
        return float(_to_numpy(ops.mean(tensor)))

    def bce(target: float, logits, from_logits: bool = True) -> float:
        targets = np.full(logits.shape, target, np.float32)
        return mean(ops.binary_crossentropy(targets, logits, from_logits=from_logits))

    def ce(class_logits, from_logits: bool = True) -> float:
        return mean(
            ops.sparse_categorical_crossentropy(
                labels, class_logits, from_logits=from_logits
            )
        )

    def sigmoid(x):
        return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)

    def softmax(x):
        e = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)

    real, fake = tensors["real_logits"], tensors["fake_logits"]
    real_class, fake_class = tensors["real_class_logits"], tensors["fake_class_logits"]
    return {
        "real_1": bce(1.0, real),
        "real_0": bce(0.0, real),
        "fake_0": bce(0.0, fake),
        "fake_1": bce(1.0, fake),
        "ce_real": ce(real_class),
        "ce_fake": ce(fake_class),
        # A sigmoid / softmax applied to logits that the loss then treats as
        # logits again; and logits treated as probabilities (from_logits=False).
        "real_1_sigmoid": bce(1.0, sigmoid(real)),
        "fake_0_sigmoid": bce(0.0, sigmoid(fake)),
        "fake_1_sigmoid": bce(1.0, sigmoid(fake)),
        "ce_real_softmax": ce(softmax(real_class)),
        "ce_fake_softmax": ce(softmax(fake_class)),
        "real_1_probs": bce(1.0, real, from_logits=False),
        "fake_0_probs": bce(0.0, fake, from_logits=False),
        "fake_1_probs": bce(1.0, fake, from_logits=False),
        "ce_real_probs": ce(real_class, from_logits=False),
        "ce_fake_probs": ce(fake_class, from_logits=False),
        "saturating": mean(-ops.softplus(fake)),
    }


_LOGITS_ADVICE = (
    "The inputs are logits (any real number), not probabilities: use "
    "keras.ops.binary_crossentropy(targets, logits, from_logits=True) and "
    "keras.ops.sparse_categorical_crossentropy(labels, class_logits, "
    "from_logits=True) on them directly, with no sigmoid or softmax before."
)
_SUM_ADVICE = (
    "Average instead: keras.ops.mean over the batch for each term, and the mean "
    "of the real and the fake terms, (real + fake) / 2. With sums, the loss "
    "(and the gradient step) grows with the batch size."
)


def _d_loss_mistakes(p: dict[str, float]) -> list[tuple[float, str]]:
    """(value, diagnosis) of the usual mistakes in the discriminator loss."""
    adversarial = (p["real_1"] + p["fake_0"]) / 2
    classes = (p["ce_real"] + p["ce_fake"]) / 2
    correct = adversarial + classes
    no_class_fake = (
        "the class term on the FAKE images is missing. D must also classify the "
        "fakes (which were generated for the same labels), so that its class head "
        "gives the generator a signal about what each class should look like: add "
        "CE(labels, fake_class_logits) and average it with the real one"
    )
    no_class_real = (
        "the class term on the REAL images is missing. That term is what teaches "
        "the class head what real T-shirts, trousers... look like; without it the "
        "classifier learns only from the fakes: add CE(labels, real_class_logits)"
    )
    probabilities = (
        "it treats the logits as probabilities, or applies a sigmoid / softmax "
        "before a loss that applies it again. " + _LOGITS_ADVICE
    )
    batch = float(_LOSS_BATCH)
    return [
        (adversarial + p["ce_real"], no_class_fake),
        (adversarial + p["ce_real"] / 2, no_class_fake),
        (adversarial + p["ce_fake"], no_class_real),
        (adversarial + p["ce_fake"] / 2, no_class_real),
        (
            adversarial,
            "the class term is missing: it is the plain GAN loss. An AC-GAN's "
            "discriminator must also learn to classify: add the mean of "
            "CE(labels, real_class_logits) and CE(labels, fake_class_logits)",
        ),
        (
            classes,
            "the adversarial (real/fake) term is missing: D only classifies and "
            "never learns to tell real from fake images, so the generator gets no "
            "signal about realism. Add (BCE(1, real_logits) + BCE(0, fake_logits)) "
            "/ 2",
        ),
        (
            (p["real_0"] + p["fake_1"]) / 2 + classes,
            "the real and fake targets are swapped: real images must have target "
            "1 (ones_like(real_logits)) and fakes target 0 (zeros_like(fake_logits))"
            "; with them swapped D learns to call the fakes real",
        ),
        ((p["real_1_sigmoid"] + p["fake_0_sigmoid"]) / 2 + classes, probabilities),
        (
            adversarial + (p["ce_real_softmax"] + p["ce_fake_softmax"]) / 2,
            probabilities,
        ),
        (
            (p["real_1_sigmoid"] + p["fake_0_sigmoid"]) / 2
            + (p["ce_real_softmax"] + p["ce_fake_softmax"]) / 2,
            probabilities,
        ),
        ((p["real_1_probs"] + p["fake_0_probs"]) / 2 + classes, probabilities),
        (adversarial + (p["ce_real_probs"] + p["ce_fake_probs"]) / 2, probabilities),
        (
            (p["real_1_probs"] + p["fake_0_probs"]) / 2
            + (p["ce_real_probs"] + p["ce_fake_probs"]) / 2,
            probabilities,
        ),
        (
            2 * correct,
            "it adds the real and fake terms instead of averaging them. " + _SUM_ADVICE,
        ),
        (
            p["real_1"] + p["fake_0"] + classes,
            "it adds the real and fake "
            "adversarial terms instead of averaging them. " + _SUM_ADVICE,
        ),
        (
            adversarial + p["ce_real"] + p["ce_fake"],
            "it adds the real and fake "
            "class terms instead of averaging them. " + _SUM_ADVICE,
        ),
        (
            batch * correct,
            "it sums over the batch instead of averaging. " + _SUM_ADVICE,
        ),
        (
            batch * adversarial + classes,
            "the adversarial terms are summed over "
            "the batch instead of averaged. " + _SUM_ADVICE,
        ),
        (
            adversarial + batch * classes,
            "the class terms are summed over the "
            "batch instead of averaged. " + _SUM_ADVICE,
        ),
        (
            -correct,
            "its sign is flipped: it is the negative of the loss, so minimising it "
            "makes D as wrong as possible. Cross-entropies are positive; return "
            "their sum, not its negative",
        ),
        (
            -adversarial + classes,
            "the sign of the adversarial term is flipped: D would learn to call "
            "real images fake and fakes real. Add the binary cross-entropies "
            "(they are positive), do not subtract them",
        ),
        (
            adversarial - classes,
            "the sign of the class term is flipped: D would learn to MISclassify. "
            "Add the class cross-entropies, do not subtract them",
        ),
    ]


def _g_loss_mistakes(p: dict[str, float]) -> list[tuple[float, str]]:
    """(value, diagnosis) of the usual mistakes in the generator loss."""
    adversarial = p["fake_1"]  # = mean(softplus(-fake_logits))
    classes = p["ce_fake"]
    correct = adversarial + classes
    saturating = (
        "it uses the saturating loss log(1 - D(G(z))) of the original minimax "
        "game. Early in training D rejects the fakes easily and that loss is flat "
        "there: the generator gets almost no gradient. Use the non-saturating "
        "loss, BCE(1, fake_logits) = mean(softplus(-fake_logits)): the generator "
        "wants its fakes called real"
    )
    probabilities = (
        "it treats the logits as probabilities, or applies a sigmoid / softmax "
        "before a loss that applies it again. " + _LOGITS_ADVICE
    )
    batch = float(_LOSS_BATCH)
    return [
        (
            adversarial,
            "the class term is missing: it is the plain GAN generator loss. In an "
            "AC-GAN the generator also wants its fakes classified as the label "
            "they were made for: add CE(labels, fake_class_logits)",
        ),
        (
            adversarial - classes,
            "the class term has the wrong sign: the generator would maximise the "
            "classifier's error, making fakes that look like another class than "
            "the one asked for. The generator COOPERATES with the class head: add "
            "CE(labels, fake_class_logits), do not subtract it",
        ),
        (p["saturating"] + classes, saturating),
        (
            p["saturating"],
            saturating + "; and add the class term, CE(labels, fake_class_logits)",
        ),
        (
            p["fake_0"] + classes,
            "it uses the discriminator's target for the fakes (0): minimising it "
            "helps D reject the fakes. The generator's target is 1, 'real': "
            "BCE(1, fake_logits) = mean(softplus(-fake_logits))",
        ),
        (
            classes,
            "the adversarial term is missing: the generator only tries to make its "
            "fakes classifiable, not realistic. Add BCE(1, fake_logits) = "
            "mean(softplus(-fake_logits))",
        ),
        (p["fake_1_sigmoid"] + classes, probabilities),
        (adversarial + p["ce_fake_softmax"], probabilities),
        (p["fake_1_sigmoid"] + p["ce_fake_softmax"], probabilities),
        (p["fake_1_probs"] + classes, probabilities),
        (adversarial + p["ce_fake_probs"], probabilities),
        (p["fake_1_probs"] + p["ce_fake_probs"], probabilities),
        (
            batch * correct,
            "it sums over the batch instead of averaging. " + _SUM_ADVICE,
        ),
        (
            batch * adversarial + classes,
            "the adversarial term is summed over the "
            "batch instead of averaged. " + _SUM_ADVICE,
        ),
        (
            adversarial + batch * classes,
            "the class term is summed over the batch "
            "instead of averaged. " + _SUM_ADVICE,
        ),
        (
            -correct,
            "its sign is flipped: minimising it makes the generator's fakes as "
            "easy to reject and to misclassify as possible. Return the sum of the "
            "two cross-entropies, not its negative",
        ),
    ]


def _diagnose_loss(
    value: float,
    expected: float,
    mistakes: list[tuple[float, str]],
    call: str,
    reference: str,
    formula: str,
    report: _Report,
) -> None:
    intro = (
        f"{call} returned {value:.5g} on a test batch of {_LOSS_BATCH} random "
        f"logits; {reference} returns {expected:.5g}"
    )
    for mistake, diagnosis in mistakes:
        if _matches(value, mistake):
            report.problem(f"{intro}: {diagnosis.rstrip('.')}.")
            return
    report.problem(
        f"{intro}. Compare your function with the formula, term by term: {formula}."
    )


def _check_acgan_d_loss(
    function: Callable, name: str, tensors: dict, report: _Report
) -> bool:
    from course_utils.models import conditional_gan

    call = (
        f"{name}(real_logits, real_class_logits, fake_logits, fake_class_logits, "
        "labels)"
    )
    args = [
        tensors[key]
        for key in (
            "real_logits",
            "real_class_logits",
            "fake_logits",
            "fake_class_logits",
            "labels",
        )
    ]
    value = _loss_value(function, name, call, args, report)
    if value is None:
        return False
    expected = float(_to_numpy(conditional_gan.acgan_discriminator_loss(*args)))
    if _matches(value, expected):
        report.note(
            f"the discriminator loss matches acgan_discriminator_loss ({value:.4f} "
            "on a test batch)"
        )
    else:
        _diagnose_loss(
            value,
            expected,
            _d_loss_mistakes(_loss_parts(tensors)),
            call,
            "acgan_discriminator_loss",
            _D_LOSS_FORMULA,
            report,
        )
    return True


def _check_acgan_g_loss(
    function: Callable, name: str, tensors: dict, report: _Report
) -> bool:
    from course_utils.models import conditional_gan

    call = f"{name}(fake_logits, fake_class_logits, labels)"
    args = [tensors[key] for key in ("fake_logits", "fake_class_logits", "labels")]
    value = _loss_value(function, name, call, args, report)
    if value is None:
        return False
    expected = float(_to_numpy(conditional_gan.acgan_generator_loss(*args)))
    if _matches(value, expected):
        report.note(
            f"the generator loss matches acgan_generator_loss ({value:.4f} on a "
            "test batch)"
        )
    else:
        _diagnose_loss(
            value,
            expected,
            _g_loss_mistakes(_loss_parts(tensors)),
            call,
            "acgan_generator_loss",
            _G_LOSS_FORMULA,
            report,
        )
    return True


def _check_acgan_training(
    discriminator,
    discriminator_loss: Callable,
    generator_loss: Callable,
    n_classes: int,
    batch: np.ndarray,
    labels: np.ndarray,
    n_steps: int,
    report: _Report,
) -> None:
    import keras

    from course_utils.models import conditional_gan

    consequence = (
        " (it can be a consequence of a problem above)" if report.messages else ""
    )
    if not discriminator.trainable_weights:
        report.fatal(
            "The discriminator has no trainable weights (were its layers frozen "
            "with trainable=False?): it cannot learn."
        )
    try:
        model = conditional_gan.AuxiliaryClassifierGAN(
            conditional_gan.build_conditional_generator(_ACGAN_LATENT_DIM, n_classes),
            discriminator,
            n_classes,
            discriminator_loss_fn=discriminator_loss,
            generator_loss_fn=generator_loss,
            seed=0,
        )
        model.compile(
            d_optimizer=keras.optimizers.Adam(
                learning_rate=_ACGAN_LEARNING_RATE, beta_1=0.5
            ),
            g_optimizer=keras.optimizers.Adam(
                learning_rate=_ACGAN_LEARNING_RATE, beta_1=0.5
            ),
        )
        # One batch per epoch: the history holds the metrics of every step.
        history = model.fit(
            batch,
            labels,
            epochs=n_steps,
            batch_size=len(batch),
            shuffle=False,
            verbose=0,
        ).history
    except Exception as error:
        report.fatal(
            "Training an AuxiliaryClassifierGAN with your discriminator and loss "
            f"functions failed: {type(error).__name__}: {error}"
        )
    for key, player in (("d_loss", "discriminator"), ("g_loss", "generator")):
        values = np.asarray(history[key], dtype=float)
        if not np.all(np.isfinite(values)):
            report.fatal(
                f"The {player}'s loss became NaN or infinite during {n_steps} "
                f"training steps{consequence}: look for a log of 0 (use the "
                "from_logits=True cross-entropies rather than log(sigmoid(...))) "
                "or a term that is maximised instead of minimised."
            )
    accuracy = float(np.mean(history["d_class_accuracy_real"][-_ACGAN_LAST_STEPS:]))
    chance = 1.0 / n_classes
    minimum = chance + _ACGAN_ABOVE_CHANCE * (1.0 - chance)
    if accuracy < minimum:
        report.problem(
            f"After {n_steps} training steps on one batch of {len(batch)} real "
            f"images, the class head classifies only {accuracy:.0%} of them right "
            f"(chance is {chance:.0%}; a working AC-GAN reaches {minimum:.0%} or "
            f"more){consequence}. Check that the "
            "class head is a Dense(n_classes) on the discriminator's features, "
            "that the discriminator loss includes the class cross-entropy on the "
            "real images, and that its layers are trainable."
        )
    else:
        report.note(
            f"in {n_steps} training steps the losses stayed finite and the class "
            f"head learned to classify {accuracy:.0%} of the real batch (chance: "
            f"{chance:.0%})"
        )
