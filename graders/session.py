"""Grade exercises: one forked pytest run per exercise, read back into the report model.

The ``grade`` process imports torch and the optimizer machinery once (:func:`warm_up`),
then forks a child per exercise that runs that exercise's checks with pytest; the child in
turn forks a sandbox per scenario. If an exercise's child dies (a submission killed it,
say), the checks it had not finished are failed with the reason; it never counts as a pass.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from dataclasses import dataclass

import torch

from graders import plugin, sandbox
from graders.course import Target
from graders.report import CheckResult, ExerciseResult, Report


@dataclass(frozen=True)
class Options:
    device: str = "cpu"
    timeout_factor: float = 1.0
    memory_mb: int | None = None
    checks: tuple[str, ...] = ()  # only these check ids (all when empty)


def grade(targets: list[Target], options: Options) -> Report:
    start = time.perf_counter()
    sandbox.warm_up()
    results = [grade_exercise(t, options) for t in targets]
    return Report(results, device=options.device, torch_version=torch.__version__, duration_s=time.perf_counter() - start)


def _pytest_args(target: Target, options: Options) -> list[str]:
    args = [
        str(target.exercise.grader_dir),
        f"--rootdir={target.exercise.root}",
        "--submission", str(target.module_file),
        "--device", options.device,
        "--timeout-factor", str(options.timeout_factor),
        "-p", "no:cacheprovider",
        "--import-mode=importlib",
        "-q",
    ]
    if options.memory_mb:
        args += ["--memory-mb", str(options.memory_mb)]
    if options.checks:
        args += ["-k", " or ".join(f"test_{c}" for c in options.checks)]
    return args


def _run_pytest(target: Target, options: Options, channel: int, deselect: list[str]) -> None:
    """The exercise child: run pytest, send the compact outcome, never return."""
    import pytest
    from pytest_jsonreport.plugin import JSONReport

    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # pytest's own chatter goes nowhere
    plugin.CHANNEL = channel
    json_report = JSONReport()
    args = _pytest_args(target, options) + [f"--deselect={nodeid}" for nodeid in deselect]
    pytest.main(args, plugins=[json_report])
    report = json_report.report or {}
    outcome = {
        "event": "report",
        "tests": {t["nodeid"]: t.get("metadata", {}).get("torchgrade") for t in report.get("tests", [])},
        "exercises": report.get("torchgrade", {}),
        "collect_errors": [c.get("longrepr", "") for c in report.get("collectors", []) if c.get("outcome") == "failed"],
    }
    os.write(channel, (json.dumps(outcome) + "\n").encode())


def grade_exercise(target: Target, options: Options) -> ExerciseResult:
    """Grade one exercise; if its pytest process dies, fail the check it was running and
    start a fresh one for the checks that remain."""
    ex = target.exercise
    result = ExerciseResult(id=ex.id, title=ex.title, path=target.display_path)
    checks: list[dict] | None = None
    records: dict[str, dict] = {}
    while True:
        events, status = _attempt(target, options, deselect=list(records))
        collected = next((e["checks"] for e in events if e.get("event") == "collected"), None)
        final = next((e for e in events if e.get("event") == "report"), None)
        if checks is None:
            if collected is None:
                errors = "\n".join(final.get("collect_errors", [])) if final else ""
                result.error = "grader error: the checks of this exercise could not be collected" + (f"\n{errors}" if errors else "")
                return result
            checks = collected
        if final:
            records.update({k: v for k, v in final["tests"].items() if v})
            load = final.get("exercises", {}).get(ex.id) or {}
            result.error = load.get("load_error") or result.error
            break
        records.update({e["nodeid"]: e["record"] for e in events if e.get("event") == "result"})
        started = [e["nodeid"] for e in events if e.get("event") == "start" and e["nodeid"] not in records]
        if not started:  # died outside any check: nothing left to learn by retrying
            break
        crashed = next(c for c in checks if c["nodeid"] == started[-1])
        records[crashed["nodeid"]] = {**crashed, "status": "failed",
                                      "message": f"Grading stopped during this check: {_death_reason(status)}. Does your code kill processes or exit?"}
    for check in checks:
        rec = records.get(check["nodeid"]) or {**check, "status": "error", "message": "grader error: this check produced no result."}
        result.checks.append(CheckResult(
            id=rec["id"], name=rec["name"], status=rec["status"], points=rec["points"], message=rec["message"],
            duration_s=rec.get("duration_s", 0.0), details=rec.get("details", ""), output=rec.get("output", ""),
        ))
    return result


def _attempt(target: Target, options: Options, deselect: list[str]) -> tuple[list[dict], int | None]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            _run_pytest(target, options, write_fd, deselect)
        finally:
            os._exit(0)
    os.close(write_fd)
    return _collect(pid, read_fd, deadline=time.monotonic() + 600 * options.timeout_factor)


def _collect(pid: int, fd: int, deadline: float) -> tuple[list[dict], int | None]:
    """Read the child's event lines until it exits (None as status if it overran)."""
    buffer = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            status = None
            break
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            data = os.read(fd, 1 << 20)
            if data:
                buffer += data
                continue
        _, status = os.waitpid(pid, 0)
        break
    os.close(fd)
    events = []
    for line in buffer.split(b"\n"):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events, status


def _death_reason(status: int | None) -> str:
    if status is None:
        return "the exercise ran out of time"
    if os.WIFSIGNALED(status):
        return f"the grading process was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"the grading process exited with status {os.WEXITSTATUS(status)}"
