"""Train a checkpoint from its recipe, resumable after an interruption.

Used by ``python -m course_utils.pretrained train NAME [--resume]``. The
model's and the optimizers' state is saved after every epoch in a state
folder (``keras.callbacks.BackupAndRestore``), so an interrupted run (a
Colab disconnect, a long CPU run) continues where it stopped.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import time
import warnings
from typing import Any

import keras
import numpy as np

from course_utils import config
from course_utils.pretrained.recipes import Recipe

#: Environment variable of the folder for training state (as the cache).
CACHE_DIR_VARIABLE = "COURSE_CACHE_DIR"
DEFAULT_CACHE_DIR = pathlib.Path("~") / ".cache" / "course_utils"


def state_dir(name: str, cache_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """Folder of the per-epoch training state of checkpoint ``name``.

    ``cache_dir``, else ``$COURSE_CACHE_DIR``, else ``~/.cache/course_utils``,
    then ``pretrained-state/NAME``.

    Example:
        >>> state_dir("dcgan", "/tmp/cache")
        PosixPath('/tmp/cache/pretrained-state/dcgan')
    """
    if cache_dir is None:
        cache_dir = config.environment_folder(CACHE_DIR_VARIABLE) or DEFAULT_CACHE_DIR
    return pathlib.Path(cache_dir).expanduser() / "pretrained-state" / name


def training_data(recipe: Recipe) -> tuple[np.ndarray, np.ndarray]:
    """The 55,000 training images (in the recipe's range) and their labels."""
    from course_utils import data

    dataset = data.load_fashion_mnist(value_range=recipe.value_range)
    return dataset.x_train, dataset.y_train


def build_and_compile(recipe: Recipe, n_examples: int):
    """The untrained model of ``recipe``, compiled with its optimizer(s).

    The optimizers are built at once, so that resumed state (which includes
    their moments) can be loaded into them.
    """
    from course_utils.seeding import reset_seed

    reset_seed(recipe.seed)
    model = recipe.builder()
    steps_per_epoch = recipe.steps_per_epoch or -(-n_examples // recipe.batch_size)
    total_steps = recipe.epochs * steps_per_epoch
    if recipe.kind in ("gan", "conditional_gan"):
        model.compile(
            d_optimizer=recipe.optimizer.build(total_steps),
            g_optimizer=recipe.optimizer.build(total_steps),
        )
        model.d_optimizer.build(model.discriminator.trainable_variables)
        model.g_optimizer.build(model.generator.trainable_variables)
    else:
        metrics = ["accuracy"] if recipe.kind == "classifier" else None
        model.compile(
            optimizer=recipe.optimizer.build(total_steps),
            loss=recipe.loss,
            metrics=metrics,
        )
        model.optimizer.build(model.trainable_variables)
    return model


def _fit_arguments(recipe: Recipe, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """The data arguments of ``fit`` for the recipe's kind."""
    from course_utils import data

    targets = {
        "classifier": y,
        "autoencoder": x,
        "vae": None,
        "gan": None,
        "conditional_gan": y,
        "diffusion": y,
        "autoregressive": None,
    }[recipe.kind]
    if recipe.steps_per_epoch is not None:
        dataset = data.make_dataset(
            x, targets, batch_size=recipe.batch_size, seed=recipe.seed
        ).repeat()
        # The data set shuffles itself (fit's shuffle only applies to arrays).
        return {
            "x": dataset,
            "steps_per_epoch": recipe.steps_per_epoch,
            "shuffle": False,
        }
    return {"x": x, "y": targets, "batch_size": recipe.batch_size, "shuffle": True}


class EpochTimer(keras.callbacks.Callback):
    """A Keras callback that records the wall-clock seconds of each epoch.

    The list is also written to ``path`` after every epoch, so that a resumed
    run knows how long the epochs before the interruption took.

    Example:
        >>> timer = EpochTimer(pathlib.Path("/tmp/epoch_seconds.json"))
        >>> timer.seconds
        []
    """

    def __init__(self, path: pathlib.Path):
        super().__init__()
        self.path = path
        self.seconds: list[float] = (
            json.loads(path.read_text()) if path.is_file() else []
        )
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(round(time.perf_counter() - self._start, 2))
        self.path.write_text(json.dumps(self.seconds))


def train(
    recipe: Recipe,
    *,
    resume: bool = False,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
):
    """Train the model of ``recipe`` on the 55,000 training images.

    Args:
        recipe: The checkpoint's :class:`~course_utils.pretrained.recipes.Recipe`.
        resume: Continue the run saved in the state folder (see
            :func:`state_dir`); without it, any old state is deleted first.
        cache_dir: Parent of the state folder.
        progress: Show a progress bar (``tqdm.keras.TqdmCallback``).

    Returns:
        ``(model, epoch_seconds, history)``: the trained model, the seconds of
        every epoch (those before an interruption included) and the Keras
        history of this call.

    Raises:
        FileNotFoundError: If ``resume`` is True and there is no saved state.

    Example:
        >>> from course_utils.pretrained import recipes
        >>> model, seconds, _ = train(recipes.recipe("dense_ae"))  # doctest: +SKIP
    """
    folder = state_dir(recipe.name, cache_dir)
    backup = folder / "backup"  # BackupAndRestore deletes it when fit ends
    if resume and not (backup / "training_metadata.json").is_file():
        raise FileNotFoundError(
            f"there is no interrupted run of {recipe.name!r} to resume in {folder}; "
            f"start one with: python -m course_utils.pretrained train {recipe.name}"
        )
    if not resume:
        shutil.rmtree(folder, ignore_errors=True)
    x, y = training_data(recipe)
    model = build_and_compile(recipe, len(x))
    folder.mkdir(parents=True, exist_ok=True)
    timer = EpochTimer(folder / "epoch_seconds.json")
    callbacks = [keras.callbacks.BackupAndRestore(str(backup)), timer]
    if progress:
        from tqdm.keras import TqdmCallback

        callbacks.append(TqdmCallback(verbose=1))
    with warnings.catch_warnings():
        # The unused default optimizer of a two-player model has no state.
        warnings.filterwarnings("ignore", message="Skipping variable loading")
        history = model.fit(
            epochs=recipe.epochs,
            verbose=0,
            callbacks=callbacks,
            **_fit_arguments(recipe, x, y),
        )
    return model, timer.seconds, history


def _clean_copy(recipe: Recipe, model):
    """An uncompiled model of the recipe's builder holding ``model``'s weights."""
    from course_utils.seeding import reset_seed

    reset_seed(recipe.seed)
    fresh = recipe.builder()
    fresh.set_weights(model.get_weights())
    return fresh


def describe_run(epoch_seconds: list[float]) -> dict[str, Any]:
    """Hardware, versions and timings of a training run, for the manifest.

    ``train_seconds`` is the sum of the epochs' wall-clock times (data loading
    and scoring left out), those before an interruption included.
    """
    import datetime

    from course_utils import config
    from course_utils.report import describe_hardware

    hardware = describe_hardware()
    hardware.pop("load_average", None)
    return {
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "hardware": hardware,
        "train_seconds": round(float(np.sum(epoch_seconds)), 1),
        "median_epoch_seconds": (
            round(float(np.median(epoch_seconds)), 1) if epoch_seconds else None
        ),
        "versions": config.describe_environment(),
    }


def make_checkpoint(
    name: str,
    *,
    resume: bool = False,
    files_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train checkpoint ``name`` from its recipe, score it and install it.

    The trained model is first saved in the state folder (``final.keras``,
    next to the epoch times),
    then scored on the test set, then written next to the manifest under a
    temporary name and renamed, and only then is the manifest entry replaced:
    a failed or interrupted run leaves the old checkpoint and entry as they
    were. ``resume=True`` continues an interrupted run, or re-scores and
    installs a finished one whose scoring failed.

    Returns:
        The new manifest entry.

    Example:
        >>> make_checkpoint("dense_ae")  # doctest: +SKIP
    """
    from course_utils import pretrained
    from course_utils.pretrained import recipes, scores

    recipe = recipes.recipe(name)
    folder = state_dir(name, cache_dir)
    finished = folder / "final.keras"
    seconds_file = folder / "epoch_seconds.json"
    if resume and finished.is_file() and seconds_file.is_file():
        model = pretrained.keras_load(finished)
        epoch_seconds = json.loads(seconds_file.read_text())
    else:
        trained, epoch_seconds, _ = train(
            recipe, resume=resume, cache_dir=cache_dir, progress=progress
        )
        model = _clean_copy(recipe, trained)
        model.save(finished)
    run = describe_run(epoch_seconds)
    if resume:
        run["resumed"] = True
    measured = scores.measure(recipe.kind, model, recipe.value_range)
    target_dir = pathlib.Path(files_dir or pretrained.FILES_DIR)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{name}.keras"
    temporary = target_dir / f".{name}.tmp-{os.getpid()}.keras"
    backup = target_dir / f".{name}.old-{os.getpid()}.keras"
    if pretrained.manifest_path(files_dir).is_file():
        pretrained.read_manifest(files_dir)  # a broken manifest stops us here
    try:
        shutil.copyfile(finished, temporary)
        new_entry = {
            "name": name,
            "notebook": recipe.notebook,
            "description": recipe.description,
            "kind": recipe.kind,
            "value_range": recipe.value_range,
            "file": target.name,
            "size_bytes": temporary.stat().st_size,
            "sha256": pretrained.sha256_of(temporary),
            "weights_dtype": "float32",
            "recipe": recipe.describe(),
            **run,
            "evaluation": scores.describe_evaluation(recipe.kind),
            "scores": measured,
        }
        had_old = target.is_file()
        if had_old:
            os.replace(target, backup)
        try:
            os.replace(temporary, target)
            pretrained.write_manifest_entry(name, new_entry, files_dir)
        except BaseException:
            # Put the old file back: it matches the old manifest entry.
            if had_old:
                os.replace(backup, target)
            else:
                target.unlink(missing_ok=True)
            raise
    finally:
        temporary.unlink(missing_ok=True)
        backup.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    return new_entry
