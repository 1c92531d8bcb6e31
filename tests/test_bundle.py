"""`grade gradescope-bundle`: the zip holds the course and Gradescope's two scripts, and its
run_autograder grades a submission laid out as Gradescope lays it out."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner
from conftest import ROOT, mutate, reference_text

from torchgrade.cli import gradescope_bundle


def build(tmp_path, *exercise_ids: str):
    out = tmp_path / "autograder.zip"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        result = CliRunner().invoke(gradescope_bundle, [str(out), *exercise_ids], catch_exceptions=False)
    return result, out


def test_bundle_holds_the_course_and_executable_scripts(tmp_path):
    result, out = build(tmp_path)
    assert result.exit_code == 0 and "wrote" in result.output
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        script = zf.read("run_autograder").decode()
    assert {
        "setup.sh",
        "run_autograder",
        "pyproject.toml",
        "graders/05_training/exercise.toml",
        "reference/05_training/training.py",
        "exercises/05_training/training.py",
        "torchgrade/templates/terminal.txt.j2",
    } <= names
    assert not any("__pycache__" in n for n in names)
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    for module in ("tensors.py", "autograd.py", "model.py", "data.py", "training.py", "amp.py", "debugging.py"):
        assert module in script


def test_unknown_exercise_is_a_usage_error(tmp_path):
    result, _ = build(tmp_path, "99_nothing")
    assert result.exit_code == 2 and "'99_nothing' is not an exercise" in result.output


@pytest.mark.parametrize("layout", ["flat", "folder", "repository"])
def test_run_autograder_grades_the_submission(tmp_path, layout):
    _, out = build(tmp_path, "05_training")
    autograder = tmp_path / "autograder"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(autograder / "source")
    submission = {
        "flat": "training.py",
        "folder": "05_training/training.py",
        "repository": "exercises/05_training/training.py",
    }[layout]
    wrong = mutate("05_training", "    optimizer.zero_grad()  # gradients accumulate in .grad unless cleared\n", "")
    (autograder / "submission" / submission).parent.mkdir(parents=True)
    (autograder / "submission" / submission).write_text(wrong)
    grade = shutil.which("grade", path=os.path.dirname(sys.executable))
    env = {**os.environ, "AUTOGRADER_ROOT": str(autograder), "TORCHGRADE": grade}
    proc = subprocess.run(
        ["bash", str(autograder / "source" / "run_autograder")], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads((autograder / "results" / "results.json").read_text())
    status = {t["name"]: t["status"] for t in results["tests"]}
    assert status["train_step: clears old gradients before backward"] == "failed"  # the learner's file was graded
    assert status["evaluate: accuracy matches the reference"] == "passed"
    assert 0 < results["score"] < 100
    assert (autograder / "source" / "reference" / "05_training" / "training.py").read_text() == reference_text(
        "05_training"
    )


def test_grade_routes_the_subcommand():
    proc = subprocess.run(
        [sys.executable, "-m", "torchgrade", "gradescope-bundle", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0 and "Usage: grade gradescope-bundle [OPTIONS] OUT.zip" in proc.stdout


def test_a_staff_seed_goes_into_run_autograder(tmp_path):
    out = tmp_path / "autograder.zip"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        result = CliRunner().invoke(gradescope_bundle, [str(out), "05_training", "--seed", "48151"])
    assert result.exit_code == 0 and "with seed 48151" in result.output
    with zipfile.ZipFile(out) as zf:
        assert "--seed 48151 --gradescope" in zf.read("run_autograder").decode()
