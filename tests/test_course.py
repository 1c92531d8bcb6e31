"""Every exercise: the reference gets full marks, the stubs get 0 and say "not implemented yet",
every check is failed by at least one realistic mistake (tests/mistakes_NN_topic.py) with the
message intended, and correct submissions written in other styles
(tests/submissions/NN_topic/correct_*.py) get full marks."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, SUBMISSIONS, check, check_mistake, mistakes

from torchgrade import course

EXERCISES = [ex.id for ex in course.all_exercises(ROOT)]


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_reference_gets_full_marks(graded_known, exercise_id):
    result = graded_known(exercise_id)["reference"]
    problems = [(c.id, c.status, c.message) for c in result.checks if c.status not in ("passed", "skipped")]
    assert problems == []
    assert result.score == result.max_score == 100  # every exercise is worth 100 points on the CPU
    assert result.status == "passed"


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_stub_scores_zero_and_says_not_attempted(graded_known, exercise_id):
    result = graded_known(exercise_id)["stub"]
    assert result.score == 0 and result.max_score > 0
    for c in result.checks:
        if c.status != "skipped":
            assert c.status == "failed", (c.id, c.message)
            # either the function's own failure, or the check it waits for (check(requires=...))
            assert "not implemented yet" in c.message or c.message.startswith("Not judged yet"), (c.id, c.message)


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_every_check_has_a_realistic_mistake_that_fails_it(exercise_id):
    covered = {m[3] for m in mistakes(exercise_id)}
    assert _check_ids(exercise_id) - covered == set(), "checks without a mistake test"


MISTAKES = [(ex, *m) for ex in EXERCISES for m in mistakes(ex)]


@pytest.mark.parametrize(
    "exercise_id, what, old, new, check_id, words", MISTAKES, ids=[f"{m[0]}: {m[1]}" for m in MISTAKES]
)
def test_mistake_fails_its_check(graded_known, exercise_id, what, old, new, check_id, words):
    check_mistake(check(graded_known(exercise_id)[f"mistake: {what}"], check_id), words)


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_the_words_of_each_mistake_pin_its_diagnosis(graded_known, exercise_id):
    """An entry's words occur neither in its check's message for the stub nor in the message
    that another entry of the same check gets: they name this mistake, not a generic hint.
    (CUDA-only checks are skipped here and judged on a GPU by tests/gpu/.)"""
    known = graded_known(exercise_id)
    entries = mistakes(exercise_id)
    said = {}
    for what, _, _, check_id, _ in entries:
        result = check(known[f"mistake: {what}"], check_id)
        said[what] = result.message if result.status != "skipped" else None
    loose = []
    for what, _, _, check_id, words in entries:
        if said[what] is None:
            continue
        if words in check(known["stub"], check_id).message:
            loose.append((what, words, "the stub's message"))
        for other, _, _, other_check, _ in entries:
            if other != what and other_check == check_id and said[other] and words in said[other]:
                loose.append((what, words, f"the message for '{other}'"))
    assert loose == [], "words that do not pin their diagnosis (found in another message)"


def _check_ids(exercise_id: str) -> set[str]:
    text = (ROOT / "graders" / exercise_id).glob("test_*.py")

    return {m.group(1) for f in text for m in re.finditer(r"^def test_(\w+)\(", f.read_text(), re.M)}


CORRECT = sorted(p for p in SUBMISSIONS.glob("*/correct_*.py"))


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_correct_submissions_in_other_styles_get_full_marks(graded_known, path):
    result = graded_known(path.parent.name)[f"correct: {path.stem}"]
    problems = [(c.id, c.message) for c in result.checks if c.status not in ("passed", "skipped")]
    assert problems == []


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_every_exercise_folder_has_its_readme_and_stub(exercise_id):
    ex = course.load_exercise(ROOT, exercise_id)
    readme = (ex.stub_dir / "README.md").read_text()
    assert f"grade exercises/{exercise_id}" in readme
    assert all((ex.stub_dir / f).is_file() and (ex.reference_file.parent / f).is_file() for f in ex.learner_files)
