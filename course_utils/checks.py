"""Exercise checks: run a learner's function and say what is wrong in plain words.

Each check runs the function an exercise asks for, tests what the exercise
requires, and returns a :class:`CheckResult`: ``passed`` and a list of
``messages``, one per problem, written for a learner (what is wrong, why it
matters, what to change). In a notebook, show the result (it prints as a short
report); with ``raise_on_failure=True`` a check raises
:class:`ExerciseCheckError` instead, which is what a worked solution or a test
wants.

- :func:`check_conv_vae`: "build a convolutional VAE with at most 3
  convolutional layers", the exercise of
  ``notebooks/05_variational_autoencoders.ipynb`` (worked solution in
  ``notebooks/solutions/05_conv_vae_solution.ipynb``).
- :func:`check_acgan`: "write the AC-GAN's discriminator builder and its two
  loss functions", the exercise of ``notebooks/09_conditional_gans.ipynb``:
  the discriminator's inputs and heads, both losses against the package's
  (naming the usual mistakes), and a short training run.
- :func:`check_ddim_step`: "write the DDIM update", the exercise of
  ``notebooks/11_diffusion_models.ipynb`` (worked solution in
  ``notebooks/solutions/11_ddim_step_solution.ipynb``): the step against the
  package's on random inputs (naming the usual mistakes), then 8 images
  sampled with it against ``model.sample``.

Nothing runs on import; TensorFlow and Keras are imported when a check runs.

Example:
    >>> from course_utils import checks
    >>> result = checks.check_conv_vae(lambda latent_dim: None)  # doctest: +SKIP
    >>> print(result)  # doctest: +SKIP
    check_conv_vae(<lambda>): 1 problem to fix
      1. <lambda>(2) returned None: it must return a cu.models.vae.VAE ...
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils._arguments import class_labels, integer, number

__all__ = [
    "CheckResult",
    "ExerciseCheckError",
    "check_acgan",
    "check_conv_vae",
    "check_ddim_step",
]

#: The image shape every course check feeds to a learner's model.
IMAGE_SHAPE = (28, 28)
# Images used by a check: enough for a batch, few enough to be quick.
_MAX_CHECK_IMAGES = 64
# Relative tolerance when comparing the KL term a model reports with the
# closed form computed from its own encoder outputs (plus a tiny absolute one).
_KL_RTOL = 0.02
_KL_ATOL = 1e-5
# The loss must fall by at least this fraction over the training steps.
_MIN_LOSS_DROP = 0.02
# Two forward passes that differ by less than this are "identical".
_SAME_OUTPUT_ATOL = 1e-6


@dataclasses.dataclass
class CheckResult:
    """What a check found.

    Attributes:
        check: The name of the check, e.g. ``"check_conv_vae"``.
        subject: The name of the function that was checked.
        passed: True when no problem was found.
        messages: One plain-words message per problem (empty when passed).
        notes: What was checked and found fine, with the numbers measured.

    Example:
        >>> result = CheckResult("check_conv_vae", "build", False, ["No conv layer."])
        >>> print(result)
        check_conv_vae(build): 1 problem to fix
          1. No conv layer.
        >>> bool(result)
        False
    """

    check: str
    subject: str
    passed: bool
    messages: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        title = f"{self.check}({self.subject})"
        if self.passed:
            lines = [f"{title}: passed, well done!"]
        else:
            count = len(self.messages)
            lines = [f"{title}: {count} problem{'s' if count != 1 else ''} to fix"]
            lines += [f"  {i}. {message}" for i, message in enumerate(self.messages, 1)]
            if self.notes:
                lines.append("What is already fine:")
        lines += [f"  - {note}" for note in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


class ExerciseCheckError(AssertionError):
    """A check with ``raise_on_failure=True`` found a problem.

    The message is the whole report; the :class:`CheckResult` is in
    ``error.result``.

    Example:
        >>> result = CheckResult("check_conv_vae", "build", False, ["No conv layer."])
        >>> ExerciseCheckError(result).result.passed
        False
    """

    def __init__(self, result: CheckResult):
        super().__init__(str(result))
        self.result = result


class _CheckStoppedError(Exception):
    """Internal: a problem that makes the remaining checks meaningless."""


class _Report:
    """Collects problems and notes while a check runs."""

    def __init__(self, check: str, subject: str):
        self.check = check
        self.subject = subject
        self.messages: list[str] = []
        self.notes: list[str] = []

    def problem(self, message: str) -> None:
        self.messages.append(message)

    def fatal(self, message: str) -> None:
        self.messages.append(message)
        raise _CheckStoppedError

    def note(self, message: str) -> None:
        self.notes.append(message)

    def result(self) -> CheckResult:
        return CheckResult(
            self.check, self.subject, not self.messages, self.messages, self.notes
        )


def _conv_types() -> tuple[type, ...]:
    import keras

    names = (
        "Conv1D",
        "Conv2D",
        "Conv3D",
        "Conv1DTranspose",
        "Conv2DTranspose",
        "Conv3DTranspose",
        "SeparableConv1D",
        "SeparableConv2D",
        "DepthwiseConv1D",
        "DepthwiseConv2D",
    )
    return tuple(
        getattr(keras.layers, name) for name in names if hasattr(keras.layers, name)
    )


def _conv_layers(model, seen: set[int] | None = None) -> list:
    """Convolutional layers of ``model`` and of the models nested in it."""
    seen = set() if seen is None else seen
    found = []
    for layer in getattr(model, "layers", []):
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if isinstance(layer, _conv_types()):
            found.append(layer)
        elif getattr(layer, "layers", None):
            found += _conv_layers(layer, seen)
    return found


def _has_blanks(function: Callable) -> bool:
    """Whether the source of ``function`` still assigns ``...`` (a TODO blank)."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    return re.search(r"=\s*\.\.\.", source) is not None


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _shape(tensor) -> tuple:
    return tuple(int(size) for size in np.shape(tensor))


def _to_numpy(tensor) -> np.ndarray:
    from keras import ops

    return np.asarray(ops.convert_to_numpy(tensor))


