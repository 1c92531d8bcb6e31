"""`grade release`: the learners' repository holds no solution, grades as the course does,
and says what it lacks; the committed course is what gets released."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from conftest import ROOT, SUBMISSIONS, reference_text

from torchgrade import committed, course, release
from torchgrade.engine import recording, session, wire

GRADE = str(Path(sys.executable).parent / "grade")


def course_as_files(where: Path) -> Path:
    """The course's released parts, copied as they are in this checkout (not a git repository)."""
    for part in release.SOURCE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, where / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            where.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, where / part)
    return where


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> Path:
    return course_as_files(tmp_path_factory.mktemp("full") / "course")


@pytest.fixture(scope="module")
def released(full, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "out"
    made = release.release(full, out, (), ("cpu",))
    assert made.source.revision is None  # a copy, not a repository: taken as it is
    return out


# --------------------------------------------------------------------------- what is in it


def bodies(tree: ast.AST) -> set[str]:
    """Every function and class body in ``tree``, as a normalised syntax tree (no positions, no docstrings)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = list(node.body)
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # a docstring says what, not how
            if body:
                found.add(ast.dump(ast.Module(body=body, type_ignores=[])))
    return found


def python_in(path: Path) -> list[ast.AST]:
    """The Python in a file: the file itself, a Markdown file's code blocks, a recording's strings."""
    if path.suffix == ".pt":
        data = torch.load(path, weights_only=True)
        texts, todo = [], [data]
        while todo:
            value = todo.pop()
            if isinstance(value, dict):
                todo += list(value.keys()) + list(value.values())
            elif isinstance(value, (list, tuple)):
                todo += list(value)
            elif isinstance(value, str):
                texts.append(value)
    elif path.suffix == ".md":
        texts = path.read_text().split("```")[1::2]
    else:
        texts = [path.read_text(errors="replace")]
    trees = []
    for text in texts:
        text = text.removeprefix("python").removeprefix("bash")
        try:
            trees.append(ast.parse(text))
        except SyntaxError:
            pass
    return trees


def test_the_release_holds_no_function_or_class_body_of_a_solution(released):
    solutions = set()
    for path in [*(ROOT / "reference").rglob("*.py"), *SUBMISSIONS.rglob("*.py")]:
        solutions |= bodies(ast.parse(path.read_text()))
    assert len(solutions) > 50
    files = [p for p in released.rglob("*") if p.is_file()]
    leaked = {str(p.relative_to(released)) for p in files for tree in python_in(p) if bodies(tree) & solutions}
    assert leaked == set()


def test_the_release_holds_exercises_checks_engine_and_recordings_only(released):
    top = {p.name for p in released.iterdir()}
    assert top == {
        ".github",
        ".githooks",
        ".gitignore",
        "README.md",
        "exercises",
        "graders",
        "pyproject.toml",
        "recordings",
        "torchgrade",
    }
    names = [p.relative_to(released).as_posix() for p in released.rglob("*")]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "mistakes" in n or "correct_" in n]
    ids = [ex.id for ex in course.all_exercises(ROOT)]
    assert sorted(p.stem for p in (released / "recordings" / "cpu").iterdir()) == ids
    assert os.access(released / ".githooks" / "pre-push", os.X_OK)
    workflow = (released / ".github" / "workflows" / "classroom.yml").read_text()
    pinned = release.pinned_torch()
    assert f"pip install torch=={pinned} --index-url https://download.pytorch.org/whl/cpu" in workflow
    assert f"torch=={pinned} -e ." in (released / "README.md").read_text()


def test_a_recording_is_plain_data_that_says_how_it_was_made(released):
    data = torch.load(released / "recordings" / "cpu" / "05_training.pt", weights_only=True)
    assert data["format"] == recording.FORMAT and data["exercise"] == "05_training"
    assert (data["torch"], data["device"], data["seed"]) == (str(torch.__version__), "cpu", 0)
    assert any(call.startswith("step_once") for call in data["results"])


def test_named_exercises_only_and_never_over_a_folder_in_use(full, tmp_path):
    out = tmp_path / "two"
    made = release.release(full, out, ("01_tensors", "05_training"), ("cpu",))
    assert made.exercises == ("01_tensors", "05_training")
    assert sorted(p.name for p in (out / "exercises").iterdir()) == ["01_tensors", "05_training"]
    assert "| [`05_training`]" in (out / "README.md").read_text()
    with pytest.raises(course.UsageError, match="not empty"):
        release.release(full, out, (), ("cpu",))


# --------------------------------------------------------------------------- the same verdicts


def _plain(result) -> dict:
    """A result as the JSON report has it, without which course graded it and the timings."""
    data = result.to_dict()
    data.pop("course")
    for c in data["checks"]:
        c.pop("duration_s")
    return data


@pytest.mark.parametrize("exercise_id", [ex.id for ex in course.all_exercises(ROOT)])
def test_release_and_course_give_the_same_verdicts(graded_known, released, exercise_id):
    """On the reference, the stub, every mistake and every correct alternative (tests/conftest.py)."""
    in_course, in_release = graded_known(exercise_id), graded_known(exercise_id, released)
    assert len(in_course) > 10 and list(in_course) == list(in_release)
    assert [label for label in in_course if _plain(in_course[label]) != _plain(in_release[label])] == []


# --------------------------------------------------------------------------- what it lacks


def test_a_missing_recording_is_a_grader_error_that_names_the_check_and_the_call(released, tmp_path):
    copy = shutil.copytree(released, tmp_path / "copy")
    file = recording.path(copy, "05_training", "cpu")
    rec = recording.load(file, "05_training")
    dropped = sorted(k for k in rec.results if k.startswith("evaluation"))
    for key in dropped:
        del rec.results[key]
    file.unlink()
    rec.save(file)
    target = course.resolve(str(ROOT / "reference" / "05_training"), copy)
    result = session.grade_exercise(target, session.Options(device="cpu"))
    check = next(c for c in result.checks if c.id == "evaluate_accuracy")
    assert check.status == "error" and check.score == 0
    assert "“evaluate: accuracy matches the reference”" in check.message
    assert f"have no result for {dropped[0]}" in check.message and "recordings/cpu/05_training.pt" in check.message
    assert next(c for c in result.checks if c.id == "train_step_updates_parameters").status == "passed"


def test_a_release_refuses_a_hidden_seed_and_a_device_it_has_no_recording_for(released):
    proc = subprocess.run(
        [GRADE, "exercises/05_training", "--seed", "7"], cwd=released, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert "--seed 7" in proc.stderr and "a hidden seed needs the course itself" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_the_pre_push_hook_prints_the_summary_and_the_failed_checks_when_it_refuses(released):
    env = {**os.environ, "PATH": f"{Path(GRADE).parent}{os.pathsep}{os.environ['PATH']}", "TORCHGRADE_MIN_SCORE": "100"}
    hook = subprocess.run(
        [str(released / ".githooks" / "pre-push")], cwd=released, env=env, capture_output=True, text=True, timeout=300
    )
    assert hook.returncode == 1
    assert "Total: 0/700" in hook.stdout and "✗" in hook.stdout and "not implemented yet" in hook.stdout
    assert "push refused" in hook.stderr
    env["TORCHGRADE_MIN_SCORE"] = "0"
    allowed = subprocess.run(
        [str(released / ".githooks" / "pre-push")], cwd=released, env=env, capture_output=True, text=True, timeout=300
    )
    assert allowed.returncode == 0 and allowed.stdout.startswith("Total: 0/700")


# --------------------------------------------------------------------------- the committed course


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_the_committed_course_is_what_gets_built_and_the_rest_is_named(tmp_path):
    repo = tmp_path / "repo"
    (repo / "exercises").mkdir(parents=True)
    (repo / "exercises" / "a.py").write_text("committed\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c")
    (repo / "exercises" / "a.py").write_text("edited, not committed\n")
    (repo / "exercises" / "b.py").write_text("never added\n")
    with committed.snapshot(repo, ("exercises", "graders")) as snap:
        assert (snap.root / "exercises" / "a.py").read_text() == "committed\n"
        assert not (snap.root / "exercises" / "b.py").exists()
        assert snap.left_out == ("exercises/a.py", "exercises/b.py")
        assert snap.revision and snap.describe().startswith("commit ")


def test_gradescope_bundle_and_release_say_what_they_left_out(tmp_path):
    repo = course_as_files(tmp_path / "repo")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c")
    stub = repo / "exercises" / "05_training" / "training.py"
    stub.write_text(reference_text("05_training"))  # a teacher's try, never meant to be committed
    proc = subprocess.run(
        [GRADE, "gradescope-bundle", str(tmp_path / "a.zip"), "05_training"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "built from commit" in proc.stdout
    assert "left out, because they are not committed: exercises/05_training/training.py" in proc.stderr
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        assert "NotImplementedError" in zf.read("exercises/05_training/training.py").decode()


def test_the_learner_readme_sets_up_and_grades_with_its_two_commands(released, tmp_path):
    """Exactly the README's commands, in a copy of the release: a fresh environment, then grade."""
    repo = shutil.copytree(released, tmp_path / "learner")
    readme = (repo / "README.md").read_text()
    setup, grade = [b.removeprefix("bash\n").strip() for b in readme.split("```")[1::2] if b.startswith("bash")][:2]
    assert setup.startswith("python3 -m venv .venv") and grade == ".venv/bin/grade exercises/05_training"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    installed = subprocess.run(setup, shell=True, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stderr[-3000:]
    graded = subprocess.run(grade, shell=True, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert graded.returncode == 1, graded.stderr
    assert "Total: 0/100" in graded.stdout and "not implemented yet" in graded.stdout


def test_code_that_replays_the_recording_passes_in_the_release_and_fails_under_a_staff_seed(full, released, tmp_path):
    """The recording is in every learner's repository: seeded_noise that returns its values, call
    by call, instead of drawing them, passes against the recording and fails under another seed."""
    rec = recording.load(recording.path(released, "01_tensors", "cpu"), "01_tensors")
    (batch,) = [wire.decode(v) for k, v in rec.results.items() if k.startswith("_run_all")]
    noise = batch["noise()"]
    replayed = [t.tolist() for t in [*noise["values"], noise["first"], noise["again"], noise["other"]]]
    cheat = reference_text("01_tensors").replace(
        "def seeded_noise(",
        f"_RECORDED = iter({replayed!r})\n\n\ndef seeded_noise(shape, seed):\n"
        "    return torch.tensor(next(_RECORDED))\n\n\ndef _drawn_noise(",
    )
    folder = tmp_path / "01_tensors"
    folder.mkdir()
    (folder / "tensors.py").write_text(cheat)
    ids = ("seeded_noise_values", "seeded_noise_reproducible", "seeded_noise_global_rng")

    def verdicts(root: Path, run_seed: int) -> dict[str, str]:
        result = session.grade_exercise(course.resolve(str(folder), root), session.Options(device="cpu", seed=run_seed))
        return {c.id: c.status for c in result.checks if c.id in ids}

    assert verdicts(released, 0) == dict.fromkeys(ids, "passed")
    staff = verdicts(full, 48151)
    assert staff["seeded_noise_values"] == "failed"


@pytest.mark.parametrize(
    "args, words",
    [
        ([], "Missing argument 'OUT'"),
        (["{out}"], "is not empty"),
        (["{new}", "99_nothing"], "'99_nothing' is not an exercise"),
    ],
)
def test_release_usage_errors_are_one_line_and_exit_2(released, tmp_path, args, words):
    args = [a.format(out=released, new=tmp_path / "new") for a in args]
    proc = subprocess.run([GRADE, "release", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and words in proc.stderr and proc.stderr.count("\n") == 1
    assert not (tmp_path / "new").exists()


def test_a_repository_git_cannot_read_is_refused_not_taken_from_disk(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "exercises").mkdir(parents=True)
    (repo / "exercises" / "a.py").write_text("draft\n")
    _git(repo, "init", "-q")
    with pytest.raises(course.UsageError, match="without a commit"), committed.snapshot(repo, ("exercises",)):
        pass
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))  # no git to run
    with pytest.raises(course.UsageError, match="git cannot be run"), committed.snapshot(repo, ("exercises",)):
        pass


def test_a_reference_that_is_not_committed_is_named_in_one_line(tmp_path):
    repo = course_as_files(tmp_path / "repo")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "rm", "-r", "-q", "--cached", "reference/05_training")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c")
    with pytest.raises(course.UsageError, match=r"nothing to record: reference/05_training/training.py$"):
        release.release(repo, tmp_path / "out", ("05_training",), ("cpu",))
    assert not (tmp_path / "out").exists()


def test_a_recording_with_missing_or_odd_fields_is_not_one(tmp_path):
    good = {"format": recording.FORMAT, "exercise": "05_training", "torch": "2", "device": "cpu", "seed": 0}
    for data in ({**good, "results": [1, 2]}, good, {**good, "results": {}, "seed": "0"}):
        torch.save(data, tmp_path / "r.pt")
        with pytest.raises(recording.RecordingError, match="is not a recording of 05_training"):
            recording.load(tmp_path / "r.pt", "05_training")


def test_a_call_whose_arguments_have_no_stable_repr_is_not_recorded():
    rec = recording.Recording("05_training", "cpu", 0)
    rec.add(test_a_call_whose_arguments_have_no_stable_repr_is_not_recorded, (1, "a"), 2)
    with pytest.raises(recording.RecordingError, match="same in every run"):
        rec.add(test_a_call_whose_arguments_have_no_stable_repr_is_not_recorded, (object(),), 2)
    with pytest.raises(recording.RecordingError, match="different names"):
        rec.add(test_a_call_whose_arguments_have_no_stable_repr_is_not_recorded, (1, "a"), 3)
