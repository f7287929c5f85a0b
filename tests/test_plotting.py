"""Tests for course_utils.plotting: what is drawn, and how bad input is refused."""

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.colors  # noqa: E402
import matplotlib.figure  # noqa: E402
import matplotlib.offsetbox  # noqa: E402
import matplotlib.text  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from course_utils import data, metrics, plotting  # noqa: E402


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
        (
            {"image_size": 0},
            ValueError,
            r"image_size must be a finite number > 0; got 0",
        ),
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


# --- plot_latent_scatter ----------------------------------------------------


def scatter_of(ax):
    (collection,) = ax.collections
    return collection


def legend_texts(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def thumbnails(ax):
    return [
        artist
        for artist in ax.artists
        if isinstance(artist, matplotlib.offsetbox.AnnotationBbox)
    ]


def grid_codings(n_side):
    """Points on an evenly spread n_side x n_side grid, in a shuffled order."""
    xs, ys = np.meshgrid(np.linspace(-3, 3, n_side), np.linspace(0, 10, n_side))
    points = np.column_stack([xs.ravel(), ys.ravel()])
    return points[np.random.default_rng(1).permutation(len(points))]


def test_plot_latent_scatter_draws_the_codings_coloured_by_class(rng):
    codings = rng.normal(size=(60, 2))
    labels = np.arange(60) % 3

    fig = plotting.plot_latent_scatter(codings, labels, title="codings")

    assert isinstance(fig, matplotlib.figure.Figure)
    (ax,) = fig.axes
    collection = scatter_of(ax)
    np.testing.assert_array_equal(collection.get_offsets(), codings)
    colours = collection.get_facecolors()
    assert len(colours) == len(codings)
    for label in range(3):
        same = colours[labels == label]
        np.testing.assert_array_equal(same, np.repeat(same[:1], len(same), axis=0))
    assert len({tuple(colours[labels == label][0]) for label in range(3)}) == 3
    assert legend_texts(ax) == list(data.CLASS_NAMES[:3])
    for handle, label in zip(ax.get_legend().legend_handles, range(3), strict=True):
        np.testing.assert_allclose(
            matplotlib.colors.to_rgb(handle.get_color()),
            colours[labels == label][0][:3],
        )
    assert ax.get_title() == "codings"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("coding 1", "coding 2")
    assert thumbnails(ax) == []


def test_plot_latent_scatter_names_only_the_classes_present(rng):
    labels = np.array([7, 2, 2, 7, 9])

    fig = plotting.plot_latent_scatter(rng.normal(size=(5, 2)), labels)

    assert legend_texts(fig.axes[0]) == ["Pullover", "Sneaker", "Ankle boot"]


def test_plot_latent_scatter_gives_a_label_the_same_colour_in_every_plot(rng):
    first = plotting.plot_latent_scatter(rng.normal(size=(4, 2)), [5, 5, 5, 5])
    second = plotting.plot_latent_scatter(rng.normal(size=(4, 2)), [0, 5, 1, 5])

    np.testing.assert_array_equal(
        scatter_of(first.axes[0]).get_facecolors()[0],
        scatter_of(second.axes[0]).get_facecolors()[1],
    )


def test_plot_latent_scatter_uses_given_class_names_or_the_labels(rng):
    codings = rng.normal(size=(4, 2))

    named = plotting.plot_latent_scatter(
        codings, [0, 2, 2, 0], class_names=["cat", "dog", "bird"]
    )
    numbered = plotting.plot_latent_scatter(codings, [3, 12, 3, 25])

    assert legend_texts(named.axes[0]) == ["cat", "bird"]
    assert legend_texts(numbered.axes[0]) == ["3", "12", "25"]
    colours = scatter_of(numbered.axes[0]).get_facecolors()
    assert len({tuple(colour) for colour in colours}) == 3


def test_plot_latent_scatter_spreads_thumbnails_over_the_plot(rng):
    codings = grid_codings(10)
    images = rng.uniform(size=(100, 8, 8))

    fig = plotting.plot_latent_scatter(
        codings, np.arange(100) % 10, images=images, n_thumbnails=12
    )

    drawn = thumbnails(fig.axes[0])
    assert 0 < len(drawn) <= 12
    positions = np.array([box.xy for box in drawn])
    for box, position in zip(drawn, positions, strict=True):
        (index,) = np.flatnonzero(np.all(codings == position, axis=1))
        image = box.offsetbox.get_data()
        np.testing.assert_allclose(image, images[index])
    normalised = (positions - codings.min(axis=0)) / np.ptp(codings, axis=0)
    gaps = np.linalg.norm(normalised[:, None] - normalised[None], axis=-1)
    assert gaps[~np.eye(len(drawn), dtype=bool)].min() > 0.1


def test_plot_latent_scatter_draws_one_thumbnail_for_piled_up_points(rng):
    codings = np.ones((20, 2))

    fig = plotting.plot_latent_scatter(
        codings, np.zeros(20, int), images=rng.uniform(size=(20, 4, 4)), n_thumbnails=5
    )

    assert len(thumbnails(fig.axes[0])) == 1


def test_plot_latent_scatter_maps_minus_one_one_thumbnails(rng):
    images = rng.uniform(-1.0, 1.0, size=(2, 4, 4, 1))

    fig = plotting.plot_latent_scatter(
        [[0.0, 0.0], [1.0, 1.0]],
        [0, 1],
        images=images,
        n_thumbnails=2,
        value_range="[-1,1]",
    )

    drawn = thumbnails(fig.axes[0])
    assert len(drawn) == 2
    np.testing.assert_allclose(
        drawn[0].offsetbox.get_data(), (images[0, ..., 0] + 1.0) / 2.0
    )


def test_plot_latent_scatter_without_n_thumbnails_draws_no_image(rng):
    fig = plotting.plot_latent_scatter(
        grid_codings(3), np.zeros(9, int), images=rng.uniform(size=(9, 4, 4))
    )

    assert thumbnails(fig.axes[0]) == []


def test_plot_latent_scatter_draws_on_given_axes(rng):
    fig, axes = plt.subplots(1, 2)

    returned = plotting.plot_latent_scatter(
        rng.normal(size=(6, 2)), np.arange(6) % 2, ax=axes[1]
    )

    assert returned is fig
    assert len(axes[0].collections) == 0
    assert len(axes[1].collections) == 1


# --- plot_activation_histograms ---------------------------------------------


def bar_heights(ax):
    return np.array([patch.get_height() for patch in ax.patches])


def test_plot_activation_histograms_draws_two_panels_per_model(rng):
    activations = {
        "plain": rng.uniform(size=(50, 8)),
        "sparse": rng.beta(1.0, 9.0, size=(30, 12)),
    }

    fig = plotting.plot_activation_histograms(activations, bins=15)

    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 4
    axes = np.reshape(fig.axes, (2, 2))
    for row, (name, values) in enumerate(activations.items()):
        n_examples, n_units = values.shape
        all_values, unit_means = axes[row]
        assert all_values.get_title() == f"{name}: all activations"
        assert unit_means.get_title() == f"{name}: mean activation per unit"
        assert len(all_values.patches) == len(unit_means.patches) == 15
        assert bar_heights(all_values).sum() == n_examples * n_units
        assert bar_heights(unit_means).sum() == n_units
        expected, _ = np.histogram(
            values.mean(axis=0), bins=15, range=unit_means.get_xlim()
        )
        np.testing.assert_array_equal(bar_heights(unit_means), expected)
    for column, reduce in enumerate((np.ravel, lambda a: a.mean(axis=0))):
        low = min(reduce(values).min() for values in activations.values())
        high = max(reduce(values).max() for values in activations.values())
        assert axes[0, column].get_xlim() == axes[1, column].get_xlim()
        np.testing.assert_allclose(axes[0, column].get_xlim(), (low, high))


def test_plot_activation_histograms_shows_sparsity():
    # Each unit is on for one example in ten: the values pile up at 0 while
    # every unit's mean is exactly 0.1.
    sparse = np.zeros((100, 5))
    sparse[np.arange(100), np.arange(100) % 5] = 0.5

    fig = plotting.plot_activation_histograms({"sparse": sparse}, bins=5)

    all_values, unit_means = fig.axes
    assert bar_heights(all_values)[0] == 400
    assert bar_heights(unit_means).max() == 5
    (mean_line,) = unit_means.get_lines()
    np.testing.assert_allclose(mean_line.get_xdata(), [0.1, 0.1])


def test_plot_activation_histograms_accepts_constant_activations():
    fig = plotting.plot_activation_histograms({"dead": np.zeros((4, 3))})

    all_values, unit_means = fig.axes
    assert bar_heights(all_values).sum() == 12
    assert bar_heights(unit_means).sum() == 3
    low, high = all_values.get_xlim()
    assert low < 0.0 < high


# --- plot_roc_curve ---------------------------------------------------------


ROC_LABELS = np.array([0, 0, 0, 1, 0, 1, 1, 1])
ROC_SCORES = np.array([0.1, 0.3, 0.35, 0.4, 0.5, 0.6, 0.6, 0.9])


def test_plot_roc_curve_draws_the_metrics_curve_and_its_auc():
    fig = plotting.plot_roc_curve(ROC_LABELS, ROC_SCORES, label="dense AE")

    (ax,) = fig.axes
    curve, chance = ax.get_lines()
    false_positive_rates, true_positive_rates, _ = metrics.roc_curve(
        ROC_LABELS, ROC_SCORES
    )
    np.testing.assert_array_equal(curve.get_xdata(), false_positive_rates)
    np.testing.assert_array_equal(curve.get_ydata(), true_positive_rates)
    auc = metrics.roc_auc(ROC_LABELS, ROC_SCORES)
    assert legend_texts(ax) == [f"dense AE (AUC = {auc:.3f})", "chance (AUC = 0.5)"]
    assert auc == 15 / 16  # every positive but 0.4 outscores every negative
    assert legend_texts(ax)[0] == "dense AE (AUC = 0.938)"
    np.testing.assert_array_equal(chance.get_xdata(), [0.0, 1.0])
    np.testing.assert_array_equal(chance.get_ydata(), [0.0, 1.0])
    assert chance.get_linestyle() == "--"
    assert ax.get_xlim() == (0.0, 1.0) and ax.get_ylim() == (0.0, 1.0)
    assert ax.get_xlabel() == "false positive rate"
    assert ax.get_ylabel() == "true positive rate"
    assert ax.get_aspect() == 1.0


def test_plot_roc_curve_without_label_shows_the_auc():
    fig = plotting.plot_roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.4, 0.8])

    assert legend_texts(fig.axes[0]) == ["AUC = 0.875", "chance (AUC = 0.5)"]


