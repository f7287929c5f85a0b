"""Tests for course_utils.plotting: what is drawn, and how bad input is refused."""

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.figure  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from course_utils import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def visible_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def image_data(ax):
    (image,) = ax.get_images()
    return np.asarray(image.get_array())


# --- show_image -------------------------------------------------------------


@pytest.mark.parametrize("shape", [(28, 28), (28, 28, 1)])
def test_show_image_draws_grayscale_image_unchanged(rng, shape):
    image = rng.uniform(size=shape)

    fig = plotting.show_image(image, title="a coat")

    assert isinstance(fig, matplotlib.figure.Figure)
    (ax,) = fig.axes
    np.testing.assert_allclose(image_data(ax), image.reshape(28, 28))
    (axes_image,) = ax.get_images()
    assert axes_image.get_clim() == (0.0, 1.0)
    assert axes_image.get_cmap().name == "binary"
    assert ax.get_title() == "a coat"
    assert not ax.axison


def test_show_image_draws_rgb_image(rng):
    image = rng.uniform(size=(8, 6, 3))

    fig = plotting.show_image(image)

    np.testing.assert_allclose(image_data(fig.axes[0]), image)
    assert fig.axes[0].get_title() == ""


def test_show_image_maps_minus_one_one_to_unit_range(rng):
    image = rng.uniform(-1.0, 1.0, size=(5, 5))

    fig = plotting.show_image(image, value_range="[-1,1]", cmap="gray")

    (axes_image,) = fig.axes[0].get_images()
    np.testing.assert_allclose(axes_image.get_array(), (image + 1.0) / 2.0)
    assert axes_image.get_clim() == (0.0, 1.0)
    assert axes_image.get_cmap().name == "gray"


def test_show_image_does_not_rescale_a_dim_image():
    image = np.full((4, 4), 0.2)
    image[0, 0] = 0.3

    fig = plotting.show_image(image)

    (axes_image,) = fig.axes[0].get_images()
    assert axes_image.get_clim() == (0.0, 1.0)
    np.testing.assert_allclose(axes_image.get_array(), image)


def test_show_image_draws_on_given_axes(rng):
    fig, axes = plt.subplots(1, 2)
    image = rng.uniform(size=(6, 6))

    returned = plotting.show_image(image, ax=axes[1], title="right")

    assert returned is fig
    assert axes[0].get_images() == []
    np.testing.assert_allclose(image_data(axes[1]), image)
    assert axes[1].get_title() == "right"


def test_show_image_accepts_lists_and_tensors(rng):
    image = rng.uniform(size=(4, 4)).astype("float32")

    from_list = plotting.show_image(image.tolist())
    from_tensor = plotting.show_image(keras.ops.convert_to_tensor(image))

    np.testing.assert_allclose(image_data(from_list.axes[0]), image)
    np.testing.assert_allclose(image_data(from_tensor.axes[0]), image)


def test_show_image_accepts_integer_images():
    image = np.eye(4, dtype=np.uint8)

    fig = plotting.show_image(image)

    np.testing.assert_array_equal(image_data(fig.axes[0]), image)


def test_values_within_tolerance_are_accepted_and_shown_clipped():
    image = np.array([[-5e-4, 0.5], [0.5, 1.0 + 5e-4]])

    fig = plotting.show_image(image)

    np.testing.assert_allclose(image_data(fig.axes[0]), [[0.0, 0.5], [0.5, 1.0]])


# --- plot_image_grid --------------------------------------------------------


def test_plot_image_grid_lays_out_rows_and_hides_unused_axes(rng):
    images = rng.uniform(size=(23, 28, 28))
    titles = [f"image {index}" for index in range(23)]

    fig = plotting.plot_image_grid(images, titles=titles, n_cols=10, suptitle="all")

    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 30
    shown = visible_axes(fig)
    assert len(shown) == 23
    assert fig.axes[:23] == shown
    for index, ax in enumerate(shown):
        np.testing.assert_allclose(image_data(ax), images[index])
        assert ax.get_title() == titles[index]
        assert not ax.axison
        (axes_image,) = ax.get_images()
        assert axes_image.get_clim() == (0.0, 1.0)
        assert axes_image.get_cmap().name == "binary"
    assert fig.get_suptitle() == "all"
    # Three rows of ten columns.
    top_left, second_row = fig.axes[0], fig.axes[10]
    assert second_row.get_position().y0 < top_left.get_position().y0
    assert second_row.get_position().x0 == pytest.approx(top_left.get_position().x0)


