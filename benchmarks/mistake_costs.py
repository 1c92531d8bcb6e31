"""How much does one mistake cost? Grades every entry of tests/mistakes_*.py on the whole
exercise and counts the checks it fails and the points it loses.

A mistake should fail as few checks as honestly possible: the check that names it, and
those that cannot be judged without it ("Not judged yet"). Prints the distribution of
failed checks per mistake and the five costliest mistakes.

    python benchmarks/mistake_costs.py [EXERCISE ...] [--jobs N]
"""

from __future__ import annotations

import argparse
import collections
import importlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from torchgrade import course  # noqa: E402
from torchgrade.engine import sandbox, session  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="*")
    parser.add_argument("--jobs", type=int, default=session.cpus())
    args = parser.parse_args()
    ids = args.exercises or [ex.id for ex in course.all_exercises(ROOT)]
    sandbox.warm_up()
    targets, labels = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for exercise_id in ids:
            ex = course.load_exercise(ROOT, exercise_id)
            reference = ex.reference_file.read_text()
            entries = importlib.import_module(f"mistakes_{exercise_id}").MISTAKES
            for i, (what, old, new, check_id, _) in enumerate(entries):
                folder = Path(tmp, f"{exercise_id}-{i}", exercise_id)
                folder.mkdir(parents=True)
                (folder / ex.module).write_text(reference.replace(old, new))
                targets.append(course.resolve(str(folder), ROOT))
                labels.append(f"{exercise_id}: {what} ({check_id})")
        report = session.grade(targets, session.Options(device="cpu", jobs=args.jobs))
    costs = [
        (sum(1 for c in ex.checks if c.status == "failed"), ex.max_score - ex.score, label)
        for ex, label in zip(report.exercises, labels, strict=True)
    ]
    histogram = collections.Counter(n for n, _, _ in costs)
    print(f"{len(costs)} mistakes graded on their whole exercise")
    print("checks failed  mistakes")
    for n in sorted(histogram):
        print(f"{n:>13}  {histogram[n]}")
    print(f"median points lost: {sorted(p for _, p, _ in costs)[len(costs) // 2]}")
    for n, _, label in costs:
        if n == 0:
            print(f"caught by no check on the whole exercise: {label}")
    print("the five costliest:")
    for n, points, label in sorted(costs, key=lambda c: (-c[1], -c[0]))[:5]:
        print(f"  {points:>5} points, {n} checks: {label}")


if __name__ == "__main__":
    main()
