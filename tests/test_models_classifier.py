"""Tests for course_utils.models.classifier: the cached domain classifier."""

import dataclasses
import json

import keras
import numpy as np
import pytest

from course_utils import data, metrics
from course_utils.models import classifier

# A much smaller "fast" classifier, so that the tests train it in seconds.
TINY_SETTINGS = dataclasses.replace(
    classifier.FAST_SETTINGS,
    filters=(8, 16),
    embedding_dim=32,
    train_images=3_000,
    epochs=1,
)

needs_data = pytest.mark.skipif(
    data.find_data_dir() is None, reason="Fashion-MNIST is not installed locally"
)


class TrainingCounter:
    """Wraps train_classifier and counts the calls."""

    def __init__(self, train):
        self.train = train
        self.calls = 0

    def __call__(self, settings, **kwargs):
        self.calls += 1
        return self.train(settings, **kwargs)


def refuse_to_train(settings, **kwargs):
    raise AssertionError("the classifier must be loaded, not trained")


@pytest.fixture(scope="module")
def fashion():
    if data.find_data_dir() is None:
        pytest.skip("Fashion-MNIST is not installed locally")
    return data.load_fashion_mnist()


@pytest.fixture(scope="module")
def trained(tmp_path_factory, fashion):
    """Train the tiny fast classifier once for the module, in a tmp cache."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(classifier, "FAST_SETTINGS", TINY_SETTINGS)
        patch.setattr(classifier, "_LOADED", {})
        counter = TrainingCounter(classifier.train_classifier)
        patch.setattr(classifier, "train_classifier", counter)
        model = classifier.domain_classifier(fast=True, cache_dir=cache, verbose=False)
        assert counter.calls == 1
    return model, cache


@pytest.fixture
def tiny_mode(monkeypatch):
    """The tiny settings as the fast ones, and an empty in-memory cache."""
    monkeypatch.setattr(classifier, "FAST_SETTINGS", TINY_SETTINGS)
    monkeypatch.setattr(classifier, "_LOADED", {})


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------


def test_build_classifier_shapes_and_embedding_layer():
    model = classifier.build_classifier()
    assert model.output_shape == (None, 10)
    assert model.get_layer("embedding").output.shape == (None, 128)
    assert model.get_layer("probabilities").activation is keras.activations.softmax
    with_channel = classifier.build_classifier((28, 28, 1), filters=(4, 8))
    assert tuple(with_channel.inputs[0].shape) == (None, 28, 28, 1)
    probabilities = keras.ops.convert_to_numpy(model(np.zeros((2, 28, 28))))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"input_shape": (30, 30)}, ValueError, "divisible by 4"),
        ({"input_shape": "28x28"}, TypeError, "input_shape"),
        ({"filters": (8,)}, ValueError, "two values"),
        ({"embedding_dim": 0}, ValueError, "embedding_dim"),
        ({"embedding_dim": 2.5}, TypeError, "embedding_dim"),
        ({"dropout": 1.0}, ValueError, "dropout"),
        ({"n_classes": True}, TypeError, "n_classes"),
    ],
)
def test_build_classifier_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        classifier.build_classifier(**kwargs)


def test_domain_classifier_needs_an_embedding_layer():
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten()])
    with pytest.raises(ValueError, match="embedding"):
        classifier.DomainClassifier(model)
    with pytest.raises(TypeError, match="keras.Model"):
        classifier.DomainClassifier("model")


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------


def test_prepare_images_maps_both_ranges_to_unit_interval():
    rng = np.random.default_rng(0)
    unit = rng.uniform(size=(4, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(classifier.prepare_images(unit, "[0,1]"), unit)
    np.testing.assert_allclose(
        classifier.prepare_images(unit * 2 - 1, "[-1,1]"), unit, atol=1e-6
    )
    with_channel = classifier.prepare_images(unit[..., None].astype(np.float64))
    assert with_channel.shape == (4, 28, 28)
    assert with_channel.dtype == np.float32
    # A rounding overshoot is clipped, not an error.
    assert classifier.prepare_images(unit + 5e-4).max() <= 1.0


@pytest.mark.parametrize(
    ("images", "value_range", "error", "match"),
    [
        (np.zeros((2, 28, 28), np.uint8), "[0,1]", TypeError, "uint8.*scale_images"),
        (np.zeros((2, 28, 28), bool), "[0,1]", TypeError, "dtype bool"),
        (np.zeros((28, 28)), "[0,1]", ValueError, "shape"),
        (np.zeros((2, 28, 28, 3)), "[0,1]", ValueError, "shape"),
        (np.zeros((0, 28, 28)), "[0,1]", ValueError, "N >= 1"),
        (np.full((2, 28, 28), -0.5), "[0,1]", ValueError, "value_range='\\[-1,1\\]'"),
        (np.full((2, 28, 28), 1.2), "[-1,1]", ValueError, "from 1.2"),
        (np.full((2, 28, 28), 0.5), "[-1,1]", ValueError, "look like images in"),
        (np.full((2, 28, 28), np.inf), "[0,1]", ValueError, "finite"),
        (np.zeros((2, 28, 28)), "uint8", ValueError, "scale raw uint8"),
        (np.zeros((2, 28, 28)), None, ValueError, "value_range"),
    ],
)
def test_prepare_images_rejects(images, value_range, error, match):
    with pytest.raises(error, match=match):
        classifier.prepare_images(images, value_range)


# --------------------------------------------------------------------------
# Cache folder and file names
# --------------------------------------------------------------------------


def test_cache_dir_order(monkeypatch, tmp_path):
    monkeypatch.delenv(classifier.CACHE_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    default = tmp_path / "home" / ".cache" / "course_utils"
    assert classifier.resolve_cache_dir() == default
    monkeypatch.setenv(classifier.CACHE_DIR_VARIABLE, str(tmp_path / "env"))
    assert classifier.resolve_cache_dir() == tmp_path / "env"
    assert classifier.resolve_cache_dir(tmp_path / "arg") == tmp_path / "arg"


def test_fast_and_full_files_differ(monkeypatch, tmp_path):
    fast_files = classifier.classifier_paths(True, tmp_path)
    full_files = classifier.classifier_paths(False, tmp_path)
    assert fast_files != full_files
    for model_path, info_path in (fast_files, full_files):
        assert model_path.parent == tmp_path
        assert model_path.suffix == ".keras"
        assert info_path == model_path.with_suffix(".json")
    monkeypatch.setenv("COURSE_FAST", "1")
    assert classifier.classifier_paths(None, tmp_path) == fast_files
    monkeypatch.setenv("COURSE_FAST", "0")
    assert classifier.settings_for() is classifier.FULL_SETTINGS
    with pytest.raises(TypeError, match="fast"):
        classifier.settings_for("yes")


def test_full_settings_are_the_documented_ones():
    settings = classifier.FULL_SETTINGS
    assert settings.train_images is None
    assert settings.embedding_dim == 128
    assert 5 <= settings.epochs <= 12  # about 10 minutes on 2 CPU cores
    assert classifier.FAST_SETTINGS.train_images == 10_000
    assert classifier.FAST_SETTINGS.epochs <= 3


# --------------------------------------------------------------------------
# Training, saving, loading
# --------------------------------------------------------------------------


@needs_data
def test_first_call_trains_and_writes_model_and_info(trained):
    model, cache = trained
    model_path, info_path = classifier.classifier_paths(True, cache)
    assert model.path == model_path
    assert model_path.is_file()
    info = json.loads(info_path.read_text())
    assert info["mode"] == "fast"
    assert 0.3 < info["test_accuracy"] <= 1.0
    assert info["train_seconds"] > 0
    assert info["train_images"] == TINY_SETTINGS.train_images
    assert info["settings"]["filters"] == [8, 16]
    assert {"python", "tensorflow", "keras", "numpy"} <= set(info["versions"])
    # No temporary file is left behind.
    assert sorted(cache.iterdir()) == sorted([model_path, info_path])


@needs_data
def test_second_call_loads_instead_of_training(trained, tiny_mode, monkeypatch, capsys):
    first, cache = trained
    monkeypatch.setattr(classifier, "train_classifier", refuse_to_train)
    loaded = classifier.domain_classifier(fast=True, cache_dir=cache)
    assert loaded is not first
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith("Loaded the fast domain classifier from")
    images = np.random.default_rng(0).uniform(size=(5, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(loaded.embed(images), first.embed(images), rtol=1e-5)
    # Within one process the loaded classifier is kept: no second load.
    assert classifier.domain_classifier(fast=True, cache_dir=cache) is loaded
    assert capsys.readouterr().out == ""


@needs_data
def test_cache_dir_from_environment_variable(trained, tiny_mode, monkeypatch):
    _, cache = trained
    monkeypatch.setattr(classifier, "train_classifier", refuse_to_train)
    monkeypatch.setenv(classifier.CACHE_DIR_VARIABLE, str(cache))
    loaded = classifier.domain_classifier(fast=True, verbose=False)
    assert loaded.path == classifier.classifier_paths(True, cache)[0]


def fake_training(settings, **kwargs):
    model = classifier.build_classifier(
        filters=settings.filters, embedding_dim=settings.embedding_dim
    )
    info = {
        "test_accuracy": 0.1,
        "train_seconds": 0.0,
        "settings": dataclasses.asdict(settings),
    }
    return model, info


@needs_data
@pytest.mark.parametrize("damage", ["corrupt model", "other settings", "no info"])
def test_broken_or_stale_cache_is_trained_again(
    trained, tiny_mode, monkeypatch, tmp_path, capsys, damage
):
    _, cache = trained
    model_path, info_path = classifier.classifier_paths(True, cache)
    copy_model = tmp_path / model_path.name
    copy_info = tmp_path / info_path.name
    copy_model.write_bytes(model_path.read_bytes())
    copy_info.write_text(info_path.read_text())
    if damage == "corrupt model":
        copy_model.write_bytes(b"not a zip file")
    elif damage == "other settings":
        info = json.loads(copy_info.read_text())
        info["settings"]["epochs"] = 99
        copy_info.write_text(json.dumps(info))
    else:
        copy_info.unlink()
    counter = TrainingCounter(fake_training)
    monkeypatch.setattr(classifier, "train_classifier", counter)
    retrained = classifier.domain_classifier(fast=True, cache_dir=tmp_path)
    assert counter.calls == 1
    assert retrained.info["test_accuracy"] == 0.1
    assert "Training the fast domain classifier" in capsys.readouterr().out
    # The new files replace the broken ones and load next time.
    monkeypatch.setattr(classifier, "_LOADED", {})
    monkeypatch.setattr(classifier, "train_classifier", refuse_to_train)
    assert classifier.domain_classifier(fast=True, cache_dir=tmp_path, verbose=False)


@needs_data
def test_training_is_seeded():
    settings = dataclasses.replace(TINY_SETTINGS, train_images=512)
    state = np.random.get_state()
    first, _ = classifier.train_classifier(settings)
    # The global NumPy random state is given back.
    np.testing.assert_array_equal(np.random.get_state()[1], state[1])
    second, _ = classifier.train_classifier(settings)
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_train_classifier_needs_settings():
    with pytest.raises(TypeError, match="ClassifierSettings"):
        classifier.train_classifier({"epochs": 1})


# --------------------------------------------------------------------------
# Using the trained classifier
# --------------------------------------------------------------------------


@needs_data
def test_embed_predict_and_accuracy(trained, fashion):
    model, _ = trained
    images, labels = fashion.x_test[:1_000], fashion.y_test[:1_000]
    embeddings = model.embed(images)
    assert embeddings.shape == (1_000, TINY_SETTINGS.embedding_dim)
    np.testing.assert_allclose(
        model.embed(images * 2 - 1, value_range="[-1,1]"), embeddings, atol=1e-4
    )
    probabilities = model.predict_proba(images[:, :, :, None], batch_size=64)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert model.accuracy(images, labels) > 0.4  # 1 tiny epoch; full mode >= 0.92
    assert model.embedding_dim == TINY_SETTINGS.embedding_dim
    assert "DomainClassifier(embedding_dim=32, mode='fast'" in repr(model)
    with pytest.raises(ValueError, match="one label per image"):
        model.accuracy(images, labels[:10])
    with pytest.raises(TypeError, match="uint8"):
        model.embed((images * 255).astype(np.uint8))


@needs_data
def test_metrics_end_to_end_with_the_trained_classifier(trained, fashion):
    model, _ = trained
    real, other = fashion.x_test[:500], fashion.x_train[:500]
    floor = metrics.frechet_distance(real, other, classifier=model)
    blurred = metrics.frechet_distance(
        real, metrics.blur_images(other, 2.0), classifier=model
    )
    noise = np.random.default_rng(0).uniform(size=other.shape).astype(np.float32)
    noisy = metrics.frechet_distance(real, noise, classifier=model)
    assert floor < blurred < noisy
    trousers = fashion.x_test[fashion.y_test == 1][:300]
    coverage = metrics.class_coverage(trousers, classifier=model)
    # The quick test classifier is weak: most trousers, not all, land in one class.
    assert int(np.argmax(coverage.counts)) == 1 and coverage.shares[1] > 0.7
    assert coverage.n_covered <= 2
    assert metrics.class_coverage(real, classifier=model).n_covered >= 7
    one_class = metrics.precision_recall(real, trousers, classifier=model)
    every_class = metrics.precision_recall(real, other, classifier=model)
    assert one_class.recall < 0.75 * every_class.recall
    assert one_class.precision > 0.5


@needs_data
def test_metrics_use_the_domain_classifier_by_default(trained, monkeypatch):
    model, _ = trained
    monkeypatch.setattr(classifier, "domain_classifier", lambda: model)
    images = np.random.default_rng(1).uniform(size=(20, 28, 28)).astype(np.float32)
    coverage = metrics.class_coverage(images)
    assert coverage.n_images == 20
    assert coverage.counts.sum() == 20


def test_reachable_from_the_package():
    import course_utils as cu

    assert cu.models.classifier is classifier
