"""Tests for course_utils.report: ``python -m course_utils.report`` end to end."""

import json

import numpy as np
import pytest

from course_utils import data, report
from course_utils.models import classifier
from course_utils.pretrained import recipes

pytestmark = pytest.mark.skipif(
    data.find_data_dir() is None, reason="Fashion-MNIST is not installed locally"
)

TINY = report.Budget(train_images=256, epochs=1, batch_size=64)


class RandomFeatures:
    """A fixed random "domain classifier", so that nothing is trained for it."""

    info = {"mode": "fast", "test_accuracy": 0.5}

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        self.weights = rng.normal(0.0, 1.0 / 28.0, size=(784, 16))
        self.logits = rng.normal(size=(16, 10))

    def embed(self, images, value_range="[0,1]"):
        pixels = classifier.prepare_images(images, value_range)
        return np.maximum(pixels.reshape(len(pixels), -1) @ self.weights, 0.0)

    def predict_proba(self, images, value_range="[0,1]"):
        logits = self.embed(images, value_range) @ self.logits
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        return probabilities / probabilities.sum(axis=1, keepdims=True)


@pytest.fixture
def tiny_report(monkeypatch):
    """Tiny budgets, 64 scored images and a random feature extractor."""
    monkeypatch.setattr(report, "FAST_BUDGETS", dict.fromkeys(report.MODEL_NAMES, TINY))
    monkeypatch.setattr(report, "EVAL_IMAGES", {"fast": 64, "full": 64})
    monkeypatch.setattr(report, "_get_classifier", lambda: RandomFeatures())


def markdown_table(text):
    """The rows of the first markdown table in ``text``, as lists of cells."""
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_report_of_the_dense_autoencoder(tiny_report, tmp_path, capsys):
    status = report.main(
        ["--fast", "--models", "dense_ae", "--output-dir", str(tmp_path)]
    )
    assert status == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "report.json",
        "report.md",
    ]
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["mode"] == "fast"
    assert saved["eval_images"] == 64
    assert saved["columns"] == list(report.COLUMNS)
    assert list(saved["rows"]) == [report.FLOOR_ROW, "dense_ae", "checkpoint dense_ae"]
    row = saved["rows"]["dense_ae"]
    # The shipped checkpoint (30 epochs on 55,000 images) beats one epoch on 256
    assert saved["rows"]["checkpoint dense_ae"]["recon. MSE"] < 0.5 * row["recon. MSE"]
    assert 0.0 < row["recon. MSE"] < 0.2
    assert "ELBO (nats)" not in row
    assert row["FID"] > saved["rows"][report.FLOOR_ROW]["FID"]
    assert 0.0 <= row["precision"] <= 1.0
    assert row["train time (s)"] > 0
    assert row["images/s"] > 0
    assert len(saved["details"]["dense_ae"]["epoch_seconds"]) == 1
    assert saved["details"]["dense_ae"]["train_images"] == 256
    assert {"cpu", "cpu_count", "gpus"} <= set(saved["hardware"])
    assert {"python", "tensorflow", "keras", "numpy"} <= set(saved["versions"])
    assert saved["command"].endswith("--output-dir " + str(tmp_path))

    text = (tmp_path / "report.md").read_text()
    assert text.startswith("# Model report (fast mode)")
    table = markdown_table(text)
    assert table[0] == ["model", *report.COLUMNS]
    assert [cells[0] for cells in table[1:4]] == [
        report.FLOOR_ROW,
        "dense_ae",
        "checkpoint dense_ae",
    ]
    assert table[2][report.COLUMNS.index("ELBO (nats)") + 1] == "-"
    assert "TensorFlow" in text
    printed = capsys.readouterr().out
    assert "dense_ae" in printed
    assert "report.json" in printed


def test_report_of_the_vae_and_the_dcgan(tiny_report, tmp_path):
    saved = report.run_report(["vae", "dcgan"], fast=True, output_dir=tmp_path)
    vae_row, dcgan_row = saved["rows"]["vae"], saved["rows"]["dcgan"]
    assert "ELBO (nats)" in saved["rows"]["checkpoint dense_vae"]
    assert saved["rows"]["checkpoint dcgan"]["FID"] < dcgan_row["FID"]
    assert vae_row["ELBO (nats)"] < 0  # a log-likelihood bound, in nats
    assert 0.0 < vae_row["recon. MSE"] < 0.5
    assert "recon. MSE" not in dcgan_row
    assert saved["details"]["dcgan"]["value_range"] == "[-1,1]"
    for row in (vae_row, dcgan_row):
        assert 1 <= row["classes covered"] <= 10
        assert 1.0 <= row["confidence score"] <= 10.0
        assert len(row["class shares"]) == 10
        assert sum(row["class shares"]) == pytest.approx(1.0, abs=1e-4)
        assert row["smallest class share"] == min(row["class shares"])
        assert 0.0 <= row["smallest class share"] <= 0.1


def test_report_command_line_errors(capsys):
    with pytest.raises(SystemExit) as exit_info:
        report.main(["--models", "pixelcnn"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'pixelcnn'" in capsys.readouterr().err
    arguments = report.build_parser().parse_args([])
    assert arguments.output_dir == "report"
    assert arguments.models == list(report.MODEL_NAMES)
    assert arguments.fast is None
    with pytest.raises(ValueError, match="models must be"):
        report.run_report([], fast=True, output_dir="unused")
    with pytest.raises(ValueError, match="eval_images"):
        report.run_report(["vae"], fast=True, output_dir="unused", eval_images=5)


def test_budgets_cover_every_model():
    for budgets in (report.FULL_BUDGETS, report.FAST_BUDGETS, report.CHECKPOINTS):
        assert set(budgets) == set(report.MODEL_NAMES)
    assert set(report.CHECKPOINTS.values()) <= set(recipes.RECIPES)
    assert all(b.train_images is None for b in report.FULL_BUDGETS.values())
