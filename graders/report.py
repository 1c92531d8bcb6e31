"""The one result model every report format is rendered from (``grade-report/1``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable

SCHEMA = "grade-report/1"


def exact_sum(values: Iterable[float]) -> float | int:
    """Sum points without float noise: 0.1 + 0.2 is 0.3, and whole numbers stay ints."""
    total = sum((Fraction(str(v)) for v in values), Fraction(0))
    return int(total) if total.denominator == 1 else float(total)


@dataclass
class CheckResult:
    id: str
    name: str
    status: str  # passed | failed | error | skipped
    points: float  # what the check is worth when it can run
    message: str = ""
    duration_s: float = 0.0
    details: str = ""  # the learner's traceback, when there is one
    output: str = ""  # what the learner's code printed during this check
    plots: list[dict] = field(default_factory=list)  # {"title", "series": {label: [y, ...]}, "x_label", "y_label"}

    @property
    def score(self) -> float | int:
        return exact_sum([self.points]) if self.status == "passed" else 0

    @property
    def max_score(self) -> float | int:
        return 0 if self.status == "skipped" else exact_sum([self.points])

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "message": "" if self.status == "passed" else self.message,
            "duration_s": round(self.duration_s, 3),
            "details": self.details,
            "output": self.output,
            "plots": self.plots,
        }


@dataclass
class ExerciseResult:
    id: str
    title: str
    path: str
    checks: list[CheckResult] = field(default_factory=list)
    error: str | None = None  # learner-facing: the module could not be loaded, or grading broke

    @property
    def score(self) -> float | int:
        return exact_sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float | int:
        return exact_sum(c.max_score for c in self.checks)

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        graded = [c for c in self.checks if c.status != "skipped"]
        return "passed" if graded and all(c.status == "passed" for c in graded) else "failed"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "path": self.path,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "error": self.error,
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass
class Report:
    exercises: list[ExerciseResult]
    device: str
    torch_version: str
    duration_s: float = 0.0

    @property
    def score(self) -> float | int:
        return exact_sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float | int:
        return exact_sum(e.max_score for e in self.exercises)

    @property
    def percent(self) -> float:
        return 0.0 if not self.max_score else 100.0 * self.score / self.max_score

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "score": self.score,
            "max_score": self.max_score,
            "device": self.device,
            "torch_version": self.torch_version,
            "duration_s": round(self.duration_s, 3),
            "exercises": [e.to_dict() for e in self.exercises],
        }
