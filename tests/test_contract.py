"""Promises of the CLI and JSON contract that the real course cannot exercise on its own.

Most tests here grade a tiny course built in a temporary folder, whose checks are written
to end in a chosen way: every check skipped, fractional points across exercises, a bug in
a check (a grader fault), a grader file that does not import.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, mutate, timeless

from torchgrade.cli import main

MODULE = "def answer():\n    return 42\n"
SCENARIO = """
import os

from torchgrade.kit import check, expect_equal


def answer(m, device):
    return m.answer()
"""  # what the tiny course's checks observe: the learner's answer()


def make_course(root: Path, exercises: dict[str, str]) -> Path:
    """A course at ``root`` with one exercise per ``{id: checks source}``; module ``answer.py``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'tiny-course'\n")
    for exercise_id, checks in exercises.items():
        graders = root / "graders" / exercise_id
        graders.mkdir(parents=True)
        (graders / "exercise.toml").write_text(f'title = "{exercise_id}"\nmodule = "answer.py"\n')
        source = SCENARIO.join(textwrap.dedent(part) for part in checks.split(SCENARIO))
        (graders / f"test_{exercise_id[3:]}.py").write_text(source)
        for side in ("reference", "exercises"):
            (root / side / exercise_id).mkdir(parents=True)
            (root / side / exercise_id / "answer.py").write_text(MODULE)
    return root


def answered(points: float, name: str = "answer") -> str:
    return (
        SCENARIO
        + f"""

        @check({points}, "{name}: returns 42")
        def test_{name}(run):
            got, want = run(answer)
            expect_equal(got, want, "answer()")
        """
    )