def _check_images(images) -> np.ndarray:
    if images is None:
        from course_utils import data

        return data.load_fashion_mnist(limit=_MAX_CHECK_IMAGES).x_train
    try:
        array = np.asarray(images, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"images must be an array of shape (N, 28, 28) with values in [0, 1]; "
            f"got {type(images).__name__} ({error})"
        ) from error
    if array.ndim != 3 or array.shape[1:] != IMAGE_SHAPE or len(array) < 2:
        raise ValueError(
            "images must be an array of shape (N, 28, 28) with N >= 2; "
            f"got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
        raise ValueError("images must hold finite values in [0, 1] (pixels / 255)")
    return array[:_MAX_CHECK_IMAGES]


def check_conv_vae(
    build_fn: Callable,
    *,
    latent_dim: int = 2,
    images=None,
    max_conv_layers: int = 3,
    n_steps: int = 30,
    learning_rate: float = 3e-3,
    raise_on_failure: bool = False,
) -> CheckResult:
    """Check the exercise "build a convolutional VAE with at most 3 conv layers".

    ``build_fn(latent_dim)`` must return a :class:`course_utils.models.vae.VAE`
    (or a subclass, e.g. one with its own loss), or a pair ``(encoder,
    decoder)`` that the check wraps in a ``VAE``. The check then verifies,
    in this order, and explains every problem in plain words:

    1. the function runs and returns one of those;
    2. the model has at least one and at most ``max_conv_layers``
       convolutional layers in total (``Conv2D``, ``Conv2DTranspose``, ...,
       encoder and decoder together, nested models included);
    3. the encoder maps images (batch, 28, 28) to ``[mean, log_var]``, two
       tensors of shape (batch, latent_dim), and the decoder maps codes
       (batch, latent_dim) to images (batch, 28, 28) with values in [0, 1];
    4. the model samples: two forward passes on the same images in training
       mode give different outputs (and, for a ``VAE``, two evaluations of
       the loss give different reconstruction terms);
    5. in the first training step (``fit`` with Adam on one batch), the
       ``kl_loss`` the model reports equals the closed form
       ``-1/2 * sum(1 + log_var - mean^2 - exp(log_var))`` computed from its
       own encoder outputs (summed over latent dimensions, averaged over the
       batch), the total loss is ``reconstruction + beta * KL``, and a
       Bernoulli reconstruction term is summed (not averaged) over pixels;
    6. the loss goes down over ``n_steps`` training steps on that batch.

    A problem in steps 1 or 3 (or a loss that becomes NaN) stops the check,
    since the later steps could not run; the others are all reported.

    Args:
        build_fn: The learner's function, called as ``build_fn(latent_dim)``.
        latent_dim: The latent size asked for.
        images: Images (N, 28, 28) in [0, 1] to run the model on (the first
            64 are used); by default the first 64 Fashion-MNIST training
            images.
        max_conv_layers: The most convolutional layers allowed.
        n_steps: Training steps used to see the loss go down (>= 6).
        learning_rate: Adam's learning rate for those steps.
        raise_on_failure: Raise :class:`ExerciseCheckError` (an
            ``AssertionError``) with the report when a problem is found,
            instead of returning the failed result.

    Returns:
        The :class:`CheckResult`; print it (or make it the last line of a
        notebook cell) to read the report.

    Raises:
        ExerciseCheckError: With ``raise_on_failure=True``, if a problem is
            found.
        TypeError: If ``build_fn`` is not callable or an argument has the
            wrong type.
        ValueError: If ``latent_dim``, ``max_conv_layers``, ``n_steps``,
            ``learning_rate`` or ``images`` is out of range.

    Example:
        >>> result = check_conv_vae(build_my_conv_vae)  # doctest: +SKIP
        >>> result.passed, result.messages  # doctest: +SKIP
        (True, [])
    """
    if not callable(build_fn):
        raise TypeError(
            f"build_fn must be a function called as build_fn(latent_dim); "
            f"got {type(build_fn).__name__}"
        )
    latent_dim = integer("latent_dim", latent_dim, minimum=1)
    max_conv_layers = integer("max_conv_layers", max_conv_layers, minimum=1)
    n_steps = integer("n_steps", n_steps, minimum=6)
    learning_rate = number("learning_rate", learning_rate, low=0, low_open=True)
    if not isinstance(raise_on_failure, bool):
        raise TypeError(
            f"raise_on_failure must be True or False; got {raise_on_failure!r}"
        )
    batch = _check_images(images)

    name = getattr(build_fn, "__name__", type(build_fn).__name__)
    report = _Report("check_conv_vae", name)
    try:
        model = _build_vae(build_fn, name, latent_dim, report)
        _check_conv_count(model, max_conv_layers, report)
        _check_shapes(model, batch, latent_dim, report)
        _check_sampling(model, batch, report)
        _check_training(model, batch, latent_dim, n_steps, learning_rate, report)
    except _CheckStoppedError:
        pass
    result = report.result()
    if raise_on_failure and not result.passed:
        raise ExerciseCheckError(result)
    return result


def _build_vae(build_fn, name: str, latent_dim: int, report: _Report):
    import keras

    from course_utils.models import vae as vae_module

    call = f"{name}({latent_dim})"
    try:
        returned = build_fn(latent_dim)
    except Exception as error:  # the learner's code: report whatever it raised
        report.fatal(_raised(build_fn, call, error))
    if isinstance(returned, vae_module.VAE):
        return returned
    if (
        isinstance(returned, (tuple, list))
        and len(returned) == 2
        and all(isinstance(part, keras.Model) for part in returned)
    ):
        encoder, decoder = returned
        try:
            return vae_module.VAE(encoder, decoder)
        except (TypeError, ValueError) as error:
            report.fatal(
                f"{call} returned an (encoder, decoder) pair that does not fit "
                f"together: {error}. The encoder must output the two tensors "
                "[mean, log_var] (not the sampled code: the VAE samples it), and "
                "the decoder must take codes of size latent_dim and output images "
                "of the encoder's input shape."
            )
    if returned is None:
        report.fatal(
            f"{call} returned None: it must return a cu.models.vae.VAE (or the "
            "pair (encoder, decoder)). Did you forget the return statement?"
        )
    if isinstance(returned, keras.Model):
        report.fatal(
            f"{call} returned a {type(returned).__name__} named {returned.name!r}, "
            "not a cu.models.vae.VAE: build an encoder and a decoder and return "
            "cu.models.vae.VAE(encoder, decoder) (or the pair (encoder, decoder)); "
            "a plain Keras model has no sampling and no KL term."
        )
    report.fatal(
        f"{call} returned {type(returned).__name__} {_describe(returned)}: it must "
        "return a cu.models.vae.VAE, or the pair (encoder, decoder) of Keras models."
    )


def _check_conv_count(model, max_conv_layers: int, report: _Report) -> None:
    counts = {
        part: _conv_layers(getattr(model, part)) for part in ("encoder", "decoder")
    }
    total = sum(len(layers) for layers in counts.values())
    detail = ", ".join(
        f"{part}: {len(layers)}"
        + (f" ({', '.join(type(la).__name__ for la in layers)})" if layers else "")
        for part, layers in counts.items()
    )
    if total == 0:
        report.problem(
            "The model has no convolutional layer: this is a dense VAE. The "
            "exercise asks for a convolutional one: use keras.layers.Conv2D in "
            "the encoder and Conv2DTranspose (or Conv2D) in the decoder."
        )
    elif total > max_conv_layers:
        report.problem(
            f"The model has {total} convolutional layers ({detail}); the exercise "
            f"allows at most {max_conv_layers} in total. Use strides=2 so that each "
            "layer halves (encoder) or doubles (decoder) the image size, and let "
            "Dense and Reshape layers do the rest: for example two strided Conv2D "
            "in the encoder and one Conv2DTranspose(1, 3, strides=2) in the "
            "decoder."
        )
    else:
        report.note(f"{total} convolutional layer(s) ({detail})")


def _check_shapes(model, batch: np.ndarray, latent_dim: int, report: _Report) -> None:
    input_shape = tuple(model.encoder.inputs[0].shape[1:])
    if input_shape != IMAGE_SHAPE:
        advice = (
            " Start the encoder with keras.Input((28, 28)) followed by "
            "keras.layers.Reshape((28, 28, 1)) to add the channel axis that "
            "Conv2D needs, and end the decoder with keras.layers.Reshape((28, 28))."
            if input_shape == (*IMAGE_SHAPE, 1)
            else ""
        )
        report.fatal(
            f"The encoder takes inputs of shape (batch, "
            f"{', '.join(map(str, input_shape))}); it must take the course's images, "
            f"of shape (batch, 28, 28).{advice}"
        )
    sample = batch[:8]
    try:
        outputs = model.encoder(sample, training=False)
    except Exception as error:
        report.fatal(
            f"Calling the encoder on a batch of 8 images failed: "
            f"{type(error).__name__}: {error}"
        )
    if not isinstance(outputs, (list, tuple)) or len(outputs) != 2:
        report.fatal(
            "The encoder must output two tensors, [mean, log_var]; it outputs "
            f"{len(outputs) if isinstance(outputs, (list, tuple)) else 'one tensor'}."
        )
    shapes = [_shape(tensor) for tensor in outputs]
    if any(shape != (len(sample), latent_dim) for shape in shapes):
        report.fatal(
            f"On 8 images the encoder outputs mean and log_var of shapes {shapes[0]} "
            f"and {shapes[1]}; both must be (8, {latent_dim}) since latent_dim="
            f"{latent_dim}: make both Dense heads Dense(latent_dim), using the "
            "function's argument rather than a fixed number."
        )
    if not all(np.all(np.isfinite(_to_numpy(tensor))) for tensor in outputs):
        report.fatal("The encoder outputs NaN or infinite values on real images.")

    codes = np.random.default_rng(0).standard_normal((8, latent_dim)).astype("float32")
    try:
        decoded = _to_numpy(model.decoder(codes, training=False))
    except Exception as error:
        report.fatal(
            f"Calling the decoder on 8 codes of shape (8, {latent_dim}) failed: "
            f"{type(error).__name__}: {error}"
        )
    if decoded.shape != (8, *IMAGE_SHAPE):
        advice = (
            " Add keras.layers.Reshape((28, 28)) at the end of the decoder."
            if decoded.shape == (8, *IMAGE_SHAPE, 1)
            else ""
        )
        report.fatal(
            f"The decoder turns 8 codes into an array of shape {decoded.shape}; it "
            f"must output images of shape (8, 28, 28).{advice}"
        )
    if not np.all(np.isfinite(decoded)):
        report.fatal("The decoder outputs NaN or infinite values.")
    low, high = float(decoded.min()), float(decoded.max())
    if low < -_SAME_OUTPUT_ATOL or high > 1 + _SAME_OUTPUT_ATOL:
        report.problem(
            f"The decoder outputs values from {low:.3g} to {high:.3g}; its outputs "
            "are pixel probabilities and must lie in [0, 1]: give its last layer "
            "activation='sigmoid'."
        )
    report.note(
        f"shapes: images (batch, 28, 28) -> mean and log_var (batch, {latent_dim}) "
        "-> images (batch, 28, 28)"
    )


def _check_sampling(model, batch: np.ndarray, report: _Report) -> None:
    sample = batch[:16]
    first = _to_numpy(model(sample, training=True))
    second = _to_numpy(model(sample, training=True))
    same_call = float(np.max(np.abs(first - second))) <= _SAME_OUTPUT_ATOL
    same_loss = False
    if hasattr(model, "compute_losses"):
        try:
            losses = [
                float(_to_numpy(model.compute_losses(sample, training=True)[key]))
                for key in ("reconstruction_loss",) * 2
            ]
            same_loss = abs(losses[0] - losses[1]) <= _SAME_OUTPUT_ATOL * max(
                1.0, abs(losses[0])
            )
        except Exception:  # a custom model without the VAE's loss dict
            same_loss = False
    if same_call or same_loss:
        what = "outputs" if same_call else "reconstruction losses"
        report.problem(
            f"Two forward passes on the same images in training mode gave identical "
            f"{what}: the model does not sample. A VAE must decode a random code "
            "z = mean + exp(log_var / 2) * eps with fresh noise eps each time "
            "(cu.layers.Sampling does it), not the mean itself. (If it does sample, "
            "your log_var may be so negative that sigma is 0.)"
        )
    else:
        report.note("the model samples a new code on every pass")


def _check_training(
    model,
    batch: np.ndarray,
    latent_dim: int,
    n_steps: int,
    learning_rate: float,
    report: _Report,
) -> None:
    import keras
    from keras import ops

    from course_utils.models import vae as vae_module

    if not model.trainable_weights:
        report.fatal(
            "The model has no trainable weights (were its layers frozen with "
            "trainable=False?): it cannot learn."
        )
    # The closed-form KL of the encoder's outputs on the batch, before the
    # first training step: that step must report this value as its kl_loss.
    mean, log_var = model.encoder(batch, training=True)
    expected_kl = float(ops.mean(vae_module.kl_to_standard_normal(mean, log_var)))
    decoded = model.decoder(mean, training=True)
    expected_reconstruction = float(ops.mean(vae_module.bernoulli_nll(batch, decoded)))

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate))
    try:
        # One batch per epoch: the history holds the losses of every step.
        history = model.fit(
            batch, epochs=n_steps, batch_size=len(batch), shuffle=False, verbose=0
        ).history
    except Exception as error:
        report.fatal(
            f"Training the model with fit() failed: {type(error).__name__}: {error}"
        )
    if "loss" not in history:
        report.fatal(
            "fit() reported no 'loss': a custom train_step must return a dict with "
            "'loss', 'reconstruction_loss' and 'kl_loss' (as cu.models.vae.VAE does)."
        )
    first_step = {key: float(values[0]) for key, values in history.items()}
    _check_loss_terms(
        model, first_step, expected_kl, expected_reconstruction, latent_dim, report
    )

    losses = np.asarray(history["loss"], dtype=float)
    if not np.all(np.isfinite(losses)):
        consequence = " (it can be a consequence of a problem above)"
        report.fatal(
            f"The loss became NaN or infinite during {n_steps} training steps"
            f"{consequence if report.messages else ''}: look for a log of 0 (clip "
            "probabilities), an exp that overflows, or a term that is maximised "
            "instead of minimised."
        )
    start, end = float(losses[:3].mean()), float(losses[-3:].mean())
    if not end < start - _MIN_LOSS_DROP * abs(start):
        report.problem(
            f"The loss did not go down over {n_steps} training steps on one batch of "
            f"{len(batch)} images (from {start:.4g} to {end:.4g} nats per image). "
            "Check that the train_step minimises the loss (not its negative), that "
            "it applies the gradients to the weights (optimizer.apply_gradients), and "
            "that the layers are trainable."
        )
    else:
        report.note(
            f"the loss went down from {start:.1f} to {end:.1f} nats per image in "
            f"{n_steps} steps"
        )


