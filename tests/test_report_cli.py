"""The command line of ``python -m course_utils.report``: help and flag checks.

Every bad value is a one-line argparse error (exit status 2) that names the
flag, what was given and what is accepted; nothing is trained.
"""

import os
import subprocess
import sys

import pytest

from course_utils import report
from course_utils._arguments import MAX_SEED


def parse_error(capsys, argv):
    """The last line of stderr after parse_arguments(argv) exits with 2."""
    with pytest.raises(SystemExit) as exit_info:
        report.parse_arguments(argv)
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith("usage: python -m course_utils.report")
    assert lines[-1].startswith("python -m course_utils.report: error: ")
    return lines[-1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--eval-images", "-3"],
            "argument --eval-images: must be an integer >= 10; got '-3'",
        ),
        (
            ["--eval-images", "5"],
            "argument --eval-images: must be an integer >= 10; got '5'",
        ),
        (
            ["--eval-images", "1.5"],
            "argument --eval-images: must be an integer >= 10; got '1.5'",
        ),
        (
            ["--seed", "-1"],
            f"argument --seed: must be an integer between 0 and {MAX_SEED}; got '-1'",
        ),
        (
            ["--seed", str(2**32)],
            f"argument --seed: must be an integer between 0 and {MAX_SEED}; "
            f"got '{2**32}'",
        ),
        (["--seed", "abc"], "argument --seed: must be an integer between"),
        (["--models", "pixelcnn"], "argument --models: invalid choice: 'pixelcnn'"),
        (["--models", "vae", "gan"], "argument --models: invalid choice: 'gan'"),
        (["--models"], "argument --models: expected at least one argument"),
        (["--epochs", "3"], "unrecognized arguments: --epochs 3"),
    ],
)
def test_bad_flag_values_are_one_line_errors(capsys, argv, message):
    assert message in parse_error(capsys, ["--fast", *argv])


def test_output_dir_that_is_a_file_is_an_error(capsys, tmp_path):
    a_file = tmp_path / "report.md"
    a_file.write_text("")
    line = parse_error(capsys, ["--fast", "--output-dir", str(a_file)])
    assert f"argument --output-dir: {str(a_file)!r} is a file, not a folder" in line


def test_bad_course_fast_is_an_argparse_error_unless_fast_is_given(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "maybe")
    line = parse_error(capsys, [])
    assert "environment variable COURSE_FAST='maybe'" in line
    assert report.parse_arguments(["--fast"]).fast is True


@pytest.mark.parametrize(("value", "fast"), [("1", True), ("0", False), ("", False)])
def test_fast_follows_course_fast_without_the_flag(monkeypatch, value, fast):
    monkeypatch.setenv("COURSE_FAST", value)
    assert report.parse_arguments([]).fast is fast


def test_good_values_are_parsed():
    args = report.parse_arguments(
        ["--fast", "--eval-images", "10", "--seed", str(MAX_SEED), "--models", "vae"]
    )
    assert (args.eval_images, args.seed, args.models) == (10, MAX_SEED, ["vae"])
    assert report.parse_arguments(["--fast"]).eval_images is None


def run_report_command(*argv, **environment):
    return subprocess.run(
        [sys.executable, "-m", "course_utils.report", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **environment},
        timeout=300,
    )


def test_help_exits_0_with_the_usage_on_stdout():
    result = run_report_command("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m course_utils.report")
    assert "--eval-images" in result.stdout
    assert result.stderr == ""


def test_a_bad_flag_from_the_command_line_is_usage_and_one_error_line():
    result = run_report_command("--eval-images", "-3", COURSE_FAST="1")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "python -m course_utils.report: error: argument --eval-images: "
        "must be an integer >= 10; got '-3'"
    )
