"""The course's full-mode models, shipped as checkpoints inside the package.

Full mode is what the notebooks' text talks about, but a GAN trained for a
minute on a CPU draws blobs. So every notebook that trains a model in fast
mode also loads the checkpoint trained with its full-mode recipe, shows what
full training gives, and re-checks the numbers its text quotes.

- :func:`load` verifies a checkpoint file against the manifest and returns
  the model (loaded with ``safe_mode=True``);
- :func:`available` lists the checkpoints with their notebook and scores;
- :func:`entry` returns one manifest entry: recipe, hardware, training time,
  versions, size, sha256 and the scores measured on the test set;
- :mod:`~course_utils.pretrained.scores` measures them
  (``cu.pretrained.scores.score_samples`` scores any samples the same way);
- ``python -m course_utils.pretrained list | verify [NAME...] | train NAME
  [--resume]`` prints the table, re-measures the scores, or remakes a
  checkpoint from its recipe.

Taught in ``notebooks/02_stacked_autoencoders.ipynb`` (first use); the
manifest is ``course_utils/pretrained/files/manifest.json``.

Example:
    >>> import course_utils as cu
    >>> dcgan = cu.pretrained.load("dcgan")  # doctest: +SKIP
    >>> cu.pretrained.entry("dcgan")["scores"]["FID"]  # doctest: +SKIP
    38.8
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
from typing import Any

from course_utils.pretrained import scores

#: Folder of the manifest and the checkpoint files (package data).
FILES_DIR = pathlib.Path(__file__).resolve().parent / "files"
MANIFEST_NAME = "manifest.json"


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt, or does not match the manifest."""