def _check_loss_terms(
    model,
    logs: dict,
    expected_kl: float,
    expected_reconstruction: float,
    latent_dim: int,
    report: _Report,
) -> None:
    """Compare the terms one training step reports with what they should be."""
    if "kl_loss" not in logs:
        report.problem(
            "The model reports no 'kl_loss' during training, so its KL term cannot "
            "be checked: return it from train_step under that name (as "
            f"cu.models.vae.VAE does); it reports {sorted(logs)}."
        )
        return
    kl = logs["kl_loss"]
    _compare_kl(kl, expected_kl, latent_dim, report)
    if "reconstruction_loss" not in logs:
        return
    reconstruction = logs["reconstruction_loss"]
    beta = float(getattr(model, "beta", 1.0))
    total = reconstruction + beta * kl
    if abs(logs["loss"] - total) > 1e-3 * max(1.0, abs(total)):
        report.problem(
            f"The loss ({logs['loss']:.4g}) is not reconstruction + beta * KL "
            f"({reconstruction:.4g} + {beta:g} * {kl:.4g} = {total:.4g}): add the "
            "two terms (both are minimised)."
        )
    if (
        getattr(model, "reconstruction", "bernoulli") == "bernoulli"
        and reconstruction < expected_reconstruction / 10
    ):
        report.problem(
            f"The reconstruction loss is {reconstruction:.3g} nats per image, "
            "while the binary cross-entropy summed over the 784 pixels is about "
            f"{expected_reconstruction:.3g}: it looks averaged over pixels. Sum it "
            "over pixels (cu.models.vae.bernoulli_nll does), or the KL term "
            "weighs 784 times too much and every image decodes to the same blur."
        )


