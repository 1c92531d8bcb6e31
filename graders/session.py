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
from dataclasses import dataclass, field

import pytest_jsonreport.plugin  # noqa: F401 - imported once, before forking
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
    jobs: int = 1  # exercises graded at the same time


def cpus() -> int:
    """CPUs this process may use: the default number of exercises graded at once."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def grade(targets: list[Target], options: Options) -> Report:
    start = time.perf_counter()
    sandbox.warm_up()
    runs = [_Run(t) for t in targets]
    _drive(runs, options)
    return Report([r.result() for r in runs], device=options.device, torch_version=torch.__version__,
                  duration_s=time.perf_counter() - start)


def grade_exercise(target: Target, options: Options) -> ExerciseResult:
    return grade([target], options).exercises[0]


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
    sys.stdout = sys.stderr = open(os.devnull, "w")  # also when sys.stdout is not fd 1 (pytest capturing us)
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


@dataclass
class _Run:
    """One exercise's grading: possibly several pytest processes, if one of them dies."""

    target: Target
    checks: list[dict] | None = None  # as first collected
    records: dict[str, dict] = field(default_factory=dict)  # nodeid -> the check's record
    error: str | None = None
    done: bool = False

    def absorb(self, events: list[dict], status: int | None) -> None:
        """Take one pytest process's events; if it died mid-way, fail the check it was in."""
        collected = next((e["checks"] for e in events if e.get("event") == "collected"), None)
        final = next((e for e in events if e.get("event") == "report"), None)
        if self.checks is None:
            if collected is None:
                errors = "\n".join(final.get("collect_errors", [])) if final else ""
                self.error = "grader error: the checks of this exercise could not be collected" + (f"\n{errors}" if errors else "")
                self.checks, self.done = [], True
                return
            self.checks = collected
        if final:
            self.records.update({k: v for k, v in final["tests"].items() if v})
            self.error = (final.get("exercises", {}).get(self.target.exercise.id) or {}).get("load_error") or self.error
            self.done = True
            return
        self.records.update({e["nodeid"]: e["record"] for e in events if e.get("event") == "result"})
        started = [e["nodeid"] for e in events if e.get("event") == "start" and e["nodeid"] not in self.records]
        if not started:  # died outside any check: nothing left to learn by retrying
            self.done = True
            return
        crashed = next(c for c in self.checks if c["nodeid"] == started[-1])
        self.records[crashed["nodeid"]] = {**crashed, "status": "failed",
                                           "message": f"Grading stopped during this check: {_death_reason(status)}. Does your code kill processes or exit?"}

    def result(self) -> ExerciseResult:
        ex = self.target.exercise
        result = ExerciseResult(id=ex.id, title=ex.title, path=self.target.display_path, error=self.error)
        for check in self.checks or []:
            rec = self.records.get(check["nodeid"]) or {**check, "status": "error", "message": "grader error: this check produced no result."}
            result.checks.append(CheckResult(
                id=rec["id"], name=rec["name"], status=rec["status"], points=rec["points"], message=rec["message"],
                duration_s=rec.get("duration_s", 0.0), details=rec.get("details", ""), output=rec.get("output", ""),
                plots=rec.get("plots", []),
            ))
        return result


@dataclass
class _Process:
    run: _Run
    pid: int
    fd: int
    deadline: float
    buffer: bytes = b""


def _start(run: _Run, options: Options) -> _Process:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            _run_pytest(run.target, options, write_fd, deselect=list(run.records))
        finally:
            os._exit(0)
    os.close(write_fd)
    return _Process(run, pid, read_fd, deadline=time.monotonic() + 600 * options.timeout_factor)


def _drive(runs: list[_Run], options: Options) -> None:
    """Grade the runs, ``options.jobs`` exercise processes at a time, until each is done."""
    waiting, active = list(runs), {}
    while waiting or active:
        while waiting and len(active) < options.jobs:
            proc = _start(waiting.pop(0), options)
            active[proc.fd] = proc
        timeout = max(0.0, min(p.deadline for p in active.values()) - time.monotonic())
        ready, _, _ = select.select(list(active), [], [], timeout)
        for fd in ready:
            data = os.read(fd, 1 << 20)
            if data:
                active[fd].buffer += data
            else:  # EOF: the process is exiting
                proc = active.pop(fd)
                _finish(proc, os.waitpid(proc.pid, 0)[1], active, waiting)
        for fd, proc in list(active.items()):
            if time.monotonic() >= proc.deadline:
                os.kill(proc.pid, signal.SIGKILL)
                os.waitpid(proc.pid, 0)
                del active[fd]
                _finish(proc, None, active, waiting)


def _finish(proc: _Process, status: int | None, active: dict[int, _Process], waiting: list[_Run]) -> None:
    os.close(proc.fd)
    proc.run.absorb(_events(proc.buffer), status)
    sandbox.reap_strays(keep={p.pid for p in active.values()})
    if not proc.run.done:
        waiting.insert(0, proc.run)  # a fresh process for the checks that remain


def _events(buffer: bytes) -> list[dict]:
    events = []
    for line in buffer.split(b"\n"):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def _death_reason(status: int | None) -> str:
    if status is None:
        return "the exercise ran out of time"
    if os.WIFSIGNALED(status):
        return f"the grading process was killed by {sandbox.signal_name(os.WTERMSIG(status))}"
    return f"the grading process exited with status {os.WEXITSTATUS(status)}"
