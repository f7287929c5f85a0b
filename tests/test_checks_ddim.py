"""check_ddim_step (course_utils.checks.ddim) names each problem in plain words.

Every test writes a DDIM step with one of the usual mistakes and asserts that
``check_ddim_step`` names it, and that a correct step passes. The sampling run
uses a tiny untrained diffusion model, never the checkpoint.
"""

import math

import keras
import numpy as np
import pytest
from keras import ops

from course_utils import checks
from course_utils.models import diffusion as diffusion_module


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="module")
def tiny_diffusion():
    """An untrained conditional diffusion model, small enough to sample in 1 s."""
    return diffusion_module.build_diffusion(
        channels=(8, 16), embedding_dim=16, n_classes=10, seed=0
    )


def my_ddim_step(x_t, predicted_noise, alpha_bar_t, alpha_bar_prev):
    x0 = (x_t - np.sqrt(1 - alpha_bar_t) * predicted_noise) / np.sqrt(alpha_bar_t)
    x0 = np.clip(x0, -1, 1)
    eps = (x_t - np.sqrt(alpha_bar_t) * x0) / np.sqrt(1 - alpha_bar_t)
    return np.sqrt(alpha_bar_prev) * x0 + np.sqrt(1 - alpha_bar_prev) * eps


def float32_step(x_t, predicted_noise, alpha_bar_t, alpha_bar_prev):
    a, a_prev = np.float32(alpha_bar_t), np.float32(alpha_bar_prev)
    x_t, eps = x_t.astype(np.float32), predicted_noise.astype(np.float32)
    x0 = np.clip((x_t - np.sqrt(1 - a) * eps) / np.sqrt(a), -1, 1)
    eps = (x_t - np.sqrt(a) * x0) / np.sqrt(1 - a)
    return np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps


def keras_ops_step(x_t, predicted_noise, alpha_bar_t, alpha_bar_prev):
    x0 = ops.clip(
        (x_t - math.sqrt(1 - alpha_bar_t) * predicted_noise) / math.sqrt(alpha_bar_t),
        -1,
        1,
    )
    eps = (x_t - math.sqrt(alpha_bar_t) * x0) / math.sqrt(1 - alpha_bar_t)
    return math.sqrt(alpha_bar_prev) * x0 + math.sqrt(1 - alpha_bar_prev) * eps


def run_ddim_check(step_fn, model, **kwargs):
    kwargs.setdefault("verbose", False)
    return checks.check_ddim_step(step_fn, model, **kwargs)


@pytest.mark.parametrize(
    "step_fn", [my_ddim_step, float32_step, keras_ops_step], ids=lambda f: f.__name__
)
def test_a_correct_ddim_step_passes(tiny_diffusion, step_fn):
    result = run_ddim_check(step_fn, tiny_diffusion, raise_on_failure=True)
    assert result.passed and result.messages == []
    text = str(result)
    assert text.startswith(f"check_ddim_step({step_fn.__name__}): passed")
    assert "matches the package's (reverse_step with eta = 0) on 5 random" in text
    assert "8 images sampled in 20 steps with your step match model.sample(8" in text


def test_ddim_check_works_with_an_unconditional_model_of_100_steps():
    network = diffusion_module.build_unet(channels=(8, 16), embedding_dim=16, groups=4)
    model = diffusion_module.Diffusion(network, total_steps=100)
    result = run_ddim_check(my_ddim_step, model, raise_on_failure=True)
    assert "match model.sample(8, steps=20, seed=0)" in str(result)


def test_the_check_reproduces_the_package_sampler(tiny_diffusion):
    # The check's own loop, run with the package's step, gives sample's images.
    calls = []

    def package_step(x_t, predicted_noise, alpha_bar_t, alpha_bar_prev):
        calls.append((x_t.dtype, alpha_bar_t, alpha_bar_prev))
        return diffusion_module.reverse_step(
            x_t, predicted_noise, alpha_bar_t, alpha_bar_prev, 0.0, 0.0
        )[0]

    result = run_ddim_check(package_step, tiny_diffusion)
    assert result.passed, str(result)
    sampling = calls[len(checks._ddim_cases()) :]
    assert len(sampling) == 20
    assert all(dtype == np.float32 for dtype, _, _ in sampling)
    steps = diffusion_module.sampling_steps(tiny_diffusion.total_steps, 20)
    assert [a for _, a, _ in sampling] == [
        float(tiny_diffusion.alpha_bar[t]) for t in steps
    ]
    assert [a for _, _, a in sampling] == [
        float(tiny_diffusion.alpha_bar[t]) for t in steps[1:]
    ] + [1.0]
    assert "largest difference 0" in str(result)  # the very same arithmetic


def test_verbose_prints_a_short_message_on_success_only(tiny_diffusion, capsys):
    checks.check_ddim_step(my_ddim_step, tiny_diffusion)
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("check_ddim_step(my_ddim_step): passed")
    checks.check_ddim_step(my_ddim_step, tiny_diffusion, verbose=False)
    checks.check_ddim_step(lambda *args: None, tiny_diffusion)
    assert capsys.readouterr().out == ""


