"""How close is `grade` to the floor of importing torch?

The floor is a fresh Python that imports torch and builds one optimizer (which pulls in
torch._dynamo), the least any PyTorch grader must pay. Runs are interleaved so that
machine noise hits both alike; medians are reported, with the ratio to the floor.

    python benchmarks/bench_grade.py [--runs 7] [EXERCISE ...]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOOR = [sys.executable, "-c", "import torch; torch.optim.AdamW(torch.nn.Linear(2, 2).parameters())"]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("exercises", nargs="*", default=["05_training"])
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp()) / "report.json"
    grade = [sys.executable, "-m", "torchgrade", "--json", str(out)]
    commands = {"floor (import torch + optimizer)": FLOOR}
    for ex in args.exercises:
        commands[f"grade reference/{ex}"] = grade + [f"reference/{ex}"]
    commands["grade reference/* (all exercises)"] = grade + sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "reference").iterdir() if p.is_dir()
    )
    for cmd in commands.values():  # warm the file cache
        timed(cmd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            times[name].append(timed(cmd))
    floor = statistics.median(times["floor (import torch + optimizer)"])
    print(f"{'command':<40} {'median s':>9} {'min s':>7} {'x floor':>8}   ({args.runs} runs, interleaved)")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:<40} {med:>9.2f} {min(values):>7.2f} {med / floor:>8.2f}")


if __name__ == "__main__":
    main()