def _compare_kl(
    reported: float, expected: float, latent_dim: int, report: _Report
) -> None:
    formula = "KL = -1/2 * sum_j (1 + log_var_j - mean_j^2 - exp(log_var_j))"
    if abs(reported - expected) <= _KL_RTOL * abs(expected) + _KL_ATOL:
        report.note(
            f"the KL term ({reported:.3f} nats per image) matches the closed form"
        )
        return
    intro = (
        f"The KL term the model reports ({reported:.4g} nats per image) is not the "
        f"KL divergence of its encoder's Gaussian to N(0, I), {expected:.4g}"
    )
    if expected <= _KL_ATOL:
        report.problem(
            f"{intro}: the encoder's Gaussian is the prior itself here, so the KL "
            f"term must be 0. Compute it from the encoder's mean and log_var as "
            f"{formula}."
        )
        return
    ratio = reported / expected

    def near(value: float) -> bool:
        return abs(ratio - value) <= _KL_RTOL * abs(value)

    if reported < 0:
        cause = (
            "it is negative, and a KL divergence never is: the sign is wrong. "
            f"{formula}, and the loss adds it: loss = reconstruction + beta * KL"
        )
    elif latent_dim > 1 and near(1 / latent_dim):
        cause = (
            f"it is averaged over the {latent_dim} latent dimensions instead of "
            f"summed over them (sum over the last axis, then average over the batch: "
            f"{formula})"
        )
    elif near(0.5):
        cause = f"it is half of it: is the factor 1/2 applied twice? ({formula})"
    elif near(2.0):
        cause = f"it is twice as large: the factor 1/2 is missing ({formula})"
    else:
        cause = (
            f"it is {ratio:.3g} times that value; compute it from the encoder's mean "
            f"and log_var as {formula}, summed over latent dimensions and averaged "
            "over the batch"
        )
    report.problem(f"{intro}: {cause}.")


