"""check_pixelcnn_mask (course_utils.checks.pixelcnn_mask) names each mistake.

Every test writes a mask function with one of the usual mistakes (or one that
raises, or returns something unusable) and asserts that
``check_pixelcnn_mask`` names it in plain words, and that a correct function
passes. No training: the whole file runs in a few seconds.
"""

import numpy as np
import pytest

from course_utils import checks
from course_utils.checks import pixelcnn_mask as mask_check
from course_utils.models.autoregressive import pixelcnn_mask


def run(mask_fn, **kwargs):
    kwargs.setdefault("verbose", False)
    return checks.check_pixelcnn_mask(mask_fn, **kwargs)


def my_pixelcnn_mask(kernel_size, mask_type):
    """The learner's solution, written with lists."""
    centre = kernel_size // 2
    mask = [[1] * kernel_size for _ in range(kernel_size)]
    for row in range(kernel_size):
        for column in range(kernel_size):
            later = row > centre or (row == centre and column > centre)
            if later or ((row, column) == (centre, centre) and mask_type == "A"):
                mask[row][column] = 0
    return mask


def test_the_reference_passes():
    result = run(pixelcnn_mask, raise_on_failure=True)
    assert result.passed and result.messages == []
    text = str(result)
    assert text.startswith("check_pixelcnn_mask(pixelcnn_mask): passed")
    assert "match the package's (pixelcnn_mask) for kernel sizes 1, 3, 5, 7" in text
    assert "has a zero gradient with respect to that pixel and the 24 after it" in text
    assert "it depends only on the past" in text


@pytest.mark.parametrize(
    "mask_fn",
    [
        my_pixelcnn_mask,
        lambda k, t: pixelcnn_mask(k, t).astype(bool),
        lambda k, t: pixelcnn_mask(k, t).astype(int).tolist(),
    ],
    ids=["lists", "bool", "int-lists"],
)
def test_any_array_of_zeros_and_ones_passes(mask_fn):
    assert run(mask_fn).passed


def test_the_check_calls_every_kernel_size_with_both_types():
    calls = []

    def spy(kernel_size, mask_type):
        calls.append((kernel_size, mask_type))
        return pixelcnn_mask(kernel_size, mask_type)

    assert run(spy).passed
    assert calls == [(k, t) for k in (1, 3, 5, 7) for t in ("A", "B")]


def test_verbose_prints_a_short_message_on_success_only(capsys):
    checks.check_pixelcnn_mask(pixelcnn_mask)
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("check_pixelcnn_mask(pixelcnn_mask): passed")
    checks.check_pixelcnn_mask(pixelcnn_mask, verbose=False)
    checks.check_pixelcnn_mask(lambda k, t: None)
    assert capsys.readouterr().out == ""


# --- the usual mistakes, one per function ------------------------------------------


def centre_kept_in_a(kernel_size, mask_type):
    return pixelcnn_mask(kernel_size, "B")


def centre_dropped_in_b(kernel_size, mask_type):
    return pixelcnn_mask(kernel_size, "A")