def test_plot_image_grid_uses_one_row_for_a_small_batch(rng):
    images = rng.uniform(size=(3, 5, 5, 1))

    fig = plotting.plot_image_grid(images, n_cols=10)

    assert len(fig.axes) == 3
    for index, ax in enumerate(fig.axes):
        np.testing.assert_allclose(image_data(ax), images[index, :, :, 0])
        assert ax.get_title() == ""
    assert fig.get_suptitle() == ""


def test_plot_image_grid_maps_minus_one_one_and_draws_rgb(rng):
    images = rng.uniform(-1.0, 1.0, size=(4, 5, 5, 3))

    fig = plotting.plot_image_grid(images, n_cols=2, value_range="[-1,1]")

    assert len(visible_axes(fig)) == 4
    for index, ax in enumerate(fig.axes):
        np.testing.assert_allclose(image_data(ax), (images[index] + 1.0) / 2.0)


def test_plot_image_grid_size_follows_image_size(rng):
    images = rng.uniform(size=(6, 5, 5))

    small = plotting.plot_image_grid(images, n_cols=3, image_size=1.0)
    large = plotting.plot_image_grid(images, n_cols=3, image_size=2.0)

    np.testing.assert_allclose(small.get_size_inches(), [3.0, 2.0])
    np.testing.assert_allclose(large.get_size_inches(), [6.0, 4.0])


# --- plot_reconstructions ---------------------------------------------------


def test_plot_reconstructions_draws_originals_above_reconstructions(rng):
    originals = rng.uniform(size=(12, 28, 28, 1))
    reconstructions = rng.uniform(size=(12, 28, 28, 1))

    fig = plotting.plot_reconstructions(originals, reconstructions, n_images=4)

    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(visible_axes(fig)) == 8
    top, bottom = fig.axes[:4], fig.axes[4:]
    for index in range(4):
        np.testing.assert_allclose(image_data(top[index]), originals[index, ..., 0])
        np.testing.assert_allclose(
            image_data(bottom[index]), reconstructions[index, ..., 0]
        )
        assert top[index].get_position().y0 > bottom[index].get_position().y0
        for ax in (top[index], bottom[index]):
            assert ax.get_images()[0].get_clim() == (0.0, 1.0)
            assert not ax.axison
    assert [text.get_text() for text in top[0].texts] == ["original"]
    assert [text.get_text() for text in bottom[0].texts] == ["reconstruction"]
    assert all(len(ax.texts) == 0 for ax in top[1:] + bottom[1:])


def test_plot_reconstructions_defaults_to_ten_images_and_custom_titles(rng):
    originals = rng.uniform(-1.0, 1.0, size=(10, 6, 6))
    reconstructions = rng.uniform(-1.0, 1.0, size=(10, 6, 6))

    fig = plotting.plot_reconstructions(
        originals,
        reconstructions,
        value_range="[-1,1]",
        row_titles=("clean", "denoised"),
    )

    assert len(fig.axes) == 20
    np.testing.assert_allclose(image_data(fig.axes[9]), (originals[9] + 1.0) / 2.0)
    np.testing.assert_allclose(
        image_data(fig.axes[19]), (reconstructions[9] + 1.0) / 2.0
    )
    assert fig.axes[0].texts[0].get_text() == "clean"
    assert fig.axes[10].texts[0].get_text() == "denoised"


def test_plot_reconstructions_with_one_image(rng):
    images = rng.uniform(size=(1, 4, 4))

    fig = plotting.plot_reconstructions(images, images, n_images=1)

    assert len(fig.axes) == 2


