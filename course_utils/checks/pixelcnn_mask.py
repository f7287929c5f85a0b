"""The check of the PixelCNN mask exercise (notebook 10).

:func:`check_pixelcnn_mask`: "write the mask of a PixelCNN masked
convolution", the exercise of ``notebooks/10_tractable_density_models.ipynb``:
the masks of kernel sizes 1, 3, 5 and 7, types A and B, against
:func:`course_utils.models.autoregressive.pixelcnn_mask` (naming the usual
mistakes), then a gradient through a small stack of convolutions masked with
them, which shows that a pixel's output sees only the pixels before it.
"""

from __future__ import annotations

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

__all__ = ["check_pixelcnn_mask"]

# The calls of the check: every kernel size with both types.
_MASK_KERNEL_SIZES = (1, 3, 5, 7)
_MASK_TYPES = ("A", "B")
# The gradient run: a 7x7 image through 3 convolutions masked with the
# learner's masks (type A, 5x5, then type B, 3x3, twice), each with
# _GRADIENT_FILTERS channels and a tanh between them; the gradient of the
# output at the centre pixel with respect to every input pixel.
_GRADIENT_IMAGE_SIZE = 7
_GRADIENT_LAYERS = ((5, "A"), (3, "B"), (3, "B"))
_GRADIENT_FILTERS = 4

# The usual mistakes, in the order they are reported: (region, text). A
# region of a (k, k) mask with centre c: "below" the rows > c, "right" the
# centre row's columns > c, "centre" mask[c, c], "above" the rows < c, "left"
# the centre row's columns < c.
_MASK_MISTAKES = (
    (
        "below",
        "it keeps weights in the rows below the centre. Those rows hold pixels "
        "generated later (the order is row by row, from the top), so the output "
        "at a pixel would see the future: zero every row below the centre, "
        "mask[centre + 1:, :] = 0",
    ),
    (
        "right",
        "it keeps weights right of the centre in the centre row. Those pixels "
        "come later in the same row (the order is left to right), so the output "
        "at a pixel would see the future: zero them, mask[centre, centre + 1:] = 0",
    ),
    (
        "centre A",
        "type A keeps the centre pixel. Type A is the mask of the first layer, "
        "whose input is the image itself: with the centre weight, the output at "
        "a pixel sees the very pixel it must predict, and the model learns to "
        "copy it instead of predicting it. Type A zeroes the centre too: "
        "mask[centre, centre] = 0",
    ),
    (
        "centre B",
        "type B drops the centre pixel. Type B is the mask of the later layers, "
        "whose feature at a pixel only holds information about the pixels before "
        "it, so it may (and should) see its own position: keep "
        "mask[centre, centre] = 1 for type B; only type A zeroes it",
    ),
    (
        "above",
        "it zeroes weights in the rows above the centre. Those rows hold pixels "
        "generated earlier, which the model needs to predict the pixel: keep "
        "them, mask[:centre, :] = 1",
    ),
    (
        "left",
        "it zeroes weights left of the centre in the centre row. Those pixels "
        "come earlier in the same row: keep them, mask[centre, :centre] = 1",
    ),
)
_TRANSPOSED = (
    "the mask is transposed: it keeps the columns left of the centre and the "
    "pixels above the centre in its column, instead of the ROWS above the centre "
    "and the pixels left of the centre in its row. A kernel is indexed "
    "mask[row, column] and the pixels are generated row by row: zero the rows "
    "below with mask[centre + 1:, :] = 0, then the end of the centre row with "
    "mask[centre, centre:] = 0 (type A) or mask[centre, centre + 1:] = 0 (type B)"
)
_ALL_KEPT = (
    "it keeps every weight (the mask is all ones): that is an ordinary "
    "convolution, whose output at a pixel sees that pixel and the pixels after "
    "it, so the model could copy the answer instead of predicting it. Zero the "
    "rows below the centre, the pixels right of the centre in its row, and, for "
    "type A, the centre itself"
)
_NONE_KEPT = (
    "it keeps no weight (the mask is all zeros): the convolution sees nothing "
    "and its output is only the bias. Keep the rows above the centre and the "
    "pixels left of the centre in its row (and, for type B, the centre itself)"
)


