"""Tests for course_utils.config: fast mode, CourseConfig, setup()."""

import dataclasses
import os
import platform
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import config


@pytest.mark.parametrize(
    ("value", "fast"),
    [
        ("1", True),
        ("true", True),
        ("yes", True),
        ("TRUE", True),
        ("Yes", True),
        (" 1 ", True),
        ("\tyes\n", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("FALSE", False),
        ("No", False),
        (" 0 ", False),
        ("", False),
        ("   ", False),
    ],
)
def test_read_fast_mode_accepted_words(monkeypatch, value, fast):
    assert config.read_fast_mode({"COURSE_FAST": value}) is fast
    monkeypatch.setenv("COURSE_FAST", value)
    assert config.read_fast_mode() is fast


def test_read_fast_mode_unset_is_full_mode(monkeypatch):
    monkeypatch.delenv("COURSE_FAST", raising=False)
    assert config.read_fast_mode() is False
    assert config.read_fast_mode({}) is False
    assert config.read_fast_mode({"OTHER": "1"}) is False


@pytest.mark.parametrize("value", ["maybe", "2", "on", "off", "y", "1.0"])
def test_read_fast_mode_bad_value(value):
    with pytest.raises(ValueError, match="COURSE_FAST") as error:
        config.read_fast_mode({"COURSE_FAST": value})
    assert repr(value) in str(error.value)


def test_course_config_is_frozen():
    cfg = config.CourseConfig(fast=True, seed=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.fast = False
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.seed = 2


@pytest.mark.parametrize(
    ("fast", "mode", "picked"), [(True, "fast", 2), (False, "full", 30)]
)
def test_course_config_mode_and_pick(fast, mode, picked):
    cfg = config.CourseConfig(fast=fast, seed=0)
    assert cfg.mode == mode
    assert cfg.pick(full=30, fast=2) == picked


def test_pick_is_keyword_only():
    cfg = config.CourseConfig(fast=True, seed=0)
    with pytest.raises(TypeError):
        cfg.pick(30, 2)


@pytest.mark.parametrize(
    ("value", "mode"), [("1", "fast"), ("0", "full"), (None, "full")]
)
def test_setup_returns_config_and_prints_one_banner_line(
    monkeypatch, capsys, value, mode
):
    if value is None:
        monkeypatch.delenv("COURSE_FAST", raising=False)
    else:
        monkeypatch.setenv("COURSE_FAST", value)
    cfg = config.setup(seed=7)
    assert cfg == config.CourseConfig(fast=mode == "fast", seed=7)
    assert cfg.mode == mode
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    banner = lines[0]
    assert f"Mode: {mode}" in banner
    assert f"TensorFlow {tf.__version__}" in banner
    assert f"Keras {keras.__version__}" in banner
    assert "CPU" in banner


def test_setup_quiet(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_FAST", "1")
    config.setup(seed=0, verbose=False)
    assert capsys.readouterr().out == ""


def test_setup_seed_is_a_plain_int(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    cfg = config.setup(seed=np.int64(5), verbose=False)
    assert cfg.seed == 5
    assert type(cfg.seed) is int


def test_setup_seeds_numpy(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    config.setup(seed=11, verbose=False)
    first = np.random.rand(3)
    config.setup(seed=11, verbose=False)
    np.testing.assert_array_equal(first, np.random.rand(3))
    config.setup(seed=12, verbose=False)
    assert not np.array_equal(first, np.random.rand(3))


def test_setup_rejects_bad_course_fast(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "sometimes")
    with pytest.raises(ValueError, match="COURSE_FAST.*'sometimes'"):
        config.setup(verbose=False)


@pytest.mark.parametrize(("seed", "error"), [(-1, ValueError), (1.5, TypeError)])
def test_setup_rejects_bad_seed(monkeypatch, seed, error):
    monkeypatch.setenv("COURSE_FAST", "1")
    with pytest.raises(error, match="seed"):
        config.setup(seed=seed, verbose=False)


def test_describe_environment():
    env = config.describe_environment()
    assert set(env) == {"python", "tensorflow", "keras", "numpy", "devices"}
    assert env["python"] == platform.python_version()
    assert env["tensorflow"] == tf.__version__
    assert env["keras"] == keras.__version__
    assert env["numpy"] == np.__version__
    assert isinstance(env["devices"], list)
    assert all(isinstance(device, str) for device in env["devices"])
    assert "CPU" in env["devices"]


# --------------------------------------------------------------------------
# Environment variables: set but unusable is an error, blank is unset
# --------------------------------------------------------------------------


def test_bad_course_fast_message_names_the_value_and_the_fix():
    with pytest.raises(ValueError) as error:
        config.read_fast_mode({"COURSE_FAST": "maybe"})
    message = str(error.value)
    assert "\n" not in message
    assert "COURSE_FAST='maybe'" in message
    assert "1, true or yes" in message and "0, false or no" in message
    assert "unset COURSE_FAST" in message


@pytest.mark.parametrize(
    ("environ", "value"),
    [
        ({}, None),
        ({"COURSE_X": ""}, None),
        ({"COURSE_X": "  \t"}, None),
        ({"COURSE_X": "/data"}, "/data"),
        ({"COURSE_X": " /data "}, " /data "),
    ],
)
def test_environment_value_treats_blank_as_unset(environ, value):
    assert config.environment_value("COURSE_X", environ) == value


def test_environment_value_reads_os_environ(monkeypatch):
    monkeypatch.setenv("COURSE_X", "here")
    assert config.environment_value("COURSE_X") == "here"


@pytest.mark.parametrize("relative", ["cache", "new/deeper/cache", "."])
def test_environment_folder_accepts_a_folder_that_exists_or_can_be_made(
    tmp_path, relative
):
    folder = tmp_path / relative
    environ = {"COURSE_CACHE_DIR": str(folder)}
    assert config.environment_folder("COURSE_CACHE_DIR", environ) == folder


def test_environment_folder_expands_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    environ = {"COURSE_CACHE_DIR": "~/cache"}
    assert config.environment_folder("COURSE_CACHE_DIR", environ) == tmp_path / "cache"


@pytest.mark.parametrize("value", ["", "   "])
def test_environment_folder_blank_is_unset(value):
    environ = {"COURSE_CACHE_DIR": value}
    assert config.environment_folder("COURSE_CACHE_DIR", environ) is None


@pytest.mark.parametrize("below", ["", "sub/folder"])
def test_environment_folder_at_or_below_a_file_is_an_error(tmp_path, below):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    value = str(a_file / below) if below else str(a_file)
    with pytest.raises(ValueError) as error:
        config.environment_folder("COURSE_CACHE_DIR", {"COURSE_CACHE_DIR": value})
    message = str(error.value)
    assert f"COURSE_CACHE_DIR={value!r}" in message
    assert f"{a_file} is not a folder" in message
    assert "unset COURSE_CACHE_DIR" in message


def test_environment_folder_without_write_permission_is_an_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        with pytest.raises(ValueError, match="you cannot write to"):
            config.environment_folder(
                "COURSE_CACHE_DIR", {"COURSE_CACHE_DIR": str(locked / "cache")}
            )
    finally:
        locked.chmod(0o700)


def test_config_imports_without_tensorflow():
    # python3 -m course_utils reads COURSE_FAST through config before the
    # course's dependencies are installed.
    code = (
        "import sys, course_utils.config; "
        "assert not {'tensorflow', 'keras', 'numpy'} & set(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_checkpoint_state_dir_rejects_an_unusable_course_cache_dir(
    tmp_path, monkeypatch
):
    from course_utils.pretrained import training

    a_file = tmp_path / "a_file"
    a_file.write_text("")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(a_file))
    with pytest.raises(ValueError, match=r"COURSE_CACHE_DIR=.*is not a folder"):
        training.state_dir("dense_ae")
    monkeypatch.setenv("COURSE_CACHE_DIR", "")
    assert training.state_dir("dense_ae") == (
        training.DEFAULT_CACHE_DIR.expanduser() / "pretrained-state" / "dense_ae"
    )
