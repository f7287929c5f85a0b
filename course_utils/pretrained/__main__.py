"""Command line of the course's checkpoints.

    python -m course_utils.pretrained list
    python -m course_utils.pretrained verify [NAME ...]
    python -m course_utils.pretrained train NAME [--resume]

``list`` prints the shipped checkpoints and their scores; ``verify`` checks
each file against the manifest, re-measures its scores on the test set and
fails when one moved beyond its tolerance; ``train`` remakes a checkpoint
from its recipe (a progress bar per epoch; the state is saved after every
epoch, and ``--resume`` continues an interrupted run) and rewrites its file
and manifest entry.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

#: Scores shown by ``list``, in order, with their format.
_SHOWN = {
    "test accuracy": "{:.1%}",
    "recon. MSE": "{:.4f}",
    "ELBO (nats)": "{:.1f}",
    "test bits/dim": "{:.3f}",
    "ELBO bits/dim": "{:.3f}",
    "IWAE bits/dim": "{:.3f}",
    "FID": "{:.1f}",
    "classes covered": "{:d}",
    "smallest class share": "{:.1%}",
    "requested class share": "{:.1%}",
    "guided FID": "{:.1f}",
}


def _summary(scores: dict) -> str:
    return ", ".join(
        f"{key} {template.format(scores[key])}"
        for key, template in _SHOWN.items()
        if key in scores
    )


def _parser() -> argparse.ArgumentParser:
    from course_utils.pretrained.recipes import RECIPES

    parser = argparse.ArgumentParser(
        prog="python -m course_utils.pretrained",
        description="List, verify or retrain the course's checkpoints.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    listing = commands.add_parser("list", help="print the checkpoints and their scores")
    listing.add_argument(
        "--markdown", action="store_true", help="a markdown table (as in the README)"
    )
    verify = commands.add_parser(
        "verify", help="re-measure the scores of checkpoints (default: all)"
    )
    verify.add_argument("names", nargs="*", metavar="NAME")
    train = commands.add_parser("train", help="remake a checkpoint from its recipe")
    train.add_argument("name", metavar="NAME", choices=list(RECIPES))
    train.add_argument(
        "--resume", action="store_true", help="continue an interrupted run"
    )
    train.add_argument(
        "--no-progress", action="store_true", help="no progress bar (logs)"
    )
    return parser


def list_checkpoints(markdown: bool = False) -> int:
    """Print one line per checkpoint: name, notebook, size, training and scores."""
    from course_utils import pretrained

    if markdown:
        print("| checkpoint | notebook | epochs x batch | training | MB | scores |")
        print("|:---|:---|---:|---:|---:|:---|")
    for name, info in pretrained.read_manifest().items():
        recipe = info["recipe"]
        budget = f"{recipe['epochs']} x {recipe['batch_size']}"
        minutes = f"{info['train_seconds'] / 60:.0f} min"
        size = f"{info['size_bytes'] / 1e6:.1f}"
        if markdown:
            print(
                f"| `{name}` | {info['notebook'][:2]} | {budget} | {minutes} | "
                f"{size} | {_summary(info['scores'])} |"
            )
        else:
            print(
                f"{name:<18} {info['notebook']:<42} {budget:>8} {minutes:>7} "
                f"{size:>5} MB  {_summary(info['scores'])}"
            )
    return 0


def verify(names: Sequence[str]) -> int:
    """Re-measure checkpoints; return 1 if any file or score is off."""
    from course_utils import pretrained
    from course_utils.pretrained import scores

    names = list(names) or list(pretrained.read_manifest())
    failures = 0
    for name in names:
        start = time.perf_counter()
        try:
            measured = pretrained.measure(name)
            problems = scores.compare(pretrained.entry(name)["scores"], measured)
        except pretrained.CheckpointError as error:
            problems = [str(error)]
        seconds = time.perf_counter() - start
        if problems:
            failures += 1
            print(f"FAIL {name} ({seconds:.0f} s)")
            for problem in problems:
                print(f"     {problem}")
        else:
            print(f"ok   {name} ({seconds:.0f} s): {_summary(measured)}")
    print(f"{len(names) - failures} passed, {failures} failed")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    from course_utils.pretrained.recipes import RECIPES

    parser = _parser()
    arguments = parser.parse_args(argv)
    unknown = [name for name in getattr(arguments, "names", []) if name not in RECIPES]
    if unknown:
        parser.error(
            f"unknown checkpoint {unknown[0]!r}; choose from {', '.join(RECIPES)}"
        )
    from course_utils import pretrained
    from course_utils.pretrained import training

    try:
        if arguments.command == "list":
            return list_checkpoints(arguments.markdown)
        if arguments.command == "verify":
            return verify(arguments.names)
    except pretrained.CheckpointError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    try:
        new_entry = training.make_checkpoint(
            arguments.name,
            resume=arguments.resume,
            progress=not arguments.no_progress,
        )
    except (FileNotFoundError, pretrained.CheckpointError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{arguments.name}: {_summary(new_entry['scores'])}")
    print(f"trained in {new_entry['train_seconds']:.0f} s; manifest updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