def _mask_output(returned: Any, call: str, kernel_size: int, report: _Report):
    """The learner's mask as a float64 array; a fatal problem if it is unusable."""
    expected_shape = (kernel_size, kernel_size)
    what = (
        f"the mask, a NumPy array of shape {expected_shape} holding 0s and 1s "
        "(e.g. np.ones((kernel_size, kernel_size)) with the weights to remove set "
        "to 0)"
    )
    if returned is None:
        report.fatal(
            f"{call} returned None: it must return {what}. Did you forget the "
            "return statement?"
        )
    if returned is Ellipsis:
        report.fatal(
            f"{call} returned ... (Ellipsis): some '# TODO' blanks look empty. Fill "
            "them in first."
        )
    try:
        if isinstance(returned, (str, bytes, dict, set)):
            raise TypeError(type(returned).__name__)
        array = np.asarray(returned, dtype=np.float64)
    except (TypeError, ValueError):
        ragged = (
            ", whose rows do not all have the same length,"
            if isinstance(returned, (list, tuple))
            and all(isinstance(row, (list, tuple)) for row in returned)
            else ""
        )
        report.fatal(
            f"{call} returned {type(returned).__name__} {_describe(returned)}"
            f"{ragged}: it must return {what}."
        )
    if array.shape != expected_shape:
        if isinstance(returned, (list, tuple)):
            kind = f"a {type(returned).__name__} of shape {array.shape}"
        elif array.ndim == 0:
            kind = f"the single number {_describe(returned)}"
        else:
            kind = f"an array of shape {array.shape}"
        if array.shape == (*expected_shape, 1, 1):
            advice = (
                " That is the shape a kernel is multiplied with, but the layer adds "
                "the two channel axes itself (mask[:, :, None, None]): return the "
                "mask alone."
            )
        elif array.size == kernel_size * kernel_size and array.ndim == 1:
            advice = " Make it square: np.reshape(mask, (kernel_size, kernel_size))."
        elif array.ndim == 2 and array.shape[0] == array.shape[1]:
            advice = (
                " Its size must follow the kernel_size argument, not a fixed "
                "number: np.ones((kernel_size, kernel_size))."
            )
        else:
            advice = ""
        report.fatal(
            f"{call} returned {kind}: the mask must have "
            f"the kernel's shape {expected_shape}.{advice}"
        )
    others = np.unique(array[~np.isin(array, (0.0, 1.0))])
    if others.size:
        listed = ", ".join(f"{value:g}" for value in others[:3])
        report.fatal(
            f"{call} returned values other than 0 and 1 ({listed}"
            f"{', ...' if others.size > 3 else ''}): a mask keeps a kernel weight "
            "(1) or removes it (0), nothing in between. Start from "
            "np.ones((kernel_size, kernel_size)) and set the weights to remove "
            "to 0."
        )
    return array


def _call_mask_fn(
    mask_fn: Callable, name: str, kernel_size: int, mask_type: str, report: _Report
) -> np.ndarray:
    call = f"{name}({kernel_size}, {mask_type!r})"
    try:
        returned = mask_fn(kernel_size, mask_type)
    except Exception as error:  # the learner's code: report whatever it raised
        report.fatal(_raised(mask_fn, call, error))
    return _mask_output(returned, call, kernel_size, report)


def _regions(mask: np.ndarray, mask_type: str) -> dict[str, bool]:
    """Whether each region of ``mask`` holds what a PixelCNN mask needs."""
    centre = len(mask) // 2
    row = mask[centre]
    return {
        "below": not mask[centre + 1 :].any(),
        "right": not row[centre + 1 :].any(),
        "centre A": mask_type != "A" or row[centre] == 0,
        "centre B": mask_type != "B" or row[centre] == 1,
        "above": bool(mask[:centre].all()),
        "left": bool(row[:centre].all()),
    }


def _example_order(key: tuple[int, str]) -> tuple:
    """Examples are shown on the smallest kernel larger than 1 where possible."""
    kernel_size, mask_type = key
    return (kernel_size == 1, kernel_size, mask_type)


def _wrong_regions(masks: dict) -> dict[str, tuple[int, str]]:
    """{region: the first (kernel_size, mask_type) where it is wrong}."""
    wrong: dict[str, tuple[int, str]] = {}
    for key in sorted(masks, key=_example_order):
        for region, right in _regions(masks[key], key[1]).items():
            if not right:
                wrong.setdefault(region, key)
    return wrong


