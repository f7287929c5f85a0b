"""Tests for course_utils.pretrained: manifest, checks, recipes, training, CLI.

Every test works in a temporary ``files_dir`` with tiny models: none needs
the shipped checkpoints.
"""

import dataclasses
import json
import zipfile

import keras
import numpy as np
import pytest

from course_utils import data, pretrained
from course_utils.pretrained import __main__ as cli
from course_utils.pretrained import recipes, scores, training

needs_data = pytest.mark.skipif(
    data.find_data_dir() is None, reason="Fashion-MNIST is not installed locally"
)

TINY_BUILDER = recipes.Call(
    "course_utils.models.autoencoders.build_dense_autoencoder",
    {"input_shape": (28, 28), "latent_dim": 2, "hidden_units": (8,)},
)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def tiny_model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)],
        name="tiny",
    )


def install(files_dir, name, model, **extra):
    """Save ``model`` as checkpoint ``name`` and write its manifest entry."""
    files_dir.mkdir(parents=True, exist_ok=True)
    path = files_dir / f"{name}.keras"
    model.save(path)
    pretrained.write_manifest_entry(
        name,
        {
            "name": name,
            "notebook": f"{name}.ipynb",
            "description": f"the {name} model",
            "kind": "autoencoder",
            "value_range": "[0,1]",
            "file": path.name,
            "size_bytes": path.stat().st_size,
            "sha256": pretrained.sha256_of(path),
            "scores": {"recon. MSE": 0.01},
            "recipe": {"epochs": 3, "batch_size": 64},
            "train_seconds": 90.0,
            **extra,
        },
        files_dir,
    )
    return path


