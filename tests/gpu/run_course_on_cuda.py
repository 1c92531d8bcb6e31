#!/usr/bin/env python
"""Check the course on a CUDA machine, where the CUDA-only checks really run.

    python tests/gpu/run_course_on_cuda.py        (from anywhere; about 1–3 minutes on one GPU)

1. Grades every reference on the GPU (`grade reference/NN_topic ... --device cuda --json -`)
   and asserts full marks, and that every check ran and passed: no check is skipped on a
   GPU, and every check marked `@check(..., cuda=True)` in graders/NN_topic/test_*.py is
   in the report as passed.
2. Grades a few wrong versions of the references (one realistic mistake each, on the GPU)
   and asserts that the checks that concern the mistake fail (the CUDA-only ones included)
   and that no check is a grader error; prints their scores and messages to read.
3. Grades every entry of tests/mistakes_NN_topic.py whose check is CUDA-only (on a CPU
   those are skipped, unjudged) and asserts that its check fails with the entry's words.

Exits 0 when everything is as expected, 1 on any surprise (each one is listed at the end),
2 when the machine has no CUDA. Not collected by pytest (its name does not start with
test_): CI machines have no GPU.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GRADE = [sys.executable, "-m", "torchgrade"]  # the `grade` command of this checkout
TIMEOUT_S = 480  # per grade call (the whole course on a GPU takes about a minute)

# (label, exercise, text in the reference, what replaces it, checks that must fail)
WRONG_VERSIONS = [
    (
        "06: make_scaler without enabled= (an enabled scaler on the CPU too)",
        "06_amp",
        '    return torch.amp.GradScaler(device_type, enabled=(device_type == "cuda"))',
        "    return torch.amp.GradScaler(device_type)",
        {"make_scaler_cpu"},
    ),
    (
        "06: make_scaler always disabled",
        "06_amp",
        '    return torch.amp.GradScaler(device_type, enabled=(device_type == "cuda"))',
        "    return torch.amp.GradScaler(device_type, enabled=False)",
        {"make_scaler_cuda", "make_scaler_enabled_on_gpu", "amp_step_on_gpu"},
    ),
    (
        "06: autocast dtype bfloat16 on CUDA",
        "06_amp",
        '    return torch.float16 if device_type == "cuda" else torch.bfloat16',
        "    return torch.bfloat16",
        {"autocast_dtype_cuda", "amp_step_forward_autocast", "amp_step_on_gpu"},
    ),
    (
        "06: gradients clipped while still scaled (no scaler.unscale_ before clip_grad_norm_)",
        "06_amp",
        "        scaler.unscale_(optimizer)\n",
        "",
        {"amp_step_clips_gradients"},
    ),
    (
        "06: clipping at a fixed 1.0 whatever max_grad_norm is",
        "06_amp",
        "        nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)\n",
        "        nn.utils.clip_grad_norm_(model.parameters(), 1.0)\n",
        {"amp_step_clips_gradients"},
    ),
    (
        "04: pin_memory never set",
        "04_data",
        '    pin_memory = torch.device(device).type == "cuda"',
        "    pin_memory = False",
        {"loader_pins_for_cuda", "loader_pinned_batches"},
    ),
    (
        "05: batch left on the CPU",
        "05_training",
        "    inputs, targets = (t.to(device) for t in batch)",
        "    inputs, targets = batch",
        {"train_step_moves_batch"},
    ),
]

surprises: list[str] = []


def surprise(text: str) -> None:
    surprises.append(text)
    print(f"  !! SURPRISE: {text}")


def require_cuda() -> None:
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")  # ask without initialising CUDA here
    try:
        import torch
    except ImportError:
        sys.exit(
            "run_course_on_cuda: torch is not importable by this Python; run it with the course's virtual environment."
        )
    if not torch.cuda.is_available():
        print(
            f"run_course_on_cuda: CUDA is not available on this machine (torch {torch.__version__}). "
            "This script checks the course on a GPU; run it on a machine with a CUDA GPU.",
            file=sys.stderr,
        )
        sys.exit(2)
    print(f"torch {torch.__version__}, {torch.cuda.device_count()} CUDA device(s)")


def exercises() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "graders").glob("[0-9][0-9]_*/exercise.toml"))


def cuda_only_checks(exercise_id: str) -> set[str]:
    """Check ids whose @check(...) decorator says cuda=True, read from the grader source."""
    found = set()
    for path in (ROOT / "graders" / exercise_id).glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                for deco in node.decorator_list:
                    if (
                        isinstance(deco, ast.Call)
                        and getattr(deco.func, "id", getattr(deco.func, "attr", "")) == "check"
                    ):
                        if any(
                            k.arg == "cuda" and isinstance(k.value, ast.Constant) and k.value.value is True
                            for k in deco.keywords
                        ):
                            found.add(node.name.removeprefix("test_"))
    return found


def grade(paths: list[str]) -> dict | None:
    """Run `grade PATHS --device cuda --json -`; the report, or None (a surprise) if it did not come back."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [*GRADE, *paths, "--device", "cuda", "--json", "-"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        surprise(f"grade {' '.join(paths)} took more than {TIMEOUT_S} s")
        return None
    print(f"  (grade of {len(paths)} path(s) took {time.perf_counter() - start:.1f} s, exit status {proc.returncode})")
    if proc.returncode not in (0, 1):
        surprise(f"grade exited with status {proc.returncode}: {proc.stderr.strip()[-2000:]}")
        return None
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        surprise(f"grade printed no JSON report; its stderr ends with: {proc.stderr.strip()[-2000:]}")
        return None
    if not str(report.get("device", "")).startswith("cuda"):
        surprise(f"the report says device {report.get('device')!r}, not a CUDA device")
    return report