def _mask_mistakes(masks: dict, expected: dict) -> list[tuple[str, tuple[int, str]]]:
    """(diagnosis, example (kernel_size, mask_type)) of each mistake found."""
    larger = [key for key in sorted(masks, key=_example_order) if key[0] > 1]
    if all(masks[key].all() for key in larger):
        return [(_ALL_KEPT, larger[0])]
    if not any(masks[key].any() for key in larger):
        return [(_NONE_KEPT, larger[0])]
    wrong = _wrong_regions(masks)
    centre = {"centre A", "centre B"}
    transposed = _wrong_regions({key: mask.T for key, mask in masks.items()})
    if set(transposed) <= centre and not set(wrong) <= centre:
        # Right once transposed, up to the centre (which a transpose keeps).
        example = next(
            (
                key
                for key in larger
                if not np.array_equal(masks[key], expected[key])
                and not np.array_equal(masks[key].T, masks[key])
            ),
            larger[0],
        )
        return [(_TRANSPOSED, example)] + [
            (text, wrong[region])
            for region, text in _MASK_MISTAKES
            if region in transposed
        ]
    return [(text, wrong[region]) for region, text in _MASK_MISTAKES if region in wrong]


def _rows(mask: np.ndarray) -> str:
    return str(mask.astype(int).tolist())


def _check_masks(masks: dict, expected: dict, name: str, report: _Report) -> None:
    if all(np.array_equal(masks[key], expected[key]) for key in masks):
        sizes = ", ".join(map(str, _MASK_KERNEL_SIZES))
        report.note(
            f"the masks match the package's (pixelcnn_mask) for kernel sizes "
            f"{sizes}, types A and B"
        )
        return
    shown = set()
    for text, key in _mask_mistakes(masks, expected):
        call = f"{name}({key[0]}, {key[1]!r})"
        if key in shown:  # the masks were printed with an earlier problem
            report.problem(f"In the mask of {call} too, {text}.")
            continue
        shown.add(key)
        report.problem(
            f"{call} returned {_rows(masks[key])}, and the type {key[1]} mask is "
            f"{_rows(expected[key])}: {text}."
        )


