"""Measure a checkpoint on the Fashion-MNIST test set, and compare with the manifest.

Every score is measured the same way when a checkpoint is made (``train``)
and when it is checked (``verify``): on the first :data:`EVAL_IMAGES` test
images, with fixed sampling seeds, in the feature space of the shipped domain
classifier. Taught in ``notebooks/08_gan_training_problems.ipynb`` (the
metrics) and used by every notebook that loads a checkpoint.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.pretrained.recipes import KINDS

#: Test images scored, and images generated, per checkpoint.
EVAL_IMAGES = 10_000
#: Seed of the codes of generated samples.
SAMPLE_SEED = 0
#: Samples per class of a conditional model (the requested-class share).
SAMPLES_PER_CLASS = 1_000
#: Seed of the conditional model's codes (as notebook 09).
CONDITIONAL_SEED = 1
#: Diffusion models sample slowly on a CPU (one network call per step), so
#: they are scored on fewer samples: DDIM with this many steps ...
DIFFUSION_STEPS = 25
#: ... for this many unconditional samples ...
DIFFUSION_SAMPLES = 1_000
#: ... and this many samples per class with classifier-free guidance ...
DIFFUSION_SAMPLES_PER_CLASS = 100
#: ... at this guidance scale (notebook 11's choice).
DIFFUSION_GUIDANCE = 2.0

#: Autoregressive models draw one pixel per network call (784 calls per
#: batch: minutes for the PixelCNN on a CPU), so they are scored on this many
#: samples (seed SAMPLE_SEED); FIDs of so few samples run high, so compare
#: them only with FIDs of as many samples.
AUTOREGRESSIVE_SAMPLES = 500

#: A likelihood VAE's importance-weighted bound: images and samples per image.
IWAE_IMAGES = 1_000
IWAE_SAMPLES = 100

#: How far a re-measured score may move: ``abs + rel * |stored|``.
TOLERANCES: dict[str, tuple[float, float]] = {
    "test accuracy": (0.003, 0.0),
    "recon. MSE": (0.0, 0.02),
    "ELBO (nats)": (1.0, 0.0),
    "test bits/dim": (0.01, 0.0),
    "ELBO bits/dim": (0.01, 0.0),
    "IWAE bits/dim": (0.02, 0.0),
    "FID": (0.5, 0.05),
    "KID": (0.5, 0.10),
    "precision": (0.02, 0.0),
    "recall": (0.02, 0.0),
    "classes covered": (0.0, 0.0),
    "smallest class share": (0.01, 0.0),
    "requested class share": (0.01, 0.0),
    "guided FID": (0.5, 0.05),
    "guided recall": (0.02, 0.0),
}


def to_unit_range(images: np.ndarray, value_range: str) -> np.ndarray:
    """Images in [0, 1] from the model's range (tanh output is in [-1, 1]).

    Example:
        >>> to_unit_range(np.array([-1.0, 0.0, 1.0]), "[-1,1]").tolist()
        [0.0, 0.5, 1.0]
    """
    images = np.asarray(images, dtype=np.float32)
    if value_range == "[-1,1]":
        images = (images + 1.0) / 2.0
    return np.clip(images, 0.0, 1.0)


def score_samples(reference, samples, classifier, seed: int = 0) -> dict[str, Any]:
    """Every metric of ``samples`` (in [0, 1]) against ``reference``.

    :func:`course_utils.metrics.score_images` plus the share of each class
    (``class shares``, in the order of ``data.CLASS_NAMES``) and the smallest
    one. Used by :func:`measure` and by ``python -m course_utils.report``.

    Example:
        >>> score_samples(test_images, samples, classifier)["FID"]  # doctest: +SKIP
        38.8
    """
    from course_utils import metrics

    row = metrics.score_images(reference, samples, classifier=classifier, seed=seed)
    shares = metrics.class_coverage(samples, classifier=classifier).shares
    row["smallest class share"] = float(shares.min())
    row["class shares"] = [float(share) for share in shares]
    return row


def _sample_scores(reference, samples, classifier) -> dict[str, Any]:
    """The manifest's subset of :func:`score_samples`."""
    scores = score_samples(reference, samples, classifier)
    return {
        "FID": scores["FID"],
        "KID": scores["KID"],
        "precision": scores["precision"],
        "recall": scores["recall"],
        "classes covered": int(scores["classes covered"]),
        "smallest class share": scores["smallest class share"],
        "class shares": [round(share, 4) for share in scores["class shares"]],
    }


