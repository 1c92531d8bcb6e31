"""Grade exercises: one forked pytest run per exercise, read back into the report model.

The ``grade`` process imports torch and the optimizer machinery once (:func:`warm_up`),
then forks a child per exercise that runs that exercise's checks with pytest; the child in
turn forks a sandbox per scenario. If an exercise's child dies (a submission killed it,
say), the checks it had not finished are failed with the reason; it never counts as a pass.
"""

from __future__ import annotations

import gc
import os
import select
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest
import torch

import torchgrade.engine.plugin  # noqa: F401 - imported once here, before forking, not in every child
from torchgrade.course import Target
from torchgrade.engine import events, sandbox
from torchgrade.results import CheckResult, ExerciseResult, Fault, Report, Status


@dataclass(frozen=True)
class Options:
    device: str = "cpu"
    timeout_factor: float = 1.0
    memory_mb: int | None = None
    checks: tuple[str, ...] = ()  # only these check ids (all when empty)
    reference_cache: str | None = None  # a folder that keeps reference results across gradings
    seed: int = 0  # the run seed (torchgrade.seeds): 0 is the seed the course's recordings use
    record: str | None = None  # save the reference's results in RECORD/recordings (grade release)
    jobs: int = 1  # exercises graded at the same time


def cpus() -> int:
    """CPUs this process may use: the default number of exercises graded at once."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def grade(targets: list[Target], options: Options) -> Report:
    start = time.perf_counter()
    sys.dont_write_bytecode = True  # importing the course's checks must leave no __pycache__ in it
    sandbox.warm_up()
    runs = [_Run(t) for t in targets]
    _drive(runs, options)
    return Report(
        [r.result() for r in runs],
        device=options.device,
        torch_version=torch.__version__,
        duration_s=time.perf_counter() - start,
        sandbox=sandbox.layers(),
    )


def grade_exercise(target: Target, options: Options) -> ExerciseResult:
    return grade([target], options).exercises[0]


def _pytest_args(target: Target, options: Options, events_fd: int, passed_before: list[str]) -> list[str]:
    args = [
        str(target.exercise.grader_dir),
        f"--rootdir={target.exercise.root}",
        "--submission",
        str(target.module_file),
        "--device",
        options.device,
        "--timeout-factor",
        str(options.timeout_factor),
        "--events-fd",
        str(events_fd),
        "-p",
        "torchgrade",  # the plugin's entry point, also where plugin autoloading is turned off
        "-p",
        "no:cacheprovider",
        "--import-mode=importlib",
        "-q",
    ]
    if options.seed:
        args += ["--seed", str(options.seed)]
    if options.memory_mb:
        args += ["--memory-mb", str(options.memory_mb)]
    if options.checks:
        args += ["--checks", ",".join(options.checks)]
    if options.reference_cache:
        args += ["--reference-cache", options.reference_cache]
    if options.record:
        args += ["--record", options.record]
    if passed_before:
        args += ["--passed-before", ",".join(passed_before)]
    return args


def _run_pytest(run: _Run, options: Options, channel: int) -> None:
    """The exercise child: run pytest with its events going to ``channel``; never returns."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # also when sys.stdout is not fd 1 (pytest capturing us)
    passed = [r.id for r in run.results.values() if r.status == Status.PASSED]
    args = _pytest_args(run.target, options, channel, passed) + [f"--deselect={nodeid}" for nodeid in run.results]
    pytest.main(args)


@dataclass
class _Run:
    """One exercise's grading: possibly several pytest processes, if one of them dies."""

    target: Target
    checks: dict[str, CheckResult] | None = None  # node id -> result, as first collected
    results: dict[str, CheckResult] = field(default_factory=dict)  # node id -> the check's final result
    error: str | None = None
    fault: Fault | None = None
    cause: str = ""
    done: bool = False

    def absorb(self, stream: list[events.Event], status: int | None) -> None:
        """Take one pytest process's events; if it died mid-way, fail the check it was in."""
        collected = next((e for e in stream if isinstance(e, events.Collected)), None)
        ended = next((e for e in stream if isinstance(e, events.Ended)), None)
        self.results.update({e.nodeid: e.result for e in stream if isinstance(e, events.Finished)})
        if self.checks is None:
            if collected is None or (ended and ended.collect_errors):
                errors = "\n".join(ended.collect_errors) if ended else ""
                self.error = "grader error: the checks of this exercise could not be collected" + (
                    f"\n{errors}" if errors else ""
                )
                self.fault, self.checks, self.done = Fault.GRADER, {}, True
                return
            self.checks = collected.checks
        if ended:
            if ended.load_error:
                self.error, self.fault, self.cause = ended.load_error, ended.load_fault, ended.load_cause
            self.done = True
            return
        started = [e.nodeid for e in stream if isinstance(e, events.Started) and e.nodeid not in self.results]
        if not started:  # died outside any check: nothing left to learn by retrying
            self.done = True
            return
        crashed = replace(self.checks[started[-1]])
        crashed.settle(
            Status.FAILED,
            f"Grading stopped during this check: {_death_reason(status)}. Does your code kill processes or exit?",
            cause="timeout" if status is None else "crash",
        )
        self.results[started[-1]] = crashed

    def result(self) -> ExerciseResult:
        ex = self.target.exercise
        result = ExerciseResult(
            id=ex.id,
            title=ex.title,
            path=self.target.display_path,
            error=self.error,
            fault=self.fault,
            cause=self.cause,
            course=str(ex.root),
        )
        for nodeid, check in (self.checks or {}).items():
            final = self.results.get(nodeid)
            if final is None:
                final = replace(check)
                final.settle(Status.ERROR, "grader error: this check produced no result.", fault=Fault.INFRASTRUCTURE)
            result.checks.append(final)
        return result


@dataclass
class _Process:
    run: _Run
    pid: int
    fd: int
    deadline: float
    buffer: bytes = b""


def _start(run: _Run, options: Options, forget: Callable[[_Run], None]) -> _Process:
    """Fork the exercise process. It first ``forget``s what it inherited of the other runs: the
    learner code it grades must not find another submission's results in its memory."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            forget(run)
            gc.collect()
            _run_pytest(run, options, write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    return _Process(run, pid, read_fd, deadline=time.monotonic() + 600 * options.timeout_factor)


def _drive(runs: list[_Run], options: Options) -> None:
    """Grade the runs, ``options.jobs`` exercise processes at a time, until each is done."""
    waiting, active = list(runs), {}

    def forget(keep: _Run) -> None:
        for other in runs:
            if other is not keep:
                other.checks, other.results = None, {}
        for proc in active.values():
            proc.buffer = b""  # the events of the runs in progress

    while waiting or active:
        while waiting and len(active) < options.jobs:
            proc = _start(waiting.pop(0), options, forget)
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
    proc.run.absorb(events.parse(proc.buffer), status)
    proc.buffer = b""  # read: keep no copy for the processes forked next
    sandbox.reap_strays(keep={p.pid for p in active.values()})
    if not proc.run.done:
        waiting.insert(0, proc.run)  # a fresh process for the checks that remain


def _death_reason(status: int | None) -> str:
    if status is None:
        return "the exercise ran out of time"
    if os.WIFSIGNALED(status):
        return f"the grading process was killed by {sandbox.signal_name(os.WTERMSIG(status))}"
    return f"the grading process exited with status {os.WEXITSTATUS(status)}"
