"""Correct code keeps full marks under any run seed (``grade --seed N``): the reference of every
exercise and every correct submission in another style (tests/submissions/NN_topic/correct_*.py),
graded together in one grading session per seed. A check tuned to the inputs of one seed (a
convergence threshold, a tolerance, a data set that happens to be easy) fails here."""

from __future__ import annotations

import pytest
from conftest import ROOT, SUBMISSIONS

from torchgrade import course
from torchgrade.engine import session

SEEDS = range(10)
CORRECT = sorted(SUBMISSIONS.glob("*/correct_*.py"))


@pytest.fixture(scope="module")
def targets(tmp_path_factory) -> list[str]:
    """Every reference folder, and each correct submission copied into an exercise folder of its own
    (grade takes an ``NN_topic`` folder, or the module inside one, named as the exercise names it)."""
    where = tmp_path_factory.mktemp("correct")
    folders = [str(ROOT / "reference" / ex.id) for ex in course.all_exercises(ROOT)]
    for path in CORRECT:
        ex = course.load_exercise(ROOT, path.parent.name)
        folder = where / path.stem / ex.id
        folder.mkdir(parents=True)
        (folder / ex.module).write_text(path.read_text())
        folders.append(str(folder))
    return folders


def _not_full_marks(exercise: dict) -> list[tuple[str, str, str]]:
    """The checks that neither passed nor were skipped for want of CUDA (worth nothing without it)."""
    return [
        (c["id"], c["status"], c["message"])
        for c in exercise["checks"]
        if not (
            c["status"] == "passed"
            or (c["status"] == "skipped" and "needs CUDA" in c["message"] and c["max_score"] == 0)
        )
    ]


@pytest.mark.parametrize("run_seed", SEEDS)
def test_correct_code_gets_full_marks_under_every_run_seed(targets, run_seed, tmp_path):
    cache = str(tmp_path / "cache")  # the reference runs once per scenario, not once per target
    options = session.Options(device="cpu", jobs=2, seed=run_seed, reference_cache=cache)
    report = session.grade([course.resolve(t, ROOT) for t in targets], options).to_dict()
    assert sorted(ex["path"] for ex in report["exercises"]) == sorted(targets)  # every target graded, once
    problems = {ex["path"]: _not_full_marks(ex) for ex in report["exercises"]}
    assert {path: p for path, p in problems.items() if p} == {}
    assert [ex["path"] for ex in report["exercises"] if ex["score"] != ex["max_score"] or ex["max_score"] == 0] == []
