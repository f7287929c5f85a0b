"""Train the course's main models once and report how good and how fast they are.

Run from the repository root::

    python -m course_utils.report                  # full budget (a GPU is advised)
    python -m course_utils.report --fast           # tiny budget, a few CPU minutes
    python -m course_utils.report --models vae dcgan --output-dir report/

Each model is trained with its own small function (:func:`train_dense_ae`,
:func:`train_conv_ae`, :func:`train_vae`, :func:`train_dense_gan`,
:func:`train_dcgan`) on the Fashion-MNIST training split, with a tqdm progress
bar, then scored against the first ``eval_images`` test images with
:func:`course_utils.metrics.score_images` (FID, KID, precision, recall, class
coverage, all in the domain classifier's feature space): the autoencoders on
their reconstructions of those test images, the VAE and the GANs on as many
generated samples. The reconstruction MSE (autoencoders and VAE) and the ELBO
(VAE, nats per image) are measured on the same test images. A first row scores
real training images: the floor of every metric.

The output folder gets ``report.md`` (a markdown table with the hardware and
versions used) and ``report.json`` (every number, the per-epoch timings, the
budgets). Training time is the wall-clock time of ``fit``; images per second
is the number of training images divided by the median epoch time, the first
epoch left out when there are more (it includes graph tracing).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import pathlib
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from course_utils._arguments import MAX_SEED, integer, integer_argument

#: The models the report can train, in table order.
MODEL_NAMES = ("dense_ae", "conv_ae", "vae", "dense_gan", "dcgan")


@dataclasses.dataclass(frozen=True)
class Budget:
    """How much one model is trained.

    Attributes:
        train_images: Training images used (None: all 55,000).
        epochs: Training epochs.
        batch_size: Batch size.
    """

    train_images: int | None
    epochs: int
    batch_size: int


#: Full-mode budgets (meant for a GPU). Each GAN gets its notebook's recipe:
#: notebook 06's dense GAN 30,000 steps of batch 32 (17 epochs of 1,719 steps
#: come closest), notebook 07's DCGAN 25 epochs of batch 64.
FULL_BUDGETS = {
    "dense_ae": Budget(None, 20, 128),
    "conv_ae": Budget(None, 10, 128),
    "vae": Budget(None, 30, 128),
    "dense_gan": Budget(None, 17, 32),
    "dcgan": Budget(None, 25, 64),
}
#: Fast-mode budgets (a few minutes on a laptop CPU).
FAST_BUDGETS = {
    "dense_ae": Budget(2_000, 2, 128),
    "conv_ae": Budget(2_000, 2, 128),
    "vae": Budget(2_000, 2, 128),
    "dense_gan": Budget(2_000, 2, 32),
    "dcgan": Budget(2_000, 2, 64),
}
#: Test images scored (and images generated) per model, by mode.
EVAL_IMAGES = {"full": 10_000, "fast": 500}
#: Latent sizes of the models.
LATENT_DIMS = {"dense_ae": 30, "conv_ae": 30, "vae": 16, "dense_gan": 30, "dcgan": 100}

#: The course's checkpoint of each model (:mod:`course_utils.pretrained`),
#: scored next to the model the report trains. The VAE checkpoint is notebook
#: 05's dense VAE, the report's VAE a convolutional one.
CHECKPOINTS = {
    "dense_ae": "dense_ae",
    "conv_ae": "conv_ae",
    "vae": "dense_vae",
    "dense_gan": "dense_gan",
    "dcgan": "dcgan",
}
#: Row name of a checkpoint in the table.
CHECKPOINT_ROW = "checkpoint {}"

#: Table columns, in order.
COLUMNS = (
    "recon. MSE",
    "ELBO (nats)",
    "FID",
    "KID",
    "precision",
    "recall",
    "classes covered",
    "smallest class share",
    "confidence score",
    "train time (s)",
    "images/s",
)
FLOOR_ROW = "real training images (floor)"


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------


def _progress_callback(name: str):
    """A Keras callback: a tqdm bar over the batches, and epoch timings."""
    import keras
    from tqdm.auto import tqdm

    class ProgressAndTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epoch_seconds: list[float] = []
            self.bar = None
            self.start = 0.0

        def on_train_begin(self, logs=None):
            total = (self.params.get("epochs") or 1) * (self.params.get("steps") or 0)
            self.bar = tqdm(total=total or None, desc=f"{name:>9}", unit="batch")

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.bar.update(1)

        def on_epoch_end(self, epoch, logs=None):
            self.epoch_seconds.append(time.perf_counter() - self.start)
            shown = {
                key: f"{float(value):.4g}"
                for key, value in (logs or {}).items()
                if key in ("loss", "d_loss", "g_loss")
            }
            self.bar.set_postfix(epoch=epoch + 1, **shown)

        def on_train_end(self, logs=None):
            self.bar.close()

    return ProgressAndTimer()


def _fit(model, x, y, budget: Budget, name: str) -> list[float]:
    """Fit ``model`` with a progress bar; return the seconds of each epoch."""
    callback = _progress_callback(name)
    model.fit(
        x,
        y,
        epochs=budget.epochs,
        batch_size=budget.batch_size,
        shuffle=True,
        verbose=0,
        callbacks=[callback],
    )
    return callback.epoch_seconds


def train_dense_ae(x_train: np.ndarray, budget: Budget):
    """Train the 30-D dense autoencoder (MSE, Adam); data in [0, 1].

    Returns:
        ``(model, epoch_seconds)``.
    """
    import keras

    from course_utils.models import autoencoders

    model = autoencoders.build_dense_autoencoder(latent_dim=LATENT_DIMS["dense_ae"])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
    return model, _fit(model, x_train, x_train, budget, "dense_ae")


def train_conv_ae(x_train: np.ndarray, budget: Budget):
    """Train the 30-D convolutional autoencoder (MSE, Adam); data in [0, 1].

    Returns:
        ``(model, epoch_seconds)``.
    """
    import keras

    from course_utils.models import autoencoders

    model = autoencoders.build_conv_autoencoder(latent_dim=LATENT_DIMS["conv_ae"])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
    return model, _fit(model, x_train, x_train, budget, "conv_ae")


def train_vae(x_train: np.ndarray, budget: Budget, seed: int = 42):
    """Train the 16-D convolutional VAE (Bernoulli decoder, Adam); data in [0, 1].

    Returns:
        ``(model, epoch_seconds)``.
    """
    import keras

    from course_utils.models import vae

    model = vae.build_conv_vae(latent_dim=LATENT_DIMS["vae"], seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3))
    return model, _fit(model, x_train, None, budget, "vae")


def _gan_optimizers(checkpoint: str):
    """One optimizer per player, as in the recipe of the course's checkpoint."""
    from course_utils.pretrained import recipes

    optimizer = recipes.recipe(checkpoint).optimizer
    return {"d_optimizer": optimizer.build(), "g_optimizer": optimizer.build()}


