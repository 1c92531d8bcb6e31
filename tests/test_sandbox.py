"""The sandbox holds, also when grading runs as root: learner code cannot read the reference,
write into the course, reach the network or signal the grader.

Every case grades a copy of the course, with ``train_step`` of the 05_training reference
replaced by the attack; the other functions stay correct and must keep their points. Each
protection is asserted where this machine's kernel offers the layer that provides it (CI's
does: Landlock ABI 7, network namespaces, as root); elsewhere the test says which layer
is missing.
"""

from __future__ import annotations

import os
import socket

import pytest
import torch
from conftest import check
from test_hostile import TRAIN_STEP_CHECKS, with_train_step

from torchgrade.engine import confine, sandbox


def needs(protection: str) -> None:
    if protection in confine.missing(list(sandbox.layers())):
        layers = " or ".join(confine.PROTECTIONS[protection])
        pytest.skip(f"this kernel or user offers no {layers} layer, so the {protection} protection is not in force")


def grade_attack(grade_hostile, body: str):
    return grade_hostile("05_training", with_train_step(body))


def assert_refused(result, words: str) -> None:
    """train_step's checks failed with ``words``, and nothing else was affected."""
    for cid in TRAIN_STEP_CHECKS:
        assert check(result, cid).status == "failed", cid
    assert words in check(result, "train_step_updates_parameters").message
    assert check(result, "evaluate_accuracy").status == "passed"
    assert check(result, "evaluate_no_grad").status == "passed"


def test_learner_code_cannot_read_the_reference(course_copy, grade_hostile):
    needs("files")
    reference = course_copy / "reference" / "05_training" / "training.py"
    result = grade_attack(grade_hostile, f"    return float(len(open({str(reference)!r}).read()))")
    assert_refused(result, "PermissionError")


@pytest.mark.parametrize("target", ["reference/05_training/training.py", "graders/05_training/test_training.py"])
def test_learner_code_cannot_write_into_the_course(course_copy, grade_hostile, target):
    needs("files")
    path = course_copy / target
    before = path.read_text()
    result = grade_attack(grade_hostile, f"    open({str(path)!r}, 'w').write('')\n    return 0.0")
    assert_refused(result, "PermissionError")
    assert path.read_text() == before


def test_learner_code_cannot_open_a_network_connection(grade_hostile):
    needs("network")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0)
        port = server.getsockname()[1]
        body = f"    import socket\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n    return 0.0"
        result = grade_attack(grade_hostile, body)
        with pytest.raises(BlockingIOError):  # nobody knocked
            server.accept()
    for cid in TRAIN_STEP_CHECKS:
        assert check(result, cid).status == "failed", cid
    message = check(result, "train_step_updates_parameters").message
    assert "PermissionError" in message or "OSError" in message or "unreachable" in message, message


@pytest.mark.parametrize("target", ["os.getppid()", "os.getpgid(os.getppid())", "PID"])
def test_learner_code_cannot_signal_the_grader(grade_hostile, target):
    """Neither the process that runs the checks, nor its group, nor this test's own process."""
    needs("signals")
    kill = "os.killpg" if "getpgid" in target else "os.kill"
    body = (
        f"    import os, signal\n    {kill}({target.replace('PID', str(os.getpid()))}, signal.SIGKILL)\n    return 0.0"
    )
    result = grade_attack(grade_hostile, body)
    assert_refused(result, "PermissionError")


def test_the_report_lists_the_layers_in_force():
    layers = sandbox.layers()
    assert set(layers) <= set(confine.LAYERS)
    assert "session" in layers  # every POSIX system offers this one
    if os.geteuid() == 0 and confine.landlock_abi() >= 6:  # CI: root with Landlock ABI 7
        assert confine.missing(list(layers)) == []


def test_torch_s_own_log_lines_are_not_shown_as_the_learner_s_output():
    """The profiler (kineto) logs a time and a pid per line; what the learner printed stays, in order."""

    def profiled() -> None:
        print("before")
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]):
            torch.ones(2) + 1
        print("after")

    out = sandbox.run(profiled, limits=sandbox.Limits(timeout_s=60))
    assert out.ok, out.failure
    assert out.output == "before\nafter\n"
    logged = "USDT:2026-11-30 01:34:08 14094:14094 SyncActivityProfilerHandler.cpp:52] profiler_start\n"
    error = "ERROR:2026-11-30 01:45:24 2602:2602 DeviceProperties.cpp:56] gpuGetDeviceCount failed with code 35\n"
    assert sandbox.without_torch_logs(f"a\n{logged}{error}ERROR: mine\n") == "a\nERROR: mine\n"
