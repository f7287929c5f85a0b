"""Tests for course_utils.models.classifier: the shipped domain classifier."""

import keras
import numpy as np
import pytest

from course_utils import data, metrics, pretrained
from course_utils.models import classifier

needs_data = pytest.mark.skipif(
    data.find_data_dir() is None, reason="Fashion-MNIST is not installed locally"
)

# A much smaller classifier than the shipped one, trained in seconds.
TINY_EMBEDDING_DIM = 32


@pytest.fixture(scope="module")
def fashion():
    if data.find_data_dir() is None:
        pytest.skip("Fashion-MNIST is not installed locally")
    return data.load_fashion_mnist()


@pytest.fixture(scope="module")
def trained(fashion):
    """A tiny classifier (3,000 images, one epoch) for the method tests."""
    from course_utils.seeding import reset_seed

    reset_seed(42)
    model = classifier.build_classifier(
        filters=(8, 16), embedding_dim=TINY_EMBEDDING_DIM
    )
    x_train, y_train = fashion.x_train[:3_000], fashion.y_train[:3_000]
    schedule = keras.optimizers.schedules.CosineDecay(
        2e-3, decay_steps=-(-len(x_train) // 64)
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=schedule),
        loss="sparse_categorical_crossentropy",
    )
    model.fit(x_train, y_train, epochs=1, batch_size=64, verbose=0)
    tiny = classifier.DomainClassifier(model, {"mode": "tiny"})
    tiny.info["test_accuracy"] = tiny.accuracy(fashion.x_test, fashion.y_test)
    return tiny


@pytest.fixture
def not_loaded(monkeypatch):
    """An empty in-process cache: the next domain_classifier() call loads."""
    monkeypatch.setattr(classifier, "_LOADED", [])


def install_classifier(files_dir, model, accuracy):
    """Write ``model`` as the domain_classifier checkpoint of ``files_dir``."""
    files_dir.mkdir(parents=True, exist_ok=True)
    path = files_dir / "domain_classifier.keras"
    model.save(path)
    pretrained.write_manifest_entry(
        "domain_classifier",
        {
            "name": "domain_classifier",
            "notebook": "08_gan_training_problems.ipynb",
            "description": "test classifier",
            "kind": "classifier",
            "value_range": "[0,1]",
            "file": path.name,
            "size_bytes": path.stat().st_size,
            "sha256": pretrained.sha256_of(path),
            "scores": {"test accuracy": accuracy},
        },
        files_dir,
    )
    return path


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
# The shipped classifier
# --------------------------------------------------------------------------


def test_domain_classifier_is_loaded_once(not_loaded, capsys):
    first = classifier.domain_classifier(verbose=False)
    assert capsys.readouterr().out == ""
    assert isinstance(first, classifier.DomainClassifier)
    # Later calls return the same object and print nothing, verbose or not.
    assert classifier.domain_classifier() is first
    assert classifier.domain_classifier(verbose=np.bool_(False)) is first
    assert capsys.readouterr().out == ""


def test_domain_classifier_verbose_prints_the_accuracy(not_loaded, capsys):
    accuracy = pretrained.entry("domain_classifier")["scores"]["test accuracy"]
    classifier.domain_classifier()
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"Loaded the domain classifier checkpoint (test accuracy {accuracy:.1%} "
        "on the 10,000 test images)"
    ]


@pytest.mark.parametrize("verbose", ["yes", 1, None])
def test_domain_classifier_bad_verbose(not_loaded, verbose):
    with pytest.raises(TypeError, match="verbose must be True or False"):
        classifier.domain_classifier(verbose=verbose)
    assert classifier._LOADED == []


def test_shipped_classifier_is_the_manifest_one():
    shipped = classifier.domain_classifier(verbose=False)
    info = pretrained.entry(classifier.CHECKPOINT_NAME)
    assert shipped.embedding_dim == 128
    assert shipped.model.output_shape == (None, 10)
    assert shipped.path == pretrained.checkpoint_path("domain_classifier")
    assert shipped.path.is_file()
    assert shipped.info["test_accuracy"] == info["scores"]["test accuracy"]
    assert shipped.info["test_accuracy"] >= 0.9
    assert shipped.info["sha256"] == info["sha256"]
    assert "DomainClassifier(embedding_dim=128, test_accuracy=0.9" in repr(shipped)


