"""GitHub Classroom: the runner result that ``classroom-resources/autograding-grading-reporter`` reads,
set as the step output ``result`` (base64 JSON).

One test per graded check (status ``pass``/``fail``/``error``; ``duration`` in milliseconds, as
the official command and I/O graders write it). The reporter records ``Σ tests[].score`` out of
``max_score``. Skipped checks are left out: the reporter prints every test that is not ``pass``
as an error, and they are worth nothing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import IO

from torchgrade.reports.common import message, relpath, rows, tail, title
from torchgrade.reports.output import append
from torchgrade.results import Report, exact_sum

#: GitHub passes the runner result to the reporter in an environment variable; Linux caps
#: one such string at 128 KiB (MAX_ARG_STRLEN), so the encoded result stays below this.
CLASSROOM_MAX_B64 = 100_000


def classroom_result(report: Report, message_limit: int = 2000) -> dict:
    """The runner result. ``status`` is ``error`` for a fault of the grader or when nothing could
    be verified (then ``max_score`` is what the checks would have been worth, so the reporter
    records 0 of it)."""
    tests = []
    for _, ex, _, c in rows(report):
        if c is not None and c.status == "skipped":
            continue
        status = "error" if c is None else {"passed": "pass", "failed": "fail"}.get(c.status, "error")
        tests.append(
            {
                "name": title(report, ex, c),
                "status": status,
                "score": 0 if c is None else c.score,
                "message": tail(ex.error if c is None else message(c), message_limit),
                "test_code": f"grade {relpath(ex.path)}",
                "filename": f"graders/{ex.id}",
                "line_no": 0,
                "duration": 0 if c is None else round(c.duration_s * 1000),
            }
        )
    max_score = report.max_score
    if not max_score:
        max_score = exact_sum(c.points for c in report.checks) or 1  # what every check would be worth
        if not tests:
            tests.append(
                {
                    "name": "torchgrade: nothing was graded",
                    "status": "error",
                    "score": 0,
                    "message": "Every check was skipped on this machine, so nothing was verified.",
                    "test_code": "grade --all",
                    "filename": "",
                    "line_no": 0,
                    "duration": 0,
                }
            )
    if not report.max_score or any(t["status"] == "error" for t in tests):
        status = "error"
    else:
        status = "pass" if all(t["status"] == "pass" for t in tests) else "fail"
    return {"version": 1, "status": status, "max_score": max_score, "tests": tests}


def classroom_output(report: Report) -> str:
    """``classroom_result`` as compact JSON in base64, shortened to fit an environment variable."""
    for limit in (2000, 500, 100, 0):
        data = json.dumps(classroom_result(report, limit), ensure_ascii=False, separators=(",", ":"))
        encoded = base64.b64encode(data.encode("utf-8")).decode("ascii")
        if len(encoded) <= CLASSROOM_MAX_B64:
            break
    return encoded


def write_classroom(report: Report, env: Mapping[str, str], stdout: IO[str]) -> str:
    """Set the step output ``result`` (``$GITHUB_OUTPUT``), or print the base64 line."""
    encoded = classroom_output(report)
    target = env.get("GITHUB_OUTPUT")
    if target:
        append(target, f"result={encoded}\n")
        return target
    stdout.write(encoded + "\n")
    stdout.flush()
    return "-"
