"""Grade a batch: pristine copies of this shard's submissions, graded with the course's checks
and reference, a chunk of submissions per :func:`session.grade` call (torch is imported once,
``jobs`` submissions at a time, the exercises of one in one pytest process), each result stored
as its chunk ends.

A submission whose stored result has the same key (its files, the course version, the
settings) is not graded again, so an interrupted batch run again continues where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

import torch

from torchgrade import course
from torchgrade.batch import store
from torchgrade.batch.shards import Shard
from torchgrade.batch.submissions import Pristine, discover, make_pristine
from torchgrade.course import Exercise
from torchgrade.engine import session
from torchgrade.results import Report, Status

SUBMISSIONS_PER_JOB = 2  # a chunk: enough work to keep every job busy, short enough to store results often


class SubmissionStatus(str, Enum):
    """A submission's status in the gradebook."""

    GRADED = "graded"
    TIMED_OUT = "timed out"
    CRASHED = "crashed"
    NOT_LOADED = "could not be loaded"
    MISSING = "missing"  # none of the learner files is in the submission
    GRADER_ERROR = "grader error"


@dataclass(frozen=True)
class Request:
    submissions: Path
    out: Path
    root: Path
    exercises: tuple[Exercise, ...]
    options: session.Options
    shard: Shard | None = None
    force: bool = False


@dataclass(frozen=True)
class Plan:
    manifest: store.Manifest
    copies: tuple[Pristine, ...]  # this shard's submissions, copied
    pending: tuple[Pristine, ...]  # those without a current result

    def key(self, copy: Pristine) -> str:
        return store.result_key(copy.digest, self.manifest)


def prepare(request: Request) -> Plan:
    """Find the submissions, record the manifest, make the pristine copies, see what is left to grade."""
    found = discover(request.submissions, skip=request.out)
    store.claim(request.out)
    mine = [s for s in found if request.shard is None or request.shard.holds(s.name)]
    manifest = store.Manifest(
        course_root=str(request.root),
        course_version=store.course_version(request.root),
        torch_version=torch.__version__,
        device=request.options.device,
        seed=request.options.seed,
        exercises=tuple(ex.id for ex in request.exercises),
        timeout_factor=request.options.timeout_factor,
        memory_mb=request.options.memory_mb,
        shard=str(request.shard) if request.shard else None,
        discovered=tuple(s.name for s in found),
        given=tuple(s.name for s in mine),
    )
    store.write_manifest(request.out, manifest)
    copies = tuple(make_pristine(s, request.exercises, request.out / "work" / s.name) for s in mine)
    plan = Plan(manifest, copies, ())
    pending = tuple(c for c in copies if request.force or not _current(request.out, c.submission.name, plan.key(c)))
    return replace(plan, pending=pending)


def _current(out: Path, name: str, key: str) -> bool:
    stored = store.load(out, name)
    return stored is not None and stored.key == key


def grade(request: Request, plan: Plan, finished: Callable[[store.Stored], None]) -> None:
    """Grade what the plan left pending; ``finished`` hears of each result once it is stored."""
    size = SUBMISSIONS_PER_JOB * request.options.jobs
    for start in range(0, len(plan.pending), size):
        _grade_and_store(plan.pending[start : start + size], request, plan, finished)


def _grade_and_store(
    chunk: tuple[Pristine, ...], request: Request, plan: Plan, finished: Callable[[store.Stored], None]
) -> None:
    """Grade a chunk and store its results. Nothing of them outlives this call in this process,
    from which the next chunk's grading is forked: one learner's code never finds another's results."""
    for copy, report in zip(chunk, _grade_chunk(chunk, request)):
        status = classify(report, copy)
        finished(store.save(request.out, copy.submission.name, plan.key(copy), status.value, copy.problems, report))


def _grade_chunk(chunk: tuple[Pristine, ...], request: Request) -> list[Report]:
    """One session for the chunk, its report split back into one per submission."""
    targets = [
        replace(course.resolve(str(copy.exercise_folder(ex)), request.root), display_path=f"exercises/{ex.id}")
        for copy in chunk
        for ex in request.exercises
    ]
    n = len(request.exercises)
    report = session.grade(targets, request.options, per_process=n)  # a submission's exercises in one process
    parts = [report.exercises[i * n : (i + 1) * n] for i in range(len(chunk))]
    return [
        Report(
            exercises,
            device=report.device,
            torch_version=report.torch_version,
            duration_s=sum(c.duration_s for ex in exercises for c in ex.checks),
            sandbox=report.sandbox,
        )
        for exercises in parts
    ]


def classify(report: Report, copy: Pristine) -> SubmissionStatus:
    """What the gradebook says about a submission besides its points."""
    if not copy.readable:
        return SubmissionStatus.NOT_LOADED
    if not copy.taken:
        return SubmissionStatus.MISSING
    causes = {c.cause for c in report.checks if c.status == Status.FAILED}
    causes |= {ex.cause for ex in report.exercises if ex.error}
    if "timeout" in causes:
        return SubmissionStatus.TIMED_OUT
    if "crash" in causes:
        return SubmissionStatus.CRASHED
    if any(ex.error is not None and not ex.grader_fault for ex in report.exercises):
        return SubmissionStatus.NOT_LOADED
    if any(ex.grader_fault for ex in report.exercises) or any(c.status == Status.ERROR for c in report.checks):
        return SubmissionStatus.GRADER_ERROR
    return SubmissionStatus.GRADED