def test_the_default_model_is_the_checkpoint_loaded_only_when_needed(
    tiny_diffusion, monkeypatch
):
    from course_utils import pretrained

    loaded = []

    def load(name):
        loaded.append(name)
        return tiny_diffusion

    monkeypatch.setattr(pretrained, "load", load)
    assert not checks.check_ddim_step(ddim_no_clip, verbose=False).passed
    assert loaded == []  # a wrong step is not worth loading the checkpoint
    assert checks.check_ddim_step(my_ddim_step, verbose=False).passed
    assert loaded == ["diffusion"]


# --- the usual mistakes, one per function ------------------------------------------


def ddim_no_clip(x_t, eps, a, a_prev):
    x0 = (x_t - math.sqrt(1 - a) * eps) / math.sqrt(a)
    return math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps


def ddim_no_recompute(x_t, eps, a, a_prev):
    x0 = np.clip((x_t - math.sqrt(1 - a) * eps) / math.sqrt(a), -1, 1)
    return math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps


def ddim_swapped(x_t, eps, a, a_prev):
    with np.errstate(all="ignore"):  # divides by sqrt(1 - 1) at the last step
        return my_ddim_step(x_t, eps, a_prev, a)


def ddim_variances(x_t, eps, a, a_prev):
    x0 = np.clip((x_t - (1 - a) * eps) / a, -1, 1)
    eps = (x_t - a * x0) / (1 - a)
    return a_prev * x0 + (1 - a_prev) * eps


def ddim_update_variances(x_t, eps, a, a_prev):
    x0 = np.clip((x_t - np.sqrt(1 - a) * eps) / np.sqrt(a), -1, 1)
    eps = (x_t - np.sqrt(a) * x0) / np.sqrt(1 - a)
    return a_prev * x0 + (1 - a_prev) * eps


def ddim_estimate_variance(x_t, eps, a, a_prev):
    x0 = np.clip((x_t - (1 - a) * eps) / np.sqrt(a), -1, 1)
    eps = (x_t - np.sqrt(a) * x0) / np.sqrt(1 - a)
    return np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps


def ddim_returns_x0(x_t, eps, a, a_prev):
    return np.clip((x_t - np.sqrt(1 - a) * eps) / np.sqrt(a), -1, 1)


def ddim_swapped_no_clip(x_t, eps, a, a_prev):
    return ddim_no_clip(x_t, eps, a_prev, a)


def ddim_sign(x_t, eps, a, a_prev):
    return my_ddim_step(x_t, -eps, a, a_prev)


def ddim_divides_by_zero(x_t, eps, a, a_prev):
    x_prev = my_ddim_step(x_t, eps, a, a_prev)
    with np.errstate(all="ignore"):  # a learner would see a RuntimeWarning
        return x_prev * (1 - a_prev) / (1 - a_prev)


def ddim_in_place(x_t, eps, a, a_prev):
    x_prev = my_ddim_step(x_t, eps, a, a_prev)
    x_t *= 0.5
    return x_prev


def ddim_mean(x_t, eps, a, a_prev):
    return my_ddim_step(x_t, eps, a, a_prev).mean()


def ddim_tuple(x_t, eps, a, a_prev):
    return diffusion_module.reverse_step(x_t, eps, a, a_prev, 0.0, 0.0)


def ddim_none(x_t, eps, a, a_prev):
    my_ddim_step(x_t, eps, a, a_prev)


def ddim_unfinished(x_t, eps, a, a_prev):
    x0 = ...  # TODO
    return np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps


def ddim_blank_return(x_t, eps, a, a_prev):
    x_prev = ...  # TODO
    return x_prev


def ddim_raises(x_t, eps, a, a_prev):
    raise RuntimeError("boom")


def ddim_placeholder(x_t, eps, a, a_prev):
    # Replace this line by the DDIM update (eta = 0) described in exercise 1.
    return x_t