# -- check_acgan ------------------------------------------------------------------

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


def _function_name(function: Callable) -> str:
    return getattr(function, "__name__", type(function).__name__)


def _raised(function: Callable, call: str, error: Exception) -> str:
    """What to tell a learner whose function raised ``error``."""
    text = f"{type(error).__name__}: {error}".rstrip(".")
    todo = (
        isinstance(error, NotImplementedError)
        or "ellipsis" in text.lower()
        or _has_blanks(function)
    )
    hint = (
        " Some '# TODO' blanks look empty (a '...' is still there): fill them in first."
        if todo
        else f" Run {call} in a cell of its own to see where."
    )
    return f"{call} raised {text}.{hint}"


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


# -- check_ddim_step ----------------------------------------------------------------

# The sampling run of the check: model.sample(8, steps=20, seed=0), the call
# of the exercise's text.
_DDIM_IMAGES = 8
_DDIM_STEPS = 20
_DDIM_SEED = 0
# The random test cases: a learner's function matches the package's step when
# |ours - theirs| <= _DDIM_TOLERANCE * max(1, |theirs|) for every pixel. A
# step computed in float32 differs by up to about 2e-5 (1 - alpha_bar loses
# digits when alpha_bar is close to 1); every diagnosed mistake by more than
# 1e-2 (tests/test_checks.py checks it).
_DDIM_TOLERANCE = 1e-4
# The largest difference allowed between the 8 final images of the learner's
# sampler and model.sample's. A learner's step computes in float64 (np.sqrt of
# a Python float) where sample computes in float32; the two drift apart by
# about 1e-5 over 20 steps (measured: 1.7e-6 with a small U-Net trained for 3
# epochs, 7.5e-6 to 1.7e-5 with untrained ones), while any mistake in the
# update changes the images by more than 0.01.
_DDIM_SAMPLE_ATOL = 1e-3
# The schedule of the random test cases: the checkpoint's (cosine, T = 1000).
_DDIM_TOTAL_STEPS = 1000

_DDIM_FORMULA = (
    "x0 = clip((x_t - sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_bar_t), -1, 1); "
    "eps = (x_t - sqrt(alpha_bar_t) * x0) / sqrt(1 - alpha_bar_t); "
    "x_prev = sqrt(alpha_bar_prev) * x0 + sqrt(1 - alpha_bar_prev) * eps"
)
# Where the update takes a square root, in the order of _ddim_variant's
# coefficients: (what is square-rooted, where).
_DDIM_ROOTS = (
    ("1 - alpha_bar_t", "the estimate of x_0"),
    ("alpha_bar_t", "the estimate of x_0"),
    ("alpha_bar_t", "the recomputed noise"),
    ("1 - alpha_bar_t", "the recomputed noise"),
    ("alpha_bar_prev", "x_prev"),
    ("1 - alpha_bar_prev", "x_prev"),
)


@dataclasses.dataclass(frozen=True)
class _DDIMCase:
    """One random test case of the DDIM step."""

    label: str
    x_t: np.ndarray
    noise: np.ndarray
    alpha_bar_t: float
    alpha_bar_prev: float

    @property
    def where(self) -> str:
        return (
            f"{self.label} (alpha_bar_t = {self.alpha_bar_t:.6g}, alpha_bar_prev = "
            f"{self.alpha_bar_prev:.6g}, arrays of shape {self.x_t.shape})"
        )


def _ddim_cases() -> list[_DDIMCase]:
    """Fixed random inputs at steps of a real cosine schedule of 1,000 steps.

    ``x_t`` is made from a "clean image" with values in [-1.5, 1.5] and the
    noise predicted with an error, so that some estimates of x_0 fall outside
    [-1, 1] at every step (all of them at the first step, where
    ``alpha_bar_t`` is about 2e-9) and clipping changes the result.
    """
    from course_utils.models import diffusion

    alpha_bar = diffusion.alpha_bars(
        diffusion.noise_schedule("cosine", _DDIM_TOTAL_STEPS)
    )
    twenty = diffusion.sampling_steps(_DDIM_TOTAL_STEPS, 20)
    five = diffusion.sampling_steps(_DDIM_TOTAL_STEPS, 5)
    steps = [
        ("the first step of a 20-step sampler", twenty[0], twenty[1], (4, 28, 28)),
        ("a step of a 5-step sampler", five[1], five[2], (2, 6, 6)),
        ("a middle step of a 20-step sampler", twenty[9], twenty[10], (3, 5, 7)),
        ("the last but one step of a 20-step sampler", twenty[-2], 0, (2, 8, 8)),
        ("the last step", 0, None, (4, 28, 28)),
    ]
    rng = np.random.default_rng(11)
    cases = []
    for label, step, previous, shape in steps:
        a_t = float(alpha_bar[step])
        a_prev = 1.0 if previous is None else float(alpha_bar[previous])
        clean = rng.uniform(-1.5, 1.5, shape)
        true_noise = rng.standard_normal(shape)
        x_t = math.sqrt(a_t) * clean + math.sqrt(1 - a_t) * true_noise
        noise = true_noise + 0.5 * rng.standard_normal(shape)
        label += f", t = {step} -> " + ("x_0" if previous is None else f"{previous}")
        cases.append(_DDIMCase(label, x_t, noise, a_t, a_prev))
    return cases


@dataclasses.dataclass(frozen=True)
class _DDIMVariant:
    """The DDIM step with some of the usual mistakes (all False: the right one)."""

    no_clip: bool = False
    no_recompute: bool = False
    swapped: bool = False
    returns_x0: bool = False
    # True where the square root of _DDIM_ROOTS[i] is missing.
    missing_roots: tuple[bool, ...] = (False,) * len(_DDIM_ROOTS)

    @property
    def kinds(self) -> int:
        """How many kinds of mistake the variant makes."""
        flags = (self.no_clip, self.no_recompute, self.swapped, self.returns_x0)
        return sum(flags) + any(self.missing_roots)