def test_plot_roc_curve_adds_curves_to_a_given_axes(rng):
    fig = plotting.plot_roc_curve(ROC_LABELS, ROC_SCORES, label="dense")
    other_scores = rng.uniform(size=len(ROC_LABELS))

    returned = plotting.plot_roc_curve(
        ROC_LABELS, other_scores, label="conv", ax=fig.axes[0]
    )

    assert returned is fig
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 3
    np.testing.assert_array_equal(
        lines[2].get_xdata(), metrics.roc_curve(ROC_LABELS, other_scores)[0]
    )
    other_auc = metrics.roc_auc(ROC_LABELS, other_scores)
    assert legend_texts(ax) == [
        "dense (AUC = 0.938)",
        f"conv (AUC = {other_auc:.3f})",
        "chance (AUC = 0.5)",
    ]


def test_plot_roc_curve_sets_up_a_fresh_given_axes():
    fig, ax = plt.subplots()

    plotting.plot_roc_curve(ROC_LABELS, ROC_SCORES, ax=ax)

    assert len(ax.get_lines()) == 2
    assert ax.get_xlabel() == "false positive rate"


# --- plot_error_vs_latent_size ----------------------------------------------


def test_plot_error_vs_latent_size_draws_one_line_per_architecture():
    results = {
        "dense": {8: 0.02, 2: 0.04, 32: 0.012},
        "conv": {2: 0.03, 8: 0.015, 32: 0.008, 64: 0.006},
    }
    baseline = {64: 0.01, 2: 0.05, 8: 0.03, 32: 0.015}

    fig = plotting.plot_error_vs_latent_size(
        results, baseline=baseline, title="latent size"
    )

    assert isinstance(fig, matplotlib.figure.Figure)
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["dense", "conv", "PCA"]
    for line, curve in zip(lines, [*results.values(), baseline], strict=True):
        sizes = sorted(curve)
        np.testing.assert_array_equal(line.get_xdata(), sizes)
        np.testing.assert_array_equal(line.get_ydata(), [curve[s] for s in sizes])
    assert [line.get_linestyle() for line in lines] == ["-", "-", "--"]
    assert lines[0].get_marker() == "o"
    assert ax.get_xscale() == "log"
    assert list(ax.get_xticks()) == [2, 8, 32, 64]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "8", "32", "64"]
    assert legend_texts(ax) == ["dense", "conv", "PCA"]
    assert ax.get_ylabel() == "test MSE per pixel"
    assert ax.get_title() == "latent size"