def _masked_gradient(masks: dict) -> np.ndarray:
    """|d output(centre) / d input| through convolutions masked with ``masks``."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    size = _GRADIENT_IMAGE_SIZE
    channels = [1] + [_GRADIENT_FILTERS] * (len(_GRADIENT_LAYERS) - 1) + [1]
    kernels = []
    for (kernel_size, mask_type), n_in, n_out in zip(
        _GRADIENT_LAYERS, channels[:-1], channels[1:], strict=True
    ):
        weights = rng.standard_normal((kernel_size, kernel_size, n_in, n_out))
        mask = masks[(kernel_size, mask_type)][:, :, None, None]
        kernels.append(tf.constant((weights * mask).astype(np.float32)))
    image = tf.constant(rng.uniform(0, 1, (1, size, size, 1)).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(image)
        x = image
        for index, kernel in enumerate(kernels):
            if index:
                x = tf.tanh(x)
            x = tf.nn.conv2d(x, kernel, strides=1, padding="SAME")
        output = x[0, size // 2, size // 2, 0]
    return np.abs(tape.gradient(output, image).numpy()[0, :, :, 0])


def _check_masked_gradient(masks: dict, report: _Report) -> None:
    size = _GRADIENT_IMAGE_SIZE
    centre = size // 2
    gradient = _masked_gradient(masks)
    order = np.arange(size * size).reshape(size, size)
    later = order >= order[centre, centre]
    layers = ", ".join(f"type {t} {k}x{k}" for k, t in _GRADIENT_LAYERS)
    where = (
        f"Through {len(_GRADIENT_LAYERS)} convolutions masked with your masks "
        f"({layers}), the output at pixel ({centre}, {centre}) of a {size}x{size} "
        "image"
    )
    leaks = [
        tuple(int(i) for i in pixel) for pixel in np.argwhere(later & (gradient > 0))
    ]
    if leaks:
        report.problem(
            f"{where} depends on {len(leaks)} pixel(s) that come at or after it "
            f"in raster order, e.g. {leaks[0]} (its gradient there is "
            f"{gradient[leaks[0]]:.3g}, not 0): a PixelCNN would see what it must "
            "predict."
        )
        return
    seen = int(np.count_nonzero(gradient[~later]))
    blind = int(np.count_nonzero(~later)) - seen
    blind_spot = (
        f" (the {blind} earlier pixel{'s' if blind > 1 else ''} it does not see "
        f"{'are' if blind > 1 else 'is'} PixelCNN's blind spot, up and to the right)"
        if blind
        else ""
    )
    report.note(
        f"{where[0].lower()}{where[1:]} has a zero gradient with respect to that "
        f"pixel and the {int(later.sum()) - 1} after it, and a nonzero one with "
        f"respect to {seen} earlier pixels: it depends only on the past"
        f"{blind_spot}"
    )


def check_pixelcnn_mask(
    mask_fn: Callable,
    *,
    verbose: bool = True,
    raise_on_failure: bool = False,
) -> CheckResult:
    """Check the exercise "write the mask of a PixelCNN convolution" of notebook 10.

    ``mask_fn(kernel_size, mask_type)`` returns the (kernel_size,
    kernel_size) array of 0s and 1s that a PixelCNN multiplies a
    convolution's kernel with: the rows above the centre kept, the rows
    below zeroed; in the centre row the pixels left of the centre kept, the
    ones right of it zeroed, and the centre itself kept only for type
    ``"B"``. The check verifies, in this order, and explains every problem
    in plain words:

    1. for kernel sizes 1, 3, 5, 7 and both types, the function runs and
       returns an array (a NumPy array, a nested list...) of shape
       (kernel_size, kernel_size) holding only 0s and 1s (True and False
       will do);
    2. the masks equal
       :func:`course_utils.models.autoregressive.pixelcnn_mask`'s. When they
       do not, the usual mistakes are named, each with an example: the
       centre kept in type A, the centre dropped in type B, rows below the
       centre kept, pixels right of the centre kept, rows above or pixels
       left of it zeroed, the mask transposed (columns instead of rows),
       every weight kept, none kept;
    3. if step 2 found no problem: through three convolutions masked with
       the learner's masks (type A 5x5, then type B 3x3 twice, random
       weights), the gradient of the output at the centre of a 7x7 image is
       0 with respect to that pixel and every later one (raster order), and
       not 0 with respect to earlier ones.

    Args:
        mask_fn: The learner's function, called as ``mask_fn(kernel_size,
            mask_type)`` with ``mask_type`` ``"A"`` or ``"B"``.
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
        TypeError: If ``mask_fn`` is not callable, or ``verbose`` or
            ``raise_on_failure`` is not a bool.

    Example:
        >>> from course_utils.models.autoregressive import pixelcnn_mask
        >>> check_pixelcnn_mask(pixelcnn_mask).passed
        check_pixelcnn_mask(pixelcnn_mask): passed: ...
        True
        >>> def my_pixelcnn_mask(kernel_size, mask_type):
        ...     return np.ones((kernel_size, kernel_size))
        >>> print(check_pixelcnn_mask(my_pixelcnn_mask))
        check_pixelcnn_mask(my_pixelcnn_mask): 1 problem to fix
          1. my_pixelcnn_mask(3, 'A') returned [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
          and the type A mask is [[1, 1, 1], [1, 0, 0], [0, 0, 0]]: it keeps
          every weight (the mask is all ones): ...
    """
    if not callable(mask_fn):
        raise TypeError(
            "mask_fn must be a function called as mask_fn(kernel_size, mask_type); "
            f"got {type(mask_fn).__name__}"
        )
    for argument, value in (
        ("verbose", verbose),
        ("raise_on_failure", raise_on_failure),
    ):
        if not isinstance(value, bool):
            raise TypeError(f"{argument} must be True or False; got {value!r}")

    name = _function_name(mask_fn)
    report = _Report("check_pixelcnn_mask", name)
    try:
        masks = {
            (kernel_size, mask_type): _call_mask_fn(
                mask_fn, name, kernel_size, mask_type, report
            )
            for kernel_size in _MASK_KERNEL_SIZES
            for mask_type in _MASK_TYPES
        }
        from course_utils.models import autoregressive

        expected = {key: autoregressive.pixelcnn_mask(*key) for key in masks}
        _check_masks(masks, expected, name, report)
        if not report.messages:
            _check_masked_gradient(masks, report)
    except _CheckStoppedError:
        pass
    result = report.result()
    if verbose and result.passed:
        print(
            f"check_pixelcnn_mask({name}): passed: your masks match the package's, "
            "and a pixel's output depends only on the pixels before it."
        )
    if raise_on_failure and not result.passed:
        raise ExerciseCheckError(result)
    return result