def _ddim_variant(case: _DDIMCase, variant: _DDIMVariant) -> np.ndarray:
    """x_prev with ``variant``'s mistakes (NaN / inf where they divide by 0)."""
    a_t, a_prev = case.alpha_bar_t, case.alpha_bar_prev
    if variant.swapped:
        a_t, a_prev = a_prev, a_t
    coefficients = (1 - a_t, a_t, a_t, 1 - a_t, a_prev, 1 - a_prev)
    c = [
        value if missing else math.sqrt(value)
        for value, missing in zip(coefficients, variant.missing_roots, strict=True)
    ]
    x_t, noise = case.x_t, case.noise
    with np.errstate(all="ignore"):
        x0 = (x_t - c[0] * noise) / c[1]
        if not variant.no_clip:
            x0 = np.clip(x0, -1.0, 1.0)
        if variant.returns_x0:
            return x0
        if not variant.no_recompute:
            noise = (x_t - c[2] * x0) / c[3]
        return c[4] * x0 + c[5] * noise


def _ddim_variants() -> list[_DDIMVariant]:
    """Every combination of the usual mistakes, fewest mistakes first."""
    variants = []
    for no_clip, no_recompute, swapped, roots in itertools.product(
        (False, True),
        (False, True),
        (False, True),
        itertools.product((False, True), repeat=len(_DDIM_ROOTS)),
    ):
        variants.append(_DDIMVariant(no_clip, no_recompute, swapped, False, roots))
        if not no_recompute and not any(roots[2:]):  # x0 does not use the rest
            variants.append(_DDIMVariant(no_clip, False, swapped, True, roots))
    variants = [v for v in variants if v != _DDIMVariant()]
    return sorted(variants, key=lambda v: (v.kinds, sum(v.missing_roots)))


def _ddim_close(value: np.ndarray, expected: np.ndarray) -> bool:
    return bool(
        np.all(
            np.abs(value - expected)
            <= _DDIM_TOLERANCE * np.maximum(1.0, np.abs(expected))
        )
    )


def _ddim_mistakes(variant: _DDIMVariant, divides_by_zero: bool) -> list[str]:
    """What to tell a learner whose step computes ``variant``."""
    texts = []
    if variant.swapped:
        texts.append(
            "alpha_bar_t and alpha_bar_prev are swapped. alpha_bar_t belongs to the "
            "current, noisier images x_t and is the one to use for the estimate of "
            "x_0 (and the recomputed noise); alpha_bar_prev belongs to the step you "
            "move to and is used only to re-noise x_0 into x_prev"
            + (
                " (at the last step, where alpha_bar_prev = 1, the swap divides by "
                "sqrt(1 - 1) = 0: hence the NaN or infinite values)"
                if divides_by_zero
                else ""
            )
        )
    if variant.no_clip:
        texts.append(
            "it does not clip the estimate of x_0 to [-1, 1]. Early in sampling "
            "alpha_bar_t is close to 0 (2.4e-9 at t = 999 of the cosine schedule), "
            "so (x_t - sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_bar_t) divides by a "
            "tiny number and lands far outside the images' range: clip it with "
            "np.clip(x0, -1, 1) before using it"
        )
    if variant.no_recompute:
        texts.append(
            "it does not recompute the noise after clipping x_0. x_prev then mixes "
            "the clipped x_0 with a noise that no longer fits it (x_t is no longer "
            "sqrt(alpha_bar_t) * x0 + sqrt(1 - alpha_bar_t) * eps): after clipping, "
            "set eps = (x_t - sqrt(alpha_bar_t) * x0) / sqrt(1 - alpha_bar_t)"
        )
    if any(variant.missing_roots):
        places = [
            f"{value} instead of sqrt({value}) in {where}"
            for (value, where), missing in zip(
                _DDIM_ROOTS, variant.missing_roots, strict=True
            )
            if missing
        ]
        where = (
            "it takes no square root at all"
            if all(variant.missing_roots)
            else "; ".join(places)
        )
        texts.append(
            "it uses variances where standard deviations belong: "
            f"{where}. alpha_bar_t is the share of the signal's VARIANCE left at "
            "step t; the images and the noise are scaled by standard deviations, "
            "x_t = sqrt(alpha_bar_t) * x_0 + sqrt(1 - alpha_bar_t) * eps, so every "
            "coefficient of the update is a square root (math.sqrt or np.sqrt)"
        )
    if variant.returns_x0:
        texts.append(
            "it returns the estimate of x_0 instead of x_prev. The estimate is only "
            "a step on the way: re-noise it to the next visited step, x_prev = "
            "sqrt(alpha_bar_prev) * x0 + sqrt(1 - alpha_bar_prev) * eps (at the last "
            "step, where alpha_bar_prev = 1, that is x0 itself)"
        )
    return texts


def _ddim_output(returned: Any, call: str, shape: tuple, report: _Report):
    """The learner's x_prev as a float64 array; a fatal problem if it is unusable."""
    if returned is None:
        report.fatal(
            f"{call} returned None: it must return x_prev, an array of x_t's shape. "
            "Did you forget the return statement?"
        )
    if returned is Ellipsis:
        report.fatal(
            f"{call} returned ... (Ellipsis): some '# TODO' blanks look empty. Fill "
            "them in first."
        )
    if isinstance(returned, (tuple, list)):
        report.fatal(
            f"{call} returned a {type(returned).__name__} of {len(returned)} values: "
            "it must return x_prev alone, one array of x_t's shape (the package's "
            "reverse_step also returns x0; the exercise's function does not)."
        )
    try:
        array = np.asarray(returned, dtype=np.float64)
    except (TypeError, ValueError):
        report.fatal(
            f"{call} returned {type(returned).__name__} {_describe(returned)}: it "
            "must return x_prev, an array of x_t's shape."
        )
    if array.shape != shape:
        advice = (
            " Did you average or sum over the pixels? Every operation of the update "
            "is elementwise."
            if array.size < int(np.prod(shape))
            else " Look for a broadcast between arrays of different shapes."
        )
        report.fatal(
            f"{call} returned an array of shape {array.shape} for x_t of shape "
            f"{shape}: x_prev must have x_t's shape.{advice}"
        )
    return array