def manifest_path(files_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """Path of the manifest (in ``files_dir``, default the package's folder).

    Example:
        >>> manifest_path().name
        'manifest.json'
    """
    return pathlib.Path(files_dir or FILES_DIR) / MANIFEST_NAME


def read_manifest(files_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Return the manifest: ``{name: entry}`` for every shipped checkpoint.

    Raises:
        CheckpointError: If the manifest is missing or not valid JSON.

    Example:
        >>> "dcgan" in read_manifest()  # doctest: +SKIP
        True
    """
    path = manifest_path(files_dir)
    fix = (
        "reinstall course_utils (pip install --force-reinstall) or restore it "
        "with git checkout"
    )
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["checkpoints"]
    except FileNotFoundError:
        raise CheckpointError(
            f"the checkpoint manifest {path} is missing; {fix}"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as error:
        raise CheckpointError(
            f"the checkpoint manifest {path} is not valid ({error}); {fix}"
        ) from None
    if not isinstance(entries, dict) or not all(
        isinstance(value, dict) for value in entries.values()
    ):
        raise CheckpointError(
            f'the checkpoint manifest {path} is not valid ("checkpoints" must map '
            f"names to entries); {fix}"
        )
    return entries


def write_manifest_entry(
    name: str, new_entry: dict[str, Any], files_dir: str | os.PathLike | None = None
) -> None:
    """Add or replace one entry, writing a temporary file and renaming it.

    Example:
        >>> write_manifest_entry("dcgan", entry)  # doctest: +SKIP
    """
    path = manifest_path(files_dir)
    entries = read_manifest(files_dir) if path.is_file() else {}
    entries[name] = new_entry
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        temporary.write_text(
            json.dumps({"checkpoints": entries}, indent=2) + "\n", encoding="utf-8"
        )
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file.

    Example:
        >>> len(sha256_of(manifest_path()))
        64
    """
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def entry(name: str, files_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Return the manifest entry of checkpoint ``name``.

    Raises:
        CheckpointError: If ``name`` is not in the manifest (the message lists
            the names that are).

    Example:
        >>> entry("dcgan")["notebook"]  # doctest: +SKIP
        '07_dcgan.ipynb'
    """
    entries = read_manifest(files_dir)
    if not isinstance(name, str) or name not in entries:
        raise CheckpointError(
            f"unknown checkpoint {name!r}; the course ships: {', '.join(entries)} "
            "(python -m course_utils.pretrained list shows them)"
        )
    return entries[name]


def checkpoint_path(name: str, files_dir: str | os.PathLike | None = None):
    """Path of the ``.keras`` file of checkpoint ``name``.

    Example:
        >>> checkpoint_path("dcgan").name  # doctest: +SKIP
        'dcgan.keras'
    """
    return pathlib.Path(files_dir or FILES_DIR) / entry(name, files_dir)["file"]


def verify_file(name: str, files_dir: str | os.PathLike | None = None):
    """Check that the file of ``name`` exists and matches its manifest entry.

    Returns:
        The path of the file.

    Raises:
        CheckpointError: If the file is missing, or its size or SHA-256 differ
            from the manifest (a corrupt or changed file).

    Example:
        >>> verify_file("dcgan").suffix  # doctest: +SKIP
        '.keras'
    """
    info = entry(name, files_dir)
    path = checkpoint_path(name, files_dir)
    fix = (
        "reinstall course_utils (pip install --force-reinstall), restore the file "
        f"with git checkout, or retrain it: python -m course_utils.pretrained train "
        f"{name}"
    )
    if not path.is_file():
        raise CheckpointError(f"the checkpoint file {path} is missing; {fix}")
    size = path.stat().st_size
    if size != info["size_bytes"]:
        raise CheckpointError(
            f"the checkpoint file {path} has {size:,} bytes but the manifest says "
            f"{info['size_bytes']:,}: it is truncated or was changed; {fix}"
        )
    digest = sha256_of(path)
    if digest != info["sha256"]:
        raise CheckpointError(
            f"the checkpoint file {path} has SHA-256 {digest[:12]}... but the "
            f"manifest says {info['sha256'][:12]}...: it is corrupt or was "
            f"changed; {fix}"
        )
    return path


def load(name: str, files_dir: str | os.PathLike | None = None):
    """Load a checkpoint of the course, after checking its file.

    Args:
        name: A checkpoint name, e.g. ``"dcgan"`` (:func:`available` lists
            them).
        files_dir: Folder of the manifest and files (default: the package's).

    Returns:
        The trained Keras model, uncompiled (loaded with ``safe_mode=True``).

    Raises:
        CheckpointError: For an unknown name, a missing file or one that does
            not match the manifest.

    Example:
        >>> dcgan = load("dcgan")  # doctest: +SKIP
        >>> dcgan.generate(16, seed=0).shape  # doctest: +SKIP
        (16, 28, 28)
    """
    return keras_load(verify_file(name, files_dir))


def keras_load(path: str | os.PathLike):
    """Load a ``.keras`` file of the course, uncompiled, with ``safe_mode=True``.

    The file is read through a portable copy
    (:func:`course_utils.pretrained.portable.portable_copy`), so that a file
    saved with a newer Keras loads on every Keras the course allows.

    Example:
        >>> model = keras_load(checkpoint_path("dcgan"))  # doctest: +SKIP
    """
    import tempfile

    import keras

    import course_utils.models  # noqa: F401 - registers the course's classes
    from course_utils.pretrained.portable import portable_copy

    with tempfile.TemporaryDirectory() as folder:
        copy = portable_copy(path, folder)
        return keras.saving.load_model(copy, compile=False, safe_mode=True)


def measure(name: str, model=None, files_dir: str | os.PathLike | None = None):
    """Measure checkpoint ``name`` on the test set, as its manifest scores were.

    Args:
        name: A checkpoint name.
        model: The loaded checkpoint (None: :func:`load` it).
        files_dir: Folder of the manifest and files.

    Returns:
        A dict of scores with the keys of the manifest's ``"scores"``
        (:func:`course_utils.pretrained.scores.measure`).

    Example:
        >>> measure("dense_ae")["recon. MSE"]  # doctest: +SKIP
        0.0103
    """
    info = entry(name, files_dir)
    if model is None:
        model = load(name, files_dir)
    return scores.measure(info["kind"], model, info["value_range"])


def available(files_dir: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """List the shipped checkpoints: name, notebook, description and scores.

    Example:
        >>> [row["name"] for row in available()][:2]  # doctest: +SKIP
        ['domain_classifier', 'dense_ae']
    """
    return [
        {
            "name": name,
            "notebook": info["notebook"],
            "description": info["description"],
            "scores": info["scores"],
        }
        for name, info in read_manifest(files_dir).items()
    ]


__all__ = [
    "FILES_DIR",
    "CheckpointError",
    "available",
    "checkpoint_path",
    "entry",
    "keras_load",
    "load",
    "manifest_path",
    "measure",
    "read_manifest",
    "sha256_of",
    "verify_file",
    "write_manifest_entry",
]