def grade_in(folder: Path, *args: str):
    """``grade ARGS`` in-process with ``folder`` as the current folder; (exit code, JSON report)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        result = CliRunner().invoke(main, [*args, "--device", "cpu", "--json", "-"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)


def test_a_run_where_every_check_is_skipped_verified_nothing_and_exits_1(tmp_path):
    course = make_course(
        tmp_path,
        {
            "01_gpu": """
        from torchgrade.kit import check

        @check(5, "runs on the GPU", cuda=True)
        def test_on_gpu(run):
            pass
        """
        },
    )
    code, report = grade_in(course, "exercises/01_gpu", "--min-score", "0")
    assert code == 1
    assert report["max_score"] == 0 and report["score"] == 0
    (c,) = report["exercises"][0]["checks"]
    assert c["status"] == "skipped" and c["max_score"] == 0 and "needs CUDA" in c["message"]


def test_fractional_points_sum_exactly_across_exercises(tmp_path):
    course = make_course(tmp_path, {"01_a": answered(0.1), "02_b": answered(0.2)})
    code, report = grade_in(course, "--all")
    assert code == 0
    assert [e["score"] for e in report["exercises"]] == [0.1, 0.2]
    assert report["score"] == report["max_score"] == 0.3  # not 0.30000000000000004


def test_a_bug_in_a_check_is_a_grader_error_end_to_end(tmp_path):
    course = make_course(
        tmp_path,
        {
            "01_buggy": SCENARIO
            + """

            @check(3, "a check with a bug")
            def test_buggy(run):
                got, want = run(answer)
                1 / 0
            """,
            "02_broken": "import no_such_module_anywhere\n",
        },
    )
    code, report = grade_in(course, "--all")
    buggy, broken = report["exercises"]
    (c,) = buggy["checks"]
    assert c["status"] == "error" and c["score"] == 0 and c["max_score"] == 3
    assert c["message"].startswith("grader error: ZeroDivisionError")
    assert buggy["status"] == "failed" and buggy["error"] is None
    assert broken["status"] == "error" and broken["checks"] == []
    assert "grader error: the checks of this exercise could not be collected" in broken["error"]
    assert "no_such_module_anywhere" in broken["error"]
    assert code == 1


def test_the_course_is_found_from_path_when_the_current_folder_is_outside_it(tmp_path):
    code, report = grade_in(tmp_path, str(ROOT / "reference" / "05_training"))
    assert code == 0 and report["score"] == report["max_score"] == 100
    assert report["exercises"][0]["course"] == str(ROOT)  # whose checks graded it


def test_the_terminal_report_names_the_course_whose_checks_graded(tmp_path):
    other = make_course(tmp_path / "other", {"01_a": answered(1)})
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)  # from inside one course, a submission that is a clone of another
        result = CliRunner().invoke(main, [str(other / "exercises" / "01_a"), "--device", "cpu"])
    assert result.output.splitlines()[0].endswith(f"· checks of {other}")


def test_a_failing_submission_graded_twice_gives_identical_json(tmp_path):
    folder = tmp_path / "05_training"
    folder.mkdir()
    (folder / "training.py").write_text(mutate("05_training", "    optimizer.zero_grad()", "    pass"))
    first = grade_in(ROOT, str(folder), "--min-score", "0")
    second = grade_in(ROOT, str(folder), "--min-score", "0")
    assert first[1]["score"] < 100
    assert timeless(first[1]) == timeless(second[1])


def test_grade_leaves_no_file_behind(tmp_path):
    """Neither in the current folder nor in the course, even where Python writes bytecode.

    (Python may cache the engine's own bytecode, ``torchgrade/__pycache__`` in an editable
    install, as it does for any installed tool; a regular install has it precompiled.)"""
    work = tmp_path / "work"
    work.mkdir()

    def files() -> set[str]:
        skip = {".git", ".venv", ".ruff_cache", "torchgrade.egg-info", "torchgrade"}
        found = set()
        for folder, dirs, names in os.walk(ROOT):
            dirs[:] = [d for d in dirs if d not in skip]
            found |= {os.path.join(folder, n) for n in names}
        return found

    before = files()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    grade = shutil.which("grade", path=os.path.dirname(sys.executable)) or "grade"
    proc = subprocess.run(
        [grade, str(ROOT / "reference" / "01_tensors"), "--device", "cpu"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(work.iterdir()) == []
    assert files() - before == set()


def test_check_selection_matches_whole_ids(grade_text):
    """`first_sample` is a prefix of `first_sample_view`: selecting it must not select both."""
    result = grade_text("01_tensors", (ROOT / "reference/01_tensors/tensors.py").read_text(), "first_sample")
    assert [c.id for c in result.checks] == ["first_sample"]


REQUIRES = (
    SCENARIO
    + """

    @check(2, "answer: returns 42")
    def test_value(run):
        got, want = run(answer)
        expect_equal(got, want, "answer()")

    @check(1, "answer: returns an int", requires=("value",))
    def test_type(run):
        got, want = run(answer)
        expect_equal(type(got).__name__, "int", "The type of answer()")

    @check(1, "a check that names a later one", requires=("later",))
    def test_misordered(run):
        pass

    @check(1, "later")
    def test_later(run):
        pass
    """
)


@pytest.mark.parametrize(
    "module, scores",
    [
        (MODULE, {"value": 2, "type": 1}),
        ("def answer():\n    return 41\n", {"value": 0, "type": 0}),
    ],
)
def test_a_check_that_requires_another_is_judged_only_once_that_passes(tmp_path, module, scores):
    course = make_course(tmp_path, {"01_req": REQUIRES})
    (course / "exercises" / "01_req" / "answer.py").write_text(module)
    _, report = grade_in(course, "exercises/01_req", "--min-score", "0")
    checks = {c["id"]: c for c in report["exercises"][0]["checks"]}
    assert {k: checks[k]["score"] for k in scores} == scores
    if not scores["value"]:
        assert checks["type"]["message"] == (
            "Not judged yet: this check is judged once “answer: returns 42” passes. Fix that first."
        )
    assert checks["misordered"]["status"] == "error" and "has not run before it" in checks["misordered"]["message"]


DIES = (
    SCENARIO
    + """

        @check(2, "answer: returns 42")
        def test_value(run):
            got, want = run(answer)
            expect_equal(got, want, "answer()")

        @check(1, "the process ends here")
        def test_dies(run):
            os._exit(7)

        @check(1, "answer: still returns 42", requires=("value",))
        def test_after(run):
            got, want = run(answer)
            expect_equal(got, want, "answer()")
        """
)


def test_a_grading_process_that_dies_fails_only_the_check_it_was_in(tmp_path):
    """The pytest process dies mid-way (here a check ends it): that check fails with the reason,
    a fresh process grades the rest, and checks that require an earlier pass still see it."""
    course = make_course(tmp_path, {"01_die": DIES})
    code, report = grade_in(course, "exercises/01_die", "--min-score", "0")
    checks = {c["id"]: c for c in report["exercises"][0]["checks"]}
    assert checks["value"]["status"] == "passed" and checks["after"]["status"] == "passed"
    assert checks["dies"]["status"] == "failed"
    assert "Grading stopped during this check: the grading process exited with status 7" in checks["dies"]["message"]
    assert report["score"] == 3 and report["max_score"] == 4


def test_exercises_graded_in_one_process_that_dies_are_graded_as_in_their_own(tmp_path):
    """A batch grades a submission's exercises in one pytest process. It dies in the second
    one's second check: the first exercise keeps what it had, the second is finished by a
    fresh process, the third is graded anew, and the fourth's checks, which do not import,
    spoil only the fourth; every result as if each had a process of its own."""
    from torchgrade import course
    from torchgrade.engine import session

    broken = "import a_module_that_does_not_exist\n" + answered(1)
    ids = ("01_a", "02_die", "03_b", "04_broken")
    root = make_course(tmp_path, dict(zip(ids, (answered(1), DIES, answered(3, "other"), broken))))
    (root / "exercises" / "03_b" / "answer.py").write_text("def answer():\n    return 41\n")
    targets = [course.resolve(str(root / "exercises" / ex), root) for ex in ids]
    options = session.Options(device="cpu", reference_cache=None)

    def outcome(per_process: int) -> list:
        report = session.grade(targets, options, per_process=per_process)
        return [(ex.id, ex.error, [(c.id, c.status, c.message) for c in ex.checks]) for ex in report.exercises]

    together = outcome(4)
    assert together == outcome(1)
    assert [[status for _, status, _ in checks] for _, _, checks in together] == [
        ["passed"],
        ["passed", "failed", "passed"],
        ["failed"],
        [],
    ]
    assert "could not be collected" in together[3][1] and "a_module_that_does_not_exist" in together[3][1]


def test_reference_results_are_kept_on_disk_and_read_back(tmp_path):
    """With a reference cache, a second grading takes the reference side from the cache:
    a cached value changed behind its back shows up in the verdict."""
    import torch

    from torchgrade import course
    from torchgrade.engine import session

    root = make_course(tmp_path / "course", {"01_a": answered(1)})
    cache = tmp_path / "cache"
    target = course.resolve(str(root / "exercises" / "01_a"), root)
    options = session.Options(device="cpu", reference_cache=str(cache))
    assert session.grade_exercise(target, options).score == 1
    (entry,) = cache.glob("*.pt")
    torch.save(43, entry)  # what the reference "returned"
    (c,) = session.grade_exercise(target, options).checks
    assert c.status == "failed" and "expected 43" in c.message


def test_a_second_grade_takes_the_reference_s_results_from_the_cache(tmp_path, monkeypatch):
    """The reference here answers with the clock, so its results say whether it ran again."""
    course = make_course(tmp_path / "course", {"01_clock": answered(1)})
    (course / "reference" / "01_clock" / "answer.py").write_text(
        "import time\n\n\ndef answer():\n    return time.time_ns()\n"
    )
    monkeypatch.setenv("TORCHGRADE_CACHE", str(tmp_path / "cache"))

    def wanted(*options: str) -> str:
        code, report = grade_in(course, "exercises/01_clock", "--min-score", "0", *options)
        (c,) = report["exercises"][0]["checks"]
        assert c["status"] == "failed"
        return c["message"]

    first = wanted()
    assert wanted() == first  # the reference did not run again
    assert wanted("--no-cache") != first
    assert len(list((tmp_path / "cache").glob("*.pt"))) == 1
    monkeypatch.setenv("TORCHGRADE_CACHE", "off")
    assert wanted() != first