def _call_ddim_step(
    step_fn: Callable, name: str, case: _DDIMCase, report: _Report
) -> np.ndarray:
    """Run the learner's step on copies of a case's arrays; x_prev as float64."""
    x_t, noise = case.x_t.copy(), case.noise.copy()
    call = (
        f"{name}(x_t, predicted_noise, {case.alpha_bar_t!r}, {case.alpha_bar_prev!r})"
    )
    try:
        returned = step_fn(x_t, noise, case.alpha_bar_t, case.alpha_bar_prev)
    except Exception as error:  # the learner's code: report whatever it raised
        report.fatal(
            _raised(step_fn, call, error)
            + f" x_t and predicted_noise were {x_t.dtype} arrays of shape {x_t.shape}."
        )
    array = _ddim_output(returned, call, case.x_t.shape, report)
    changed = [
        argument
        for argument, given, kept in (
            ("x_t", x_t, case.x_t),
            ("predicted_noise", noise, case.noise),
        )
        if not np.array_equal(given, kept)
    ]
    if changed and not any("in place" in message for message in report.messages):
        report.problem(
            f"{call} changes its argument{'s' if len(changed) > 1 else ''} "
            f"{' and '.join(changed)} in place (with x_t -= ..., x_t /= ... or "
            "x_t[...] = ...): the caller's array is overwritten, and a sampler that "
            "still needs it gets wrong values. Compute new arrays instead, e.g. "
            "x0 = (x_t - ...) / ..."
        )
    return array


def _check_ddim_cases(step_fn: Callable, name: str, report: _Report) -> None:
    from course_utils.models import diffusion

    cases = _ddim_cases()
    outputs = [_call_ddim_step(step_fn, name, case, report) for case in cases]
    expected = [
        diffusion.reverse_step(
            case.x_t, case.noise, case.alpha_bar_t, case.alpha_bar_prev, 0.0, 0.0
        )[0]
        for case in cases
    ]
    finite = [bool(np.all(np.isfinite(output))) for output in outputs]
    wrong = [
        i
        for i, (output, reference) in enumerate(zip(outputs, expected, strict=True))
        if not finite[i] or not _ddim_close(output, reference)
    ]
    if not wrong:
        report.note(
            f"the step matches the package's (reverse_step with eta = 0) on "
            f"{len(cases)} random test cases, from the first step (alpha_bar_t = "
            f"{cases[0].alpha_bar_t:.2g}) to the last (alpha_bar_prev = 1), where "
            "clipping changes the result"
        )
        return
    call = f"{name}(x_t, predicted_noise, alpha_bar_t, alpha_bar_prev)"
    unchanged = all(
        np.array_equal(output, case.x_t)
        for output, case in zip(outputs, cases, strict=True)
    )
    for variant in [] if unchanged else _ddim_variants():
        values = [_ddim_variant(case, variant) for case in cases]
        compared = [i for i, value in enumerate(values) if np.all(np.isfinite(value))]
        if len(compared) < len(cases) - 1:
            continue
        if all(finite[i] and _ddim_close(outputs[i], values[i]) for i in compared):
            skipped = set(range(len(cases))) - set(compared)
            texts = _ddim_mistakes(
                variant, any(not finite[i] for i in skipped) and variant.swapped
            )
            break
    else:
        texts = []
    if unchanged:
        texts = [
            "it returns x_t unchanged. Replace the placeholder (return x_t) by the "
            f"update: {_DDIM_FORMULA}"
        ]
    infinite = [i for i in wrong if not finite[i]]
    if infinite and not texts:
        case = cases[infinite[0]]
        hint = (
            " At the last step alpha_bar_prev = 1, so 1 - alpha_bar_prev = 0: "
            "x_prev = sqrt(alpha_bar_prev) * x0 + sqrt(1 - alpha_bar_prev) * eps "
            "needs no division by it, nor by alpha_bar_prev - alpha_bar_t."
            if case.alpha_bar_prev == 1.0
            else " Look for a division by zero or the square root of a negative number."
        )
        report.problem(f"{call} returned NaN or infinite values on {case.where}.{hint}")
        return
    differences = [
        float(np.max(np.abs(outputs[i] - expected[i]))) if finite[i] else math.inf
        for i in range(len(cases))
    ]
    worst = int(np.argmax(differences))
    intro = (
        f"{call} differs from the package's DDIM step (reverse_step with eta = 0) "
        f"on {len(wrong)} of {len(cases)} random test cases; "
        + (
            f"it returns NaN or infinite values on {cases[worst].where}"
            if infinite
            else f"the largest difference, {differences[worst]:.3g}, is on "
            f"{cases[worst].where}"
        )
    )
    if len(texts) == 1:
        report.problem(f"{intro}: {texts[0]}.")
    elif texts:
        listed = " ".join(f"({i}) {text}." for i, text in enumerate(texts, 1))
        report.problem(f"{intro}. It has {len(texts)} mistakes: {listed}")
    else:
        report.problem(
            f"{intro}. Compare your function with the update, line by line: "
            f"{_DDIM_FORMULA}."
        )


