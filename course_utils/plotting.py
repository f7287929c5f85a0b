"""Plotting helpers: images, image grids, reconstructions and training curves.

Every function draws with Matplotlib and returns the ``Figure`` it drew on, so a
notebook can show it (the last expression of a cell), save it with
``fig.savefig(...)`` or inspect it in a test; nothing calls ``plt.show()``.

Images are NumPy arrays (or anything ``np.asarray`` accepts, such as TensorFlow
tensors) with values in ``[0, 1]`` (``value_range="[0,1]"``, the scaling of
``course_utils.data``) or in ``[-1, 1]`` (``value_range="[-1,1]"``, the scaling
used with a ``tanh`` generator output). Images in ``[-1, 1]`` are mapped to
``[0, 1]`` for display, and the colour scale is fixed to ``[0, 1]`` so that the
intensities of an image are never stretched to fill the scale. Values outside
the declared range raise an error instead of being clipped.

Taught in ``notebooks/00_generative_modelling.ipynb`` (image grids) and
``notebooks/02_stacked_autoencoders.ipynb`` (reconstructions, training curves);
later notebooks reuse them.

Example:
    >>> import numpy as np
    >>> from course_utils import plotting
    >>> images = np.random.default_rng(0).uniform(size=(12, 28, 28))
    >>> fig = plotting.plot_image_grid(images, n_cols=6)
    >>> len(fig.axes)
    12
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.axes
import matplotlib.figure
import numpy as np
from matplotlib import pyplot as plt
from matplotlib import ticker
from numpy import typing as npt

if TYPE_CHECKING:
    import keras

#: The accepted values of the ``value_range`` arguments.
VALUE_RANGES = ("[0,1]", "[-1,1]")

# How far values may stray outside the declared range (rounding errors).
_TOLERANCE = 1e-3
_BOUNDS = {"[0,1]": (0.0, 1.0), "[-1,1]": (-1.0, 1.0)}
# Curves with at most this many epochs get markers (a 1-epoch line is a dot).
_MAX_EPOCHS_WITH_MARKERS = 30


def show_image(
    image: npt.ArrayLike,
    *,
    title: str | None = None,
    ax: matplotlib.axes.Axes | None = None,
    value_range: str = "[0,1]",
    cmap: str = "binary",
) -> matplotlib.figure.Figure:
    """Show one image, grayscale or RGB.

    Args:
        image: One image of shape ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)``,
            with a numeric dtype and values in ``value_range``.
        title: Title drawn above the image.
        ax: Axes to draw on; by default a new figure is created.
        value_range: ``"[0,1]"`` or ``"[-1,1]"``, the range the pixel values
            lie in. Images in ``[-1, 1]`` are shown mapped to ``[0, 1]``.
        cmap: Matplotlib colormap for grayscale images (ignored for RGB). With
            ``"binary"`` 0 is white and 1 is black, so Fashion-MNIST garments
            appear dark on a white background.

    Returns:
        The figure drawn on (``ax.figure`` when ``ax`` is given).

    Raises:
        TypeError: If ``image`` is not numeric or ``ax`` is not a Matplotlib
            ``Axes``.
        ValueError: If ``image`` is empty, has the wrong shape or values outside
            ``value_range``, or ``value_range`` is unknown.

    Example:
        >>> import numpy as np
        >>> fig = show_image(np.eye(28), title="diagonal")
        >>> fig.axes[0].get_title()
        'diagonal'
    """
    array = _check_images(image, name="image", value_range=value_range, batch=False)
    if ax is None:
        fig, ax = plt.subplots(figsize=(3, 3), layout="constrained")
    elif not isinstance(ax, matplotlib.axes.Axes):
        raise TypeError(
            f"ax must be a matplotlib Axes or None; got {type(ax).__name__}"
        )
    else:
        fig = ax.figure
    _draw_image(ax, _to_display(array, value_range), cmap=cmap)
    if title is not None:
        ax.set_title(title)
    return fig


def plot_image_grid(
    images: npt.ArrayLike,
    *,
    titles: Sequence[str] | None = None,
    n_cols: int = 10,
    value_range: str = "[0,1]",
    cmap: str = "binary",
    image_size: float = 1.2,
    suptitle: str | None = None,
) -> matplotlib.figure.Figure:
    """Show a batch of images in a grid, row by row.

    Args:
        images: A batch of shape ``(N, H, W)``, ``(N, H, W, 1)`` or
            ``(N, H, W, 3)``, with a numeric dtype and values in
            ``value_range``.
        titles: One title per image (for example class names), or ``None``.
        n_cols: Maximum number of images per row; a batch smaller than
            ``n_cols`` fills a single row.
        value_range: ``"[0,1]"`` or ``"[-1,1]"``, the range the pixel values
            lie in. Images in ``[-1, 1]`` are shown mapped to ``[0, 1]``.
        cmap: Matplotlib colormap for grayscale images (ignored for RGB).
        image_size: Width and height of each image in inches.
        suptitle: Title of the whole figure.

    Returns:
        The new figure. Its axes that hold no image (at the end of the last
        row) are hidden.

    Raises:
        TypeError: If ``images`` is not numeric, ``titles`` is not a sequence,
            or ``n_cols`` is not an integer.
        ValueError: If ``images`` is empty, has the wrong shape or values
            outside ``value_range``, ``titles`` does not have one entry per
            image, ``n_cols`` or ``image_size`` is not positive, or
            ``value_range`` is unknown.

    Example:
        >>> import numpy as np
        >>> images = np.zeros((3, 28, 28))
        >>> fig = plot_image_grid(images, titles=["a", "b", "c"], n_cols=2)
        >>> [ax.get_title() for ax in fig.axes if ax.get_visible()]
        ['a', 'b', 'c']
    """
    array = _check_images(images, name="images", value_range=value_range)
    n_images = len(array)
    if titles is not None:
        if isinstance(titles, str) or not isinstance(titles, Sequence):
            raise TypeError(
                "titles must be a sequence of strings (one per image) or None; "
                f"got {type(titles).__name__}"
            )
        if len(titles) != n_images:
            raise ValueError(
                f"titles must have one entry per image ({n_images}); "
                f"got {len(titles)} titles"
            )
    _check_positive_int(n_cols, name="n_cols")
    if isinstance(image_size, bool) or not isinstance(image_size, int | float):
        raise TypeError(
            f"image_size must be a positive number of inches; got {image_size!r}"
        )
    if not image_size > 0:
        raise ValueError(
            f"image_size must be a positive number of inches; got {image_size!r}"
        )

    n_cols = min(n_cols, n_images)
    n_rows = math.ceil(n_images / n_cols)
    title_height = 0.25 if titles is not None else 0.0
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(
            n_cols * image_size,
            n_rows * (image_size + title_height) + (0.4 if suptitle else 0.0),
        ),
        squeeze=False,
        layout="constrained",
    )
    display = _to_display(array, value_range)
    for index, ax in enumerate(axes.flat):
        if index >= n_images:
            ax.set_visible(False)
            continue
        _draw_image(ax, display[index], cmap=cmap)
        if titles is not None:
            ax.set_title(str(titles[index]), fontsize="small")
    if suptitle is not None:
        fig.suptitle(suptitle)
    return fig


def plot_reconstructions(
    originals: npt.ArrayLike,
    reconstructions: npt.ArrayLike,
    *,
    n_images: int = 10,
    value_range: str = "[0,1]",
    cmap: str = "binary",
    row_titles: Sequence[str] = ("original", "reconstruction"),
) -> matplotlib.figure.Figure:
    """Show images above their reconstructions by an autoencoder.

    Args:
        originals: A batch of shape ``(N, H, W)``, ``(N, H, W, 1)`` or
            ``(N, H, W, 3)`` with values in ``value_range``.
        reconstructions: The autoencoder's outputs for ``originals``, of the
            same shape.
        n_images: How many of the first pairs to show (one column each).
        value_range: ``"[0,1]"`` or ``"[-1,1]"``, the range the pixel values
            lie in. Images in ``[-1, 1]`` are shown mapped to ``[0, 1]``.
        cmap: Matplotlib colormap for grayscale images (ignored for RGB).
        row_titles: The labels of the two rows, drawn left of each row.

    Returns:
        The new figure, with ``2 * n_images`` axes: originals in the top row,
        reconstructions in the bottom row.

    Raises:
        TypeError: If the images are not numeric, ``n_images`` is not an
            integer or ``row_titles`` is not a sequence.
        ValueError: If the images are empty, have the wrong shape or values
            outside ``value_range``, the two shapes differ, ``n_images`` is
            not between 1 and the number of images, ``row_titles`` does not
            have two entries, or ``value_range`` is unknown.

    Example:
        >>> import numpy as np
        >>> originals = np.zeros((5, 28, 28))
        >>> fig = plot_reconstructions(originals, originals + 0.5, n_images=3)
        >>> len(fig.axes)
        6
    """
    originals = _check_images(originals, name="originals", value_range=value_range)
    reconstructions = _check_images(
        reconstructions, name="reconstructions", value_range=value_range
    )
    if reconstructions.shape != originals.shape:
        raise ValueError(
            "reconstructions must have the same shape as originals "
            f"{originals.shape}; got shape {reconstructions.shape}"
        )
    _check_positive_int(n_images, name="n_images")
    if n_images > len(originals):
        raise ValueError(
            f"n_images must be at most the number of images ({len(originals)}); "
            f"got {n_images}"
        )
    if isinstance(row_titles, str) or not isinstance(row_titles, Sequence):
        raise TypeError(
            "row_titles must be a sequence of two strings (top row, bottom row); "
            f"got {type(row_titles).__name__}"
        )
    if len(row_titles) != 2:
        raise ValueError(
            "row_titles must be a sequence of two strings (top row, bottom row); "
            f"got {len(row_titles)} titles: {list(row_titles)!r}"
        )

    fig, axes = plt.subplots(
        2, n_images, figsize=(1.2 * n_images + 1.2, 2.6), layout="constrained"
    )
    axes = np.reshape(axes, (2, n_images))
    for row, batch in enumerate((originals, reconstructions)):
        display = _to_display(batch[:n_images], value_range)
        for column in range(n_images):
            _draw_image(axes[row, column], display[column], cmap=cmap)
        # With the axis turned off, a y label would not be drawn: use a text.
        axes[row, 0].text(
            -0.08,
            0.5,
            str(row_titles[row]),
            transform=axes[row, 0].transAxes,
            horizontalalignment="right",
            verticalalignment="center",
        )
    return fig


def plot_history(
    history: keras.callbacks.History | Mapping[str, Sequence[float]],
    *,
    metrics: Sequence[str] | str | None = None,
    title: str | None = None,
) -> matplotlib.figure.Figure:
    """Plot training curves, one subplot per metric.

    Args:
        history: What ``model.fit()`` returns (a ``keras.callbacks.History``),
            or a dict mapping metric names to one value per epoch, such as
            ``{"loss": [0.3, 0.2], "val_loss": [0.35, 0.3]}``.
        metrics: The metric names to plot, in order. By default every name
            without a ``val_`` prefix. The validation curve ``val_<name>`` is
            drawn on the same subplot when ``history`` has it.
        title: Title of the whole figure.

    Returns:
        The new figure, with one subplot per metric (at most three per row),
        the epoch (starting at 1) on the x axis and a legend on each subplot.

    Raises:
        TypeError: If ``history`` is neither a ``History`` nor a dict, its
            values are not sequences of numbers, or ``metrics`` is not a
            sequence of names.
        ValueError: If ``history`` or one of its curves is empty, or
            ``metrics`` is empty or names a metric that ``history`` lacks.

    Example:
        >>> fig = plot_history({"loss": [0.3, 0.2], "val_loss": [0.35, 0.3]})
        >>> [line.get_label() for line in fig.axes[0].get_lines()]
        ['training', 'validation']
    """
    curves = _check_history(history)
    if metrics is None:
        metrics = [
            name
            for name in curves
            if not name.startswith("val_") or name[len("val_") :] not in curves
        ]
    else:
        if isinstance(metrics, str):
            metrics = [metrics]
        if not isinstance(metrics, Sequence):
            raise TypeError(
                "metrics must be a metric name, a list of metric names or None; "
                f"got {type(metrics).__name__}"
            )
        unknown = [name for name in metrics if name not in curves]
        if not metrics or unknown:
            raise ValueError(
                "metrics must be a non-empty list of names recorded in history "
                f"{list(curves)}; got {list(metrics)!r}"
                + (f", where {unknown!r} are unknown" if unknown else "")
            )

    n_cols = min(3, len(metrics))
    n_rows = math.ceil(len(metrics) / n_cols)
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(4.5 * n_cols, 3.2 * n_rows + (0.4 if title else 0.0)),
        squeeze=False,
        layout="constrained",
    )
    for index, ax in enumerate(axes.flat):
        if index >= len(metrics):
            ax.set_visible(False)
            continue
        name = metrics[index]
        labelled = [(name, "training")]
        if f"val_{name}" in curves:
            labelled.append((f"val_{name}", "validation"))
        for key, label in labelled:
            values = curves[key]
            ax.plot(
                np.arange(1, len(values) + 1),
                values,
                marker="o" if len(values) <= _MAX_EPOCHS_WITH_MARKERS else None,
                markersize=3,
                label=label,
            )
        ax.set_title(name)
        ax.set_xlabel("epoch")
        if max(len(curves[key]) for key, _ in labelled) == 1:
            ax.set_xticks([1])  # The integer locator would fall back to fractions.
        else:
            ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    if title is not None:
        fig.suptitle(title)
    return fig


def _check_images(
    images: Any, *, name: str, value_range: str, batch: bool = True
) -> np.ndarray:
    """Return ``images`` as a float array after checking shape, dtype and range."""
    if value_range not in VALUE_RANGES:
        raise ValueError(
            f"value_range must be one of {', '.join(map(repr, VALUE_RANGES))}; "
            f"got {value_range!r}"
        )
    try:
        array = np.asarray(images)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be an array of numbers; got {type(images).__name__} "
            f"that NumPy cannot convert ({error})"
        ) from error
    if not (
        np.issubdtype(array.dtype, np.integer)
        or np.issubdtype(array.dtype, np.floating)
    ):
        raise TypeError(
            f"{name} must have a numeric dtype (integer or float); got {array.dtype}"
        )
    prefix = ("N",) if batch else ()
    shapes = [(*prefix, "H", "W"), (*prefix, "H", "W", 1), (*prefix, "H", "W", 3)]
    n_spatial = len(prefix) + 2
    if array.ndim not in (n_spatial, n_spatial + 1) or (
        array.ndim == n_spatial + 1 and array.shape[-1] not in (1, 3)
    ):
        accepted = ", ".join(_format_shape(shape) for shape in shapes[:2])
        raise ValueError(
            f"{name} must have shape {accepted} or {_format_shape(shapes[2])}; "
            f"got shape {array.shape}"
        )
    if array.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {array.shape}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must not contain NaN or infinite values")
    low, high = float(array.min()), float(array.max())
    if not _within(low, high, value_range):
        (other,) = (other for other in VALUE_RANGES if other != value_range)
        if _within(low, high, other):
            advice = f"pass value_range={other!r} for images scaled to {other}"
        else:
            advice = (
                f"rescale them to {VALUE_RANGES[0]} or {VALUE_RANGES[1]} first "
                "(for example divide uint8 pixels by 255)"
            )
        raise ValueError(
            f"{name} has values in [{low:.4g}, {high:.4g}], outside "
            f"value_range={value_range!r}; {advice}"
        )
    return array


def _within(low: float, high: float, value_range: str) -> bool:
    """Whether ``[low, high]`` lies in ``value_range``, up to the tolerance."""
    lower, upper = _BOUNDS[value_range]
    return low >= lower - _TOLERANCE and high <= upper + _TOLERANCE


def _format_shape(shape: tuple[Any, ...]) -> str:
    """Format a symbolic shape such as ``(N, H, W, 1)``."""
    return f"({', '.join(map(str, shape))})"


def _to_display(images: np.ndarray, value_range: str) -> np.ndarray:
    """Map checked images to ``[0, 1]`` and drop a single channel axis."""
    if value_range == "[-1,1]":
        images = (images + 1.0) / 2.0
    if images.shape[-1] == 1:
        images = images[..., 0]
    # Only values within the tolerance can be outside [0, 1] at this point.
    return np.clip(images, 0.0, 1.0)


def _draw_image(ax: matplotlib.axes.Axes, image: np.ndarray, *, cmap: str) -> None:
    """Draw one display-ready image with a fixed [0, 1] scale and no axis."""
    ax.imshow(image, cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()


def _check_positive_int(value: Any, *, name: str) -> None:
    """Raise unless ``value`` is an integer of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer >= 1; got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}")


def _check_history(history: Any) -> dict[str, np.ndarray]:
    """Return the curves of a ``History`` or dict as 1-D float arrays."""
    if isinstance(getattr(history, "history", None), Mapping):
        history = history.history
    if not isinstance(history, Mapping):
        raise TypeError(
            "history must be a keras.callbacks.History (what model.fit() "
            "returns) or a dict {metric name: list of floats}; "
            f"got {type(history).__name__}"
        )
    if not history:
        raise ValueError(
            "history must record at least one metric; got an empty history "
            "(was the model trained?)"
        )
    curves = {}
    for name, values in history.items():
        try:
            curve = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"history[{name!r}] must be a list of floats; got {values!r}"
            ) from error
        if curve.ndim != 1 or curve.size == 0:
            raise ValueError(
                f"history[{name!r}] must be a non-empty list of floats (one per "
                f"epoch); got {values!r}"
            )
        curves[str(name)] = curve
    return curves