@pytest.mark.parametrize(
    ("step_fn", "words"),
    [
        (ddim_no_clip, ["does not clip the estimate of x_0 to [-1, 1]"]),
        (ddim_no_recompute, ["does not recompute the noise after clipping x_0"]),
        (
            ddim_swapped,
            [
                "alpha_bar_t and alpha_bar_prev are swapped",
                "NaN or infinite values on the last step",
                "divides by sqrt(1 - 1) = 0",
            ],
        ),
        (
            ddim_variances,
            ["variances where standard deviations belong", "no square root at all"],
        ),
        (
            ddim_update_variances,
            [
                "variances where standard deviations belong",
                "alpha_bar_prev instead of sqrt(alpha_bar_prev) in x_prev; "
                "1 - alpha_bar_prev instead of sqrt(1 - alpha_bar_prev) in x_prev.",
            ],
        ),
        (
            ddim_estimate_variance,
            [
                "belong: 1 - alpha_bar_t instead of sqrt(1 - alpha_bar_t) in the "
                "estimate of x_0."
            ],
        ),
        (ddim_returns_x0, ["returns the estimate of x_0 instead of x_prev"]),
        (
            ddim_swapped_no_clip,
            [
                "It has 2 mistakes: (1) alpha_bar_t and alpha_bar_prev are swapped",
                "(2) it does not clip",
            ],
        ),
        (ddim_sign, ["Compare your function with the update, line by line"]),
        (
            ddim_divides_by_zero,
            [
                "returned NaN or infinite values on the last step",
                "1 - alpha_bar_prev = 0",
            ],
        ),
        (ddim_in_place, ["changes its argument x_t in place"]),
        (ddim_mean, ["returned an array of shape ()", "average or sum"]),
        (ddim_tuple, ["returned a tuple of 2 values", "x_prev alone"]),
        (ddim_none, ["returned None", "forget the return statement"]),
        (ddim_unfinished, ["raised TypeError", "'# TODO' blanks look empty"]),
        (ddim_blank_return, ["returned ... (Ellipsis)", "'# TODO' blanks"]),
        (ddim_raises, ["raised RuntimeError: boom", "in a cell of its own"]),
        (ddim_placeholder, ["returns x_t unchanged", "placeholder (return x_t)"]),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_ddim_step_mistakes_are_named(tiny_diffusion, step_fn, words):
    result = run_ddim_check(step_fn, tiny_diffusion)
    assert not result.passed
    (message,) = result.messages
    assert message.startswith(f"{step_fn.__name__}(x_t, predicted_noise, ")
    for word in words:
        assert word in message, message
    assert "images sampled" not in str(result)  # no sampling with a wrong step


def test_a_step_that_fails_only_in_the_sampler_is_reported(tiny_diffusion):
    calls = []

    def stateful_step(x_t, eps, a, a_prev):  # right on the first 5 calls only
        calls.append(a)
        step = my_ddim_step if len(calls) <= 5 else ddim_no_recompute
        return step(x_t, eps, a, a_prev)

    result = run_ddim_check(stateful_step, tiny_diffusion)
    (message,) = result.messages
    assert "8 images sampled in 20 steps with stateful_step differ from" in message
    assert "model.sample(8, steps=20, seed=0) by up to" in message
    assert "passed the random test cases" in message
    assert "largest difference of one step" in message


def test_the_reference_of_the_cases_is_reverse_step():
    for case in checks._ddim_cases():
        expected = diffusion_module.reverse_step(
            case.x_t, case.noise, case.alpha_bar_t, case.alpha_bar_prev, 0.0, 0.0
        )[0]
        variant = checks._ddim_variant(case, checks._DDIMVariant())
        np.testing.assert_allclose(variant, expected, rtol=1e-12, atol=1e-12)
        # Clipping matters: some estimates of x_0 are outside [-1, 1].
        a = case.alpha_bar_t
        x0 = (case.x_t - math.sqrt(1 - a) * case.noise) / math.sqrt(a)
        assert np.any(np.abs(x0) > 1)
    assert checks._ddim_cases()[-1].alpha_bar_prev == 1.0


def test_the_diagnosed_ddim_mistakes_give_distinct_values():
    cases = checks._ddim_cases()
    n_roots = len(checks._DDIM_ROOTS)
    singles = [
        checks._DDIMVariant(),  # the right step
        checks._DDIMVariant(no_clip=True),
        checks._DDIMVariant(no_recompute=True),
        checks._DDIMVariant(swapped=True),
        checks._DDIMVariant(returns_x0=True),
        checks._DDIMVariant(missing_roots=(True,) * n_roots),
    ] + [
        checks._DDIMVariant(missing_roots=tuple(i == j for j in range(n_roots)))
        for i in range(n_roots)
    ]
    values = [[checks._ddim_variant(c, v) for c in cases] for v in singles]
    for i, a in enumerate(values):
        for b in values[i + 1 :]:
            gaps = [
                np.max(np.abs(x - y))
                for x, y in zip(a, b, strict=True)
                if np.all(np.isfinite(x)) and np.all(np.isfinite(y))
            ]
            assert max(gaps) > 100 * checks._DDIM_TOLERANCE


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"step_fn": "my_ddim_step"}, TypeError, "step_fn must be a function"),
        ({"step_fn": None}, TypeError, "step_fn must be a function"),
        ({"model": "diffusion"}, TypeError, "model must be a cu.models.diffusion"),
        ({"verbose": 1}, TypeError, "verbose must be True or False; got 1"),
        ({"raise_on_failure": "yes"}, TypeError, "raise_on_failure"),
    ],
    ids=lambda v: repr(v)[:40] if isinstance(v, dict) else None,
)
def test_check_ddim_step_rejects_bad_arguments(kwargs, error, match):
    arguments = {"step_fn": my_ddim_step, "model": None}
    arguments.update(kwargs)
    step_fn = arguments.pop("step_fn")
    with pytest.raises(error, match=match):
        checks.check_ddim_step(step_fn, **arguments)


def test_ddim_raise_on_failure_raises_with_the_report(tiny_diffusion):
    with pytest.raises(checks.ExerciseCheckError, match="does not clip") as info:
        run_ddim_check(ddim_no_clip, tiny_diffusion, raise_on_failure=True)
    assert info.value.result.passed is False
    assert "check_ddim_step(ddim_no_clip): 1 problem to fix" in str(info.value)
