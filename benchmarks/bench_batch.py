"""What one more whole-course submission costs with `grade batch`, and with `grade` once per submission.

Builds N learner repositories (a mix: the references, the stubs, and the references with one
realistic mistake per exercise, taken from tests/mistakes_NN_topic.py), then times:

- `grade batch` of the first 2 and of all N submissions (a fresh OUT each), with -j JOBS:
  the marginal time per submission is (t(N) − t(2)) / (N − 2), which leaves out the one-off
  costs (importing torch, running the reference once);
- `grade <its exercises>` with -j JOBS, a subprocess per submission, over the same N: the
  marginal time is measured the same way, over the first 2 and all N of those runs.

    python benchmarks/bench_batch.py [--submissions 10] [--jobs 2] [--runs 1]

With --runs above 1 the medians are reported.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the mistakes_NN_topic modules


def exercises() -> list[str]:
    return sorted(p.name for p in (ROOT / "graders").iterdir() if (p / "exercise.toml").is_file())


def make_submissions(where: Path, count: int) -> list[Path]:
    """references, stubs and mistakes, in turn; each a repository with exercises/NN_topic/."""
    subs = []
    for i in range(count):
        repo = where / f"student-{i:03d}"
        kind = ("reference", "exercises", "mistakes")[i % 3]
        shutil.copytree(ROOT / ("exercises" if kind == "exercises" else "reference"), repo / "exercises")
        if kind == "mistakes":
            for ex in exercises():
                mistakes = importlib.import_module(f"mistakes_{ex}").MISTAKES
                _, old, new, *_ = mistakes[i % len(mistakes)]
                for module in (repo / "exercises" / ex).glob("*.py"):
                    text = module.read_text()
                    if old in text:
                        module.write_text(text.replace(old, new, 1))
        subs.append(repo)
    return subs


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def batch_time(subs: list[Path], jobs: int, scratch: Path) -> float:
    folder = Path(tempfile.mkdtemp(dir=scratch))
    for repo in subs:
        (folder / repo.name).symlink_to(repo)
    return timed(
        [sys.executable, "-m", "torchgrade", "batch", str(folder), "--out", str(folder / "out"), "-j", str(jobs)]
    )


def single_times(subs: list[Path], jobs: int) -> list[float]:
    grade = [sys.executable, "-m", "torchgrade", "--min-score", "0", "-j", str(jobs)]
    return [timed(grade + [str(repo / "exercises" / ex) for ex in exercises()]) for repo in subs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=10, help="N, at least 3")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    n = max(args.submissions, 3)
    scratch = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    subs = make_submissions(scratch / "class", n)
    results: dict[str, list[float]] = {"batch 2": [], "batch N": [], "single 2": [], "single N": []}
    for _ in range(args.runs):
        results["batch 2"].append(batch_time(subs[:2], args.jobs, scratch))
        results["batch N"].append(batch_time(subs, args.jobs, scratch))
        each = single_times(subs, args.jobs)
        results["single 2"].append(sum(each[:2]))
        results["single N"].append(sum(each))
    shutil.rmtree(scratch, ignore_errors=True)
    t = {k: statistics.median(v) for k, v in results.items()}
    marginal = {m: (t[f"{m} N"] - t[f"{m} 2"]) / (n - 2) for m in ("batch", "single")}
    print(f"{len(exercises())} exercises per submission, -j {args.jobs}, {args.runs} run(s), medians")
    print(f"{'method':<38} {'t(2) s':>8} {f't({n}) s':>8} {'s/submission':>13} {'x batch':>8}")
    for m, label in (("batch", "grade batch"), ("single", "grade, one subprocess per submission")):
        print(
            f"{label:<38} {t[m + ' 2']:>8.1f} {t[m + ' N']:>8.1f} {marginal[m]:>13.2f} {marginal[m] / marginal['batch']:>8.2f}"
        )


if __name__ == "__main__":
    main()
