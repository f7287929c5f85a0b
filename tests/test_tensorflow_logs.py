"""course_utils.tensorflow_logs: TensorFlow's C++ log lines kept out of stderr.

The filter replaces file descriptor 2, so everything that installs it runs in
a subprocess and the test process's stderr is left alone.
"""

import os
import subprocess
import sys
import textwrap
import threading

import pytest

import course_utils as cu
from course_utils import tensorflow_logs
from course_utils.tensorflow_logs import is_tensorflow_log_line

DROPPED = [
    b"WARNING: All log messages before absl::InitializeLog() is called are "
    b"written to STDERR",
    b"I0000 00:00:1796670499.197823    5352 port.cc:153] oneDNN custom operations "
    b"are on. You may see slightly different numerical results.",
    b"I0000 00:00:1796670499.198118    5352 cudart_stub.cc:31] Could not find cuda "
    b"drivers on your machine, GPU will not be used.",
    b"I0000 00:00:1796670499.238558    5352 cpu_feature_guard.cc:227] This "
    b"TensorFlow binary is optimized to use available CPU instructions in "
    b"performance-critical operations.",
    b"To enable the following instructions: AVX2 AVX512F AVX512_VNNI FMA, in "
    b"other operations, rebuild TensorFlow with the appropriate compiler flags.",
    b"E0000 00:00:1796670499.301234    5352 cuda_executor.cc:1309] failed call to "
    b"cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
    b"W1207 19:00:00.123456  123456 gpu_device.cc:2344] Cannot dlopen some GPU "
    b"libraries.",
    b"E0000 00:00:1796670512.654321    5401 meta_optimizer.cc:967] remapper "
    b"failed: INVALID_ARGUMENT: Mutation::Apply error: fanout 'x' exist.",
    b"2026-12-07 19:00:00.123456: I tensorflow/core/platform/cpu_feature_guard.cc"
    b":193] This TensorFlow binary is optimized with oneDNN.",
    b"2026-12-07 19:00:00.123456: W tensorflow/compiler/xla/stream_executor/"
    b"platform/default/dso_loader.cc:64] Could not load dynamic library "
    b"'libcudart.so.11.0'",
    b"2026-12-07 19:00:00.123456: E external/local_xla/xla/stream_executor/cuda/"
    b"cuda_dnn.cc:9261] Unable to register cuDNN factory",
]

KEPT = [
    b"F0000 00:00:1796670499.197823    5352 tensor_shape.cc:45] Check failed: "
    b"dims >= 0",
    b"2026-12-07 19:00:00.123456: F tensorflow/core/framework/tensor.cc:847] "
    b"Check failed: 1 == NumElements()",
    b"Epoch 1/10",
    b"Traceback (most recent call last):",
    b'  File "/work/main/course_utils/data.py", line 42, in load_fashion_mnist',
    b"ValueError: batch_size must be a positive integer, got 0",
    b"/usr/lib/python3/site-packages/keras/src/layers/core/dense.py:87: "
    b"UserWarning: Do not pass an `input_shape`/`input_dim` argument to a layer.",
    b"\r 45%|\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x8c     "
    b"| 450/1000 [00:03<00:04, 131.52it/s]",
    b"2026-12-07 19:00:00,123 - INFO - a Python logging line",
    b"I am a line that starts with a capital I",
    b"E: not a log line",
    b"",
    b"\xff\xfe odd encoding",
]


@pytest.mark.parametrize("line", DROPPED)
def test_log_lines_are_recognised(line):
    assert is_tensorflow_log_line(line)
    assert is_tensorflow_log_line(line + b"\n")


@pytest.mark.parametrize("line", KEPT)
def test_other_lines_are_kept(line):
    assert not is_tensorflow_log_line(line)


def test_text_is_rejected_with_a_hint():
    with pytest.raises(TypeError, match="line must be bytes.*encode"):
        is_tensorflow_log_line("I0000 00:00:1.2 1 port.cc:1] text")


def _filtered(chunks):
    line_filter = tensorflow_logs._LineFilter()
    passed = [line_filter.feed(chunk) for chunk in chunks]
    return passed, line_filter.close()


def test_filter_drops_log_lines_split_across_chunks():
    log = DROPPED[1] + b"\n"
    chunks = [b"before\n" + log[:3], log[3:20], log[20:] + b"after\n"]
    passed, rest = _filtered(chunks)
    assert b"".join(passed) + rest == b"before\nafter\n"