# --- plot_history -----------------------------------------------------------


HISTORY = {
    "loss": [0.9, 0.5, 0.3],
    "accuracy": [0.5, 0.7, 0.8],
    "val_loss": [1.0, 0.6, 0.4],
    "val_accuracy": [0.4, 0.6, 0.7],
}


def check_curves(ax, name, history):
    lines = ax.get_lines()
    expected = [("training", name)]
    if f"val_{name}" in history:
        expected.append(("validation", f"val_{name}"))
    assert [line.get_label() for line in lines] == [label for label, _ in expected]
    for line, (_, key) in zip(lines, expected, strict=True):
        np.testing.assert_array_equal(
            line.get_xdata(), np.arange(1, len(history[key]) + 1)
        )
        np.testing.assert_allclose(line.get_ydata(), history[key])
    assert ax.get_title() == name
    assert ax.get_xlabel() == "epoch"
    legend = ax.get_legend()
    assert legend is not None
    assert [text.get_text() for text in legend.get_texts()] == [
        label for label, _ in expected
    ]


def test_plot_history_draws_each_metric_with_its_validation_curve():
    fig = plotting.plot_history(HISTORY, title="training")

    assert isinstance(fig, matplotlib.figure.Figure)
    shown = visible_axes(fig)
    assert len(shown) == 2
    check_curves(shown[0], "loss", HISTORY)
    check_curves(shown[1], "accuracy", HISTORY)
    assert fig.get_suptitle() == "training"


def test_plot_history_accepts_a_keras_history():
    history = keras.callbacks.History()
    history.history = {"loss": [0.4, 0.2], "val_loss": [0.5, 0.3]}

    fig = plotting.plot_history(history)

    (ax,) = visible_axes(fig)
    check_curves(ax, "loss", history.history)


def test_plot_history_selects_metrics_in_the_given_order():
    fig = plotting.plot_history(HISTORY, metrics=["accuracy", "loss"])

    shown = visible_axes(fig)
    assert [ax.get_title() for ax in shown] == ["accuracy", "loss"]
    check_curves(shown[0], "accuracy", HISTORY)


def test_plot_history_accepts_a_single_metric_name():
    fig = plotting.plot_history(HISTORY, metrics="accuracy")

    (ax,) = visible_axes(fig)
    check_curves(ax, "accuracy", HISTORY)


def test_plot_history_without_validation_wraps_many_metrics():
    history = {name: [1.0, 0.5] for name in ["d_loss", "g_loss", "d_acc", "g_acc"]}

    fig = plotting.plot_history(history)

    assert len(fig.axes) == 6
    shown = visible_axes(fig)
    assert [ax.get_title() for ax in shown] == list(history)
    for ax in shown:
        check_curves(ax, ax.get_title(), history)
    assert fig.get_suptitle() == ""


def test_plot_history_keeps_a_validation_curve_without_training_curve():
    history = {"loss": [1.0, 0.5], "val_auc": [0.6, 0.7]}

    fig = plotting.plot_history(history)

    assert [ax.get_title() for ax in visible_axes(fig)] == ["loss", "val_auc"]


def test_plot_history_of_one_epoch_has_an_integer_tick():
    fig = plotting.plot_history({"loss": [0.3], "val_loss": [0.4]})

    (ax,) = fig.axes
    assert list(ax.get_xticks()) == [1]
    assert [line.get_marker() for line in ax.get_lines()] == ["o", "o"]


# --- bad input --------------------------------------------------------------


GOOD_BATCH = np.zeros((2, 4, 4))


