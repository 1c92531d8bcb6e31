"""The `grade` command line: exit statuses, the JSON contract, determinism, --all."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner
from conftest import ROOT, timeless

from torchgrade.cli import main

CHECK_KEYS = {"id", "name", "status", "score", "max_score", "message", "duration_s"}


def grade(*args: str):
    """Run `grade ARGS` in-process from the course root, on the CPU unless ARGS name a device
    (the figures asserted here are the CPU ones: CUDA-only checks add points on a GPU)."""
    args = list(args) if "--device" in args else [*args, "--device", "cpu"]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        return CliRunner().invoke(main, args, catch_exceptions=False)


def test_reference_json_follows_the_contract_and_is_deterministic(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert grade("reference/05_training", "--json", str(first)).exit_code == 0
    assert grade("reference/05_training/training.py", "--json", str(second)).exit_code == 0
    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    assert {"schema", "score", "max_score", "device", "torch_version", "duration_s", "exercises"} <= set(a)
    assert a["schema"] == "grade-report/1" and a["score"] == a["max_score"] == 100 and a["device"] == "cpu"
    assert a["torch_version"] == torch.__version__
    ex = a["exercises"][0]
    assert {"id", "path", "score", "max_score", "status", "error", "checks"} <= set(ex) and ex["status"] == "passed"
    assert all(CHECK_KEYS <= set(c) for c in ex["checks"])
    skipped = [c for c in ex["checks"] if c["status"] == "skipped"]
    assert all(c["max_score"] == 0 and "needs CUDA" in c["message"] for c in skipped)
    a["exercises"][0]["path"] = b["exercises"][0]["path"]
    assert timeless(a) == timeless(b)


def test_stub_scores_zero_and_exits_1():
    result = grade("exercises/05_training")
    assert result.exit_code == 1
    assert "not implemented yet" in result.output and "Total: 0/100" in result.output
    assert "torchgrade: score 0/100 (0.0%)" in result.output


def test_min_score_sets_the_bar():
    assert grade("exercises/05_training", "--min-score", "0").exit_code == 0


@pytest.mark.parametrize(
    "args, words",
    [
        (["no/such/05_training"], "no such file or folder"),
        (["pyproject.toml"], "not an exercise folder"),
        ([], "nothing to grade"),
        (["reference/05_training", "--device", "tpu"], "expected auto, cpu, cuda or cuda:N"),
        (["reference/05_training", "--json", "-", "--html", "-"], "only one report can go to standard output"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, words):
    result = grade(*args)
    assert result.exit_code == 2
    assert words in result.output and result.output.count("\n") == 1


def test_cuda_without_cuda_is_a_usage_error():
    result = grade("reference/05_training", "--device", "cuda")
    if torch.cuda.is_available():
        assert result.exit_code == 0
    else:
        assert result.exit_code == 2 and "CUDA is not available" in result.output


def test_all_grades_every_exercise_of_the_course(tmp_path):
    out = tmp_path / "all.json"
    result = grade("--all", "--json", str(out), "--min-score", "0")
    report = json.loads(out.read_text())
    ids = sorted(p.name for p in (ROOT / "graders").iterdir() if (p / "exercise.toml").exists())
    assert [e["id"] for e in report["exercises"]] == ids
    assert result.exit_code == 0 and report["score"] == 0


def test_convergence_checks_carry_learner_and_reference_curves(tmp_path):
    out = tmp_path / "r.json"
    grade("reference/05_training", "--json", str(out))
    checks = {c["id"]: c for c in json.loads(out.read_text())["exercises"][0]["checks"]}
    (plot,) = checks["fit_converges"]["plots"]
    assert set(plot["series"]) == {"your code", "reference"} and len(plot["series"]["reference"]) == 4
    assert plot["series"]["your code"] == plot["series"]["reference"]
