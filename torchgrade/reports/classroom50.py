"""Classroom 50's ``result.json`` (``classroom50/result/v1``): integer points.

Fractional points are not rounded: when any check is worth a fraction, every number is
multiplied by the smallest power of ten that makes all of them whole (0.5-point checks: ×10),
so ``score``/``max-score`` keep the exact ratio and each total is the sum of its tests.
Identity fields come from the runner's environment; the runner stamps ``owner`` and
``assignment_type`` itself. Skipped checks (0 points either way) are not tests here.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping

from torchgrade.reports.common import fraction, message, rows, tail, title
from torchgrade.results import Report


def points_scale(values: list[float | int], max_digits: int = 6) -> int:
    """The smallest power of ten that makes every value a whole number (1 for whole points)."""
    for k in range(max_digits + 1):
        if all((fraction(v) * 10**k).denominator == 1 for v in values):
            return 10**k
    return 10**max_digits


def classroom50(report: Report, env: Mapping[str, str] | None = None, now: dt.datetime | None = None) -> dict:
    env = os.environ if env is None else env
    scale = points_scale([c.points for c in report.checks if c.status != "skipped"])

    def scaled(x: float | int) -> int:
        return round(fraction(x) * scale)

    tests = []
    for _, ex, _, c in rows(report):
        if c is None:
            tests.append(
                {
                    "test-name": title(report, ex, c),
                    "passed": False,
                    "score": 0,
                    "max-score": 0,
                    "status": "error",
                    "message": tail(ex.error, 2000),
                }
            )
        elif c.status != "skipped":
            tests.append(
                {
                    "test-name": title(report, ex, c),
                    "passed": c.status == "passed",
                    "score": scaled(c.score),
                    "max-score": scaled(c.max_score),
                    "status": c.status,
                    "message": tail(message(c), 2000),
                }
            )
    commit = env.get("COMMIT_URL", "")
    stamp = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    return {
        "schema": "classroom50/result/v1",
        "classroom": env.get("CLASSROOM", ""),
        "assignment": env.get("ASSIGNMENT", ""),
        "submission": env.get("SUBMISSION_TAG", ""),
        "commit": commit,
        "release": env.get("RELEASE_URL", ""),
        "review": env.get("REVIEW_URL") or commit,
        "datetime": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "score": sum(t["score"] for t in tests),
        "max-score": sum(t["max-score"] for t in tests),
        "tests": tests,
    }