def measure(kind: str, model, value_range: str, classifier=None) -> dict[str, Any]:
    """Measure a trained model of ``kind`` on the test images.

    Args:
        kind: One of :data:`~course_utils.pretrained.recipes.KINDS`.
        model: The trained model.
        value_range: The model's pixel range.
        classifier: The domain classifier of the metrics (None: the shipped
            one; a classifier checkpoint measures itself).

    Returns:
        A dict of scores (floats, plus the list ``class shares``).

    Example:
        >>> measure("gan", load("dcgan"), "[-1,1]")["FID"]  # doctest: +SKIP
        38.8
    """
    from course_utils import data, metrics

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    test = data.load_fashion_mnist()
    reference = test.x_test[:EVAL_IMAGES]
    labels = test.y_test[:EVAL_IMAGES]
    if kind == "classifier":
        probabilities = model.predict(reference, batch_size=1_000, verbose=0)
        return {"test accuracy": float(np.mean(probabilities.argmax(axis=1) == labels))}
    if kind == "autoencoder":
        reconstructions = model.predict(reference, batch_size=1_000, verbose=0)
        return {"recon. MSE": metrics.reconstruction_error(reference, reconstructions)}
    if classifier is None:
        from course_utils.models.classifier import domain_classifier

        classifier = domain_classifier(verbose=False)
    if kind == "autoregressive":
        levels = data.load_fashion_mnist(value_range="uint8").x_test[:EVAL_IMAGES]
        samples = model.sample(AUTOREGRESSIVE_SAMPLES, seed=SAMPLE_SEED)
        return {"test bits/dim": model.bits_per_dim(levels)} | _sample_scores(
            reference, samples.astype(np.float32) / 255.0, classifier
        )
    if kind == "vae":
        mean, _ = model.encode(reference, batch_size=1_000)
        scores = {
            "recon. MSE": metrics.reconstruction_error(
                reference, model.decode(mean, batch_size=1_000)
            ),
            "ELBO (nats)": float(np.mean(model.elbo(reference, batch_size=1_000))),
        }
        if model.reconstruction == "logistic":
            scores |= {
                "ELBO bits/dim": model.bits_per_dim(reference, k=1, batch_size=1_000),
                "IWAE bits/dim": model.bits_per_dim(
                    reference[:IWAE_IMAGES], k=IWAE_SAMPLES
                ),
            }
        samples = model.sample(EVAL_IMAGES, seed=SAMPLE_SEED)
        return scores | _sample_scores(reference, samples, classifier)
    if kind == "gan":
        samples = model.generate(EVAL_IMAGES, seed=SAMPLE_SEED, batch_size=1_000)
        return _sample_scores(
            reference, to_unit_range(samples, value_range), classifier
        )
    if kind == "conditional_gan":
        requested = np.repeat(np.arange(model.n_classes), SAMPLES_PER_CLASS)
        samples = to_unit_range(
            model.generate_for_labels(
                requested, seed=CONDITIONAL_SEED, batch_size=1_000
            ),
            value_range,
        )
        return _requested_class_scores(samples, requested, classifier) | (
            _sample_scores(reference, samples, classifier)
        )
    samples = model.sample(DIFFUSION_SAMPLES, steps=DIFFUSION_STEPS, seed=SAMPLE_SEED)
    scores = _sample_scores(reference, to_unit_range(samples, value_range), classifier)
    if model.n_classes is None:
        return scores
    requested = np.repeat(np.arange(model.n_classes), DIFFUSION_SAMPLES_PER_CLASS)
    guided = model.sample(
        len(requested),
        steps=DIFFUSION_STEPS,
        labels=requested,
        guidance=DIFFUSION_GUIDANCE,
        seed=CONDITIONAL_SEED,
    )
    guided = to_unit_range(guided, value_range)
    guided_scores = _sample_scores(reference, guided, classifier)
    return (
        scores
        | _requested_class_scores(guided, requested, classifier)
        | {
            "guided FID": guided_scores["FID"],
            "guided recall": guided_scores["recall"],
        }
    )


