"""Plotting helpers: images, reconstructions, training curves, latent spaces.

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

Taught in ``notebooks/00_generative_modelling.ipynb`` (image grids),
``notebooks/02_stacked_autoencoders.ipynb`` (reconstructions, training curves,
latent scatter), ``notebooks/03_conv_recurrent_autoencoders.ipynb`` (error
against latent size) and ``notebooks/04_denoising_sparse_autoencoders.ipynb``
(activation histograms, ROC curves); later notebooks reuse them.

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
import matplotlib.colors
import matplotlib.figure
import matplotlib.lines
import numpy as np
from matplotlib import pyplot as plt
from matplotlib import ticker
from numpy import typing as npt

from course_utils._arguments import integer, is_integer, is_number, number

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
    n_cols = integer("n_cols", n_cols, minimum=1)
    image_size = number("image_size", image_size, low=0, low_open=True)

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
    n_images = integer("n_images", n_images, minimum=1)
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


# --------------------------------------------------------------------------
# Latent spaces, sparsity, anomaly detection and model comparison
# --------------------------------------------------------------------------

# Colour maps for class labels: label i keeps the same colour in every plot.
_QUALITATIVE_CMAPS = ((10, "tab10"), (20, "tab20"))
# Thumbnails: shown at most this large (inches), and at least this far apart
# (as a fraction of the codings' extent) per 1 / sqrt(n_thumbnails).
_THUMBNAIL_MAX_INCHES = 0.45
_THUMBNAIL_SPACING = 0.6
# Latent sizes get one tick each when there are at most this many.
_MAX_SIZE_TICKS = 12


def plot_latent_scatter(
    codings: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    images: npt.ArrayLike | None = None,
    n_thumbnails: int = 0,
    class_names: Sequence[str] | None = None,
    value_range: str = "[0,1]",
    title: str | None = None,
    ax: matplotlib.axes.Axes | None = None,
) -> matplotlib.figure.Figure:
    """Scatter 2-D codings coloured by class, optionally with image thumbnails.

    Each point is one example's codings; its colour is its class label (label
    ``i`` always gets the same colour), and the legend names the classes.
    Points are drawn in the order given, so no class is systematically drawn
    on top of the others. With ``n_thumbnails > 0`` some points also show
    their image, chosen greedily in the order given: a point closer than a
    minimum distance to an image already drawn is skipped, so the thumbnails
    spread over the plot instead of piling up in dense regions. Codings with
    more than two dimensions must be projected first (for example with
    ``course_utils.metrics.fit_pca(codings, 2).transform(codings)``).

    Taught in ``notebooks/02_stacked_autoencoders.ipynb``.

    Args:
        codings: Array of shape ``(N, 2)`` of finite numbers.
        labels: Array of ``N`` non-negative integer class labels.
        images: The ``N`` images the codings come from, of shape
            ``(N, H, W)``, ``(N, H, W, 1)`` or ``(N, H, W, 3)`` with values
            in ``value_range``; required when ``n_thumbnails > 0``.
        n_thumbnails: The most thumbnails to draw (0 draws none). Fewer are
            drawn when the points are too close together.
        class_names: Names indexed by label. By default the Fashion-MNIST
            names (``course_utils.data.CLASS_NAMES``) when every label is
            between 0 and 9, otherwise the labels themselves.
        value_range: ``"[0,1]"`` or ``"[-1,1]"``, the range of the pixel
            values of ``images``.
        title: Title of the axes.
        ax: Axes to draw on; by default a new figure is created.

    Returns:
        The figure drawn on (``ax.figure`` when ``ax`` is given). The points
        are one scatter collection in the axes and each thumbnail is a
        ``matplotlib.offsetbox.AnnotationBbox`` in ``ax.artists``.

    Raises:
        TypeError: If ``codings``, ``labels`` or ``images`` has the wrong
            dtype, ``n_thumbnails`` is not an integer, ``class_names`` is not
            a sequence of strings, ``title`` is not a string or ``ax`` is not
            a Matplotlib ``Axes``.
        ValueError: If ``codings`` is not ``(N, 2)``, empty or not finite,
            ``labels`` or ``images`` does not have ``N`` entries, a label is
            negative, ``class_names`` has no name for a label,
            ``n_thumbnails`` is negative, ``images`` is missing while
            ``n_thumbnails > 0``, or ``value_range`` is unknown.

    Example:
        >>> import numpy as np
        >>> codings = np.random.default_rng(0).normal(size=(100, 2))
        >>> labels = np.arange(100) % 3
        >>> fig = plot_latent_scatter(codings, labels)
        >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
        ['T-shirt/top', 'Trouser', 'Pullover']
    """
    from matplotlib import offsetbox

    points = _check_points(codings, name="codings")
    n_points = len(points)
    label_array = _check_labels(labels, n_points)
    classes = np.unique(label_array)
    names = _class_names(class_names, classes)
    n_thumbnails = integer("n_thumbnails", n_thumbnails, minimum=0)
    if value_range not in VALUE_RANGES:
        raise ValueError(
            f"value_range must be one of {', '.join(map(repr, VALUE_RANGES))}; "
            f"got {value_range!r}"
        )
    if images is None:
        if n_thumbnails > 0:
            raise ValueError(
                f"images must be given to draw n_thumbnails={n_thumbnails} "
                "thumbnails (the images the codings come from); got images=None"
            )
        display = None
    else:
        checked = _check_images(images, name="images", value_range=value_range)
        if len(checked) != n_points:
            raise ValueError(
                f"images must have one image per point of codings ({n_points}); "
                f"got {len(checked)} images"
            )
        display = _to_display(checked, value_range)
    _check_optional_str(title, name="title")
    fig, ax = _figure_and_axes(ax, figsize=(7.5, 6.0))

    colours = _class_colours(classes)
    point_colours = np.array([colours[label] for label in label_array])
    size = float(np.clip(20000.0 / n_points, 3.0, 30.0))
    ax.scatter(
        points[:, 0],
        points[:, 1],
        c=point_colours,
        s=size,
        alpha=0.8 if n_points <= 1000 else 0.6,
        linewidths=0,
    )
    handles = [
        matplotlib.lines.Line2D(
            [], [], linestyle="", marker="o", color=colours[label], label=name
        )
        for label, name in zip(classes, names, strict=True)
    ]
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        frameon=False,
    )
    ax.set_xlabel("coding 1")
    ax.set_ylabel("coding 2")
    if title is not None:
        ax.set_title(title)

    if display is not None and n_thumbnails > 0:
        low, high = points.min(axis=0), points.max(axis=0)
        extent = np.where(high > low, high - low, 1.0)
        normalised = (points - low) / extent
        min_distance = _THUMBNAIL_SPACING / math.sqrt(n_thumbnails)
        width_inches = ax.get_position().width * fig.get_figwidth()
        size_inches = min(_THUMBNAIL_MAX_INCHES, 0.8 * min_distance * width_inches)
        zoom = size_inches * 72.0 / max(display.shape[1:3])
        chosen: list[int] = []
        for index in range(n_points):
            if len(chosen) == n_thumbnails:
                break
            if chosen:
                distances = np.linalg.norm(
                    normalised[chosen] - normalised[index], axis=1
                )
                if distances.min() < min_distance:
                    continue
            chosen.append(index)
        for index in chosen:
            thumbnail = offsetbox.OffsetImage(
                display[index],
                zoom=zoom,
                cmap="binary",
                norm=matplotlib.colors.Normalize(0.0, 1.0),
                interpolation="nearest",
            )
            ax.add_artist(
                offsetbox.AnnotationBbox(
                    thumbnail,
                    tuple(points[index]),
                    pad=0.1,
                    bboxprops={
                        "edgecolor": colours[label_array[index]],
                        "linewidth": 1.0,
                    },
                )
            )
    return fig


def plot_activation_histograms(
    activations: Mapping[str, npt.ArrayLike], *, bins: int = 20
) -> matplotlib.figure.Figure:
    """Compare coding-layer activations of several models, one row per model.

    The left panel is the histogram of every activation value (all examples,
    all units); the right panel is the histogram of each unit's mean
    activation over the examples. A sparse coding layer shows a tall bar near
    0 on the left (most units are off for a given example) while its units'
    means on the right sit near the sparsity target: each unit is on for only
    a few examples. Both columns share their x range across models, so the
    rows compare directly.

    Taught in ``notebooks/04_denoising_sparse_autoencoders.ipynb``.

    Args:
        activations: A dict ``{model name: activations}``, each an array of
            shape ``(N, units)`` of finite numbers (for example
            ``encoder.predict(images)``); the models may differ in ``N`` and
            ``units``.
        bins: Number of bins of every histogram.

    Returns:
        The new figure, with ``2 * len(activations)`` axes in rows of two.

    Raises:
        TypeError: If ``activations`` is not a dict of numeric arrays, a name
            is not a string, or ``bins`` is not an integer.
        ValueError: If ``activations`` is empty, an array is not 2-D, is
            empty or holds NaN or infinity, or ``bins`` is below 1.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> fig = plot_activation_histograms(
        ...     {"plain": rng.uniform(size=(50, 8)), "sparse": rng.beta(1, 9, (50, 8))}
        ... )
        >>> [ax.get_title() for ax in fig.axes[:2]]
        ['plain: all activations', 'plain: mean activation per unit']
    """
    if not isinstance(activations, Mapping):
        raise TypeError(
            "activations must be a dict {model name: array (N, units)}; "
            f"got {type(activations).__name__}"
        )
    if not activations:
        raise ValueError("activations must hold at least one model; got an empty dict")
    checked = {}
    for name, values in activations.items():
        if not isinstance(name, str):
            raise TypeError(
                f"activations must be keyed by model names (strings); got {name!r}"
            )
        array = _check_numeric_array(values, name=f"activations[{name!r}]")
        if array.ndim != 2 or array.size == 0:
            raise ValueError(
                f"activations[{name!r}] must be a non-empty array of shape "
                f"(N, units), one row per example; got shape {array.shape}"
            )
        checked[name] = array
    bins = integer("bins", bins, minimum=1)

    columns = (
        {name: array.ravel() for name, array in checked.items()},
        {name: array.mean(axis=0) for name, array in checked.items()},
    )
    fig, axes = plt.subplots(
        len(checked),
        2,
        figsize=(10.5, 2.4 * len(checked) + 0.4),
        squeeze=False,
        sharex="col",
        layout="constrained",
    )
    for column, (values_by_name, what, xlabel, ylabel) in enumerate(
        zip(
            columns,
            ("all activations", "mean activation per unit"),
            ("activation", "mean activation of a unit over the examples"),
            ("count (examples x units)", "count (units)"),
            strict=True,
        )
    ):
        low = min(float(values.min()) for values in values_by_name.values())
        high = max(float(values.max()) for values in values_by_name.values())
        if low == high:  # a constant layer: give its one bar a visible width
            low, high = low - 0.5, high + 0.5
        for row, (name, values) in enumerate(values_by_name.items()):
            ax = axes[row, column]
            ax.hist(
                values,
                bins=bins,
                range=(low, high),
                color=f"C{column}",
                edgecolor="white",
                linewidth=0.5,
            )
            ax.axvline(
                float(values.mean()),
                color="black",
                linestyle=":",
                linewidth=1.0,
                label=f"mean {values.mean():.3g}",
            )
            ax.set_xlim(low, high)
            ax.set_title(f"{name}: {what}", fontsize="medium")
            ax.set_ylabel(ylabel)
            ax.legend(loc="upper right", fontsize="small")
        axes[-1, column].set_xlabel(xlabel)
    return fig


def plot_roc_curve(
    labels: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    label: str | None = None,
    ax: matplotlib.axes.Axes | None = None,
) -> matplotlib.figure.Figure:
    """Plot the ROC curve of an anomaly score, with its AUC in the legend.

    The curve is :func:`course_utils.metrics.roc_curve` (false positive rate
    against true positive rate as the threshold on ``scores`` decreases) and
    the legend gives :func:`course_utils.metrics.roc_auc`. A dashed diagonal
    shows a detector that guesses. Pass the ``ax`` of an earlier call to add
    a curve to it and compare several models on one plot.

    Taught in ``notebooks/04_denoising_sparse_autoencoders.ipynb``, with
    per-image reconstruction errors as scores and a held-out class as the
    anomalies.

    Args:
        labels: 1-D array of 0 (normal) and 1 (anomaly); booleans are
            accepted. Both classes must be present.
        scores: 1-D array of finite scores, the same length as ``labels``;
            higher means more anomalous.
        label: Name of the curve in the legend (for example the model's
            name); the legend shows ``"<label> (AUC = 0.873)"``.
        ax: Axes to draw on, typically ``fig.axes[0]`` of an earlier call;
            by default a new figure is created.

    Returns:
        The figure drawn on (``ax.figure`` when ``ax`` is given).

    Raises:
        TypeError: If ``labels`` or ``scores`` is not numeric, ``label`` is
            not a string or ``ax`` is not a Matplotlib ``Axes``.
        ValueError: As :func:`course_utils.metrics.roc_curve`.

    Example:
        >>> fig = plot_roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.4, 0.8], label="AE")
        >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
        ['AE (AUC = 0.875)', 'chance (AUC = 0.5)']
    """
    from course_utils import metrics

    false_positive_rates, true_positive_rates, _ = metrics.roc_curve(labels, scores)
    auc = metrics.roc_auc(labels, scores)
    _check_optional_str(label, name="label")
    fig, ax = _figure_and_axes(ax, figsize=(4.8, 4.8))

    curve_label = f"AUC = {auc:.3f}" if label is None else f"{label} (AUC = {auc:.3f})"
    ax.plot(false_positive_rates, true_positive_rates, label=curve_label)
    chance = [line for line in ax.get_lines() if line.get_gid() == "chance"]
    if not chance:
        ax.plot(
            [0.0, 1.0],
            [0.0, 1.0],
            linestyle="--",
            color="gray",
            linewidth=1.0,
            label="chance (AUC = 0.5)",
            gid="chance",
        )
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(0.0, 1.0)
        ax.set_aspect("equal")
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.grid(alpha=0.3)
    # The curves in the order drawn, the chance line last.
    handles = [line for line in ax.get_lines() if line.get_gid() != "chance"]
    handles += [line for line in ax.get_lines() if line.get_gid() == "chance"]
    ax.legend(handles=handles, loc="lower right")
    return fig


def plot_error_vs_latent_size(
    results: Mapping[str, Mapping[int, float]],
    *,
    baseline: Mapping[int, float] | None = None,
    ylabel: str = "test MSE per pixel",
    title: str | None = None,
) -> matplotlib.figure.Figure:
    """Plot reconstruction error against latent size, one line per architecture.

    When every latent size is a power of two the x axis is logarithmic (base
    2), so 2, 4, 8, ... are evenly spaced; otherwise it is linear. Each latent
    size gets a tick. An optional baseline, usually PCA with as many
    components as codings, is drawn dashed.

    Taught in ``notebooks/03_conv_recurrent_autoencoders.ipynb``.

    Args:
        results: A dict ``{architecture name: {latent size: error}}``, for
            example ``{"dense": {2: 0.031, 8: 0.018}, "conv": {...}}``; the
            sizes may be given in any order.
        baseline: A dict ``{latent size: error}`` drawn dashed as "PCA".
        ylabel: Label of the y axis.
        title: Title of the figure.

    Returns:
        The new figure, with one axes holding one line per architecture (in
        the order of ``results``), then the baseline.

    Raises:
        TypeError: If ``results`` or ``baseline`` is not a dict of the form
            above, a name is not a string, a latent size is not an integer,
            an error is not a number, or ``ylabel`` or ``title`` is not a
            string.
        ValueError: If ``results`` or one of its curves is empty, a latent
            size is below 1, or an error is NaN or infinite.

    Example:
        >>> fig = plot_error_vs_latent_size(
        ...     {"dense": {2: 0.03, 8: 0.02, 32: 0.012}},
        ...     baseline={2: 0.04, 8: 0.025, 32: 0.013},
        ... )
        >>> [line.get_label() for line in fig.axes[0].get_lines()]
        ['dense', 'PCA']
        >>> fig.axes[0].get_xscale()
        'log'
    """
    if not isinstance(results, Mapping):
        raise TypeError(
            "results must be a dict {architecture name: {latent size: error}}; "
            f"got {type(results).__name__}"
        )
    if not results:
        raise ValueError("results must hold at least one architecture; got {}")
    curves = {}
    for name, curve in results.items():
        if not isinstance(name, str):
            raise TypeError(
                f"results must be keyed by architecture names (strings); got {name!r}"
            )
        curves[name] = _check_size_curve(curve, name=f"results[{name!r}]")
    reference = None
    if baseline is not None:
        reference = _check_size_curve(baseline, name="baseline")
    if not isinstance(ylabel, str):
        raise TypeError(f"ylabel must be a string; got {ylabel!r}")
    _check_optional_str(title, name="title")

    fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    for name, (sizes, errors) in curves.items():
        ax.plot(sizes, errors, marker="o", label=name)
    if reference is not None:
        ax.plot(
            *reference,
            linestyle="--",
            marker="s",
            markersize=4,
            color="gray",
            label="PCA",
        )
    drawn = [*curves.values(), *([] if reference is None else [reference])]
    all_sizes = sorted({int(size) for sizes, _ in drawn for size in sizes})
    if all(size & (size - 1) == 0 for size in all_sizes):
        ax.set_xscale("log", base=2)
        ax.xaxis.set_minor_locator(ticker.NullLocator())
    if len(all_sizes) <= _MAX_SIZE_TICKS:
        ax.set_xticks(all_sizes, labels=[str(size) for size in all_sizes])
    ax.set_xlabel("latent size (number of codings)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    if title is not None:
        ax.set_title(title)
    return fig


def _check_numeric_array(values: Any, *, name: str) -> np.ndarray:
    """Return ``values`` as a finite float array, or raise naming ``name``."""
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be an array of numbers; got {type(values).__name__} "
            f"that NumPy cannot convert ({error})"
        ) from error
    if not (
        np.issubdtype(array.dtype, np.integer)
        or np.issubdtype(array.dtype, np.floating)
    ):
        raise TypeError(
            f"{name} must have a numeric dtype (integer or float); got {array.dtype}"
        )
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must not contain NaN or infinite values")
    return array


def _check_points(codings: Any, *, name: str) -> np.ndarray:
    """Return 2-D codings of shape ``(N, 2)`` as a finite float array."""
    array = _check_numeric_array(codings, name=name)
    if array.ndim != 2 or array.shape[1] != 2:
        advice = (
            "; project them to 2-D first, for example with "
            "course_utils.metrics.fit_pca(codings, 2).transform(codings)"
            if array.ndim == 2 and array.shape[1] > 2
            else ""
        )
        raise ValueError(
            f"{name} must have shape (N, 2), one 2-D point per example; "
            f"got shape {array.shape}{advice}"
        )
    if len(array) == 0:
        raise ValueError(f"{name} must not be empty; got shape {array.shape}")
    return array


def _check_labels(labels: Any, n_points: int) -> np.ndarray:
    """Return ``n_points`` non-negative integer class labels as an int array."""
    try:
        array = np.asarray(labels)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"labels must be an array of integer class labels; got "
            f"{type(labels).__name__} that NumPy cannot convert ({error})"
        ) from error
    if not np.issubdtype(array.dtype, np.integer):
        raise TypeError(
            f"labels must be integer class labels; got an array of dtype {array.dtype}"
        )
    if array.shape != (n_points,):
        raise ValueError(
            f"labels must be a 1-D array with one label per point of codings "
            f"({n_points}); got shape {array.shape}"
        )
    if array.min() < 0:
        raise ValueError(
            f"labels must be non-negative class labels; got {int(array.min())}"
        )
    return array.astype(np.int64)


def _class_names(class_names: Any, classes: np.ndarray) -> list[str]:
    """Return the legend name of each class in ``classes`` (sorted labels)."""
    if class_names is None:
        if classes.max() < 10:
            from course_utils.data import CLASS_NAMES

            return [CLASS_NAMES[label] for label in classes]
        return [str(label) for label in classes]
    if isinstance(class_names, str) or not isinstance(class_names, Sequence):
        raise TypeError(
            "class_names must be a sequence of strings indexed by label, or None; "
            f"got {type(class_names).__name__}"
        )
    if any(not isinstance(name, str) for name in class_names):
        raise TypeError(
            f"class_names must be a sequence of strings; got {list(class_names)!r}"
        )
    if len(class_names) <= classes.max():
        raise ValueError(
            f"class_names must have a name for every label (0 to {classes.max()}); "
            f"got {len(class_names)} names"
        )
    return [class_names[label] for label in classes]


def _class_colours(classes: np.ndarray) -> dict[int, tuple[float, ...]]:
    """Map each label to a colour; a label keeps its colour across plots."""
    for n_colours, name in _QUALITATIVE_CMAPS:
        if classes.max() < n_colours:
            cmap = plt.get_cmap(name)
            return {int(label): cmap(int(label)) for label in classes}
    cmap = plt.get_cmap("turbo")
    positions = np.linspace(0.0, 1.0, len(classes))
    return {
        int(label): cmap(position)
        for label, position in zip(classes, positions, strict=True)
    }


def _check_size_curve(curve: Any, *, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the sorted latent sizes and errors of a ``{size: error}`` dict."""
    if not isinstance(curve, Mapping):
        raise TypeError(
            f"{name} must be a dict {{latent size: error}}; got {type(curve).__name__}"
        )
    if not curve:
        raise ValueError(f"{name} must hold at least one latent size; got {{}}")
    for size, error in curve.items():
        if not is_integer(size):
            raise TypeError(
                f"{name} must be keyed by integer latent sizes; got {size!r}"
            )
        if size < 1:
            raise ValueError(f"{name} latent sizes must be >= 1; got {size!r}")
        if not is_number(error):
            raise TypeError(
                f"{name}[{size}] must be a number (the error); got {error!r}"
            )
        if not math.isfinite(error):
            raise ValueError(f"{name}[{size}] must be finite; got {error!r}")
    sizes = sorted(curve)
    return (
        np.array(sizes, dtype=np.int64),
        np.array([curve[size] for size in sizes], dtype=np.float64),
    )


