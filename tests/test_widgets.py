"""The latent explorer (course_utils.widgets) works without a browser.

The decoder is a tiny NumPy function (codes -> 8 x 8 images), so nothing is
trained; ipywidgets builds its widgets in the test process, and moving a
slider is done by setting its value, as a browser would.
"""

import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.figure  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from course_utils import widgets  # noqa: E402

ipywidgets = pytest.importorskip("ipywidgets")

SIDE = 8


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def make_decode(latent_dim, value_range="[0,1]"):
    """Codes (N, latent_dim) -> images (N, 8, 8): a sigmoid of a linear map."""
    weights = np.random.default_rng(latent_dim).normal(size=(latent_dim, SIDE * SIDE))
    calls = []

    def decode(codes):
        codes = np.asarray(codes, dtype=np.float32)
        assert codes.ndim == 2 and codes.shape[1] == latent_dim
        calls.append(codes.copy())
        images = 1.0 / (1.0 + np.exp(-codes @ weights))
        if value_range == "[-1,1]":
            images = 2.0 * images - 1.0
        return images.reshape(len(codes), SIDE, SIDE).astype(np.float32)

    decode.calls = calls
    return decode


def chooser_of(explorer):
    (chooser,) = [w for w in explorer.children if isinstance(w, ipywidgets.Dropdown)]
    return chooser


def slider_values(explorer):
    return np.array([slider.value for slider in explorer.sliders])


# --- the explorer ----------------------------------------------------------------


@pytest.mark.parametrize("latent_dim", [1, 2, 5])
def test_explorer_has_one_slider_per_latent_dimension(latent_dim):
    explorer = widgets.latent_explorer(make_decode(latent_dim), latent_dim)
    assert isinstance(explorer, ipywidgets.VBox)
    assert len(explorer.sliders) == latent_dim
    assert all(isinstance(s, ipywidgets.FloatSlider) for s in explorer.sliders)
    assert [s.description for s in explorer.sliders] == [
        f"z{i + 1}" for i in range(latent_dim)
    ]
    assert all(s.min == -3.0 and s.max == 3.0 for s in explorer.sliders)
    np.testing.assert_array_equal(slider_values(explorer), np.zeros(latent_dim))
    # The image is drawn once at the start, as a PNG.
    assert bytes(explorer.image.value).startswith(b"\x89PNG")


def test_explorer_starts_at_the_given_code():
    explorer = widgets.latent_explorer(make_decode(3), 3, start=[0.5, -1.0, 2.0])
    np.testing.assert_allclose(slider_values(explorer), [0.5, -1.0, 2.0])


def test_moving_a_slider_decodes_the_new_code_and_changes_the_image():
    decode = make_decode(2)
    explorer = widgets.latent_explorer(decode, 2)
    before = explorer.image.value
    explorer.sliders[1].value = 1.5
    assert explorer.image.value != before
    np.testing.assert_allclose(decode.calls[-1], [[0.0, 1.5]])
    explorer.sliders[1].value = 0.0
    assert explorer.image.value == before  # same code, same picture


def test_the_start_drop_down_moves_every_slider():
    points = {"boot": np.array([1.0, -0.5, 2.0]), "bag": np.array([-2.0, 0.0, 0.3])}
    explorer = widgets.latent_explorer(make_decode(3), 3, starting_points=points)
    chooser = chooser_of(explorer)
    assert list(chooser.options) == ["(sliders)", "boot", "bag"]
    first = explorer.image.value
    chooser.value = "boot"
    np.testing.assert_allclose(slider_values(explorer), points["boot"], atol=1e-6)
    assert explorer.image.value != first
    chooser.value = "bag"
    np.testing.assert_allclose(slider_values(explorer), points["bag"], atol=1e-6)


def test_no_drop_down_without_starting_points():
    explorer = widgets.latent_explorer(make_decode(2), 2)
    assert not [w for w in explorer.children if isinstance(w, ipywidgets.Dropdown)]


def test_starting_points_outside_the_range_widen_the_slider_instead_of_clipping():
    points = {"far": np.array([5.0, -0.5]), "near": np.array([0.0, 0.0])}
    explorer = widgets.latent_explorer(
        make_decode(2), 2, starting_points=points, slider_range=3.0
    )
    first, second = explorer.sliders
    assert first.min == -5.0 and first.max == 5.0  # widened to reach 5
    assert second.min == -3.0 and second.max == 3.0  # untouched
    chooser_of(explorer).value = "far"
    assert first.value == 5.0  # not clipped to 3