def rows_below_kept(kernel_size, mask_type):
    mask = pixelcnn_mask(kernel_size, mask_type)
    mask[kernel_size // 2 + 1 :] = 1
    return mask


def right_of_centre_kept(kernel_size, mask_type):
    mask = pixelcnn_mask(kernel_size, mask_type)
    mask[kernel_size // 2, kernel_size // 2 + 1 :] = 1
    return mask


def transposed(kernel_size, mask_type):
    return pixelcnn_mask(kernel_size, mask_type).T


def everything_kept(kernel_size, mask_type):
    return np.ones((kernel_size, kernel_size))


def nothing_kept(kernel_size, mask_type):
    return np.zeros((kernel_size, kernel_size))


def centre_row_dropped(kernel_size, mask_type):
    mask = pixelcnn_mask(kernel_size, mask_type)
    mask[kernel_size // 2, : kernel_size // 2] = 0
    return mask


def rows_above_dropped(kernel_size, mask_type):
    mask = pixelcnn_mask(kernel_size, mask_type)
    mask[: kernel_size // 2] = 0
    return mask


@pytest.mark.parametrize(
    ("mask_fn", "example", "words"),
    [
        (
            centre_kept_in_a,
            "(3, 'A') returned [[1, 1, 1], [1, 1, 0], [0, 0, 0]], and the type A "
            "mask is [[1, 1, 1], [1, 0, 0], [0, 0, 0]]",
            ["type A keeps the centre pixel", "mask[centre, centre] = 0"],
        ),
        (
            centre_dropped_in_b,
            "(3, 'B') returned [[1, 1, 1], [1, 0, 0], [0, 0, 0]], and the type B "
            "mask is [[1, 1, 1], [1, 1, 0], [0, 0, 0]]",
            ["type B drops the centre pixel", "only type A zeroes it"],
        ),
        (
            rows_below_kept,
            "(3, 'A') returned [[1, 1, 1], [1, 0, 0], [1, 1, 1]]",
            ["keeps weights in the rows below the centre", "see the future"],
        ),
        (
            right_of_centre_kept,
            "(3, 'A') returned [[1, 1, 1], [1, 0, 1], [0, 0, 0]]",
            ["keeps weights right of the centre in the centre row", "the future"],
        ),
        (
            transposed,
            "(3, 'A') returned [[1, 1, 0], [1, 0, 0], [1, 0, 0]]",
            ["the mask is transposed", "instead of the ROWS above the centre"],
        ),
        (
            everything_kept,
            "(3, 'A') returned [[1, 1, 1], [1, 1, 1], [1, 1, 1]]",
            ["keeps every weight (the mask is all ones)", "ordinary convolution"],
        ),
        (
            nothing_kept,
            "(3, 'A') returned [[0, 0, 0], [0, 0, 0], [0, 0, 0]]",
            ["keeps no weight (the mask is all zeros)", "sees nothing"],
        ),
        (
            centre_row_dropped,
            "(3, 'A') returned [[1, 1, 1], [0, 0, 0], [0, 0, 0]]",
            ["zeroes weights left of the centre in the centre row"],
        ),
        (
            rows_above_dropped,
            "(3, 'A') returned [[0, 0, 0], [1, 0, 0], [0, 0, 0]]",
            ["zeroes weights in the rows above the centre"],
        ),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_each_usual_mistake_is_named_once(mask_fn, example, words):
    result = run(mask_fn)
    assert not result.passed
    (message,) = result.messages
    assert message.startswith(f"{mask_fn.__name__}{example}"), message
    for word in words:
        assert word in message, message
    assert "gradient" not in str(result)  # no gradient run with wrong masks


def test_several_mistakes_are_listed_with_one_example():
    def swapped_types(kernel_size, mask_type):
        return pixelcnn_mask(kernel_size, "B" if mask_type == "A" else "A")

    def future_mask(kernel_size, mask_type):  # flipped: the pixels after the centre
        return pixelcnn_mask(kernel_size, mask_type)[::-1, ::-1]

    first, second = run(swapped_types).messages
    assert "type A keeps the centre pixel" in first
    assert "type B drops the centre pixel" in second
    messages = run(future_mask).messages
    assert len(messages) == 4
    assert messages[0].startswith("future_mask(3, 'A') returned [[0, 0, 0]")
    assert all(
        m.startswith("In the mask of future_mask(3, 'A') too, it ")
        for m in messages[1:]
    )


def test_a_transposed_mask_with_a_wrong_centre_gets_both_messages():
    def transposed_b(kernel_size, mask_type):
        return pixelcnn_mask(kernel_size, "B").T

    transposed_message, centre_message = run(transposed_b).messages
    assert "the mask is transposed" in transposed_message
    assert "type A keeps the centre pixel" in centre_message


# --- unusable functions and return values ---------------------------------------------


def raises(kernel_size, mask_type):
    raise RuntimeError("boom")


def unfinished(kernel_size, mask_type):
    mask = ...  # TODO
    mask[kernel_size // 2 + 1 :] = 0
    return mask


def wrong_list(kernel_size, mask_type):
    return [[1, 1], [1, 0]]


def halves(kernel_size, mask_type):
    return 0.5 * np.ones((kernel_size, kernel_size))


def kernel_axes(kernel_size, mask_type):
    return pixelcnn_mask(kernel_size, mask_type)[:, :, None, None]


def flat(kernel_size, mask_type):
    return pixelcnn_mask(kernel_size, mask_type).ravel()


def fixed_size(kernel_size, mask_type):
    return pixelcnn_mask(3, mask_type)


def no_return(kernel_size, mask_type):
    pixelcnn_mask(kernel_size, mask_type)


def blank_return(kernel_size, mask_type):
    mask = ...  # TODO
    return mask


def text(kernel_size, mask_type):
    return "mask"


def ragged(kernel_size, mask_type):
    return [[1] * (row + 1) for row in range(kernel_size)]


@pytest.mark.parametrize(
    ("mask_fn", "words"),
    [
        (raises, ["raises(1, 'A') raised RuntimeError: boom", "in a cell of its own"]),
        (unfinished, ["unfinished(1, 'A') raised TypeError", "'# TODO' blanks"]),
        (
            wrong_list,
            ["wrong_list(1, 'A') returned a list of shape (2, 2)", "shape (1, 1)"],
        ),
        (
            halves,
            ["halves(1, 'A') returned values other than 0 and 1 (0.5)", "in between"],
        ),
        (kernel_axes, ["shape (1, 1, 1, 1)", "adds the two channel axes itself"]),
        (flat, ["flat(1, 'A') returned an array of shape (1,)", "np.reshape"]),
        (fixed_size, ["returned an array of shape (3, 3)", "kernel_size argument"]),
        (no_return, ["returned None", "forget the return statement"]),
        (blank_return, ["returned ... (Ellipsis)", "'# TODO' blanks"]),
        (text, ["returned str 'mask'", "a NumPy array of shape (1, 1)"]),
        (
            ragged,
            [
                "ragged(3, 'A') returned list [[1], [1, 1], [1, 1, 1]], whose rows "
                "do not all have the same length,"
            ],
        ),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_unusable_functions_are_reported_not_crashed_on(mask_fn, words):
    result = run(mask_fn)
    assert not result.passed
    (message,) = result.messages
    for word in words:
        assert word in message, message


def test_a_mask_that_lets_a_pixel_see_itself_fails_the_gradient_run():
    # Never reached through the check (the masks are compared first): the
    # gradient run itself must catch an output that sees the present.
    masks = {(k, t): np.ones((k, k)) for k in (1, 3, 5, 7) for t in ("A", "B")}
    report = mask_check._Report("check_pixelcnn_mask", "ones")
    mask_check._check_masked_gradient(masks, report)
    (message,) = report.messages
    assert "the output at pixel (3, 3) of a 7x7 image depends on 25 pixel(s)" in (
        message
    )
    assert "e.g. (3, 3)" in message


def test_the_gradient_run_finds_the_blind_spot():
    masks = {(k, t): pixelcnn_mask(k, t) for k in (1, 3, 5, 7) for t in ("A", "B")}
    gradient = mask_check._masked_gradient(masks)
    assert np.all(gradient[3, 3:] == 0) and np.all(gradient[4:] == 0)
    unseen = np.argwhere(gradient[:3] == 0).tolist()
    assert unseen and all(column > 3 for _, column in unseen)  # up and right


# --- reporting and arguments ---------------------------------------------------------


def test_raise_on_failure_raises_with_the_report():
    with pytest.raises(checks.ExerciseCheckError, match="transposed") as info:
        run(transposed, raise_on_failure=True)
    assert info.value.result.passed is False
    assert "check_pixelcnn_mask(transposed): 1 problem to fix" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"mask_fn": "pixelcnn_mask"}, TypeError, "mask_fn must be a function"),
        ({"mask_fn": None}, TypeError, "mask_fn must be a function"),
        ({"verbose": 1}, TypeError, "verbose must be True or False; got 1"),
        ({"raise_on_failure": "yes"}, TypeError, "raise_on_failure"),
    ],
    ids=lambda v: repr(v)[:40] if isinstance(v, dict) else None,
)
def test_check_pixelcnn_mask_rejects_bad_arguments(kwargs, error, match):
    arguments = {"mask_fn": pixelcnn_mask}
    arguments.update(kwargs)
    mask_fn = arguments.pop("mask_fn")
    with pytest.raises(error, match=match):
        checks.check_pixelcnn_mask(mask_fn, **arguments)