def _check_optional_str(value: Any, *, name: str) -> None:
    """Raise unless ``value`` is a string or None."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a string or None; got {value!r}")


def _figure_and_axes(
    ax: Any, *, figsize: tuple[float, float]
) -> tuple[matplotlib.figure.Figure, matplotlib.axes.Axes]:
    """Return ``(ax.figure, ax)``, or a new figure and axes when ``ax`` is None."""
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    if not isinstance(ax, matplotlib.axes.Axes):
        raise TypeError(
            f"ax must be a matplotlib Axes or None; got {type(ax).__name__}"
        )
    return ax.figure, ax


def _mosaic(grid: np.ndarray) -> np.ndarray:
    """Tile images (rows, cols, H, W[, C]) into one (rows*H, cols*W[, C])."""
    rows, cols, height, width = grid.shape[:4]
    tiles = grid.swapaxes(1, 2)  # rows, H, cols, W, ...
    return tiles.reshape(rows * height, cols * width, *grid.shape[4:])


def _check_image_table(
    images: npt.ArrayLike, *, name: str, value_range: str
) -> np.ndarray:
    """Check a table of images, shape (rows, cols, H, W[, C])."""
    array = np.asarray(images)
    if array.ndim not in (4, 5) or (array.ndim == 5 and array.shape[-1] not in (1, 3)):
        raise ValueError(
            f"{name} must have shape (rows, columns, H, W), (rows, columns, H, W, 1) "
            f"or (rows, columns, H, W, 3); got shape {_format_shape(array.shape)}"
        )
    flat = _check_images(
        array.reshape(-1, *array.shape[2:]), name=name, value_range=value_range
    )
    return _to_display(flat, value_range).reshape(array.shape)


def plot_latent_traversal(
    images: npt.ArrayLike,
    offsets: npt.ArrayLike,
    *,
    row_labels: Sequence[str] | None = None,
    value_range: str = "[0,1]",
    cmap: str = "binary",
    image_size: float = 0.8,
) -> matplotlib.figure.Figure:
    """Show a traversal grid: row i sweeps latent dimension i, others fixed.

    Args:
        images: Decoded images, shape (latent_dim, n_steps, H, W[, C]).
        offsets: The ``n_steps`` values added to the swept dimension (column
            titles).
        row_labels: One label per row (default "z1", "z2", ...).
        value_range: ``"[0,1]"`` or ``"[-1,1]"``.
        cmap: Colormap for grayscale images.
        image_size: Size of each image in inches.

    Returns:
        The figure.

    Raises:
        ValueError: For shapes that do not match or values outside the range.

    Example:
        >>> fig = plot_latent_traversal(np.zeros((2, 3, 28, 28)), [-1.0, 0.0, 1.0])
        >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
        ['z1', 'z2']

    Taught in ``notebooks/05_variational_autoencoders.ipynb``.
    """
    table = _check_image_table(images, name="images", value_range=value_range)
    n_rows, n_steps = table.shape[:2]
    offsets = np.asarray(offsets, dtype=float)
    if offsets.shape != (n_steps,):
        raise ValueError(
            f"offsets must hold one value per column ({n_steps}); "
            f"got shape {_format_shape(offsets.shape)}"
        )
    labels = (
        [f"z{i + 1}" for i in range(n_rows)] if row_labels is None else list(row_labels)
    )
    if len(labels) != n_rows:
        raise ValueError(
            f"row_labels must hold one label per row ({n_rows}); got {len(labels)}"
        )
    height, width = table.shape[2:4]
    fig, ax = plt.subplots(
        figsize=(n_steps * image_size + 0.8, n_rows * image_size + 0.6),
        layout="constrained",
    )
    ax.imshow(_mosaic(table), cmap=cmap, vmin=0.0, vmax=1.0)
    ax.set_xticks((np.arange(n_steps) + 0.5) * width - 0.5)
    ax.set_xticklabels([f"{value:+.1f}" for value in offsets], fontsize="small")
    ax.set_yticks((np.arange(n_rows) + 0.5) * height - 0.5)
    ax.set_yticklabels(labels)
    ax.tick_params(length=0)
    ax.set_xlabel("offset from the starting code")
    return fig


def plot_latent_manifold(
    images: npt.ArrayLike,
    grid_values: npt.ArrayLike,
    *,
    value_range: str = "[0,1]",
    cmap: str = "binary",
    size: float = 7.0,
) -> matplotlib.figure.Figure:
    """Show images decoded from a regular grid over a 2-D latent space.

    Args:
        images: Shape (n, n, H, W[, C]); ``images[i, j]`` decoded from
            ``z = (grid_values[j], grid_values[i])``, so columns follow z1
            and rows follow z2 (drawn with z2 increasing upwards).
        grid_values: The ``n`` grid values of each latent coordinate.
        value_range: ``"[0,1]"`` or ``"[-1,1]"``.
        cmap: Colormap for grayscale images.
        size: Width and height of the figure in inches.

    Returns:
        The figure.

    Raises:
        ValueError: If the grid is not square or does not match
            ``grid_values``.

    Example:
        >>> fig = plot_latent_manifold(np.zeros((3, 3, 28, 28)), [-1, 0, 1])
        >>> fig.axes[0].get_xlabel()
        'z1'

    Taught in ``notebooks/05_variational_autoencoders.ipynb``.
    """
    table = _check_image_table(images, name="images", value_range=value_range)
    values = np.asarray(grid_values, dtype=float)
    n = table.shape[0]
    if table.shape[1] != n or values.shape != (n,):
        raise ValueError(
            f"images must be an (n, n, ...) grid matching grid_values of length n; "
            f"got images {_format_shape(table.shape[:2])} and grid_values "
            f"{_format_shape(values.shape)}"
        )
    height, width = table.shape[2:4]
    fig, ax = plt.subplots(figsize=(size, size), layout="constrained")
    ax.imshow(_mosaic(table[::-1]), cmap=cmap, vmin=0.0, vmax=1.0)
    ticks = np.arange(n)
    step = max(1, n // 8)
    ax.set_xticks((ticks[::step] + 0.5) * width - 0.5)
    ax.set_xticklabels([f"{v:.1f}" for v in values[::step]])
    ax.set_yticks((ticks[::step] + 0.5) * height - 0.5)
    ax.set_yticklabels([f"{v:.1f}" for v in values[::-1][::step]])
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    return fig


def plot_interpolation(
    images: npt.ArrayLike,
    alphas: npt.ArrayLike,
    *,
    value_range: str = "[0,1]",
    cmap: str = "binary",
) -> matplotlib.figure.Figure:
    """Show an interpolation strip: image i decoded at mixing weight alphas[i].

    Args:
        images: Shape (n, H, W[, C]).
        alphas: The ``n`` weights of the second end point, from 0 to 1.
        value_range: ``"[0,1]"`` or ``"[-1,1]"``.
        cmap: Colormap for grayscale images.

    Returns:
        The figure.

    Example:
        >>> fig = plot_interpolation(np.zeros((3, 28, 28)), [0.0, 0.5, 1.0])
        >>> [ax.get_title() for ax in fig.axes]
        ['α = 0.00', 'α = 0.50', 'α = 1.00']

    Taught in ``notebooks/05_variational_autoencoders.ipynb``.
    """
    alphas = np.asarray(alphas, dtype=float)
    n_images = len(np.asarray(images))
    if alphas.shape != (n_images,):
        raise ValueError(
            f"alphas must hold one weight per image ({n_images}); "
            f"got shape {_format_shape(alphas.shape)}"
        )
    titles = [f"α = {alpha:.2f}" for alpha in alphas]
    return plot_image_grid(
        images, titles=titles, n_cols=n_images, value_range=value_range, cmap=cmap
    )


def animate_frames(
    frames: Sequence[npt.ArrayLike],
    *,
    titles: Sequence[str] | None = None,
    n_cols: int = 8,
    value_range: str = "[-1,1]",
    cmap: str = "binary",
    interval: int = 400,
):
    """Turn a sequence of image batches into an inline HTML animation.

    Each frame is a batch (N, H, W[, C]) tiled into a grid, e.g. the samples
    of a fixed noise batch after every epoch
    (:class:`course_utils.models.gan.FixedNoiseSamples`). The animation is
    made with Matplotlib's JavaScript writer: no ffmpeg needed.

    Args:
        frames: Batches of images, all of the same shape.
        titles: One title per frame (e.g. "epoch 3"), or None.
        n_cols: Images per row of each frame.
        value_range: ``"[0,1]"`` or ``"[-1,1]"``.
        cmap: Colormap for grayscale images.
        interval: Milliseconds between frames.

    Returns:
        An ``IPython.display.HTML`` object that a notebook shows as a player.

    Raises:
        ValueError: If there are no frames, their shapes differ, or the
            titles do not match.

    Example:
        >>> html = animate_frames([np.zeros((4, 28, 28))] * 2, value_range="[0,1]")
        >>> "<script" in html.data
        True

    Taught in ``notebooks/07_dcgan.ipynb``.
    """
    from IPython.display import HTML
    from matplotlib import animation

    if len(frames) == 0:
        raise ValueError("frames must hold at least one batch of images; got none")
    batches = [
        _check_images(frame, name=f"frames[{i}]", value_range=value_range)
        for i, frame in enumerate(frames)
    ]
    shapes = {batch.shape for batch in batches}
    if len(shapes) != 1:
        raise ValueError(f"frames must all have the same shape; got {sorted(shapes)}")
    if titles is not None and len(titles) != len(batches):
        raise ValueError(
            f"titles must hold one title per frame ({len(batches)}); got {len(titles)}"
        )
    n_cols = integer("n_cols", n_cols, minimum=1)
    n_images = batches[0].shape[0]
    n_cols = min(n_cols, n_images)
    n_rows = math.ceil(n_images / n_cols)

    def tile(batch: np.ndarray) -> np.ndarray:
        display = _to_display(batch, value_range)
        padding = np.ones((n_rows * n_cols - n_images, *display.shape[1:]))
        display = np.concatenate([display, padding]) if len(padding) else display
        return _mosaic(display.reshape(n_rows, n_cols, *display.shape[1:]))

    fig, ax = plt.subplots(figsize=(n_cols * 0.9, n_rows * 0.9 + 0.4))
    ax.set_axis_off()
    shown = ax.imshow(tile(batches[0]), cmap=cmap, vmin=0.0, vmax=1.0)
    heading = ax.set_title(titles[0] if titles else "")

    def update(index: int):
        shown.set_data(tile(batches[index]))
        heading.set_text(titles[index] if titles else "")
        return [shown, heading]

    player = animation.FuncAnimation(
        fig, update, frames=len(batches), interval=interval, blit=False
    )
    html = HTML(player.to_jshtml())
    plt.close(fig)
    return html


def plot_block_diagram(
    blocks: Mapping[str, tuple[float, float]],
    arrows: Sequence[Sequence[str]],
    *,
    colours: Mapping[str, str] | None = None,
    title: str | None = None,
    figsize: tuple[float, float] = (8.0, 3.0),
) -> matplotlib.figure.Figure:
    r"""Draw a diagram of boxes joined by arrows (a model's data flow).

    Args:
        blocks: Box text -> (x, y) centre, in data units; ``"\n"`` breaks a
            line. The axes span the boxes' centres with a margin.
        arrows: ``(source, target)`` or ``(source, target, label)`` triples
            naming boxes of ``blocks``.
        colours: Box text -> face colour, for the boxes to highlight (others
            are light grey).
        title: Figure title, or None.
        figsize: Figure size in inches.

    Returns:
        The figure.

    Raises:
        ValueError: If ``blocks`` is empty, or an arrow or colour names a box
            that ``blocks`` does not have, or an arrow has not 2 or 3 items.

    Example:
        >>> fig = plot_block_diagram(
        ...     {"z": (0, 0), "G": (1, 0), "image": (2, 0)},
        ...     [("z", "G"), ("G", "image", "G(z)")],
        ... )
        >>> sorted(t.get_text() for t in fig.axes[0].texts if t.get_text())
        ['G', 'G(z)', 'image', 'z']

    Taught in ``notebooks/09_conditional_gans.ipynb`` (pix2pix, CycleGAN and
    style-based generators).
    """
    if not isinstance(blocks, Mapping) or not blocks:
        raise ValueError(
            f"blocks must be a non-empty mapping of box text to (x, y); got {blocks!r}"
        )
    positions = {}
    for name, position in blocks.items():
        centre = np.asarray(position, dtype=float)
        if centre.shape != (2,) or not np.all(np.isfinite(centre)):
            raise ValueError(
                f"blocks[{name!r}] must be a finite (x, y) pair; got {position!r}"
            )
        positions[name] = centre
    colours = {} if colours is None else dict(colours)
    unknown = sorted(set(colours) - set(positions))
    if unknown:
        raise ValueError(f"colours names boxes that blocks does not have: {unknown}")
    for arrow in arrows:
        if isinstance(arrow, str) or len(arrow) not in (2, 3):
            raise ValueError(
                f"each arrow must be (source, target) or (source, target, label); "
                f"got {arrow!r}"
            )
        missing = [end for end in arrow[:2] if end not in positions]
        if missing:
            raise ValueError(
                f"arrow {tuple(arrow)!r} names boxes that blocks does not have: "
                f"{missing}"
            )
    _check_optional_str(title, name="title")

    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    ax.set_axis_off()
    centres = np.array(list(positions.values()))
    low, high = centres.min(axis=0) - 0.6, centres.max(axis=0) + 0.6
    ax.set(xlim=(low[0], high[0]), ylim=(low[1], high[1]))
    box_style = "round,pad=0.4"
    texts = {}
    for name, (x, y) in positions.items():
        texts[name] = ax.text(
            x,
            y,
            name,
            ha="center",
            va="center",
            fontsize=9,
            bbox={
                "boxstyle": box_style,
                "facecolor": colours.get(name, "#eeeeee"),
                "edgecolor": "#444444",
            },
        )
    for arrow in arrows:
        source, target = arrow[0], arrow[1]
        ax.annotate(
            "",
            xy=positions[target],
            xytext=positions[source],
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#333333",
                "shrinkA": 0,
                "shrinkB": 0,
                "patchA": texts[source].get_bbox_patch(),
                "patchB": texts[target].get_bbox_patch(),
                "connectionstyle": "arc3,rad=0.0",
            },
        )
        if len(arrow) == 3:
            middle = (positions[source] + positions[target]) / 2
            ax.text(
                *middle,
                arrow[2],
                ha="center",
                va="bottom",
                fontsize=8,
                color="#8b1a1a",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
            )
    if title:
        ax.set_title(title)
    return fig
