"""``--roster grades.csv``: who each submission belongs to, from ``gh classroom assignment-grades``.

Rows match submissions on ``student_repository_name`` = the submission's name. What does not
match, in either direction, is listed: a student without a submission, a submission that is
no student's.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from torchgrade.course import UsageError

KEY = "student_repository_name"
COLUMNS = ("github_username", "roster_identifier")  # what the gradebook gains


@dataclass(frozen=True)
class Student:
    github_username: str
    roster_identifier: str
    repository: str  # student_repository_name; empty for a student who never accepted the assignment


@dataclass(frozen=True)
class Mismatch:
    name: str  # the repository (submission) name, or the student's username when they have none
    github_username: str
    roster_identifier: str
    problem: str


NO_SUBMISSION = "in the roster, no submission"
NOT_IN_ROSTER = "a submission, not in the roster"


def read(path: Path) -> list[Student]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"--roster {path}: cannot be read ({exc})") from None
    missing = [c for c in (KEY, *COLUMNS) if rows and c not in rows[0]]
    if missing or not rows:
        what = f"has no column {', '.join(missing)}" if missing else "has no rows"
        raise UsageError(f"--roster {path} {what} (expected the CSV of gh classroom assignment-grades)")
    return [Student(r["github_username"] or "", r["roster_identifier"] or "", (r[KEY] or "").strip()) for r in rows]


def by_submission(students: list[Student]) -> dict[str, Student]:
    return {s.repository: s for s in students if s.repository}


def mismatches(students: list[Student], submissions: tuple[str, ...]) -> list[Mismatch]:
    """Students without a submission, then submissions without a student, each by name."""
    have = set(submissions)
    known = by_submission(students)
    absent = [
        Mismatch(s.repository or s.github_username, s.github_username, s.roster_identifier, NO_SUBMISSION)
        for s in students
        if s.repository not in have
    ]
    strangers = [Mismatch(name, "", "", NOT_IN_ROSTER) for name in submissions if name not in known]
    return sorted(absent, key=lambda m: m.name) + sorted(strangers, key=lambda m: m.name)
