"""Gradescope's ``results.json``.

A test's ``status`` is only ``passed`` or ``failed``, so skipped checks (0 points either way)
are not tests here: the top-level ``output`` lists them with the reason. Text is ``text``
format: learner output must never be read as HTML or Markdown.
"""

from __future__ import annotations

from torchgrade.reports.common import clean, feedback, rows, summary_line, tail, title
from torchgrade.results import Report


def gradescope(report: Report, limit: int = 20_000) -> dict:
    tests, skipped = [], []
    for i, ex, j, c in rows(report):
        if c is not None and c.status == "skipped":
            skipped.append(f"  - {title(report, ex, c)}: {clean(c.message)}")
            continue
        tests.append(
            {
                "score": 0 if c is None else c.score,
                "max_score": 0 if c is None else c.max_score,
                "status": "passed" if c is not None and c.status == "passed" else "failed",
                "name": title(report, ex, c),
                "number": f"{i}" if c is None else f"{i}.{j}",
                "output": tail(ex.error, limit) if c is None else feedback(c, limit),
                "output_format": "text",
                "tags": [ex.id],
                "visibility": "visible",
            }
        )
    lines = [summary_line(report)]
    lines += [f"{ex.id}: could not be graded: {clean(ex.error)}" for ex in report.exercises if ex.error]
    if skipped:
        lines += ["", "Not graded on this machine (worth 0 points here):", *skipped]
    return {
        "score": report.score,
        "execution_time": round(report.duration_s, 3),
        "output": "\n".join(lines),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
