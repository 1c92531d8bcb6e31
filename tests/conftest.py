"""Shared helpers: grade a source text (the reference, a stub, a mutant) as a learner's file."""

from __future__ import annotations

import importlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from torchgrade import course
from torchgrade.engine import sandbox, session
from torchgrade.results import CheckResult, ExerciseResult

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"


def reference_text(exercise_id: str) -> str:
    return course.load_exercise(ROOT, exercise_id).reference_file.read_text()


def mutate(exercise_id: str, old: str, new: str) -> str:
    """The reference with one realistic mistake: ``old`` replaced by ``new`` (which must occur)."""
    text = reference_text(exercise_id)
    assert old in text, f"mutation target not found in the {exercise_id} reference: {old!r}"
    return text.replace(old, new)


def mistakes(exercise_id: str) -> list[tuple[str, str, str, str, str]]:
    """(what the learner did, text in the reference, what they wrote instead, check id, words its message must hold)."""
    return importlib.import_module(f"mistakes_{exercise_id}").MISTAKES


def known_submissions(exercise_id: str) -> dict[str, str]:
    """label -> module text: the reference, the stub, every mistake ("mistake: what") and every
    correct alternative ("correct: stem") of an exercise."""
    ex = course.load_exercise(ROOT, exercise_id)
    texts = {"reference": ex.reference_file.read_text(), "stub": (ex.stub_dir / ex.module).read_text()}
    for what, old, new, _, _ in mistakes(exercise_id):
        assert f"mistake: {what}" not in texts, f"two mistakes of {exercise_id} are called {what!r}"
        texts[f"mistake: {what}"] = mutate(exercise_id, old, new)
    for path in sorted((SUBMISSIONS / exercise_id).glob("correct_*.py")):
        texts[f"correct: {path.stem}"] = path.read_text()
    return texts


def timeless(report: dict) -> dict:
    """A JSON report without its timings, which are all that may differ between two gradings."""
    report = json.loads(json.dumps(report))
    report.pop("duration_s")
    for ex in report["exercises"]:
        for c in ex["checks"]:
            c.pop("duration_s")
    return report


def check(result: ExerciseResult, check_id: str) -> CheckResult:
    matches = [c for c in result.checks if c.id == check_id]
    assert matches, f"no check {check_id!r} in {[c.id for c in result.checks]}"
    return matches[0]


def check_mistake(result: CheckResult, words: str) -> None:
    """The check failed with a message holding ``words``; a CUDA-only check without CUDA
    must instead be skipped, say why, and count for nothing (tests/gpu runs it for real)."""
    if result.status == "skipped" and not torch.cuda.is_available():
        assert "needs CUDA" in result.message and result.max_score == 0
        return
    assert result.status == "failed", result
    assert words in result.message, result.message


@pytest.fixture(scope="session", autouse=True)
def warm() -> None:
    sandbox.warm_up()


@pytest.fixture(scope="session", autouse=True)
def reference_cache(tmp_path_factory) -> Path:
    """grade's reference cache for this test run: a folder of its own, not the user's ~/.cache."""
    folder = tmp_path_factory.mktemp("reference-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TORCHGRADE_CACHE", str(folder))
        yield folder


def copy_course(where: Path) -> Path:
    """A copy of the course (its pyproject, checks, references and stubs) at ``where``."""
    where.mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", where)
    for part in ("graders", "reference", "exercises"):
        shutil.copytree(ROOT / part, where / part, ignore=shutil.ignore_patterns("__pycache__"))
    return where


def grader(root: Path, tmp_path_factory):
    """grade(exercise_id, text, *checks, **options) -> ExerciseResult for that module text,
    graded with the course at ``root``."""

    def grade(exercise_id: str, text: str, *checks: str, **options) -> ExerciseResult:
        ex = course.load_exercise(root, exercise_id)
        folder = tmp_path_factory.mktemp("submission") / exercise_id
        folder.mkdir()
        (folder / ex.module).write_text(text)
        target = course.resolve(str(folder), root)
        return session.grade_exercise(target, session.Options(device="cpu", checks=checks, **options))

    return grade


@pytest.fixture(scope="session")
def graded_known(tmp_path_factory) -> Callable[[str, Path], dict[str, ExerciseResult]]:
    """graded_known(exercise_id, root=ROOT) -> {label: result} for every known submission of the
    exercise (:func:`known_submissions`), all checks, graded together with the course at ``root``
    (two at a time, the reference run once per scenario) and kept for the whole test run."""
    results: dict[tuple[str, Path], dict[str, ExerciseResult]] = {}
    folders: dict[str, dict[str, Path]] = {}  # written once: every course grades the same files
    cache = tmp_path_factory.mktemp("known-reference-cache")

    def graded(exercise_id: str, root: Path = ROOT) -> dict[str, ExerciseResult]:
        if exercise_id not in folders:
            module = course.load_exercise(ROOT, exercise_id).module
            where = tmp_path_factory.mktemp(f"known-{exercise_id}")
            folders[exercise_id] = {}
            for i, (label, text) in enumerate(known_submissions(exercise_id).items()):
                (where / str(i) / exercise_id).mkdir(parents=True)
                (where / str(i) / exercise_id / module).write_text(text)
                folders[exercise_id][label] = where / str(i) / exercise_id
        if (exercise_id, root) not in results:
            labels = folders[exercise_id]
            targets = [course.resolve(str(folder), root) for folder in labels.values()]
            options = session.Options(device="cpu", jobs=2, reference_cache=str(cache))
            results[exercise_id, root] = dict(zip(labels, session.grade(targets, options).exercises))
        return results[exercise_id, root]

    return graded


@pytest.fixture
def grade_text(tmp_path_factory):
    """Grade a module text with this checkout's course (for code that means no harm)."""
    return grader(ROOT, tmp_path_factory)


@pytest.fixture(scope="module")
def course_copy(tmp_path_factory) -> Path:
    return copy_course(tmp_path_factory.mktemp("course") / "course")


@pytest.fixture
def grade_hostile(course_copy, tmp_path_factory):
    """Grade a module text with a copy of the course, which the code may attack."""
    return grader(course_copy, tmp_path_factory)
