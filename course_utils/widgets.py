"""An interactive latent-space explorer, with a static fallback.

One slider per latent dimension; the decoded image updates in place as a
slider moves. Where ipywidgets is missing the explorer returns a static
traversal figure instead, and :func:`static_traversal` draws that figure for
readers of a notebook without a live kernel (GitHub, nbconvert, CI). Taught in
``notebooks/05_variational_autoencoders.ipynb``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

import numpy as np

from course_utils import plotting
from course_utils._arguments import positive_int
from course_utils.models.vae import traversal_codes


def _decode_one(decode: Callable, code: np.ndarray) -> np.ndarray:
    image = np.asarray(decode(code[np.newaxis].astype(np.float32)))[0]
    return image


def _png_bytes(image: np.ndarray, value_range: str) -> bytes:
    from matplotlib import pyplot as plt

    figure = plotting.show_image(image, value_range=value_range)
    figure.set_size_inches(2.5, 2.5)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _check_start(start, latent_dim: int) -> np.ndarray:
    if start is None:
        return np.zeros(latent_dim, dtype=np.float32)
    start = np.asarray(start, dtype=np.float32)
    if start.shape != (latent_dim,):
        raise ValueError(
            f"start must be a code of shape ({latent_dim},); got shape {start.shape}"
        )
    return start


def static_traversal(
    decode: Callable,
    latent_dim: int,
    *,
    start=None,
    n_steps: int = 7,
    span: float = 3.0,
    value_range: str = "[0,1]",
):
    """Draw the traversal grid: one row per latent dimension.

    Args:
        decode: Maps codes (N, latent_dim) to images (N, H, W) or (N, H, W, C),
            e.g. ``vae.decode``.
        latent_dim: Number of latent dimensions.
        start: The code every sweep starts from (default: zeros, the prior's
            mean).
        n_steps: Images per row.
        span: Each dimension goes from ``start - span`` to ``start + span``.
        value_range: Range of the decoded images, "[0,1]" or "[-1,1]".

    Returns:
        The matplotlib Figure.

    Example:
        >>> fig = static_traversal(vae.decode, 2)  # doctest: +SKIP
    """
    latent_dim = positive_int("latent_dim", latent_dim)
    start = _check_start(start, latent_dim)
    codes, offsets = traversal_codes(start, n_steps=n_steps, span=span)
    images = np.asarray(decode(codes))
    grid = images.reshape(latent_dim, n_steps, *images.shape[1:])
    return plotting.plot_latent_traversal(grid, offsets, value_range=value_range)


def latent_explorer(
    decode: Callable,
    latent_dim: int,
    *,
    start=None,
    starting_points: Mapping[str, np.ndarray] | None = None,
    slider_range: float = 3.0,
    step: float = 0.05,
    value_range: str = "[0,1]",
):
    """One slider per latent dimension and the decoded image, updated live.

    Args:
        decode: Maps codes (N, latent_dim) to images, e.g. ``vae.decode``.
        latent_dim: Number of latent dimensions (one slider each).
        start: The initial code (default: zeros).
        starting_points: Optional named codes, e.g. the mean code of each
            class, offered in a drop-down that moves every slider at once.
        slider_range: Sliders go from ``-slider_range`` to ``+slider_range``
            (wider where a starting point lies outside).
        step: Slider step.
        value_range: Range of the decoded images, "[0,1]" or "[-1,1]".

    Returns:
        An ``ipywidgets.VBox`` (sliders, drop-down and image), or, when
        ipywidgets cannot be imported, the static traversal Figure of
        :func:`static_traversal`.

    Raises:
        ValueError: If a code has the wrong shape or a range is not positive.

    Example:
        >>> explorer = latent_explorer(vae.decode, 2)  # doctest: +SKIP
        >>> explorer  # shows the sliders in JupyterLab or Colab  # doctest: +SKIP
    """
    latent_dim = positive_int("latent_dim", latent_dim)
    start = _check_start(start, latent_dim)
    if not slider_range > 0 or not step > 0:
        raise ValueError(
            f"slider_range and step must be > 0; got {slider_range!r} and {step!r}"
        )
    named = {}
    for name, code in (starting_points or {}).items():
        named[str(name)] = _check_start(code, latent_dim)
    try:
        import ipywidgets
    except ImportError:
        return static_traversal(
            decode, latent_dim, start=start, span=slider_range, value_range=value_range
        )

    # Widen a slider rather than clip a starting value that lies outside.
    all_codes = np.stack([start, *named.values()])
    bounds = np.maximum(slider_range, np.abs(all_codes).max(axis=0))
    sliders = [
        ipywidgets.FloatSlider(
            value=float(start[i]),
            min=-float(bounds[i]),
            max=float(bounds[i]),
            step=step,
            description=f"z{i + 1}",
            continuous_update=True,
        )
        for i in range(latent_dim)
    ]
    image = ipywidgets.Image(format="png")

    def redraw(_change=None):
        code = np.array([slider.value for slider in sliders], dtype=np.float32)
        image.value = _png_bytes(_decode_one(decode, code), value_range)

    for slider in sliders:
        slider.observe(redraw, names="value")
    children = [ipywidgets.HBox([ipywidgets.VBox(sliders), image])]
    if named:
        chooser = ipywidgets.Dropdown(
            options=["(sliders)", *named], value="(sliders)", description="start"
        )

        def jump(change):
            if change["new"] in named:
                for slider, value in zip(sliders, named[change["new"]], strict=True):
                    slider.value = float(value)

        chooser.observe(jump, names="value")
        children.insert(0, chooser)
    redraw()
    box = ipywidgets.VBox(children)
    box.sliders = sliders
    box.image = image
    return box