def test_filter_passes_partial_lines_at_once():
    passed, rest = _filtered([b"\r 10%|#", b"\r 20%|##", b" I0000 00:00:", b"\n"])
    assert passed == [b"\r 10%|#", b"\r 20%|##", b" I0000 00:00:", b"\n"]
    assert rest == b""


def test_filter_holds_a_partial_line_only_while_it_may_be_a_log_line():
    passed, rest = _filtered([b"I00", b"0", b"x and more", b" text\n"])
    assert passed == [b"", b"", b"I000x and more", b" text\n"]
    passed, rest = _filtered([b"WARNING: All", b" is well"])
    assert passed == [b"", b"WARNING: All is well"]
    passed, rest = _filtered([b"E0000 00:00:17.5 1 a.cc:3] cut off"])
    assert passed == [b""] and rest == b""  # a log line, even without newline
    passed, rest = _filtered([b"2026-12-07 19:00"])
    assert passed == [b""] and rest == b"2026-12-07 19:00"


def test_filter_does_not_check_the_rest_of_a_line_already_passed():
    passed, rest = _filtered([b"a: ", b"I0000 00:00:1.2 1 port.cc:1] x\nnext\n"])
    assert b"".join(passed) + rest == b"a: I0000 00:00:1.2 1 port.cc:1] x\nnext\n"


def test_shortcut_and_module_are_listed():
    assert cu.quiet_tensorflow is tensorflow_logs.quiet_tensorflow
    assert {"quiet_tensorflow", "tensorflow_logs"} <= set(dir(cu))


def test_log_level_is_set_only_when_unset(monkeypatch):
    # _installed=True: only the environment variable is touched in-process.
    monkeypatch.setattr(tensorflow_logs, "_installed", True)
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    cu.quiet_tensorflow()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "2"
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    cu.quiet_tensorflow()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


def _run(code, **kwargs):
    """Run ``code`` in a fresh Python; return the CompletedProcess (bytes)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        env=env,
        timeout=120,
        **kwargs,
    )


def test_stderr_is_filtered_end_to_end():
    lines = b"".join(line + b"\n" for line in DROPPED + KEPT)
    code = f"""
        import os, sys, threading
        import course_utils as cu
        cu.quiet_tensorflow()
        cu.quiet_tensorflow()  # harmless: one filter, nothing written twice
        assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"
        assert sum(t.name == "quiet_tensorflow" for t in threading.enumerate()) == 1
        os.write(2, {lines!r})
        print("from Python", file=sys.stderr)
        os.write(1, b"stdout is untouched\\n")
        os.write(2, b"\\r 99%|#########  | partial line, no newline")
    """
    result = _run(code)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout == b"stdout is untouched\n"
    expected = b"".join(line + b"\n" for line in KEPT)
    expected += b"from Python\n\r 99%|#########  | partial line, no newline"
    assert result.stderr == expected


def test_partial_line_is_forwarded_before_exit():
    code = """
        import os, sys
        import course_utils as cu
        cu.quiet_tensorflow()
        os.write(2, b"\\r 10%|#    | waiting")
        sys.stdin.read()  # waits until the test has seen the partial line
    """
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    timer = threading.Timer(60, process.kill)
    timer.start()
    try:
        seen = b""
        while b"waiting" not in seen and (
            chunk := os.read(process.stderr.fileno(), 4096)
        ):
            seen += chunk
        assert seen == b"\r 10%|#    | waiting"
        process.stdin.close()
        assert process.wait() == 0
    finally:
        timer.cancel()
        process.kill()
        process.stderr.close()


def test_importing_tensorflow_writes_no_log_lines():
    code = """
        import sys
        import course_utils as cu
        cu.quiet_tensorflow()
        import tensorflow as tf
        print(float(tf.reduce_sum(tf.ones((2, 3)))))
        print("kept", file=sys.stderr)
    """
    result = _run(code)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 0, stderr
    assert result.stdout.split() == [b"6.0"]
    assert not [
        line for line in result.stderr.splitlines() if is_tensorflow_log_line(line)
    ]
    assert "absl::InitializeLog" not in stderr and "oneDNN" not in stderr, stderr
    assert "kept" in stderr
