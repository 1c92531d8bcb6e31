"""The course on disk: its root, its exercises and what each declares about itself."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

EXERCISE_ID = re.compile(r"^\d\d_[a-z0-9_]+$")


class UsageError(Exception):
    """Bad input from the person running ``grade``: reported in one line, exit status 2."""


@dataclass(frozen=True)
class Exercise:
    """What ``graders/NN_topic/exercise.toml`` declares, plus where the three folders are."""

    id: str
    title: str
    module: str  # the file graded, e.g. "training.py"
    learner_files: tuple[str, ...]  # every file a learner edits (batch grading copies only these)
    timeout_s: float  # default wall-clock limit of one check
    memory_mb: int  # default memory limit of one check
    root: Path

    @property
    def grader_dir(self) -> Path:
        return self.root / "graders" / self.id

    @property
    def reference_file(self) -> Path:
        return self.root / "reference" / self.id / self.module

    @property
    def stub_dir(self) -> Path:
        return self.root / "exercises" / self.id


@dataclass(frozen=True)
class Target:
    """One implementation to grade: an exercise and the learner's module file."""

    exercise: Exercise
    module_file: Path
    display_path: str


def is_course_root(path: Path) -> bool:
    return (path / "pyproject.toml").is_file() and (path / "graders").is_dir()


def find_root(*starts: Path) -> Path | None:
    for start in starts:
        for folder in [start.resolve(), *start.resolve().parents]:
            if is_course_root(folder):
                return folder
    return None


def load_exercise(root: Path, exercise_id: str) -> Exercise:
    meta_file = root / "graders" / exercise_id / "exercise.toml"
    if not EXERCISE_ID.match(exercise_id) or not meta_file.is_file():
        raise UsageError(f"'{exercise_id}' is not an exercise of the course at {root}")
    with open(meta_file, "rb") as f:
        meta = tomllib.load(f)
    limits = meta.get("limits", {})
    return Exercise(
        id=exercise_id,
        title=meta["title"],
        module=meta["module"],
        learner_files=tuple(meta.get("learner_files", [meta["module"]])),
        timeout_s=float(limits.get("timeout_s", 10)),
        memory_mb=int(limits.get("memory_mb", 2048)),
        root=root,
    )


def all_exercises(root: Path) -> list[Exercise]:
    folders = sorted(p.name for p in (root / "graders").iterdir() if (p / "exercise.toml").is_file())
    return [load_exercise(root, name) for name in folders]


def resolve(path: str, root: Path | None) -> Target:
    """Turn a PATH argument (an ``NN_topic`` folder or the module inside one) into a Target."""
    given = Path(path).expanduser()
    if not given.exists():
        raise UsageError(f"{path}: no such file or folder")
    folder = given if given.is_dir() else given.parent
    folder = folder.resolve()
    root = root or find_root(folder, Path.cwd())
    if root is None:
        raise UsageError(
            f"{path}: no course found (a folder with pyproject.toml and graders/) above it or the current folder"
        )
    if not EXERCISE_ID.match(folder.name):
        raise UsageError(f"{path}: not an exercise folder (expected a folder named like 05_training)")
    exercise = load_exercise(root, folder.name)
    module_file = folder / exercise.module
    if given.is_file() and given.resolve() != module_file:
        raise UsageError(f"{path}: exercise {exercise.id} grades {exercise.module}, not {given.name}")
    if not module_file.is_file():
        raise UsageError(f"{path}: {exercise.module} not found in {folder}")
    return Target(exercise, module_file, path)
