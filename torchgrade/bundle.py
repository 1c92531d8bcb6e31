"""``grade gradescope-bundle``: a zip to upload as a Gradescope programming assignment.

It holds the engine and the committed course (torchgrade, graders, reference, stubs,
pyproject.toml; see :mod:`torchgrade.committed`) plus Gradescope's ``setup.sh`` and
``run_autograder``, rendered from ``templates/gradescope/``; which files a learner edits
comes from each exercise's ``exercise.toml``.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from torchgrade import committed
from torchgrade.course import Exercise, all_exercises, load_exercise
from torchgrade.reports.common import render

COURSE_PARTS = (
    "pyproject.toml",
    "README.md",
    "SECURITY.md",
    "torchgrade",
    "graders",
    "reference",
    "recordings",  # a release grades against these
    "exercises",
)


@dataclass(frozen=True)
class Bundle:
    exercises: tuple[Exercise, ...]
    files: int
    source: committed.Snapshot  # what it was built from (its root is gone once written)


def _executable(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o100755 << 16  # a regular file, rwxr-xr-x
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def gradescope_bundle(root: Path, exercise_ids: tuple[str, ...], out: Path, seed: int = 0) -> Bundle:
    """Write the autograder zip for the committed course to ``out`` (default: every exercise)."""
    with committed.snapshot(root, COURSE_PARTS) as snap:
        for exercise_id in exercise_ids:  # named in the error as the course the staff know
            load_exercise(root, exercise_id)
        exercises = tuple(load_exercise(snap.root, e) for e in exercise_ids) or tuple(all_exercises(snap.root))
        files = [f for ex in exercises for f in ex.learner_files]
        scripts = {
            "setup.sh": render("gradescope/setup.sh.j2"),
            "run_autograder": render("gradescope/run_autograder.j2", exercises=exercises, files=files, seed=seed),
        }
        parts = sorted(p for p in snap.root.rglob("*") if p.is_file())
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in parts:
                zf.write(path, path.relative_to(snap.root).as_posix())
            for name, text in scripts.items():
                zf.writestr(_executable(name), text)
    return Bundle(exercises, len(parts) + len(scripts), snap)
