"""The check of the DDIM step exercise (notebook 11).

:func:`check_ddim_step`: "write the DDIM update", the exercise of
``notebooks/11_diffusion_models.ipynb`` (worked solution in
``notebooks/solutions/11_ddim_step_solution.ipynb``): the step against the
package's on random inputs (naming the usual mistakes), then 8 images
sampled with it against ``model.sample``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from course_utils.checks._report import (
    CheckResult,
    ExerciseCheckError,
    _CheckStoppedError,
    _describe,
    _function_name,
    _raised,
    _Report,
)

__all__ = ["check_ddim_step"]

# The sampling run of the check: model.sample(8, steps=20, seed=0), the call
# of the exercise's text.
_DDIM_IMAGES = 8
_DDIM_STEPS = 20
_DDIM_SEED = 0
# The random test cases: a learner's function matches the package's step when
# |ours - theirs| <= _DDIM_TOLERANCE * max(1, |theirs|) for every pixel. A
# step computed in float32 differs by up to about 2e-5 (1 - alpha_bar loses
# digits when alpha_bar is close to 1); every diagnosed mistake by more than
# 1e-2 (tests/test_checks_ddim.py checks it).
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
