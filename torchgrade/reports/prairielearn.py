"""PrairieLearn's external-grader ``results.json``: ``score`` in [0, 1].

``gradable`` is false when nothing could be verified: every exercise's code failed to load
(a syntax or import error, PrairieLearn's own example of an ungradable submission) or every
check was skipped. PrairieLearn then awards nothing and takes no attempt.
"""

from __future__ import annotations

from fractions import Fraction

from torchgrade.reports.common import clean, feedback, fraction, message, num, rows, tail, title
from torchgrade.reports.terminal import terminal
from torchgrade.results import Report


def prairielearn(report: Report, limit: int = 20_000) -> dict:
    counts = report.counts()
    score = fraction(report.score) / fraction(report.max_score) if report.max_score else Fraction(0)
    gradable = bool(report.max_score) and not all(ex.error is not None for ex in report.exercises)
    tests = []
    for _, ex, _, c in rows(report):
        if c is None:
            tests.append(
                {
                    "name": title(report, ex, c),
                    "description": f"{ex.title} ({ex.path})",
                    "points": 0,
                    "max_points": 0,
                    "message": tail(ex.error, limit),
                    "output": "",
                }
            )
            continue
        text = message(c)
        if c.status == "skipped":
            text = f"Skipped: {text}" if text else "Skipped"
        tests.append(
            {
                "name": title(report, ex, c),
                "description": f"{ex.title} ({ex.id}, check {c.id})",
                "points": c.score,
                "max_points": c.max_score,
                "message": text,
                "output": feedback(c, limit, with_message=False),
            }
        )
    result = {
        "gradable": gradable,
        "score": float(min(max(score, Fraction(0)), Fraction(1))),
        "message": (
            f"Score {num(report.score)}/{num(report.max_score)} ({report.percent:.1f}%): {counts['passed']} passed, "
            f"{counts['failed']} failed, {counts['error']} errors, {counts['skipped']} skipped."
        ),
        "output": tail(terminal(report, color=False), 200_000),
        "tests": tests,
    }
    if not gradable:
        errors = [f"{ex.id}: {clean(ex.error)}" for ex in report.exercises if ex.error]
        result["format_errors"] = errors or ["Nothing could be verified on this machine: every check was skipped."]
    return result