def train_dense_gan(x_train: np.ndarray, budget: Budget, seed: int = 42):
    """Train the dense GAN (30-D codes, notebook 06's RMSprop 1e-3); data in [0, 1].

    Returns:
        ``(model, epoch_seconds)``.
    """
    from course_utils.models import gan

    model = gan.build_dense_gan(LATENT_DIMS["dense_gan"], seed=seed)
    model.compile(**_gan_optimizers("dense_gan"))
    return model, _fit(model, x_train, None, budget, "dense_gan")


def train_dcgan(x_train: np.ndarray, budget: Budget, seed: int = 42):
    """Train the DCGAN (100-D codes, notebook 07's Adam 2e-4); data in [-1, 1].

    Returns:
        ``(model, epoch_seconds)``.
    """
    from course_utils.models import gan

    model = gan.build_dcgan(LATENT_DIMS["dcgan"], seed=seed)
    model.compile(**_gan_optimizers("dcgan"))
    return model, _fit(model, x_train, None, budget, "dcgan")


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _ModelSpec:
    train: Callable[..., Any]
    kind: str  # "autoencoder", "vae" or "gan"
    value_range: str
    seeded: bool


_SPECS = {
    "dense_ae": _ModelSpec(train_dense_ae, "autoencoder", "[0,1]", False),
    "conv_ae": _ModelSpec(train_conv_ae, "autoencoder", "[0,1]", False),
    "vae": _ModelSpec(train_vae, "vae", "[0,1]", True),
    "dense_gan": _ModelSpec(train_dense_gan, "gan", "[0,1]", True),
    "dcgan": _ModelSpec(train_dcgan, "gan", "[-1,1]", True),
}


def _evaluate(model, spec: _ModelSpec, reference: np.ndarray, classifier, seed: int):
    """Scores of one trained model; ``reference`` is in [0, 1]."""
    from course_utils import metrics
    from course_utils.pretrained import scores

    n = len(reference)
    row: dict[str, Any] = {}
    if spec.kind == "autoencoder":
        candidates = model.predict(reference, batch_size=500, verbose=0)
        row["recon. MSE"] = metrics.reconstruction_error(reference, candidates)
    elif spec.kind == "vae":
        mean, _ = model.encode(reference, batch_size=500)
        reconstructions = model.decode(mean, batch_size=500)
        row["recon. MSE"] = metrics.reconstruction_error(reference, reconstructions)
        row["ELBO (nats)"] = float(np.mean(model.elbo(reference, batch_size=500)))
        candidates = model.sample(n, seed=seed)
    else:
        candidates = model.generate(n, seed=seed, batch_size=500)
    candidates = scores.to_unit_range(candidates, spec.value_range)
    row.update(scores.score_samples(reference, candidates, classifier, seed))
    return row