@pytest.mark.parametrize(
    ("images", "error", "match"),
    [
        (
            np.zeros((28, 28)),
            ValueError,
            r"images must have shape \(N, H, W\), \(N, H, W, 1\) or \(N, H, W, 3\); "
            r"got shape \(28, 28\)",
        ),
        (
            np.zeros((2, 4, 4, 2)),
            ValueError,
            r"images must have shape .*\(2, 4, 4, 2\)",
        ),
        (
            np.zeros((2, 4, 4, 4)),
            ValueError,
            r"images must have shape .*\(2, 4, 4, 4\)",
        ),
        (np.zeros((1, 2, 4, 4, 1)), ValueError, r"images must have shape .*got shape"),
        (np.zeros((0, 4, 4)), ValueError, r"images must not be empty; got shape"),
        (np.zeros((2, 0, 4, 1)), ValueError, r"images must not be empty"),
        (np.full((2, 2, 2), "a"), TypeError, r"images must have a numeric dtype.*<U1"),
        (np.zeros((2, 2, 2), bool), TypeError, r"images must .*numeric.*got bool"),
        (np.zeros((2, 2, 2), complex), TypeError, r"images .*numeric.*complex"),
        ([[[0.0, 1.0]], [[0.0]]], TypeError, r"images must be an array of numbers"),
        (np.full((2, 2, 2), np.nan), ValueError, r"images must not contain NaN"),
        (
            np.full((2, 2, 2), -0.5),
            ValueError,
            r"images has values in \[-0\.5, -0\.5\], outside value_range='\[0,1\]'; "
            r"pass value_range='\[-1,1\]'",
        ),
        (
            np.full((2, 2, 2), 255, np.uint8),
            ValueError,
            r"images has values in \[255, 255\].*divide uint8 pixels by 255",
        ),
        (
            np.full((2, 2, 2), 1.01),
            ValueError,
            r"images has values in \[1\.01, 1\.01\]",
        ),
    ],
)
def test_plot_image_grid_rejects_bad_images(images, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_image_grid(images)


def test_value_range_minus_one_one_rejects_values_above_one():
    with pytest.raises(ValueError, match=r"value_range='\[-1,1\]'.*rescale"):
        plotting.plot_image_grid(np.full((2, 2, 2), 2.0), value_range="[-1,1]")


@pytest.mark.parametrize("value_range", ["[0,255]", "0-1", None, (0, 1)])
def test_unknown_value_range_is_rejected_everywhere(value_range):
    match = r"value_range must be one of '\[0,1\]', '\[-1,1\]'; got "
    with pytest.raises(ValueError, match=match):
        plotting.show_image(GOOD_BATCH[0], value_range=value_range)
    with pytest.raises(ValueError, match=match):
        plotting.plot_image_grid(GOOD_BATCH, value_range=value_range)
    with pytest.raises(ValueError, match=match):
        plotting.plot_reconstructions(
            GOOD_BATCH, GOOD_BATCH, n_images=1, value_range=value_range
        )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"titles": ["a"]},
            ValueError,
            r"titles must have one entry per image \(2\); ",
        ),
        ({"titles": ["a", "b", "c"]}, ValueError, r"titles .*got 3 titles"),
        ({"titles": "ab"}, TypeError, r"titles must be a sequence .*got str"),
        ({"n_cols": 0}, ValueError, r"n_cols must be an integer >= 1; got 0"),
        ({"n_cols": -3}, ValueError, r"n_cols must be an integer >= 1; got -3"),
        ({"n_cols": 2.5}, TypeError, r"n_cols must be an integer >= 1; got 2\.5"),
        ({"n_cols": True}, TypeError, r"n_cols must be an integer >= 1; got True"),
        ({"image_size": 0}, ValueError, r"image_size must be a positive .*got 0"),
        ({"image_size": "big"}, TypeError, r"image_size must be .*got 'big'"),
    ],
)
def test_plot_image_grid_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_image_grid(GOOD_BATCH, **kwargs)


def test_plot_image_grid_accepts_numpy_integer_n_cols():
    fig = plotting.plot_image_grid(GOOD_BATCH, n_cols=np.int64(1))

    assert len(fig.axes) == 2


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (
            np.zeros((1, 28, 28)),
            r"image must have shape \(H, W\), \(H, W, 1\) or \(H, W, 3\); "
            r"got shape \(1, 28, 28\)",
        ),
        (np.zeros(784), r"image must have shape .*got shape \(784,\)"),
        (np.zeros((1, 28, 28, 1)), r"image must have shape .*\(1, 28, 28, 1\)"),
    ],
)
def test_show_image_rejects_batches_and_flat_images(image, match):
    with pytest.raises(ValueError, match=match):
        plotting.show_image(image)