def snapshot(folder):
    """Every file under ``folder`` (hidden ones included) with its bytes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def files_dir(tmp_path):
    folder = tmp_path / "files"
    install(folder, "tiny", tiny_model(0))
    install(folder, "other", tiny_model(1))
    return folder


# --------------------------------------------------------------------------
# The manifest and the file checks
# --------------------------------------------------------------------------


def test_load_round_trip_gives_the_same_weights_uncompiled(tmp_path):
    model = tiny_model(3)
    model.compile(optimizer="adam", loss="mse")
    install(tmp_path, "tiny", model)
    loaded = pretrained.load("tiny", files_dir=tmp_path)
    assert isinstance(loaded, keras.Model)
    assert loaded is not model
    for saved, read in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, read)
    assert not loaded.compiled
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )


def test_load_a_course_model(tmp_path):
    # A model of the package's builders (registered classes) loads in safe mode.
    model = TINY_BUILDER()
    install(tmp_path, "dense_ae", model)
    loaded = pretrained.load("dense_ae", files_dir=tmp_path)
    for saved, read in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, read)


def test_entry_and_checkpoint_path(files_dir):
    info = pretrained.entry("tiny", files_dir)
    assert info["file"] == "tiny.keras"
    assert pretrained.checkpoint_path("tiny", files_dir) == files_dir / "tiny.keras"
    assert pretrained.verify_file("tiny", files_dir) == files_dir / "tiny.keras"
    assert pretrained.manifest_path(files_dir) == files_dir / "manifest.json"
    assert pretrained.manifest_path() == pretrained.FILES_DIR / "manifest.json"
    assert issubclass(pretrained.CheckpointError, ValueError)


@pytest.mark.parametrize("name", ["nope", 3, None])
def test_unknown_name_lists_the_known_ones(files_dir, name):
    with pytest.raises(pretrained.CheckpointError, match="unknown checkpoint") as info:
        pretrained.load(name, files_dir=files_dir)
    assert "tiny, other" in str(info.value)
    assert repr(name) in str(info.value)


def test_missing_file_names_the_file_and_the_fix(files_dir):
    (files_dir / "tiny.keras").unlink()
    with pytest.raises(pretrained.CheckpointError, match="missing") as info:
        pretrained.load("tiny", files_dir=files_dir)
    message = str(info.value)
    assert str(files_dir / "tiny.keras") in message
    assert "python -m course_utils.pretrained train tiny" in message
    # The other checkpoint is not affected.
    assert pretrained.load("other", files_dir=files_dir)


def test_changed_byte_is_caught_by_the_sha256(files_dir):
    path = files_dir / "tiny.keras"
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))
    assert path.stat().st_size == pretrained.entry("tiny", files_dir)["size_bytes"]
    with pytest.raises(pretrained.CheckpointError, match="SHA-256") as info:
        pretrained.load("tiny", files_dir=files_dir)
    assert "corrupt" in str(info.value)
    assert "train tiny" in str(info.value)


def test_truncated_file_is_caught_by_the_size(files_dir):
    path = files_dir / "tiny.keras"
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(pretrained.CheckpointError, match="has 100 bytes") as info:
        pretrained.load("tiny", files_dir=files_dir)
    assert f"{size:,}" in str(info.value)
    assert "truncated" in str(info.value)


def test_missing_manifest(tmp_path):
    with pytest.raises(pretrained.CheckpointError, match="manifest.*is missing"):
        pretrained.load("tiny", files_dir=tmp_path)
    with pytest.raises(pretrained.CheckpointError, match="is missing"):
        pretrained.available(tmp_path)


@pytest.mark.parametrize(
    "text", ["{not json", '{"other": {}}', ""], ids=["syntax", "no key", "empty"]
)
def test_invalid_manifest(files_dir, text):
    pretrained.manifest_path(files_dir).write_text(text)
    with pytest.raises(pretrained.CheckpointError, match="not valid"):
        pretrained.read_manifest(files_dir)
    with pytest.raises(pretrained.CheckpointError, match="not valid"):
        pretrained.load("tiny", files_dir=files_dir)


@pytest.mark.parametrize(
    "content",
    [b"[]", b'{"checkpoints": null}', b'"text"', b"\xff\xfe binary"],
    ids=["list", "null entries", "string", "not utf-8"],
)
def test_manifest_of_the_wrong_shape(files_dir, content):
    pretrained.manifest_path(files_dir).write_bytes(content)
    with pytest.raises(pretrained.CheckpointError, match="not valid"):
        pretrained.load("tiny", files_dir=files_dir)


def test_available_rows(files_dir):
    rows = pretrained.available(files_dir)
    assert rows == [
        {
            "name": "tiny",
            "notebook": "tiny.ipynb",
            "description": "the tiny model",
            "scores": {"recon. MSE": 0.01},
        },
        {
            "name": "other",
            "notebook": "other.ipynb",
            "description": "the other model",
            "scores": {"recon. MSE": 0.01},
        },
    ]


def test_write_manifest_entry_keeps_the_others_and_no_temporary_file(files_dir):
    before = pretrained.read_manifest(files_dir)
    pretrained.write_manifest_entry("tiny", {"file": "new.keras"}, files_dir)
    after = pretrained.read_manifest(files_dir)
    assert list(after) == ["tiny", "other"]
    assert after["tiny"] == {"file": "new.keras"}
    assert after["other"] == before["other"]
    pretrained.write_manifest_entry("third", {"file": "third.keras"}, files_dir)
    assert list(pretrained.read_manifest(files_dir)) == ["tiny", "other", "third"]
    assert sorted(p.name for p in files_dir.iterdir()) == [
        "manifest.json",
        "other.keras",
        "tiny.keras",
    ]
    # The file is the documented JSON layout.
    assert set(json.loads(pretrained.manifest_path(files_dir).read_text())) == {
        "checkpoints"
    }


def test_write_manifest_entry_creates_the_manifest(tmp_path):
    pretrained.write_manifest_entry("a", {"file": "a.keras"}, tmp_path)
    assert pretrained.read_manifest(tmp_path) == {"a": {"file": "a.keras"}}
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_failed_manifest_write_leaves_the_old_one(files_dir):
    before = snapshot(files_dir)
    with pytest.raises(TypeError):
        pretrained.write_manifest_entry("tiny", {"bad": object()}, files_dir)
    assert snapshot(files_dir) == before


def test_sha256_of(tmp_path):
    path = tmp_path / "file"
    path.write_bytes(b"abc")
    assert pretrained.sha256_of(path) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


# --------------------------------------------------------------------------
# Recipes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["nope", 3, None])
def test_unknown_recipe_lists_the_names(name):
    with pytest.raises(ValueError, match="unknown checkpoint") as info:
        recipes.recipe(name)
    assert ", ".join(recipes.RECIPES) in str(info.value)


def test_call_text_and_resolve():
    call = recipes.Call(
        "course_utils.models.gan.build_dcgan", {"latent_dim": 100, "upsampling": "x"}
    )
    assert call.text() == (
        "course_utils.models.gan.build_dcgan(latent_dim=100, upsampling='x')"
    )
    assert recipes.Call("math.floor", {}).text() == "math.floor()"
    from course_utils.models import gan

    assert call.resolve() is gan.build_dcgan


def test_optimizer_text():
    assert recipes.Optimizer("Adam", 2e-4, beta_1=0.5).text() == (
        "keras.optimizers.Adam(learning_rate=0.0002, beta_1=0.5)"
    )
    assert recipes.Optimizer("Nadam", 2e-3, cosine_decay=True).text() == (
        "keras.optimizers.Nadam(learning_rate=CosineDecay(0.002, "
        "decay_steps=epochs * steps_per_epoch))"
    )


def test_optimizer_build():
    adam = recipes.Optimizer("Adam", 2e-4, beta_1=0.5).build(100)
    assert isinstance(adam, keras.optimizers.Adam)
    assert adam.beta_1 == 0.5
    rate = keras.ops.convert_to_numpy(adam.learning_rate)
    assert float(rate) == pytest.approx(2e-4)
    nadam = recipes.Optimizer("Nadam", 2e-3, cosine_decay=True).build(100)
    schedule = nadam._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay)
    assert schedule.decay_steps == 100
    assert float(schedule(100)) == pytest.approx(0.0, abs=1e-9)


def test_recipes_are_consistent():
    assert list(recipes.RECIPES)[0] == "domain_classifier"
    for name, recipe in recipes.RECIPES.items():
        assert recipe.name == name
        assert recipe.kind in recipes.KINDS
        # the likelihood models of notebook 10 train on the 8-bit levels themselves
        likelihood_model = recipe.kind == "autoregressive"
        assert (
            recipe.value_range == "uint8"
            if likelihood_model
            else (recipe.value_range in ("[0,1]", "[-1,1]"))
        ), name
        assert ("8-bit grey levels" in recipe.describe()["data"]) == likelihood_model
        assert recipe.notebook.endswith(".ipynb")
        assert callable(recipe.builder.resolve()), name
        needs_loss = recipe.kind in ("classifier", "autoencoder")
        assert (recipe.loss is not None) == needs_loss, name
        described = recipe.describe()
        assert json.loads(json.dumps(described)) == described
        assert described["builder"] == recipe.builder.text()
        assert described["epochs"] == recipe.epochs
        with_labels = recipe.kind in ("classifier", "conditional_gan", "diffusion")
        assert ("with labels" in described["data"]) == with_labels
    assert (
        "500 batches per epoch"
        in recipes.recipe("dense_gan").describe()["epoch_length"]
    )


@pytest.mark.parametrize("name", ["domain_classifier", "dense_ae", "conv_ae"])
def test_small_recipes_build(name):
    model = recipes.recipe(name).builder()
    assert isinstance(model, keras.Model)
    if name == "domain_classifier":
        assert model.get_layer("embedding").output.shape == (None, 128)
    else:
        assert model.output_shape == (None, 28, 28)


# --------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------


def test_compare_within_and_beyond_tolerance():
    stored = {"FID": 40.0, "test accuracy": 0.92, "class shares": [0.1] * 10}
    assert scores.compare(stored, {"FID": 41.9, "test accuracy": 0.922}) == []
    problems = scores.compare(stored, {"FID": 50.0, "test accuracy": 0.91})
    assert problems == [
        "test accuracy: measured 0.91, manifest 0.92 (allowed 0.92 +- 0.003)",
        "FID: measured 50, manifest 40 (allowed 40 +- 2.5)",
    ]
    # A score of the manifest that was not measured is a problem; lists and
    # scores without a tolerance are not compared.
    missing = ["FID: in the manifest but not measured"]
    assert scores.compare({"FID": 40.0}, {}) == missing
    assert scores.compare({"class shares": [0.1]}, {"class shares": [0.9]}) == []
    assert scores.compare({"classes covered": 10}, {"classes covered": 9}) != []


def test_every_kind_has_an_evaluation_sentence():
    for kind in recipes.KINDS:
        assert "10,000 test images" in scores.describe_evaluation(kind)


def test_measure_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of .*; got 'nope'"):
        scores.measure("nope", None, "[0,1]")


def test_to_unit_range():
    images = np.array([-1.0, 0.0, 1.0, 1.5])
    np.testing.assert_allclose(
        scores.to_unit_range(images, "[-1,1]"), [0.0, 0.5, 1.0, 1.0]
    )
    np.testing.assert_allclose(
        scores.to_unit_range(images, "[0,1]"), [0.0, 0.0, 1.0, 1.0]
    )


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        (["train", "nope"], "'nope'"),
        (["train", "dense_ae", "--nope"], "--nope"),
        (["verify", "dense_ae", "nope"], "'nope'"),
        (["verify", "nope"], "'nope'"),
        (["fly"], "'fly'"),
        ([], "COMMAND"),
    ],
)
def test_cli_rejects_unknown_words(argv, word, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert word in capsys.readouterr().err


def test_cli_unknown_verify_name_lists_the_checkpoints(capsys):
    with pytest.raises(SystemExit):
        cli.main(["verify", "nope"])
    assert ", ".join(recipes.RECIPES) in capsys.readouterr().err


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "list" in out and "verify" in out and "train" in out


def test_cli_resume_without_state(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(training.CACHE_DIR_VARIABLE, str(tmp_path))
    assert cli.main(["train", "dense_ae", "--resume", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "no interrupted run of 'dense_ae'" in err
    assert "python -m course_utils.pretrained train dense_ae" in err
    assert str(tmp_path / "pretrained-state" / "dense_ae") in err


def test_cli_train_prints_the_scores(monkeypatch, capsys):
    calls = []

    def fake_make_checkpoint(name, **kwargs):
        calls.append((name, kwargs))
        return {"scores": {"recon. MSE": 0.0123, "FID": 5.0}, "train_seconds": 61.0}

    monkeypatch.setattr(training, "make_checkpoint", fake_make_checkpoint)
    assert cli.main(["train", "dense_ae"]) == 0
    assert calls == [("dense_ae", {"resume": False, "progress": True})]
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "dense_ae: recon. MSE 0.0123, FID 5.0",
        "trained in 61 s; manifest updated",
    ]
    cli.main(["train", "dense_ae", "--resume", "--no-progress"])
    assert calls[-1] == ("dense_ae", {"resume": True, "progress": False})


def test_cli_list(files_dir, monkeypatch, capsys):
    monkeypatch.setattr(pretrained, "FILES_DIR", files_dir)
    assert cli.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["tiny", "other"]
    assert "tiny.ipynb" in lines[0]
    assert "recon. MSE 0.0100" in lines[0]
    assert "3 x 64" in lines[0] and "2 min" in lines[0]
    assert cli.main(["list", "--markdown"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| checkpoint | notebook |")
    assert table[2].startswith("| `tiny` | ti | 3 x 64 | 2 min |")


def test_cli_verify(tmp_path, monkeypatch, capsys):
    install(tmp_path, "dense_ae", tiny_model(0))
    install(tmp_path, "conv_ae", tiny_model(1), scores={"recon. MSE": 0.02})
    monkeypatch.setattr(pretrained, "FILES_DIR", tmp_path)
    monkeypatch.setattr(
        scores, "measure", lambda kind, model, value_range: {"recon. MSE": 0.0101}
    )
    assert cli.main(["verify"]) == 1
    out = capsys.readouterr().out
    assert "ok   dense_ae" in out
    assert "FAIL conv_ae" in out
    assert "recon. MSE: measured 0.0101, manifest 0.02" in out
    assert out.splitlines()[-1] == "1 passed, 1 failed"
    assert cli.main(["verify", "dense_ae"]) == 0
    # A corrupt file fails without being scored.
    path = tmp_path / "dense_ae.keras"
    content = bytearray(path.read_bytes())
    content[-1] ^= 0xFF
    path.write_bytes(bytes(content))
    assert cli.main(["verify", "dense_ae"]) == 1
    assert "SHA-256" in capsys.readouterr().out


# --------------------------------------------------------------------------
# Making a checkpoint
# --------------------------------------------------------------------------


class InterruptedRunError(Exception):
    """Stands for a Ctrl-C or a lost Colab runtime."""


@pytest.fixture(scope="module")
def images():
    if data.find_data_dir() is None:
        pytest.skip("Fashion-MNIST is not installed locally")
    dataset = data.load_fashion_mnist(limit=256)
    return dataset.x_train, dataset.y_train


@pytest.fixture
def tiny_recipe(monkeypatch, images, tmp_path):
    """dense_ae made tiny (256 images, 3 epochs), with a fake scorer."""
    recipe = dataclasses.replace(
        recipes.RECIPES["dense_ae"], builder=TINY_BUILDER, epochs=3, batch_size=64
    )
    monkeypatch.setitem(recipes.RECIPES, "dense_ae", recipe)
    monkeypatch.setattr(training, "training_data", lambda recipe: images)
    monkeypatch.setattr(
        scores, "measure", lambda kind, model, value_range: {"recon. MSE": 0.05}
    )
    monkeypatch.setenv(training.CACHE_DIR_VARIABLE, str(tmp_path / "env-cache"))
    return recipe


def make(tmp_path, **kwargs):
    return training.make_checkpoint(
        "dense_ae",
        files_dir=tmp_path / "files",
        cache_dir=tmp_path / "cache",
        progress=False,
        **kwargs,
    )


def test_state_dir_order(monkeypatch, tmp_path):
    monkeypatch.delenv(training.CACHE_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert training.state_dir("x") == (
        tmp_path / "home" / ".cache" / "course_utils" / "pretrained-state" / "x"
    )
    monkeypatch.setenv(training.CACHE_DIR_VARIABLE, str(tmp_path / "env"))
    assert training.state_dir("x") == tmp_path / "env" / "pretrained-state" / "x"
    assert training.state_dir("x", tmp_path / "arg") == (
        tmp_path / "arg" / "pretrained-state" / "x"
    )


@needs_data
def test_make_checkpoint_installs_file_and_entry(tiny_recipe, tmp_path):
    files = tmp_path / "files"
    install(files, "other", tiny_model(1))
    other = pretrained.entry("other", files)
    new_entry = make(tmp_path)
    path = files / "dense_ae.keras"
    assert new_entry["file"] == "dense_ae.keras"
    assert new_entry["size_bytes"] == path.stat().st_size
    assert new_entry["sha256"] == pretrained.sha256_of(path)
    assert pretrained.read_manifest(files) == {"other": other, "dense_ae": new_entry}
    for key in (
        "recipe",
        "versions",
        "hardware",
        "created",
        "train_seconds",
        "median_epoch_seconds",
        "evaluation",
    ):
        assert key in new_entry, key
    assert new_entry["recipe"] == tiny_recipe.describe()
    assert new_entry["recipe"]["epochs"] == 3
    assert new_entry["scores"] == {"recon. MSE": 0.05}
    assert new_entry["kind"] == "autoencoder"
    assert "resumed" not in new_entry
    assert {"python", "keras", "tensorflow", "numpy"} <= set(new_entry["versions"])
    assert "load_average" not in new_entry["hardware"]
    assert json.loads(json.dumps(new_entry)) == new_entry
    # The installed file loads, uncompiled, and nothing else is left behind.
    model = pretrained.load("dense_ae", files_dir=files)
    assert not model.compiled
    assert model.output_shape == (None, 28, 28)
    assert sorted(p.name for p in files.iterdir()) == [
        "dense_ae.keras",
        "manifest.json",
        "other.keras",
    ]
    assert not training.state_dir("dense_ae", tmp_path / "cache").exists()


@needs_data
def test_make_checkpoint_is_seeded(tiny_recipe, tmp_path):
    first = make(tmp_path / "a")
    second = make(tmp_path / "b")
    a = pretrained.load("dense_ae", files_dir=tmp_path / "a" / "files")
    b = pretrained.load("dense_ae", files_dir=tmp_path / "b" / "files")
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)
    assert first["recipe"] == second["recipe"]


def interrupt_second_epoch(monkeypatch, epochs_seen):
    """Record each finished epoch and raise at the end of the second one."""
    original = training.EpochTimer.on_epoch_end

    def on_epoch_end(self, epoch, logs=None):
        original(self, epoch, logs)
        epochs_seen.append(epoch)
        if epoch == 1:
            raise InterruptedRunError("lost the runtime")

    monkeypatch.setattr(training.EpochTimer, "on_epoch_end", on_epoch_end)


def raise_interrupted(*args, **kwargs):
    raise InterruptedRunError("lost the runtime")


@needs_data
@pytest.mark.parametrize("where", ["training", "scoring", "copying"])
def test_interruption_leaves_the_old_checkpoint(
    tiny_recipe, tmp_path, monkeypatch, where
):
    files = tmp_path / "files"
    install(files, "dense_ae", tiny_model(0))
    install(files, "other", tiny_model(1))
    before = snapshot(files)
    if where == "training":
        interrupt_second_epoch(monkeypatch, [])
    elif where == "scoring":
        monkeypatch.setattr(scores, "measure", raise_interrupted)
    else:
        monkeypatch.setattr(pretrained, "sha256_of", raise_interrupted)
    with pytest.raises(InterruptedRunError):
        make(tmp_path)
    # Same files, same bytes, no temporary file (snapshot lists hidden files).
    assert snapshot(files) == before
    state = training.state_dir("dense_ae", tmp_path / "cache")
    if where == "training":
        assert (state / "backup" / "training_metadata.json").is_file()
        assert not (state / "final.keras").exists()
    else:
        assert (state / "final.keras").is_file()
        assert (state / "epoch_seconds.json").is_file()


def record_epochs(monkeypatch, epochs_seen):
    """Append the index of every epoch that ends to ``epochs_seen``."""
    original = training.EpochTimer.on_epoch_end

    def record(self, epoch, logs=None):
        original(self, epoch, logs)
        epochs_seen.append(epoch)

    monkeypatch.setattr(training.EpochTimer, "on_epoch_end", record)


@needs_data
def test_resume_continues_an_interrupted_run(tiny_recipe, tmp_path, monkeypatch):
    epochs_seen = []
    with monkeypatch.context() as patch:
        interrupt_second_epoch(patch, epochs_seen)
        with pytest.raises(InterruptedRunError):
            make(tmp_path)
    assert epochs_seen == [0, 1]
    state = training.state_dir("dense_ae", tmp_path / "cache")
    metadata = json.loads((state / "backup" / "training_metadata.json").read_text())
    assert metadata["epoch"] == 2

    record_epochs(monkeypatch, epochs_seen)
    new_entry = make(tmp_path, resume=True)
    # Only the third epoch ran again.
    assert epochs_seen == [0, 1, 2]
    assert new_entry["resumed"] is True
    assert not state.exists()
    files = tmp_path / "files"
    assert pretrained.entry("dense_ae", files) == new_entry
    assert pretrained.load("dense_ae", files_dir=files).output_shape == (None, 28, 28)


@needs_data
def test_resume_rescores_a_finished_run_without_training(
    tiny_recipe, tmp_path, monkeypatch
):
    with monkeypatch.context() as patch:
        patch.setattr(scores, "measure", raise_interrupted)
        with pytest.raises(InterruptedRunError):
            make(tmp_path)
    monkeypatch.setattr(training, "train", raise_interrupted)
    new_entry = make(tmp_path, resume=True)
    assert new_entry["scores"] == {"recon. MSE": 0.05}
    assert "train_seconds" in new_entry
    assert pretrained.load("dense_ae", files_dir=tmp_path / "files")
    assert not training.state_dir("dense_ae", tmp_path / "cache").exists()


@needs_data
def test_resume_without_state_is_an_error(tiny_recipe, tmp_path):
    with pytest.raises(FileNotFoundError, match="train dense_ae"):
        make(tmp_path, resume=True)
    assert not (tmp_path / "files").exists()


@needs_data
def test_a_new_run_discards_old_state(tiny_recipe, tmp_path, monkeypatch):
    epochs_seen = []
    with monkeypatch.context() as patch:
        interrupt_second_epoch(patch, epochs_seen)
        with pytest.raises(InterruptedRunError):
            make(tmp_path)
    record_epochs(monkeypatch, epochs_seen)
    make(tmp_path)
    assert epochs_seen == [0, 1, 0, 1, 2]


@needs_data
def test_make_checkpoint_uses_the_cache_variable(tiny_recipe, tmp_path, monkeypatch):
    seen = []
    original = training.train

    def spy(recipe, **kwargs):
        seen.append(training.state_dir(recipe.name, kwargs["cache_dir"]))
        return original(recipe, **kwargs)

    monkeypatch.setattr(training, "train", spy)
    training.make_checkpoint("dense_ae", files_dir=tmp_path / "files", progress=False)
    assert seen == [tmp_path / "env-cache" / "pretrained-state" / "dense_ae"]


def test_portable_copy_drops_only_newer_defaults(tmp_path):
    from course_utils.pretrained import portable

    config = {
        "units": 8,
        "quantization_config": None,
        "layers": [{"renorm": False, "momentum": 0.9}, {"renorm": True}],
        "kernel_initializer": {"input_axes": None, "seed": 3},
    }
    assert portable.without_newer_defaults(config) == {
        "units": 8,
        "layers": [{"momentum": 0.9}, {"renorm": True}],
        "kernel_initializer": {"seed": 3},
    }
    path = tmp_path / "tiny.keras"
    tiny_model(0).save(path)
    (tmp_path / "copy").mkdir()
    copy = portable.portable_copy(path, tmp_path / "copy")
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(copy) as portable_file:
        assert original.namelist() == portable_file.namelist()
        for name in original.namelist():
            if name != "config.json":
                assert original.read(name) == portable_file.read(name)
        assert "quantization_config" not in portable_file.read("config.json").decode()
