"""``grade release OUT``: the learners' repository: exercises and checks, never the solutions.

It is built from the committed course (:mod:`torchgrade.committed`). Each exercise's
reference is graded once against its own checks, which records every result the checks
ask of it (:mod:`torchgrade.engine.recording`); the release then ships those recordings in
place of ``reference/``. What goes in: the engine (``torchgrade/``, ``pyproject.toml``),
``exercises/NN_topic`` and ``graders/NN_topic`` of each released exercise, the recordings,
and a learner README, the GitHub Classroom workflow, a pre-push hook and a ``.gitignore``,
rendered from ``templates/release/``. Nothing else of the course: no ``reference/``, no
``tests/`` (their mistakes and correct alternatives quote solutions), no bytecode, no history.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from torchgrade import committed
from torchgrade.course import Exercise, Target, UsageError, all_exercises, load_exercise
from torchgrade.engine import recording, session
from torchgrade.reports.common import render
from torchgrade.results import Status

ENGINE = ("pyproject.toml", "torchgrade")
SOURCE_PARTS = (*ENGINE, "graders", "reference", "exercises")
RENDERED = {  # file in the release -> its template, and whether it is executable
    "README.md": ("release/README.md.j2", False),
    ".github/workflows/classroom.yml": ("release/classroom.yml.j2", False),
    ".githooks/pre-push": ("release/pre-push.j2", True),
    ".gitignore": ("release/gitignore.j2", False),
}


class ReleaseError(Exception):
    """The course cannot be released as it is (e.g. a reference fails its own checks)."""


@dataclass(frozen=True)
class Release:
    exercises: tuple[str, ...]
    devices: tuple[str, ...]  # the device kinds recorded
    torch_version: str  # what the recordings were made with, as pinned in the release
    source: committed.Snapshot


def pinned_torch(version: str = torch.__version__) -> str:
    """The version pip installs, without the local build tag: 2.13.0+cpu -> 2.13.0."""
    return version.split("+")[0]


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} is not empty: give a new folder for the release")


def _record(exercises: tuple[Exercise, ...], device: str, staging: Path) -> None:
    """Grade each reference against its own checks, saving its results in staging/recordings."""
    targets = [Target(ex, ex.reference_file, f"reference/{ex.id}") for ex in exercises]
    report = session.grade(targets, session.Options(device=device, record=str(staging), jobs=session.cpus()))
    problems = [f"{ex.id}: {ex.error.splitlines()[0]}" for ex in report.exercises if ex.error]
    problems += [
        f"{ex.id}/{c.id}: {c.message.splitlines()[0] if c.message else c.status.value}"
        for ex in report.exercises
        for c in ex.checks
        if c.status not in (Status.PASSED, Status.SKIPPED)
    ]
    if problems:
        raise ReleaseError(
            f"the reference does not pass its own checks on {device}, so there is nothing sound to record: "
            + "; ".join(problems)
        )


def _copy(source: Path, target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    if source.is_dir():
        shutil.copytree(source, target, ignore=ignore)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def release(root: Path, out: Path, exercise_ids: tuple[str, ...], devices: tuple[str, ...]) -> Release:
    """Write the learners' repository for ``exercise_ids`` (default: all) to ``out``."""
    _check_out(out)
    for exercise_id in exercise_ids:  # named in the error as the course the staff know, not as its snapshot
        load_exercise(root, exercise_id)
    with committed.snapshot(root, SOURCE_PARTS) as snap:
        exercises = tuple(load_exercise(snap.root, e) for e in exercise_ids) or tuple(all_exercises(snap.root))
        missing = [str(ex.reference_file.relative_to(snap.root)) for ex in exercises if not ex.reference_file.is_file()]
        if missing:
            raise UsageError(f"not in {snap.describe()}, so there is nothing to record: {', '.join(missing)}")
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            for device in devices:
                _record(exercises, device, staging)
            for part in ENGINE:
                _copy(snap.root / part, staging / part)
            for ex in exercises:
                _copy(snap.root / "graders" / ex.id, staging / "graders" / ex.id)
                _copy(ex.stub_dir, staging / "exercises" / ex.id)
            context = {
                "exercises": exercises,
                "torch_version": pinned_torch(),
                "devices": [recording.device_kind(d) for d in devices],
            }
            for name, (template, executable) in RENDERED.items():
                path = staging / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(render(template, **context))
                if executable:
                    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            os.chmod(staging, 0o755)  # mkdtemp's 0700 would follow the folder
            if out.exists():
                out.rmdir()  # empty, checked above
            os.replace(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return Release(
        tuple(ex.id for ex in exercises),
        tuple(recording.device_kind(d) for d in devices),
        pinned_torch(),
        snap,
    )


def is_release(root: Path) -> bool:
    """A course without solutions: it grades against its recordings."""
    return (root / recording.FOLDER).is_dir() and not (root / "reference").is_dir()


def recorded_kinds(root: Path) -> set[str]:
    folder = root / recording.FOLDER
    return {p.name for p in folder.iterdir() if p.is_dir() and p.name in ("cpu", "cuda")} if folder.is_dir() else set()