def test_a_start_outside_the_range_widens_its_slider():
    explorer = widgets.latent_explorer(make_decode(2), 2, start=[0.0, -4.0])
    assert explorer.sliders[1].min == -4.0
    assert explorer.sliders[1].value == -4.0


def test_explorer_draws_minus_one_one_images():
    explorer = widgets.latent_explorer(
        make_decode(2, "[-1,1]"), 2, value_range="[-1,1]"
    )
    explorer.sliders[0].value = 2.0
    assert bytes(explorer.image.value).startswith(b"\x89PNG")


def test_explorer_falls_back_to_a_static_figure_without_ipywidgets(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import now fails
    figure = widgets.latent_explorer(make_decode(3), 3, slider_range=2.0)
    assert isinstance(figure, matplotlib.figure.Figure)
    (ax,) = figure.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["z1", "z2", "z3"]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "-2.0" and labels[-1] == "+2.0"


def test_the_fallback_still_checks_its_arguments(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ValueError, match="start must be a code of shape"):
        widgets.latent_explorer(make_decode(2), 2, starting_points={"x": [1.0]})


# --- the static traversal ----------------------------------------------------------


@pytest.mark.parametrize(("latent_dim", "n_steps"), [(1, 3), (4, 7)])
def test_static_traversal_draws_one_row_per_latent_dimension(latent_dim, n_steps):
    figure = widgets.static_traversal(
        make_decode(latent_dim), latent_dim, n_steps=n_steps
    )
    (ax,) = figure.axes
    (image,) = ax.get_images()
    assert np.asarray(image.get_array()).shape == (latent_dim * SIDE, n_steps * SIDE)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        f"z{i + 1}" for i in range(latent_dim)
    ]
    assert len(ax.get_xticklabels()) == n_steps


def test_static_traversal_sweeps_each_dimension_around_the_start():
    decode = make_decode(2)
    widgets.static_traversal(decode, 2, start=[1.0, -1.0], n_steps=3, span=0.5)
    np.testing.assert_allclose(
        decode.calls[-1],
        [[0.5, -1.0], [1.0, -1.0], [1.5, -1.0], [1.0, -1.5], [1.0, -1.0], [1.0, -0.5]],
    )


# --- bad arguments ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latent_dim", "kwargs", "error", "match"),
    [
        (0, {}, ValueError, "latent_dim must be a positive integer; got 0"),
        (2.0, {}, TypeError, "latent_dim must be a positive integer; got 2.0"),
        (True, {}, TypeError, "latent_dim"),
        (2, {"start": [0.0, 0.0, 0.0]}, ValueError, r"shape \(2,\); got shape \(3,\)"),
        (2, {"starting_points": {"a": np.zeros(3)}}, ValueError, r"shape \(2,\)"),
        (2, {"slider_range": 0.0}, ValueError, "slider_range and step must be > 0"),
        (2, {"step": -0.1}, ValueError, "slider_range and step must be > 0"),
    ],
)
def test_explorer_rejects_bad_arguments(latent_dim, kwargs, error, match):
    with pytest.raises(error, match=match):
        widgets.latent_explorer(make_decode(2), latent_dim, **kwargs)


@pytest.mark.parametrize(
    ("latent_dim", "kwargs", "error", "match"),
    [
        (0, {}, ValueError, "latent_dim must be a positive integer"),
        ("2", {}, TypeError, "latent_dim must be a positive integer"),
        (2, {"start": np.zeros((1, 2))}, ValueError, "start must be a code of shape"),
        (2, {"n_steps": 1}, ValueError, "n_steps must be an integer >= 2"),
        (2, {"span": 0.0}, ValueError, "span must be a finite number > 0"),
        (2, {"value_range": "[0,255]"}, ValueError, "value_range must be one of"),
    ],
)
def test_static_traversal_rejects_bad_arguments(latent_dim, kwargs, error, match):
    with pytest.raises(error, match=match):
        widgets.static_traversal(make_decode(2), latent_dim, **kwargs)