def _requested_class_scores(samples, requested, classifier) -> dict[str, Any]:
    """The share of ``samples`` (in [0, 1]) classified as their requested class."""
    predicted = classifier.predict(samples, value_range="[0,1]")
    per_class = [
        round(float(np.mean(predicted[requested == label] == label)), 4)
        for label in range(int(requested.max()) + 1)
    ]
    return {
        "requested class share": float(np.mean(predicted == requested)),
        "requested class share per class": per_class,
    }


def describe_evaluation(kind: str) -> str:
    """How the scores of a checkpoint of ``kind`` are measured, in one sentence.

    Example:
        >>> describe_evaluation("autoencoder")
        'per-pixel MSE of the reconstructions of the first 10,000 test images'
    """
    test = f"the first {EVAL_IMAGES:,} test images"
    features = "in the feature space of the domain_classifier checkpoint"
    return {
        "classifier": f"accuracy on {test}",
        "autoencoder": f"per-pixel MSE of the reconstructions of {test}",
        "vae": (
            f"ELBO (one z per image) and MSE of the mean reconstructions of {test}; "
            f"{EVAL_IMAGES:,} samples from the prior (seed {SAMPLE_SEED}) scored "
            f"against {test} {features}; for a VAE of 8-bit levels (logistic "
            f"decoder) also the negative ELBO of {test} and the importance-weighted "
            f"bound with k = {IWAE_SAMPLES} of the first {IWAE_IMAGES:,}, in bits per "
            "dimension"
        ),
        "gan": (
            f"{EVAL_IMAGES:,} samples (generate(seed={SAMPLE_SEED})) scored against "
            f"{test} {features}"
        ),
        "conditional_gan": (
            f"{SAMPLES_PER_CLASS:,} samples of each class (generate_for_labels("
            f"seed={CONDITIONAL_SEED})), classified by the domain_classifier "
            f"checkpoint, and scored against {test} {features}"
        ),
        "diffusion": (
            f"{DIFFUSION_SAMPLES:,} samples without a label (DDIM, "
            f"{DIFFUSION_STEPS} steps, seed {SAMPLE_SEED}) scored against {test} "
            f"{features}; {DIFFUSION_SAMPLES_PER_CLASS} samples of each class with "
            f"classifier-free guidance {DIFFUSION_GUIDANCE} (seed {CONDITIONAL_SEED}) "
            "classified by the domain_classifier checkpoint and scored the same way "
            "(guided FID, guided recall)"
        ),
        "autoregressive": (
            f"exact negative log-likelihood of {test} as 8-bit grey levels, in "
            f"bits per dimension; {AUTOREGRESSIVE_SAMPLES:,} samples drawn pixel by "
            f"pixel (seed {SAMPLE_SEED}) scored against {test} {features}"
        ),
    }[kind]


def compare(stored: dict[str, Any], measured: dict[str, Any]) -> list[str]:
    """Scores that moved beyond :data:`TOLERANCES`, in plain words.

    Scores without a tolerance (lists such as ``class shares``) are not
    compared; their summary (``smallest class share``) is.

    Example:
        >>> compare({"FID": 40.0}, {"FID": 41.0})
        []
        >>> compare({"FID": 40.0}, {"FID": 50.0})
        ['FID: measured 50, manifest 40 (allowed 40 +- 2.5)']
    """
    problems = []
    for key, (absolute, relative) in TOLERANCES.items():
        if key not in stored:
            continue
        if key not in measured:
            problems.append(f"{key}: in the manifest but not measured")
            continue
        allowed = absolute + relative * abs(stored[key])
        if abs(measured[key] - stored[key]) > allowed:
            problems.append(
                f"{key}: measured {measured[key]:.4g}, manifest {stored[key]:.4g} "
                f"(allowed {stored[key]:.4g} +- {allowed:.2g})"
            )
    return problems