def test_plot_error_vs_latent_size_uses_a_linear_axis_for_other_sizes():
    results = {"dense": {10: 0.03, 20: 0.02, 30: 0.017}}

    fig = plotting.plot_error_vs_latent_size(results, ylabel="MSE")

    (ax,) = fig.axes
    assert ax.get_xscale() == "linear"
    assert list(ax.get_xticks()) == [10, 20, 30]
    assert ax.get_ylabel() == "MSE"
    assert len(ax.get_lines()) == 1
    assert ax.get_title() == ""


def test_plot_error_vs_latent_size_accepts_numpy_numbers():
    results = {"dense": {np.int64(4): np.float32(0.5), 1: 1}}

    fig = plotting.plot_error_vs_latent_size(results)

    (line,) = fig.axes[0].get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [1, 4])
    np.testing.assert_array_equal(line.get_ydata(), [1.0, 0.5])


# --- bad input for the latent, sparsity, ROC and comparison plots -----------


CODINGS = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
LABELS = np.array([0, 1, 1])


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (
            (np.zeros((3, 5)), LABELS),
            {},
            ValueError,
            r"codings must have shape \(N, 2\), one 2-D point per example; got "
            r"shape \(3, 5\); project them to 2-D first, .*fit_pca",
        ),
        ((np.zeros(3), LABELS), {}, ValueError, r"codings must have shape .*\(3,\)"),
        ((np.zeros((0, 2)), []), {}, ValueError, r"codings must not be empty"),
        (
            (np.full((3, 2), np.nan), LABELS),
            {},
            ValueError,
            r"codings must not contain NaN",
        ),
        ((np.full((3, 2), "a"), LABELS), {}, TypeError, r"codings must have a num"),
        (
            (CODINGS, [0.0, 1.0, 1.0]),
            {},
            TypeError,
            r"labels must be integer class labels; got an array of dtype float64",
        ),
        (
            (CODINGS, [0, 1]),
            {},
            ValueError,
            r"labels must be a 1-D array with one label per point of codings "
            r"\(3\); got shape \(2,\)",
        ),
        ((CODINGS, [[0, 1, 1]]), {}, ValueError, r"labels must be a 1-D array"),
        ((CODINGS, [0, -1, 1]), {}, ValueError, r"labels must be non-negative.*-1"),
        (
            (CODINGS, LABELS),
            {"class_names": ["a"]},
            ValueError,
            r"class_names must have a name for every label \(0 to 1\); got 1 names",
        ),
        (
            (CODINGS, LABELS),
            {"class_names": "ab"},
            TypeError,
            r"class_names must be a sequence of strings .*got str",
        ),
        (
            (CODINGS, LABELS),
            {"class_names": [0, 1]},
            TypeError,
            r"class_names must be a sequence of strings; got \[0, 1\]",
        ),
        (
            (CODINGS, LABELS),
            {"n_thumbnails": 2},
            ValueError,
            r"images must be given to draw n_thumbnails=2 thumbnails",
        ),
        (
            (CODINGS, LABELS),
            {"n_thumbnails": -1},
            ValueError,
            r"n_thumbnails must be an integer >= 0; got -1",
        ),
        (
            (CODINGS, LABELS),
            {"n_thumbnails": 1.5},
            TypeError,
            r"n_thumbnails must be an integer >= 0; got 1\.5",
        ),
        (
            (CODINGS, LABELS),
            {"n_thumbnails": True},
            TypeError,
            r"n_thumbnails must be .*got True",
        ),
        (
            (CODINGS, LABELS),
            {"images": np.zeros((2, 4, 4)), "n_thumbnails": 1},
            ValueError,
            r"images must have one image per point of codings \(3\); got 2 images",
        ),
        (
            (CODINGS, LABELS),
            {"images": np.full((3, 4, 4), 255), "n_thumbnails": 1},
            ValueError,
            r"images has values in \[255, 255\]",
        ),
        (
            (CODINGS, LABELS),
            {"images": np.zeros((3, 4)), "n_thumbnails": 1},
            ValueError,
            r"images must have shape",
        ),
        (
            (CODINGS, LABELS),
            {"value_range": "[0,255]"},
            ValueError,
            r"value_range must be one of '\[0,1\]', '\[-1,1\]'; got '\[0,255\]'",
        ),
        ((CODINGS, LABELS), {"title": 3}, TypeError, r"title must be a string .*3"),
        (
            (CODINGS, LABELS),
            {"ax": "left"},
            TypeError,
            r"ax must be a matplotlib Axes or None; got str",
        ),
    ],
)
def test_plot_latent_scatter_rejects_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_latent_scatter(*args, **kwargs)
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    ("activations", "kwargs", "error", "match"),
    [
        (
            [np.zeros((2, 2))],
            {},
            TypeError,
            r"activations must be a dict \{model name: array \(N, units\)\}; got list",
        ),
        ({}, {}, ValueError, r"activations must hold at least one model"),
        (
            {1: np.zeros((2, 2))},
            {},
            TypeError,
            r"activations must be keyed by model names \(strings\); got 1",
        ),
        (
            {"ae": np.zeros(4)},
            {},
            ValueError,
            r"activations\['ae'\] must be a non-empty array of shape \(N, units\), "
            r"one row per example; got shape \(4,\)",
        ),
        (
            {"ae": np.zeros((2, 2, 2))},
            {},
            ValueError,
            r"activations\['ae'\] must be .*\(2, 2, 2\)",
        ),
        ({"ae": np.zeros((0, 3))}, {}, ValueError, r"activations\['ae'\] must be"),
        (
            {"ae": [[0.1, np.inf]]},
            {},
            ValueError,
            r"activations\['ae'\] must not contain NaN or infinite values",
        ),
        ({"ae": [["a"]]}, {}, TypeError, r"activations\['ae'\] must have a numeric"),
        ({"ae": np.zeros((2, 2))}, {"bins": 0}, ValueError, r"bins must be .*got 0"),
        ({"ae": np.zeros((2, 2))}, {"bins": 2.5}, TypeError, r"bins must .*got 2\.5"),
    ],
)
def test_plot_activation_histograms_rejects_bad_arguments(
    activations, kwargs, error, match
):
    with pytest.raises(error, match=match):
        plotting.plot_activation_histograms(activations, **kwargs)
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    ("labels", "scores", "kwargs", "error", "match"),
    [
        ([0, 2], [0.1, 0.2], {}, ValueError, r"labels must contain only 0 .* and 1"),
        ([1, 1], [0.1, 0.2], {}, ValueError, r"labels must contain both classes"),
        ([0, 1], [0.1], {}, ValueError, r"labels and scores must have the same"),
        ([0, 1], [0.1, np.nan], {}, ValueError, r"scores must contain only finite"),
        ([0, 1], ["a", "b"], {}, TypeError, r"scores must hold"),
        ([0, 1], [0.1, 0.2], {"label": 3}, TypeError, r"label must be a string .*3"),
        (
            [0, 1],
            [0.1, 0.2],
            {"ax": plt},
            TypeError,
            r"ax must be a matplotlib Axes or None; got module",
        ),
    ],
)
def test_plot_roc_curve_rejects_bad_arguments(labels, scores, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_roc_curve(labels, scores, **kwargs)
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    ("results", "kwargs", "error", "match"),
    [
        (
            [0.1, 0.2],
            {},
            TypeError,
            r"results must be a dict \{architecture name: \{latent size: error\}\}; "
            r"got list",
        ),
        ({}, {}, ValueError, r"results must hold at least one architecture"),
        (
            {("dense",): {2: 0.1}},
            {},
            TypeError,
            r"results must be keyed by architecture names \(strings\); "
            r"got \('dense',\)",
        ),
        (
            {"dense": [0.1, 0.2]},
            {},
            TypeError,
            r"results\['dense'\] must be a dict \{latent size: error\}; got list",
        ),
        (
            {"dense": {}},
            {},
            ValueError,
            r"results\['dense'\] must hold at least one latent size",
        ),
        (
            {"dense": {2.0: 0.1}},
            {},
            TypeError,
            r"results\['dense'\] must be keyed by integer latent sizes; got 2\.0",
        ),
        (
            {"dense": {True: 0.1}},
            {},
            TypeError,
            r"results\['dense'\] must be keyed by integer .*got True",
        ),
        (
            {"dense": {0: 0.1}},
            {},
            ValueError,
            r"results\['dense'\] latent sizes must be >= 1; got 0",
        ),
        (
            {"dense": {2: "0.1"}},
            {},
            TypeError,
            r"results\['dense'\]\[2\] must be a number \(the error\); got '0\.1'",
        ),
        (
            {"dense": {2: None}},
            {},
            TypeError,
            r"results\['dense'\]\[2\] must be a number",
        ),
        (
            {"dense": {2: float("nan")}},
            {},
            ValueError,
            r"results\['dense'\]\[2\] must be finite; got nan",
        ),
        (
            {"dense": {2: 0.1}},
            {"baseline": {2: float("inf")}},
            ValueError,
            r"baseline\[2\] must be finite; got inf",
        ),
        (
            {"dense": {2: 0.1}},
            {"baseline": [0.1]},
            TypeError,
            r"baseline must be a dict \{latent size: error\}; got list",
        ),
        (
            {"dense": {2: 0.1}},
            {"ylabel": None},
            TypeError,
            r"ylabel must be a string; got None",
        ),
        ({"dense": {2: 0.1}}, {"title": 1}, TypeError, r"title must be a string"),
    ],
)
def test_plot_error_vs_latent_size_rejects_bad_arguments(results, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_error_vs_latent_size(results, **kwargs)
    assert plt.get_fignums() == []


# --- VAE plots: traversal, manifold, interpolation ---------------------------


def numbered_table(rows, columns, side=4, channels=()):
    """A table of constant images; image [i, j] has value (i * columns + j) / N."""
    count = rows * columns
    values = np.arange(count, dtype=float).reshape(rows, columns) / count
    values = values.reshape(rows, columns, 1, 1, *[1 for _ in channels])
    return np.broadcast_to(values, (rows, columns, side, side, *channels)).copy()


def test_plot_latent_traversal_tiles_one_row_per_dimension():
    table = numbered_table(3, 5)
    fig = plotting.plot_latent_traversal(table, [-2.0, -1.0, 0.0, 1.0, 2.0])
    (ax,) = fig.axes
    mosaic = image_data(ax)
    assert mosaic.shape == (3 * 4, 5 * 4)
    for i in range(3):
        for j in range(5):
            assert mosaic[i * 4, j * 4] == table[i, j, 0, 0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["z1", "z2", "z3"]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "-2.0",
        "-1.0",
        "+0.0",
        "+1.0",
        "+2.0",
    ]
    assert ax.get_xlabel() == "offset from the starting code"


def test_plot_latent_traversal_takes_row_labels_channels_and_minus_one_one():
    table = numbered_table(2, 3, channels=(1,))
    fig = plotting.plot_latent_traversal(
        table * 2.0 - 1.0,
        [0.0, 0.5, 1.0],
        row_labels=["size", "ink"],
        value_range="[-1,1]",
    )
    (ax,) = fig.axes
    np.testing.assert_allclose(image_data(ax)[0, 4], table[0, 1, 0, 0, 0])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["size", "ink"]


@pytest.mark.parametrize(
    ("images", "offsets", "kwargs", "match"),
    [
        (np.zeros((2, 3, 4, 4)), [0.0, 1.0], {}, r"one value per column \(3\)"),
        (np.zeros((2, 3, 4, 4)), [0, 1, 2], {"row_labels": ["a"]}, "one label per row"),
        (np.zeros((3, 4, 4)), [0, 1, 2], {}, r"shape \(rows, columns, H, W\)"),
        (np.full((2, 3, 4, 4), 2.0), [0, 1, 2], {}, "outside value_range"),
    ],
)
def test_plot_latent_traversal_rejects_bad_arguments(images, offsets, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting.plot_latent_traversal(images, offsets, **kwargs)
    assert plt.get_fignums() == []


def test_plot_latent_manifold_draws_z2_upwards():
    table = numbered_table(3, 3)
    fig = plotting.plot_latent_manifold(table, [-1.0, 0.0, 1.0], size=3.0)
    (ax,) = fig.axes
    mosaic = image_data(ax)
    assert mosaic.shape == (12, 12)
    # images[i, j] is decoded from z = (values[j], values[i]): the last row of the
    # table (largest z2) is drawn at the top, columns follow z1 from left to right.
    assert mosaic[0, 0] == table[2, 0, 0, 0] and mosaic[0, 8] == table[2, 2, 0, 0]
    assert mosaic[8, 0] == table[0, 0, 0, 0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("z1", "z2")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["-1.0", "0.0", "1.0"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1.0", "0.0", "-1.0"]
    assert tuple(fig.get_size_inches()) == (3.0, 3.0)


def test_plot_latent_manifold_thins_ticks_on_large_grids():
    table = numbered_table(16, 16, side=2)
    fig = plotting.plot_latent_manifold(table, np.linspace(-2, 2, 16))
    assert len(fig.axes[0].get_xticklabels()) == 8  # every second value


@pytest.mark.parametrize(
    ("images", "values"),
    [(np.zeros((2, 3, 4, 4)), [0.0, 1.0]), (np.zeros((3, 3, 4, 4)), [0.0, 1.0])],
)
def test_plot_latent_manifold_rejects_grids_that_do_not_match(images, values):
    with pytest.raises(ValueError, match=r"\(n, n, \.\.\.\) grid matching grid_values"):
        plotting.plot_latent_manifold(images, values)


def test_plot_interpolation_titles_each_image_with_its_weight(rng):
    images = rng.uniform(size=(4, 8, 8))
    fig = plotting.plot_interpolation(images, np.linspace(0.0, 1.0, 4))
    assert [ax.get_title() for ax in visible_axes(fig)] == [
        "α = 0.00",
        "α = 0.33",
        "α = 0.67",
        "α = 1.00",
    ]
    np.testing.assert_allclose(image_data(fig.axes[2]), images[2])


def test_plot_interpolation_rejects_one_weight_per_image_missing(rng):
    with pytest.raises(ValueError, match=r"one weight per image \(3\)"):
        plotting.plot_interpolation(rng.uniform(size=(3, 8, 8)), [0.0, 1.0])


def test_plot_block_diagram_draws_a_box_per_block_and_labelled_arrows():
    fig = plotting.plot_block_diagram(
        {"z": (0, 0), "G": (1, 0), "image": (2, 1)},
        [("z", "G"), ("G", "image", "G(z)")],
        colours={"G": "#cfe2f3"},
        title="generator",
    )
    ax = fig.axes[0]
    texts = [text.get_text() for text in ax.texts]
    assert {"z", "G", "image", "G(z)"} <= set(texts)
    box = ax.texts[texts.index("G")].get_bbox_patch()
    assert matplotlib.colors.to_hex(box.get_facecolor()) == "#cfe2f3"
    arrow_count = sum(
        isinstance(child, matplotlib.text.Annotation) for child in ax.get_children()
    )
    assert arrow_count == 2
    assert ax.get_title() == "generator"


@pytest.mark.parametrize(
    ("blocks", "arrows", "kwargs", "match"),
    [
        ({}, [], {}, "blocks must be a non-empty mapping"),
        ({"a": (0, 0, 1)}, [], {}, r"blocks\['a'\] must be a finite \(x, y\) pair"),
        ({"a": (0, float("nan"))}, [], {}, r"blocks\['a'\] must be a finite"),
        ({"a": (0, 0)}, [("a", "b")], {}, r"blocks does not have: \['b'\]"),
        ({"a": (0, 0)}, [("a",)], {}, "each arrow must be"),
        ({"a": (0, 0)}, ["ab"], {}, "each arrow must be"),
        ({"a": (0, 0)}, [], {"colours": {"c": "red"}}, r"colours .*\['c'\]"),
    ],
)
def test_plot_block_diagram_rejects_bad_arguments(blocks, arrows, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting.plot_block_diagram(blocks, arrows, **kwargs)
