"""The gradebook (a row per submission) and the item analysis (a row per check), as CSV.

Both are plain CSV (the csv module, no index column) that a spreadsheet opens and an LMS
takes as it is: numbers as people write them (87.5, never 87.50000001), a column per check
named ``NN_topic/check_id`` holding the points earned. Text that a spreadsheet would take
for a formula (a submission named ``=HYPERLINK(...)``, a learner's exception message
starting with ``+``) is written with a leading ``'``, as OWASP advises for CSV injection.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from torchgrade.batch import roster
from torchgrade.batch.store import Stored
from torchgrade.reports.common import clean, num

TOP_FAILURE_CHARS = 200


@dataclass(frozen=True)
class Item:
    """How the class did on one check."""

    check: str  # NN_topic/check_id
    exercise: str
    name: str
    max_score: float | int
    mean_score: float
    pass_rate: float | None  # None when no submission could be judged on it (skipped everywhere)
    top_failure: str  # the most frequent message of those who failed it


@dataclass(frozen=True)
class Overview:
    count: int
    mean: float  # percent, to one decimal
    median: float
    statuses: dict[str, int]  # how many submissions have each status


def overview(results: list[Stored]) -> Overview:
    percents = [percent(r.score, r.max_score) for r in results]
    statuses = Counter(r.status for r in results)
    if not percents:
        return Overview(0, 0.0, 0.0, dict(statuses))
    return Overview(
        len(percents), round(statistics.fmean(percents), 1), round(statistics.median(percents), 1), dict(statuses)
    )


def checks_of(result: Stored) -> dict[str, dict]:
    """``NN_topic/check_id`` → the check's entry in the submission's report."""
    return {f"{ex['id']}/{c['id']}": c for ex in result.report["exercises"] for c in ex["checks"]}


def columns(results: Iterable[Stored]) -> list[str]:
    """Every check, in the order the reports list them."""
    seen: dict[str, None] = {}
    for result in results:
        seen.update(dict.fromkeys(checks_of(result)))
    return list(seen)


def percent(score: float | int, max_score: float | int) -> float:
    return round(float(100 * Fraction(str(score)) / Fraction(str(max_score))), 2) if max_score else 0.0


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A value as a spreadsheet may safely read it: text that would start a formula gets a leading '."""
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def gradebook_csv(results: list[Stored], students: dict[str, roster.Student] | None = None) -> str:
    """``submission[,github_username,roster_identifier],score,max_score,percent,status,<check>...``"""
    checks = columns(results)
    people = list(roster.COLUMNS) if students is not None else []
    rows: list[list[object]] = [["submission", *people, "score", "max_score", "percent", "status", *checks]]
    for result in sorted(results, key=lambda r: r.name):
        student = (students or {}).get(result.name)
        who = [getattr(student, c, "") for c in people]
        points = checks_of(result)
        earned = [num(points[c]["score"]) if c in points else "" for c in checks]
        score, max_score = result.score, result.max_score
        rows.append(
            [result.name, *who, num(score), num(max_score), num(percent(score, max_score)), result.status, *earned]
        )
    return csv_text(rows)


def items(results: list[Stored]) -> list[Item]:
    """The item analysis: each check's points, mean, pass rate and most frequent failure."""
    ordered = sorted(results, key=lambda r: r.name)
    per_check: dict[str, list[dict]] = {c: [] for c in columns(ordered)}
    for result in ordered:
        for check_id, entry in checks_of(result).items():
            per_check[check_id].append(entry)
    found = []
    for check_id, entries in per_check.items():
        judged = [e for e in entries if e["status"] != "skipped"]
        failures = Counter(_first_line(e["message"]) for e in entries if e["status"] in ("failed", "error"))
        found.append(
            Item(
                check=check_id,
                exercise=check_id.split("/", 1)[0],
                name=entries[0]["name"],
                max_score=max(e["max_score"] for e in entries),
                mean_score=round(sum(e["score"] for e in entries) / len(entries), 3),
                pass_rate=round(sum(e["status"] == "passed" for e in judged) / len(judged), 3) if judged else None,
                top_failure=failures.most_common(1)[0][0] if failures else "",
            )
        )
    return found


def _first_line(message: str) -> str:
    line = clean(message).strip().split("\n", 1)[0]
    return line if len(line) <= TOP_FAILURE_CHARS else line[: TOP_FAILURE_CHARS - 1] + "…"


def checks_csv(found: list[Item]) -> str:
    """``check,exercise,max_score,mean_score,pass_rate,top_failure``"""
    rows: list[list[object]] = [["check", "exercise", "max_score", "mean_score", "pass_rate", "top_failure"]]
    for i in found:
        rate = "" if i.pass_rate is None else num(i.pass_rate)
        rows.append([i.check, i.exercise, num(i.max_score), num(i.mean_score), rate, i.top_failure])
    return csv_text(rows)