def _check_ddim_sampling(step_fn: Callable, name: str, model, report: _Report) -> None:
    from course_utils._arguments import numpy_rng
    from course_utils.models import diffusion

    sampled = model.sample(_DDIM_IMAGES, steps=_DDIM_STEPS, seed=_DDIM_SEED)
    # The loop of Diffusion.sample (method "ddim", no labels), with the
    # learner's step in place of reverse_step.
    x = (
        numpy_rng(_DDIM_SEED)
        .standard_normal((_DDIM_IMAGES, *model.image_shape))
        .astype(np.float32)
    )
    visited = diffusion.sampling_steps(model.total_steps, _DDIM_STEPS)
    step_differences = []
    for index, step in enumerate(visited):
        eps = model.predict_noise(x, step)
        a_t = float(model.alpha_bar[step])
        a_prev = (
            1.0
            if index + 1 == len(visited)
            else float(model.alpha_bar[visited[index + 1]])
        )
        case = _DDIMCase(
            f"step {index + 1} of {len(visited)} of the sampler", x, eps, a_t, a_prev
        )
        returned = _call_ddim_step(step_fn, name, case, report)
        reference = diffusion.reverse_step(
            x.astype(np.float64), eps.astype(np.float64), a_t, a_prev, 0.0, 0.0
        )[0]
        if not np.all(np.isfinite(returned)):
            report.fatal(
                f"In the sampler, {name} returned NaN or infinite values at "
                f"{case.where}, on float32 images made by the model."
            )
        step_differences.append(float(np.max(np.abs(returned - reference))))
        x = returned.astype(np.float32)
    difference = float(np.max(np.abs(x - sampled)))
    call = f"model.sample({_DDIM_IMAGES}, steps={_DDIM_STEPS}, seed={_DDIM_SEED})"
    if difference > _DDIM_SAMPLE_ATOL:
        worst = int(np.argmax(step_differences))
        report.problem(
            f"{_DDIM_IMAGES} images sampled in {_DDIM_STEPS} steps with {name} differ "
            f"from {call} by up to {difference:.3g} (allowed: {_DDIM_SAMPLE_ATOL:g}), "
            f"although the step passed the random test cases. The largest "
            f"difference of one step, {step_differences[worst]:.3g}, is at step "
            f"{worst + 1} (t = {visited[worst]}). Does the function use anything "
            "but its four arguments (a global schedule, a fixed number of steps, "
            "float32 arithmetic)?"
        )
    else:
        report.note(
            f"{_DDIM_IMAGES} images sampled in {_DDIM_STEPS} steps with your step "
            f"match {call} (largest difference {difference:.2g})"
        )


def check_ddim_step(
    step_fn: Callable,
    model=None,
    *,
    verbose: bool = True,
    raise_on_failure: bool = False,
) -> CheckResult:
    """Check the exercise "write the DDIM update" of notebook 11.

    ``step_fn(x_t, predicted_noise, alpha_bar_t, alpha_bar_prev)`` takes NumPy
    arrays ``x_t`` and ``predicted_noise`` and the floats ``alpha_bar`` at this
    step and at the next visited step, and returns ``x_prev`` by the
    deterministic DDIM update (eta = 0)::

        x0 = clip((x_t - sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_bar_t), -1, 1)
        eps = (x_t - sqrt(alpha_bar_t) * x0) / sqrt(1 - alpha_bar_t)
        x_prev = sqrt(alpha_bar_prev) * x0 + sqrt(1 - alpha_bar_prev) * eps

    The check verifies, in this order, and explains every problem in plain
    words:

    1. on 5 random test cases (float64 arrays of a few shapes, ``alpha_bar``
       from the cosine schedule of 1,000 steps, from the first step, where
       ``alpha_bar_t`` is about 2e-9, to the last, where ``alpha_bar_prev`` =
       1; some estimates of x_0 fall outside [-1, 1] in every case), the
       function runs, returns one array of ``x_t``'s shape, leaves its
       arguments unchanged and matches
       :func:`course_utils.models.diffusion.reverse_step` with ``eta = 0``.
       When it does not, the usual mistakes are named (alone or together):
       no clipping, the noise not recomputed after clipping,
       ``alpha_bar_t`` and ``alpha_bar_prev`` swapped, variances where
       standard deviations belong (missing square roots), x_0 returned
       instead of x_prev, x_t returned unchanged (the exercise's
       placeholder); NaN or infinite values are explained;
    2. if step 1 found no problem: the sampler of
       :meth:`~course_utils.models.diffusion.Diffusion.sample` (DDIM, no
       labels) run with the learner's step on ``model`` gives the same 8
       images as ``model.sample(8, steps=20, seed=0)`` (to 1e-3).

    Args:
        step_fn: The learner's function, called as ``step_fn(x_t,
            predicted_noise, alpha_bar_t, alpha_bar_prev)``.
        model: The :class:`~course_utils.models.diffusion.Diffusion` model to
            sample from (default: the course's checkpoint,
            ``cu.pretrained.load("diffusion")``, loaded only for step 2).
        verbose: Print a one-line message when the check passes.
        raise_on_failure: Raise :class:`ExerciseCheckError` (an
            ``AssertionError``) with the report when a problem is found,
            instead of returning the failed result.

    Returns:
        The :class:`CheckResult`; print it (or make it the last line of a
        notebook cell) to read the report.

    Raises:
        ExerciseCheckError: With ``raise_on_failure=True``, if a problem is
            found.
        TypeError: If ``step_fn`` is not callable, ``model`` is not a
            ``Diffusion`` model, or ``verbose`` or ``raise_on_failure`` is not
            a bool.
        course_utils.pretrained.CheckpointError: If ``model`` is None and the
            checkpoint file is missing or damaged.

    Example:
        >>> result = check_ddim_step(my_ddim_step)  # doctest: +SKIP
        check_ddim_step(my_ddim_step): passed: 8 images sampled in 20 steps ...
        >>> result.passed  # doctest: +SKIP
        True
    """
    if not callable(step_fn):
        raise TypeError(
            "step_fn must be a function called as step_fn(x_t, predicted_noise, "
            f"alpha_bar_t, alpha_bar_prev); got {type(step_fn).__name__}"
        )
    for argument, value in (
        ("verbose", verbose),
        ("raise_on_failure", raise_on_failure),
    ):
        if not isinstance(value, bool):
            raise TypeError(f"{argument} must be True or False; got {value!r}")
    from course_utils.models import diffusion

    if model is not None and not isinstance(model, diffusion.Diffusion):
        raise TypeError(
            "model must be a cu.models.diffusion.Diffusion model (or None for the "
            f"course's checkpoint); got {type(model).__name__}"
        )

    name = _function_name(step_fn)
    report = _Report("check_ddim_step", name)
    try:
        _check_ddim_cases(step_fn, name, report)
        if not report.messages:
            if model is None:
                from course_utils import pretrained

                model = pretrained.load("diffusion")
            _check_ddim_sampling(step_fn, name, model, report)
    except _CheckStoppedError:
        pass
    result = report.result()
    if verbose and result.passed:
        print(
            f"check_ddim_step({name}): passed: {_DDIM_IMAGES} images sampled in "
            f"{_DDIM_STEPS} steps with your DDIM step match model.sample's."
        )
    if raise_on_failure and not result.passed:
        raise ExerciseCheckError(result)
    return result