def check_references() -> None:
    ids = exercises()
    print(f"\n== 1. every reference on the GPU: {', '.join(ids)}")
    report = grade([f"reference/{e}" for e in ids])
    if report is None:
        return
    by_id = {ex["id"]: ex for ex in report["exercises"]}
    n_cuda = 0
    for eid in ids:
        ex = by_id.get(eid)
        if ex is None:
            surprise(f"{eid} is missing from the report")
            continue
        print(f"  {eid}: {ex['score']}/{ex['max_score']} ({ex['status']})")
        if ex.get("error"):
            surprise(f"{eid}: {ex['error']}")
        if not (ex["score"] == ex["max_score"] and ex["max_score"] > 0 and ex["status"] == "passed"):
            surprise(f"{eid}: the reference scored {ex['score']}/{ex['max_score']} ({ex['status']})")
        checks = {c["id"]: c for c in ex["checks"]}
        for c in ex["checks"]:
            if c["status"] != "passed":
                surprise(f"{eid}/{c['id']} is {c['status']} for the reference on the GPU: {c['message']}")
        for cid in sorted(cuda_only_checks(eid)):
            n_cuda += 1
            status = checks.get(cid, {}).get("status", "missing from the report")
            print(f"    CUDA-only check {cid}: {status}")
            if status != "passed":
                surprise(f"{eid}/{cid} (CUDA-only) is {status}, expected passed")
    if n_cuda == 0:
        surprise("no CUDA-only check was found in graders/*/test_*.py")


def check_wrong_versions() -> None:
    print(f"\n== 2. wrong versions on the GPU ({len(WRONG_VERSIONS)})")
    with tempfile.TemporaryDirectory(prefix="torchgrade-gpu-") as tmp:
        paths, cases = [], []
        for i, (label, eid, old, new, must_fail) in enumerate(WRONG_VERSIONS):
            ref_dir = ROOT / "reference" / eid
            modules = [p for p in ref_dir.glob("*.py")]
            module = next((p for p in modules if old in p.read_text()), None)
            if module is None:
                surprise(f"{label}: the text to replace is not in reference/{eid} any more: {old!r}")
                continue
            folder = Path(tmp) / f"v{i}" / eid
            folder.mkdir(parents=True)
            (folder / module.name).write_text(module.read_text().replace(old, new))
            paths.append(str(folder))
            cases.append((label, eid, must_fail))
        if not paths:
            return
        report = grade(paths)
    if report is None:
        return
    if len(report["exercises"]) != len(cases):
        surprise(f"the report has {len(report['exercises'])} exercises for {len(cases)} wrong versions")
        return
    for (label, _, must_fail), ex in zip(cases, report["exercises"], strict=True):
        print(f"\n  -- {label}: {ex['score']}/{ex['max_score']}")
        if ex.get("error"):
            surprise(f"{label}: {ex['error']}")
        status = {c["id"]: c["status"] for c in ex["checks"]}
        for c in ex["checks"]:
            if c["status"] != "passed":
                print(f"     {c['status']:7} {c['id']}: {c['message']}")
            if c["status"] in ("error", "skipped"):
                surprise(f"{label}: check {c['id']} is {c['status']} on the GPU: {c['message']}")
        for cid in sorted(must_fail):
            if status.get(cid) != "failed":
                surprise(f"{label}: check {cid} should fail, but is {status.get(cid, 'missing from the report')}")


def check_cuda_only_mistakes() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    import importlib

    entries = []
    for eid in exercises():
        cuda_checks = cuda_only_checks(eid)
        mistakes = importlib.import_module(f"mistakes_{eid}").MISTAKES
        entries += [(eid, *m) for m in mistakes if m[3] in cuda_checks]
    print(f"\n== 3. mistakes of CUDA-only checks on the GPU ({len(entries)})")
    with tempfile.TemporaryDirectory(prefix="torchgrade-gpu-") as tmp:
        paths = []
        for i, (eid, _, old, new, _, _) in enumerate(entries):
            module = next(p for p in (ROOT / "reference" / eid).glob("*.py") if old in p.read_text())
            folder = Path(tmp) / f"m{i}" / eid
            folder.mkdir(parents=True)
            (folder / module.name).write_text(module.read_text().replace(old, new))
            paths.append(str(folder))
        report = grade(paths) if paths else None
    if report is None:
        return
    for (eid, what, _, _, check_id, words), ex in zip(entries, report["exercises"], strict=True):
        found = next((c for c in ex["checks"] if c["id"] == check_id), None)
        print(f"  -- {eid}: {what}: {found and found['status']}")
        if found is None or found["status"] != "failed" or words not in found["message"]:
            surprise(f"{eid}: '{what}' should fail {check_id} with {words!r}: {found}")


def main() -> int:
    require_cuda()
    start = time.perf_counter()
    check_references()
    check_wrong_versions()
    check_cuda_only_mistakes()
    print(f"\nDone in {time.perf_counter() - start:.0f} s.")
    if surprises:
        print(f"\n{len(surprises)} surprise(s):")
        for s in surprises:
            print(f"  - {s}")
        return 1
    print(
        "Everything as expected: every reference gets full marks on the GPU with its CUDA-only checks run, "
        "and every wrong version fails the checks that concern it."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
