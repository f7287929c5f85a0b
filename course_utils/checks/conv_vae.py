"""The check of the convolutional VAE exercise (notebook 05).

:func:`check_conv_vae`: "build a convolutional VAE with at most 3
convolutional layers", the exercise of
``notebooks/05_variational_autoencoders.ipynb`` (worked solution in
``notebooks/solutions/05_conv_vae_solution.ipynb``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils._arguments import integer, number
from course_utils.checks._report import (
    _MAX_CHECK_IMAGES,
    IMAGE_SHAPE,
    CheckResult,
    ExerciseCheckError,
    _CheckStoppedError,
    _describe,
    _raised,
    _Report,
    _shape,
    _to_numpy,
)

__all__ = ["check_conv_vae"]

# Relative tolerance when comparing the KL term a model reports with the
# closed form computed from its own encoder outputs (plus a tiny absolute one).
_KL_RTOL = 0.02
_KL_ATOL = 1e-5
# The loss must fall by at least this fraction over the training steps.
_MIN_LOSS_DROP = 0.02
# Two forward passes that differ by less than this are "identical".
_SAME_OUTPUT_ATOL = 1e-6


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