def test_show_image_rejects_an_ax_that_is_not_axes():
    fig = plt.figure()
    with pytest.raises(TypeError, match=r"ax must be a matplotlib Axes .*got Figure"):
        plotting.show_image(GOOD_BATCH[0], ax=fig)


@pytest.mark.parametrize(
    ("reconstructions", "kwargs", "error", "match"),
    [
        (
            np.zeros((2, 4, 4, 1)),
            {"n_images": 1},
            ValueError,
            r"reconstructions must have the same shape as originals \(2, 4, 4\); "
            r"got shape \(2, 4, 4, 1\)",
        ),
        (np.zeros((2, 4)), {"n_images": 1}, ValueError, r"reconstructions must have"),
        (np.full((2, 4, 4), 3.0), {"n_images": 1}, ValueError, r"reconstructions has"),
        (
            GOOD_BATCH,
            {},
            ValueError,
            r"n_images must be at most the number of images \(2\); got 10",
        ),
        (GOOD_BATCH, {"n_images": 0}, ValueError, r"n_images must be .*>= 1; got 0"),
        (GOOD_BATCH, {"n_images": 1.0}, TypeError, r"n_images must be .*got 1\.0"),
        (
            GOOD_BATCH,
            {"n_images": 1, "row_titles": ("a", "b", "c")},
            ValueError,
            r"row_titles must be a sequence of two strings .*got 3 titles",
        ),
        (
            GOOD_BATCH,
            {"n_images": 1, "row_titles": "ab"},
            TypeError,
            r"row_titles must be a sequence of two strings .*got str",
        ),
    ],
)
def test_plot_reconstructions_rejects_bad_arguments(
    reconstructions, kwargs, error, match
):
    with pytest.raises(error, match=match):
        plotting.plot_reconstructions(GOOD_BATCH, reconstructions, **kwargs)


def test_plot_reconstructions_names_originals_in_errors():
    with pytest.raises(ValueError, match=r"originals must have shape .*\(4, 4\)"):
        plotting.plot_reconstructions(GOOD_BATCH[0], GOOD_BATCH, n_images=1)


@pytest.mark.parametrize(
    ("history", "kwargs", "error", "match"),
    [
        (
            [0.3, 0.2],
            {},
            TypeError,
            r"history must be a keras\.callbacks\.History .*or a dict .*got list",
        ),
        (None, {}, TypeError, r"history must be .*got NoneType"),
        ({}, {}, ValueError, r"history must record at least one metric"),
        (keras.callbacks.History(), {}, ValueError, r"history must record at least"),
        ({"loss": []}, {}, ValueError, r"history\['loss'\] must be a non-empty list"),
        ({"loss": 0.3}, {}, ValueError, r"history\['loss'\] must be a non-empty list"),
        ({"loss": ["a", "b"]}, {}, TypeError, r"history\['loss'\] must be a list of"),
        (
            HISTORY,
            {"metrics": ["loss", "acc"]},
            ValueError,
            r"metrics must be a non-empty list of names recorded in history "
            r"\['loss', 'accuracy', 'val_loss', 'val_accuracy'\]; "
            r"got \['loss', 'acc'\], where \['acc'\] are unknown",
        ),
        (HISTORY, {"metrics": "acc"}, ValueError, r"metrics .*got \['acc'\]"),
        (
            HISTORY,
            {"metrics": []},
            ValueError,
            r"metrics must be a non-empty .*got \[\]",
        ),
        (HISTORY, {"metrics": 3}, TypeError, r"metrics must be .*got int"),
    ],
)
def test_plot_history_rejects_bad_arguments(history, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_history(history, **kwargs)


def test_bad_input_creates_no_figure():
    with pytest.raises(ValueError, match="images"):
        plotting.plot_image_grid(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="history"):
        plotting.plot_history({})

    assert plt.get_fignums() == []
