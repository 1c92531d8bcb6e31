"""How close is `grade` to the floor of importing torch, in the course and in a release?

The floor is a fresh Python that imports torch and builds one optimizer (which pulls in
torch._dynamo), the least any PyTorch grader must pay. Each exercise's reference, copied in
as a learner's submission, is graded three ways: in the full course with the reference run
live (--no-cache), in the full course with the reference's results cached (a learner's
second run), and in a release (`grade release`), which runs no reference at all. Runs are
interleaved so that machine noise hits all alike; medians are reported, with the ratio to
the floor and to the course with the reference live.

    python benchmarks/bench_grade.py [--runs 7] [EXERCISE ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from torchgrade import course  # noqa: E402

FLOOR = [sys.executable, "-c", "import torch; torch.optim.AdamW(torch.nn.Linear(2, 2).parameters())"]
GRADE = [sys.executable, "-m", "torchgrade", "--device", "cpu", "--min-score", "0"]


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("exercises", nargs="*", default=["05_training"])
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-grade-"))
    release = tmp / "release"
    subprocess.run([*GRADE[:3], "release", str(release), *args.exercises], cwd=ROOT, check=True, capture_output=True)
    env = {**os.environ, "TORCHGRADE_CACHE": str(tmp / "cache")}
    commands: dict[str, tuple[list[str], Path]] = {"floor (import torch + optimizer)": (FLOOR, ROOT)}
    for ex_id in args.exercises:
        ex = course.load_exercise(ROOT, ex_id)
        submission = tmp / "submission" / ex_id
        submission.mkdir(parents=True)
        shutil.copy(ex.reference_file, submission / ex.module)
        commands[f"{ex_id}: course, reference live"] = ([*GRADE, "--no-cache", str(submission)], ROOT)
        commands[f"{ex_id}: course, reference cached"] = ([*GRADE, str(submission)], ROOT)
        commands[f"{ex_id}: release"] = ([*GRADE, str(submission)], release)
    for cmd, cwd in commands.values():  # warm the file cache and the reference cache
        timed(cmd, cwd, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, (cmd, cwd) in commands.items():
            times[name].append(timed(cmd, cwd, env))
    shutil.rmtree(tmp)
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor = medians["floor (import torch + optimizer)"]
    print(
        f"{'command':<44} {'median s':>9} {'min s':>7} {'x floor':>8} {'x live':>7}   ({args.runs} runs, interleaved)"
    )
    for name, values in times.items():
        live = medians.get(f"{name.split(':')[0]}: course, reference live")
        vs_live = f"{medians[name] / live:>7.2f}" if live else f"{'':>7}"
        print(f"{name:<44} {medians[name]:>9.2f} {min(values):>7.2f} {medians[name] / floor:>8.2f} {vs_live}")


if __name__ == "__main__":
    main()
