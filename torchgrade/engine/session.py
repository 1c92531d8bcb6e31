"""Grade exercises: forked pytest runs, read back into the report model.

The ``grade`` process imports torch and the optimizer machinery once (:func:`warm_up`),
then forks a child per exercise (or per group of exercises: a batch grades a submission's
exercises in one) that runs the checks with pytest; the child runs the learner's code in
a sandboxed worker. If a child dies (a submission killed it, say), the check it was in is
failed with the reason, never counted as a pass, and a fresh child grades what remains.
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


def grade(targets: list[Target], options: Options, per_process: int = 1) -> Report:
    """Grade the targets, ``per_process`` consecutive ones in one pytest process (the exercises
    of one submission, in a batch: a pytest start costs ~0.1 s), ``options.jobs`` processes at a time."""
    start = time.perf_counter()
    sys.dont_write_bytecode = True  # importing the course's checks must leave no __pycache__ in it
    sandbox.warm_up()
    runs = [_Run(t) for t in targets]
    if options.checks:  # check ids name checks across the exercises of a process: one exercise each
        per_process = 1
    _drive([runs[i : i + per_process] for i in range(0, len(runs), per_process)], options)
    return Report(
        [r.result() for r in runs],
        device=options.device,
        torch_version=torch.__version__,
        duration_s=time.perf_counter() - start,
        sandbox=sandbox.layers(),
    )


def grade_exercise(target: Target, options: Options) -> ExerciseResult:
    return grade([target], options).exercises[0]


def _pytest_args(targets: list[Target], options: Options, events_fd: int, passed_before: list[str]) -> list[str]:
    args = [str(t.exercise.grader_dir) for t in targets] + [f"--rootdir={targets[0].exercise.root}"]
    args += [f"--submission={t.exercise.id}={t.module_file}" for t in targets]
    args += [
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
        "--continue-on-collection-errors",  # checks that fail to import spoil only their own exercise
        # the plugin words each failure itself; pytest's own traceback (it parses the checks
        # file for every failed check) would cost ~10 ms a failure and go nowhere
        "--tb=no",
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


def _run_pytest(runs: list[_Run], options: Options, channel: int) -> None:
    """The exercise child: run pytest with its events going to ``channel``; never returns."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # also when sys.stdout is not fd 1 (pytest capturing us)
    passed = [r.id for run in runs for r in run.results.values() if r.status == Status.PASSED]
    args = _pytest_args([run.target for run in runs], options, channel, passed)
    pytest.main(args + [f"--deselect={nodeid}" for run in runs for nodeid in run.results])


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

    @property
    def prefix(self) -> str:
        """How the node ids of this exercise's checks begin."""
        ex = self.target.exercise
        return ex.grader_dir.relative_to(ex.root).as_posix() + "/"

    def absorb(self, stream: list[events.Event], status: int | None, interrupted: bool) -> None:
        """Take this exercise's part of one pytest process's events; if the process died in one
        of its checks, fail that check. ``interrupted``: it died in some check (maybe another
        exercise's), so an exercise that had not begun is graded anew."""
        collected = next((e for e in stream if isinstance(e, events.Collected)), None)
        if collected is not None:
            collected = events.Collected({k: r for k, r in collected.checks.items() if k.startswith(self.prefix)})
        ended = next((e for e in stream if isinstance(e, events.Ended) and e.exercise == self.target.exercise.id), None)
        mine = [
            e for e in stream if isinstance(e, (events.Started, events.Finished)) and e.nodeid.startswith(self.prefix)
        ]
        self.results.update({e.nodeid: e.result for e in mine if isinstance(e, events.Finished)})
        if self.checks is None and collected is not None:
            self.checks = collected.checks
        if self.checks is None or (ended and ended.collect_errors):
            errors = "\n".join(ended.collect_errors) if ended else ""
            self.error = "grader error: the checks of this exercise could not be collected" + (
                f"\n{errors}" if errors else ""
            )
            self.fault, self.checks, self.done = Fault.GRADER, {}, True
            return
        if ended:
            if ended.load_error:
                self.error, self.fault, self.cause = ended.load_error, ended.load_fault, ended.load_cause
            self.done = True
            return
        started = [e.nodeid for e in mine if isinstance(e, events.Started) and e.nodeid not in self.results]
        if not started:  # died before this exercise began, or outside any check: nothing to learn by retrying
            self.done = not interrupted
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
    runs: list[_Run]
    pid: int
    fd: int
    deadline: float
    buffer: bytes = b""


def _start(runs: list[_Run], options: Options, forget: Callable[[list[_Run]], None]) -> _Process:
    """Fork the exercise process. It first ``forget``s what it inherited of the other runs: the
    learner code it grades must not find another submission's results in its memory."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            forget(runs)
            gc.collect()
            _run_pytest(runs, options, write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    return _Process(runs, pid, read_fd, deadline=time.monotonic() + 600 * options.timeout_factor * len(runs))


def _drive(groups: list[list[_Run]], options: Options) -> None:
    """Grade the groups of runs, a process each, ``options.jobs`` at a time, until each run is done."""
    waiting, active = list(groups), {}
    runs = [run for group in groups for run in group]

    def forget(keep: list[_Run]) -> None:
        for other in runs:
            if not any(other is run for run in keep):
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


def _finish(proc: _Process, status: int | None, active: dict[int, _Process], waiting: list[list[_Run]]) -> None:
    os.close(proc.fd)
    stream = events.parse(proc.buffer)
    proc.buffer = b""  # read: keep no copy for the processes forked next
    finished = {e.nodeid for e in stream if isinstance(e, events.Finished)}
    interrupted = any(isinstance(e, events.Started) and e.nodeid not in finished for e in stream)
    for run in proc.runs:
        run.absorb(stream, status, interrupted)
    sandbox.reap_strays(keep={p.pid for p in active.values()})
    waiting[:0] = [[run] for run in proc.runs if not run.done]  # a fresh process for the checks that remain


def _death_reason(status: int | None) -> str:
    if status is None:
        return "the exercise ran out of time"
    if os.WIFSIGNALED(status):
        return f"the grading process was killed by {sandbox.signal_name(os.WTERMSIG(status))}"
    return f"the grading process exited with status {os.WEXITSTATUS(status)}"
