"""grade batch and grade merge: a whole class graded pristine, row by row as ``grade`` grades each
submission; hostile and hanging submissions; resume; shards and merge; the roster; usage errors.

The class is a ``gh classroom clone`` folder graded on 05_training only, with a copy of the
course (a hostile submission attacks the course it is graded with, never this checkout).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, copy_course, mutate, reference_text

from torchgrade import course
from torchgrade.batch import gradebook, grading, shards, store, submissions
from torchgrade.cli import batch, merge_outputs
from torchgrade.engine import session
from torchgrade.results import CheckResult, ExerciseResult, Report, Status

ASSIGNMENT = "pytorch-basics"
EXERCISE = "05_training"
SETTINGS = ["--exercises", EXERCISE, "-j", "2", "--device", "cpu", "--timeout-factor", "0.3"]
ZERO_GRAD = "    optimizer.zero_grad()  # gradients accumulate in .grad unless cleared\n"
CLIP = "    nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)  # after backward, before step\n"
STEP_BODY = "    inputs, targets = (t.to(device) for t in batch)\n"


def hostile(course_root: Path) -> str:
    """train_step writes into the course, signals the grader, floods its output, then kills itself."""
    attack = (
        "    import os, signal\n"
        "    for path in ({checks!r}, {reference!r}):\n"
        "        try:\n"
        "            open(path, 'a').write('\\n# owned\\n')\n"
        "        except OSError:\n"
        "            pass\n"
        "    for pid in (os.getppid(),):\n"
        "        try:\n"
        "            os.kill(pid, signal.SIGKILL)\n"
        "        except OSError:\n"
        "            pass\n"
        "    print('x' * 2_000_000)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    ).format(
        checks=str(course_root / "graders" / EXERCISE / "test_training.py"),
        reference=str(course_root / "reference" / EXERCISE / "training.py"),
    )
    return mutate(EXERCISE, STEP_BODY, attack + STEP_BODY)


def repository(folder: Path, training: str | None) -> Path:
    """A learner repository: the course's stubs, with ``training`` as exercises/05_training/training.py."""
    shutil.copytree(ROOT / "exercises", folder / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    if training is None:
        (folder / "exercises" / EXERCISE / "training.py").unlink()
    else:
        (folder / "exercises" / EXERCISE / "training.py").write_text(training)
    return folder


BUGGY = mutate(EXERCISE, ZERO_GRAD, "").replace(CLIP, "")


def make_class(where: Path, course_root: Path) -> Path:
    """``<assignment>-submissions/<assignment>-<login>/`` for every kind of submission."""
    classroom = where / f"{ASSIGNMENT}-submissions"
    classroom.mkdir(parents=True)
    texts = {
        "alice": reference_text(EXERCISE),
        "bob": (ROOT / "exercises" / EXERCISE / "training.py").read_text(),
        "carol": mutate(EXERCISE, ZERO_GRAD, ""),
        "dave": mutate(EXERCISE, "    return loss.item()  #", "    return loss  #"),
        "erin": mutate(EXERCISE, "    model.eval()\n", ""),
        "mallory": hostile(course_root),
        "henry": mutate(EXERCISE, "    model.eval()\n", "    model.eval()\n    while True:\n        pass\n"),
        "ivan": None,  # deleted the file
        "trent": BUGGY,
    }
    for login, text in texts.items():
        repository(classroom / f"{ASSIGNMENT}-{login}", text)
    # trent also changed his copy of the checks (so that anything passes) and of the reference
    trent = classroom / f"{ASSIGNMENT}-trent"
    (trent / "graders" / EXERCISE).mkdir(parents=True)
    (trent / "graders" / EXERCISE / "test_training.py").write_text("def test_anything():\n    pass\n")
    (trent / "reference" / EXERCISE).mkdir(parents=True)
    (trent / "reference" / EXERCISE / "training.py").write_text(BUGGY)
    shutil.copy(ROOT / "pyproject.toml", trent)
    # zoe hands in a zip with her repository inside one folder
    zoe = repository(where / f"{ASSIGNMENT}-zoe", mutate(EXERCISE, CLIP, ""))
    with zipfile.ZipFile(classroom / f"{ASSIGNMENT}-zoe.zip", "w") as zf:
        for path in sorted(zoe.rglob("*")):
            zf.write(path, path.relative_to(where).as_posix())
    return classroom


def invoke(command, *args: str, cwd: Path):
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        return CliRunner().invoke(command, list(args), catch_exceptions=False)


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def course_root(tmp_path_factory) -> Path:
    return copy_course(tmp_path_factory.mktemp("batch") / "course")


@pytest.fixture(scope="module")
def classroom(course_root, tmp_path_factory) -> Path:
    return make_class(tmp_path_factory.mktemp("class"), course_root)


@pytest.fixture(scope="module")
def graded(course_root, classroom, tmp_path_factory):
    """One unsharded batch of the class: (OUT, the command's output)."""
    version = store.course_version(course_root)
    out = tmp_path_factory.mktemp("out") / "out"
    result = invoke(batch, str(classroom), "--out", str(out), *SETTINGS, cwd=course_root)
    assert result.exit_code == 0, result.output
    assert store.course_version(course_root) == version, "the hostile submission changed the course"
    return out, result.output


def normal_grades(course_root: Path, classroom: Path, tmp_path: Path) -> dict[str, dict[str, float]]:
    """Each submission graded the usual way (its own 05_training folder, with the course's checks)."""
    folders = {}
    for sub in sorted(classroom.iterdir()):
        if sub.suffix == ".zip":
            with zipfile.ZipFile(sub) as zf:
                zf.extractall(tmp_path)
            folder = tmp_path / sub.stem / "exercises" / EXERCISE
        else:
            folder = sub / "exercises" / EXERCISE
        if not (folder / "training.py").exists():
            folder = course_root / "exercises" / EXERCISE  # nothing handed in: the stub
        folders[sub.name.removesuffix(".zip")] = folder
    targets = [course.resolve(str(f), course_root) for f in folders.values()]
    report = session.grade(targets, session.Options(device="cpu", timeout_factor=0.3, jobs=2))
    return {name: {f"{ex.id}/{c.id}": c.score for c in ex.checks} for name, ex in zip(folders, report.exercises)}


def test_gradebook_matches_grading_each_submission_normally(graded, course_root, classroom, tmp_path):
    out, output = graded
    assert f"course {course_root}" in output
    book = rows(out / "gradebook.csv")
    assert [r["submission"] for r in book] == sorted(r["submission"] for r in book)
    assert list(book[0])[:5] == ["submission", "score", "max_score", "percent", "status"]
    expected = normal_grades(course_root, classroom, tmp_path)
    assert set(expected) == {r["submission"] for r in book}
    for row in book:
        points = {k: float(v) for k, v in row.items() if "/" in k}
        assert points == expected[row["submission"]], row["submission"]
        assert float(row["score"]) == sum(points.values())
    status = {r["submission"].removeprefix(f"{ASSIGNMENT}-"): r for r in book}
    assert status["alice"]["score"] == status["alice"]["max_score"] and status["alice"]["percent"] == "100"
    assert status["bob"]["score"] == "0" and status["bob"]["status"] == "graded"
    assert status["mallory"]["status"] == "crashed"
    assert status["henry"]["status"] == "timed out"
    assert status["ivan"]["status"] == "missing"
    assert 0 < float(status["trent"]["score"]) < float(status["trent"]["max_score"])
    for login in ("carol", "dave", "erin", "zoe"):
        assert status[login]["status"] == "graded" and 0 < float(status[login]["percent"]) < 100, login


def test_outputs_are_plain_and_self_contained(graded):
    out, _ = graded
    text = (out / "gradebook.csv").read_text()
    assert not re.search(r"\d\.\d{3,}", text), "numbers are written as people write them"
    items = rows(out / "checks.csv")
    assert list(items[0]) == ["check", "exercise", "max_score", "mean_score", "pass_rate", "top_failure"]
    clears = next(i for i in items if i["check"] == f"{EXERCISE}/train_step_clears_gradients")
    assert 0 < float(clears["pass_rate"]) < 1 and clears["top_failure"]
    for name in (r["submission"] for r in rows(out / "gradebook.csv")):
        report = json.loads((out / "submissions" / name / "report.json").read_text())
        assert report["schema"] == "grade-report/1"
        assert (out / "submissions" / name / "report.html").read_text().startswith("<!DOCTYPE html>")
    page = (out / "summary.html").read_text()
    assert "<script" not in page and not re.search(r"(src|href)=\"(https?:)?//", page)
    for words in ("Scores", "Pass rate per check", "Mean per exercise", f"{ASSIGNMENT}-henry", "timed out"):
        assert words in page


def test_an_interrupted_batch_continues_where_it_stopped(graded, course_root, classroom, tmp_path):
    first, _ = graded
    out = tmp_path / "out"
    shutil.copytree(first, out)
    (out / "submissions" / f"{ASSIGNMENT}-alice" / "result.json").unlink()  # killed before alice was stored
    before = {p: p.stat().st_mtime_ns for p in out.glob("submissions/*/report.json")}
    result = invoke(batch, str(classroom), "--out", str(out), *SETTINGS, cwd=course_root)
    assert result.exit_code == 0, result.output
    assert "1 to grade, 9 already graded" in result.output
    assert re.findall(r"^\[\d+/\d+\] (\S+):", result.output, re.M) == [f"{ASSIGNMENT}-alice"]
    changed = [p.parent.name for p, t in before.items() if p.stat().st_mtime_ns != t]
    assert changed == [f"{ASSIGNMENT}-alice"]
    assert (out / "gradebook.csv").read_text() == (first / "gradebook.csv").read_text()


def test_force_grades_again(course_root, classroom, tmp_path):
    one = tmp_path / "one"
    one.mkdir()
    shutil.copytree(classroom / f"{ASSIGNMENT}-alice", one / "alice")
    out = tmp_path / "out"
    for args, graded_now in (([], 1), ([], 0), (["--force"], 1)):
        result = invoke(batch, str(one), "--out", str(out), *SETTINGS, *args, cwd=course_root)
        assert result.exit_code == 0, result.output
        assert len(re.findall(r"^\[\d+/\d+\] alice:", result.output, re.M)) == graded_now


def test_shards_merged_equal_one_run(graded, course_root, classroom, tmp_path):
    whole, _ = graded
    outs = [tmp_path / f"shard-{k}" for k in (1, 2, 3)]
    for k, out in enumerate(outs, 1):
        result = invoke(batch, str(classroom), "--out", str(out), *SETTINGS, "--shard", f"{k}/3", cwd=course_root)
        assert result.exit_code == 0, result.output
    given = [set(store.read_manifest(out).given) for out in outs]
    names = set(store.read_manifest(whole).given)
    assert set().union(*given) == names and sum(len(g) for g in given) == len(names)
    merged = tmp_path / "merged"
    result = invoke(merge_outputs, *map(str, outs), "--out", str(merged), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    for name in ("gradebook.csv", "checks.csv"):
        assert (merged / name).read_text() == (whole / name).read_text(), name
    assert {p.name for p in (merged / "submissions").iterdir()} == names

    # a shard left out: its submissions are reported missing, and the status says so
    result = invoke(merge_outputs, *map(str, outs[:2]), "--out", str(tmp_path / "partial"), cwd=tmp_path)
    assert result.exit_code == 1 and "missing" in result.output
    assert all(name in result.output for name in given[2])
    # a shard given twice: its submissions are graded twice
    result = invoke(merge_outputs, *map(str, outs), str(outs[0]), "--out", str(tmp_path / "twice"), cwd=tmp_path)
    assert result.exit_code == 1 and "graded twice" in result.output


@pytest.mark.parametrize(
    "field, value, words",
    [("course_version", "0123456789abcdef", "different course versions"), ("seed", 48151, "different seeds")],
)
def test_merge_refuses_shards_of_another_course_version_or_seed(graded, tmp_path, field, value, words):
    whole, _ = graded
    other = tmp_path / "other"
    shutil.copytree(whole, other)
    data = json.loads((other / "manifest.json").read_text())
    data[field] = value
    (other / "manifest.json").write_text(json.dumps(data))
    result = invoke(merge_outputs, str(whole), str(other), "--out", str(tmp_path / "merged"), cwd=tmp_path)
    assert result.exit_code == 2 and words in result.output
    assert result.output.count("\n") == 1 and not (tmp_path / "merged").exists()


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted():
    text = gradebook.csv_text([['=HYPERLINK("http://x")', "+1", "-2", "@a", "pytorch-basics-bob", 87.5, -1]])
    (row,) = csv.reader(text.splitlines())
    assert row == ['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@a", "pytorch-basics-bob", "87.5", "-1"]


@pytest.mark.parametrize(
    "cause, status", [("timeout", "timed out"), ("crash", "crashed"), ("exception", "graded"), ("", "graded")]
)
def test_a_submission_s_status_comes_from_why_its_code_failed_not_from_the_words(cause, status, tmp_path):
    failed = CheckResult("a", "a", Status.FAILED, 5, message="any words at all", cause=cause)
    report = Report([ExerciseResult("05_training", "t", "p", checks=[failed])], device="cpu", torch_version="2")
    found = submissions.Submission(name="x", path=tmp_path)
    copy = submissions.Pristine(found, tmp_path, ("exercises/05_training/training.py",), (), True, "d")
    assert grading.classify(report, copy) == status


def test_pristine_copies_take_only_learner_files(tmp_path):
    exercises = [course.load_exercise(ROOT, EXERCISE), course.load_exercise(ROOT, "07_debugging")]
    stub = (ROOT / "exercises" / EXERCISE / "training.py").read_bytes()
    subs = tmp_path / "subs"
    linked = repository(subs / "linked", reference_text(EXERCISE))
    (linked / "exercises" / EXERCISE / "training.py").unlink()
    (linked / "exercises" / EXERCISE / "training.py").symlink_to(ROOT / "reference" / EXERCISE / "training.py")
    (linked / "exercises" / "07_debugging" / "debugging.py").write_bytes(b"#" * (submissions.MAX_FILE_BYTES + 1))
    for name, prefix in (("at-top", ""), ("in-a-folder", "repo/")):
        with zipfile.ZipFile(subs / f"{name}.zip", "w") as zf:
            zf.writestr(f"{prefix}exercises/{EXERCISE}/training.py", "# mine\n")
            zf.writestr(f"{prefix}graders/{EXERCISE}/test_training.py", "def test_x():\n    pass\n")
    (subs / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (subs / "notes.txt").write_text("not a submission")
    found = submissions.discover(subs)
    assert [s.name for s in found] == ["at-top", "broken", "in-a-folder", "linked"]
    copies = {s.name: submissions.make_pristine(s, exercises, tmp_path / "work" / s.name) for s in found}
    linked_copy = copies["linked"]
    assert linked_copy.taken == () and linked_copy.readable
    assert "symbolic link" in linked_copy.problems[0] and "larger than" in linked_copy.problems[1]
    assert (linked_copy.exercise_folder(exercises[0]) / "training.py").read_bytes() == stub
    for name in ("at-top", "in-a-folder"):
        copy = copies[name]
        assert copy.taken == (f"exercises/{EXERCISE}/training.py",)
        assert (copy.exercise_folder(exercises[0]) / "training.py").read_text() == "# mine\n"
        assert sorted(p.relative_to(copy.folder).as_posix() for p in copy.folder.rglob("*.py")) == [
            f"exercises/{EXERCISE}/training.py",
            "exercises/07_debugging/debugging.py",
        ]
    assert copies["at-top"].digest == copies["in-a-folder"].digest != copies["linked"].digest
    assert not copies["broken"].readable and "could not be read" in copies["broken"].problems[0]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_every_submission_lands_in_exactly_one_shard(count):
    names = [f"{ASSIGNMENT}-student{i}" for i in range(200)]
    for name in names:
        assert sum(shards.Shard(k, count).holds(name) for k in range(1, count + 1)) == 1
    before = {n: shards.shard_of(n, count) for n in names}
    after = {n: shards.shard_of(n, count) for n in [*names, "new-1", "new-2"]}
    assert all(after[n] == k for n, k in before.items()), "adding submissions moves none"


@pytest.mark.parametrize(
    "spec, env, expected",
    [
        ("2/3", {}, (2, 3)),
        ("auto", {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "4"}, (4, 4)),
        ("auto", {"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "8"}, (1, 8)),
        ("auto/5", {"JOB_COMPLETION_INDEX": "0"}, (1, 5)),
    ],
)
def test_shard_from_the_scheduler(spec, env, expected):
    shard = shards.parse(spec, env)
    assert (shard.index, shard.count) == expected


def test_roster_adds_who_and_lists_mismatches(graded, course_root, classroom, tmp_path):
    first, _ = graded
    out = tmp_path / "out"
    shutil.copytree(first, out)
    roster = tmp_path / "grades.csv"
    people = [(login, f"{ASSIGNMENT}-{login}") for login in ("alice", "bob", "carol")] + [("nina", "")]
    people.append(("oscar", f"{ASSIGNMENT}-oscar"))
    with open(roster, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["assignment_name", "github_username", "roster_identifier", "student_repository_name", "points"])
        w.writerows([ASSIGNMENT, login, f"{login}@school.edu", repo, "0"] for login, repo in people)
    result = invoke(batch, str(classroom), "--out", str(out), *SETTINGS, "--roster", str(roster), cwd=course_root)
    assert result.exit_code == 0, result.output
    assert "0 to grade" in result.output
    book = {r["submission"]: r for r in rows(out / "gradebook.csv")}
    assert list(next(iter(book.values())))[:3] == ["submission", "github_username", "roster_identifier"]
    assert book[f"{ASSIGNMENT}-bob"]["roster_identifier"] == "bob@school.edu"
    assert book[f"{ASSIGNMENT}-dave"]["github_username"] == ""
    problems = {r["name"]: r["problem"] for r in rows(out / "roster_mismatches.csv")}
    assert problems["nina"] == problems[f"{ASSIGNMENT}-oscar"] == "in the roster, no submission"
    assert problems[f"{ASSIGNMENT}-dave"] == "a submission, not in the roster"
    assert f"{ASSIGNMENT}-alice" not in problems
    assert f"roster: {ASSIGNMENT}-oscar: in the roster, no submission" in result.output


@pytest.mark.parametrize(
    "args, words",
    [
        (["--shard", "0/3"], "between 1 and the shard count"),
        (["--shard", "4/3"], "between 1 and the shard count"),
        (["--shard", "half"], "expected K/N"),
        (["--shard", "auto"], "$SLURM_ARRAY_TASK_ID is unset"),
        (["--shard", "auto/4"], "$JOB_COMPLETION_INDEX is unset"),
        (["--exercises", "99_nothing"], "is not an exercise"),
        (["--roster", "no-such.csv"], "cannot be read"),
        (["--jobs", "0"], "--jobs"),
    ],
)
def test_batch_usage_errors_exit_2_with_one_line(course_root, classroom, tmp_path, monkeypatch, args, words):
    for name in ("SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"):
        monkeypatch.delenv(name, raising=False)
    result = invoke(batch, str(classroom), "--out", str(tmp_path / "out"), *args, cwd=course_root)
    assert result.exit_code == 2 and words in result.output, result.output
    assert result.output.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "command, args, words",
    [
        (batch, ["no-such-folder", "--out", "out"], "no such folder"),
        (batch, ["."], "Missing option '--out'"),
        (merge_outputs, ["graders", "--out", "out"], "not the output of grade batch"),
    ],
)
def test_other_usage_errors_exit_2_with_one_line(course_root, command, args, words):
    result = invoke(command, *args, cwd=course_root)
    assert result.exit_code == 2 and words in result.output, result.output
    assert result.output.count("\n") == 1


def test_out_must_be_new_or_a_batch_output(course_root, classroom, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = invoke(batch, str(classroom), "--out", str(tmp_path), *SETTINGS, cwd=course_root)
    assert result.exit_code == 2 and "holds other files" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


# --------------------------------------------------------------------------- the examples


EXAMPLES = ROOT / "examples"


def test_example_workflows_are_valid_yaml_that_grade_and_merge():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((EXAMPLES / "github-actions" / "grade-class.yml").read_text())
    jobs = workflow["jobs"]
    assert "matrix" in jobs["grade"]["strategy"] and jobs["merge"]["needs"] == "grade"
    steps = json.dumps(jobs)
    assert "--shard ${{ matrix.shard }}/" in steps and "grade merge" in steps
    assert "actions/upload-artifact" in steps and "actions/download-artifact" in steps
    job = yaml.safe_load((EXAMPLES / "kubernetes" / "grade-class.yaml").read_text())
    assert job["kind"] == "Job" and job["spec"]["completionMode"] == "Indexed"
    assert f"--shard auto/{job['spec']['completions']}" in json.dumps(job)
    merge = yaml.safe_load((EXAMPLES / "kubernetes" / "grade-class-merge.yaml").read_text())
    assert merge["kind"] == "Job" and "grade merge" in json.dumps(merge)


def test_slurm_example_is_valid_shell():
    script = EXAMPLES / "slurm" / "grade-class.sbatch"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    text = script.read_text()
    assert "#SBATCH --array=" in text and "--shard auto" in text and "grade merge" in text
