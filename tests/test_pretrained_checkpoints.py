"""The shipped checkpoints: every file verifies, and the course's quality bars hold.

This is ``python -m course_utils.pretrained verify`` inside the test suite
(inference only, no training): each checkpoint is loaded (its SHA-256
checked), re-measured on the test set and compared with its manifest entry
by the functions that ``verify`` runs; the quality bars are then checked on
the re-measured scores, each measured once.
"""

import functools

import pytest

from course_utils import data, likelihood, pretrained
from course_utils.pretrained import __main__ as command_line
from course_utils.pretrained import recipes, scores

NAMES = list(recipes.RECIPES)
#: Total size of all shipped files, in bytes (the course's limit).
MAX_TOTAL_BYTES = 30_000_000


@functools.cache
def remeasured(name):
    return pretrained.measure(name)


def test_every_recipe_has_a_checkpoint_and_the_files_are_small():
    manifest = pretrained.read_manifest()
    assert set(manifest) == set(NAMES)
    total = sum(info["size_bytes"] for info in manifest.values())
    assert total <= MAX_TOTAL_BYTES, f"{total:,} bytes"


@pytest.mark.parametrize("name", NAMES)
def test_manifest_entry_is_complete(name):
    info = pretrained.entry(name)
    recipe = recipes.recipe(name)
    assert info["recipe"] == recipe.describe()
    assert info["notebook"] == recipe.notebook
    for key in ("hardware", "train_seconds", "versions", "sha256", "scores"):
        assert info[key], key
    assert {"tensorflow", "keras", "numpy"} <= set(info["versions"])


@pytest.mark.parametrize("name", NAMES)
def test_checkpoint_verifies(name):
    problems = scores.compare(pretrained.entry(name)["scores"], remeasured(name))
    assert not problems, problems


def test_verify_command(capsys):
    status = command_line.main(["verify", "dense_ae"])
    output = capsys.readouterr().out
    assert status == 0, output
    assert output.startswith("ok   dense_ae")
    assert output.rstrip().endswith("1 passed, 0 failed")


def test_classifier_is_accurate():
    assert remeasured("domain_classifier")["test accuracy"] >= 0.92


def test_dcgan_covers_every_class_and_beats_the_dense_gan():
    dcgan, dense = remeasured("dcgan"), remeasured("dense_gan")
    assert dcgan["classes covered"] == 10
    assert min(dcgan["class shares"]) >= 0.05, dcgan["class shares"]
    assert dcgan["FID"] <= 0.5 * dense["FID"], (dcgan["FID"], dense["FID"])


def test_conditional_dcgan_obeys_the_label():
    assert remeasured("conditional_dcgan")["requested class share"] >= 0.80


def test_conv_ae_beats_dense_ae():
    assert remeasured("conv_ae")["recon. MSE"] < remeasured("dense_ae")["recon. MSE"]


def test_diffusion_guided_samples_beat_the_dcgan_and_obey_the_label():
    diffusion = remeasured("diffusion")
    assert diffusion["requested class share"] >= 0.90
    assert diffusion["classes covered"] == 10
    # 1,000 guided samples against the DCGAN's 10,000: the DCGAN is favoured
    assert diffusion["guided FID"] < 0.5 * pretrained.entry("dcgan")["scores"]["FID"]


def test_pixelcnn_beats_the_vae_bounds():
    pixelcnn, vae = remeasured("pixelcnn"), remeasured("logistic_vae")
    # exact NLL below both bounds of the VAE, on the same test images and units
    assert pixelcnn["test bits/dim"] < vae["IWAE bits/dim"] < vae["ELBO bits/dim"]


def test_made_beats_the_independent_pixel_floor():
    levels = data.load_fashion_mnist(value_range="uint8")
    floor = likelihood.independent_pixel_bits_per_dim(
        levels.x_train, levels.x_test[: scores.EVAL_IMAGES]
    )
    made = remeasured("made")["test bits/dim"]
    assert made < floor - 0.5, (made, floor)
    assert remeasured("pixelcnn")["test bits/dim"] < made