def describe_hardware() -> dict[str, Any]:
    """Return the machine the report runs on: CPU, cores, GPUs, load.

    Example:
        >>> sorted(describe_hardware())  # doctest: +SKIP
        ['cpu', 'cpu_count', 'gpus', 'load_average', 'system']
    """
    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            for line in file:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpus = []
    for device in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(device)
        gpus.append(details.get("device_name", device.name))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "gpus": gpus,
        "system": platform.platform(),
        "load_average": None if load is None else round(load, 2),
    }


def _load_checkpoint(name: str):
    """Load one of the course's shipped checkpoints."""
    from course_utils import pretrained

    return pretrained.load(name)


def _get_classifier():
    """The shipped domain classifier (a seam the tests replace)."""
    from course_utils.models import classifier

    return classifier.domain_classifier()


def run_report(
    models: Sequence[str],
    *,
    fast: bool,
    output_dir: str | os.PathLike,
    seed: int = 42,
    eval_images: int | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """Train, score and write ``report.md`` and ``report.json``.

    Args:
        models: Names from :data:`MODEL_NAMES`.
        fast: Use :data:`FAST_BUDGETS` (else :data:`FULL_BUDGETS`).
        output_dir: Folder for the two files (made if missing).
        seed: Seed of every model and of the samples.
        eval_images: Test images scored per model (default from
            :data:`EVAL_IMAGES`).
        command: The command line, recorded in the report.

    Returns:
        The report as a dict (what ``report.json`` holds).

    Raises:
        ValueError: For an unknown model name or a bad ``eval_images``.

    Example:
        >>> run_report(["vae"], fast=True, output_dir="report")  # doctest: +SKIP
    """
    from course_utils import config, data, seeding
    from course_utils.pretrained import scores

    unknown = [name for name in models if name not in MODEL_NAMES]
    if unknown or not models:
        raise ValueError(
            f"models must be one or more of {', '.join(MODEL_NAMES)}; got "
            f"{list(models)!r}"
        )
    mode = "fast" if fast else "full"
    budgets = FAST_BUDGETS if fast else FULL_BUDGETS
    n_eval = EVAL_IMAGES[mode] if eval_images is None else eval_images
    n_eval = integer("eval_images", n_eval, minimum=10)
    output = pathlib.Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)

    hardware = describe_hardware()
    dataset = data.load_fashion_mnist(value_range="[0,1]")
    n_eval = min(n_eval, len(dataset.x_test), len(dataset.x_train))
    reference = dataset.x_test[:n_eval]
    classifier = _get_classifier()
    rows: dict[str, dict[str, Any]] = {}
    details: dict[str, Any] = {}

    rows[FLOOR_ROW] = scores.score_samples(
        reference, dataset.x_train[:n_eval], classifier, seed
    )
    for name in models:
        spec, budget = _SPECS[name], budgets[name]
        x_train = dataset.x_train[: budget.train_images]
        if spec.value_range == "[-1,1]":
            x_train = x_train * np.float32(2.0) - np.float32(1.0)
        seeding.reset_seed(seed)
        arguments = {"seed": seed} if spec.seeded else {}
        start = time.perf_counter()
        model, epoch_seconds = spec.train(x_train, budget, **arguments)
        train_seconds = time.perf_counter() - start
        row = _evaluate(model, spec, reference, classifier, seed)
        row["train time (s)"] = train_seconds
        # The first epoch also traces the graph: leave it out when possible.
        steady = epoch_seconds[1:] or epoch_seconds
        row["images/s"] = len(x_train) / statistics.median(steady)
        rows[name] = row
        details[name] = {
            "budget": dataclasses.asdict(budget),
            "train_images": len(x_train),
            "latent_dim": LATENT_DIMS[name],
            "value_range": spec.value_range,
            "epoch_seconds": [round(s, 3) for s in epoch_seconds],
        }

    for name in models:
        checkpoint = CHECKPOINTS[name]
        rows[CHECKPOINT_ROW.format(checkpoint)] = _evaluate(
            _load_checkpoint(checkpoint), _SPECS[name], reference, classifier, seed
        )

    report = {
        "mode": mode,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "command": command or "run_report(...)",
        "eval_images": n_eval,
        "seed": seed,
        "hardware": hardware,
        "versions": config.describe_environment(),
        "classifier": getattr(classifier, "info", {}),
        "columns": list(COLUMNS),
        "rows": _json_ready(rows),
        "details": details,
    }
    (output / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (output / "report.md").write_text(_markdown(report, rows))
    return report


def _json_ready(value):
    """Floats rounded, NaN as None, NumPy scalars as Python numbers."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(f"{float(value):.6g}")
    return value


def _markdown(report: dict[str, Any], rows: dict[str, dict[str, Any]]) -> str:
    from course_utils import metrics

    hardware, versions = report["hardware"], report["versions"]
    gpus = ", ".join(hardware["gpus"]) or "none"
    classifier = report["classifier"]
    accuracy = classifier.get("test_accuracy")
    lines = [
        f"# Model report ({report['mode']} mode)",
        "",
        f"Created {report['created']} by `{report['command'].strip()}`.",
        "",
        f"- Hardware: {hardware['cpu']}, {hardware['cpu_count']} CPU cores, "
        f"GPUs: {gpus}; load average at start {hardware['load_average']}",
        f"- Versions: Python {versions['python']}, TensorFlow "
        f"{versions['tensorflow']}, Keras {versions['keras']}, NumPy "
        f"{versions['numpy']}",
        "- Scores against the first "
        f"{report['eval_images']:,} Fashion-MNIST test images, in the feature "
        "space of the domain classifier"
        + (f" (test accuracy {accuracy:.1%})" if accuracy is not None else ""),
        "",
        metrics.format_score_table(
            rows, columns=COLUMNS, markdown=True, row_header="model"
        ),
        "",
        "Autoencoders are scored on their reconstructions of the test images, "
        'the VAE and the GANs on generated samples; rows "checkpoint ..." '
        "score the course's shipped checkpoints (python -m "
        "course_utils.pretrained list) the same way. recon. MSE: per-pixel mean "
        "squared error in [0, 1] units; ELBO: nats per image (higher is "
        "better); FID, KID: lower is better; precision (quality), recall "
        "(diversity): higher is better; classes covered: classes with at least "
        "3% of the images; smallest class share: share of the rarest predicted "
        "class (0.1 when balanced; report.json lists every class's share); "
        "confidence score: exp(E[KL(p(y|x) || p(y))]), from "
        "1 to 10. images/s: training images divided by the median epoch time "
        "(first epoch, which includes tracing, left out).",
        "",
        "| model | train images | epochs | batch size |",
        "|:---|---:|---:|---:|",
    ]
    for name, detail in report["details"].items():
        budget = detail["budget"]
        lines.append(
            f"| {name} | {detail['train_images']:,} | {budget['epochs']} | "
            f"{budget['batch_size']} |"
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser of ``python -m course_utils.report``.

    Example:
        >>> build_parser().parse_args(["--fast", "--models", "vae"]).models
        ['vae']
    """
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.report",
        description=(
            "Train the course's autoencoders, VAE and GANs and write a report "
            "(markdown and JSON) of their quality and speed."
        ),
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        default=None,
        help="tiny budgets (default: fast if COURSE_FAST=1, else full)",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=MODEL_NAMES,
        default=list(MODEL_NAMES),
        metavar="MODEL",
        help=f"models to train, among {', '.join(MODEL_NAMES)} (default: all)",
    )
    parser.add_argument(
        "--output-dir",
        default="report",
        help="folder for report.md and report.json (default: report/)",
    )
    parser.add_argument(
        "--seed",
        type=integer_argument(minimum=0, maximum=MAX_SEED),
        default=42,
        help=f"seed, 0 to {MAX_SEED} (default: 42)",
    )
    parser.add_argument(
        "--eval-images",
        type=integer_argument(minimum=10),
        default=None,
        help="test images scored per model, at least 10 (default: 10,000 full, "
        "500 fast)",
    )
    return parser


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse and check the command line; a bad value exits with a one-line error.

    Besides the flags, checks ``COURSE_FAST`` (read when ``--fast`` is not
    given) and that ``--output-dir`` is not a file; ``fast`` is then a bool.

    Example:
        >>> parse_arguments(["--fast", "--eval-images", "50"]).eval_images
        50
    """
    from course_utils import config

    parser = build_parser()
    args = parser.parse_args(argv)
    if pathlib.Path(args.output_dir).is_file():
        parser.error(
            f"argument --output-dir: {args.output_dir!r} is a file, not a folder"
        )
    if args.fast is None:
        try:
            args.fast = config.read_fast_mode()
        except ValueError as error:
            parser.error(str(error))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the report from command-line arguments; return the exit status.

    Example:
        >>> main(["--fast", "--models", "dense_ae"])  # doctest: +SKIP
        0
    """
    from course_utils import metrics

    args = parse_arguments(argv)
    report = run_report(
        list(dict.fromkeys(args.models)),
        fast=args.fast,
        output_dir=args.output_dir,
        seed=args.seed,
        eval_images=args.eval_images,
        command=" ".join(
            ["python -m course_utils.report", *(sys.argv[1:] if argv is None else argv)]
        ),
    )
    print(
        metrics.format_score_table(report["rows"], columns=COLUMNS, row_header="model")
    )
    output = pathlib.Path(args.output_dir)
    print(f"Wrote {output / 'report.md'} and {output / 'report.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