@needs_data
def test_shipped_classifier_accuracy(fashion):
    shipped = classifier.domain_classifier(verbose=False)
    images, labels = fashion.x_test[:1_000], fashion.y_test[:1_000]
    assert shipped.accuracy(images, labels) >= 0.88
    assert shipped.embed(images[:10]).shape == (10, 128)


def test_domain_classifier_from_the_package_files(
    not_loaded, monkeypatch, tmp_path, capsys
):
    model = classifier.build_classifier(filters=(4, 8), embedding_dim=16)
    path = install_classifier(tmp_path, model, 0.5)
    monkeypatch.setattr(pretrained, "FILES_DIR", tmp_path)
    loaded = classifier.domain_classifier()
    assert capsys.readouterr().out == (
        "Loaded the domain classifier checkpoint (test accuracy 50.0% on the "
        "10,000 test images)\n"
    )
    assert loaded.embedding_dim == 16
    assert loaded.path == path
    assert loaded.info["test_accuracy"] == 0.5
    for saved, read in zip(
        model.get_weights(), loaded.model.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(saved, read)


def test_missing_or_corrupt_checkpoint_is_an_error(not_loaded, monkeypatch, tmp_path):
    monkeypatch.setattr(pretrained, "FILES_DIR", tmp_path)
    with pytest.raises(pretrained.CheckpointError, match="manifest.*missing"):
        classifier.domain_classifier()
    path = install_classifier(
        tmp_path, classifier.build_classifier(filters=(4, 8), embedding_dim=16), 0.5
    )
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(pretrained.CheckpointError, match="truncated") as info:
        classifier.domain_classifier(verbose=False)
    assert "train domain_classifier" in str(info.value)
    path.unlink()
    with pytest.raises(pretrained.CheckpointError, match="domain_classifier.keras"):
        classifier.domain_classifier(verbose=False)
    # Nothing is kept after a failure: a later call tries again.
    assert classifier._LOADED == []


def test_the_old_training_api_is_gone():
    for name in (
        "ClassifierSettings",
        "FULL_SETTINGS",
        "FAST_SETTINGS",
        "train_classifier",
        "settings_for",
        "classifier_paths",
        "resolve_cache_dir",
    ):
        assert not hasattr(classifier, name), name


# --------------------------------------------------------------------------
# Using the trained classifier
# --------------------------------------------------------------------------


@needs_data
def test_embed_predict_and_accuracy(trained, fashion):
    model = trained
    images, labels = fashion.x_test[:1_000], fashion.y_test[:1_000]
    embeddings = model.embed(images)
    assert embeddings.shape == (1_000, TINY_EMBEDDING_DIM)
    np.testing.assert_allclose(
        model.embed(images * 2 - 1, value_range="[-1,1]"), embeddings, atol=1e-4
    )
    probabilities = model.predict_proba(images[:, :, :, None], batch_size=64)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert model.accuracy(images, labels) > 0.4  # 1 tiny epoch; shipped >= 0.9
    assert model.embedding_dim == TINY_EMBEDDING_DIM
    assert repr(model) == (
        f"DomainClassifier(embedding_dim=32, mode='tiny', "
        f"test_accuracy={model.info['test_accuracy']:.4f})"
    )
    with pytest.raises(ValueError, match="one label per image"):
        model.accuracy(images, labels[:10])
    with pytest.raises(TypeError, match="uint8"):
        model.embed((images * 255).astype(np.uint8))


@needs_data
def test_metrics_end_to_end_with_the_trained_classifier(trained, fashion):
    model = trained
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
    model = trained
    monkeypatch.setattr(classifier, "domain_classifier", lambda: model)
    images = np.random.default_rng(1).uniform(size=(20, 28, 28)).astype(np.float32)
    coverage = metrics.class_coverage(images)
    assert coverage.n_images == 20
    assert coverage.counts.sum() == 20


def test_reachable_from_the_package():
    import course_utils as cu

    assert cu.models.classifier is classifier
