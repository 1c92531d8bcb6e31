"""The one result model: from the check that produced it to every report format.

A :class:`CheckResult` is made by the pytest plugin when a check starts, settled when it
ends, sent to the ``grade`` process as an event (:mod:`torchgrade.engine.events`), and
rendered by every format in :mod:`torchgrade.reports`. ``to_dict`` is the
``grade-report/1`` JSON contract; ``to_event``/``from_event`` carry every field between
processes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import Enum
from fractions import Fraction

SCHEMA = "grade-report/1"


class _Text(str, Enum):
    """An enum whose members are also their strings (``Status.PASSED == "passed"``)."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class Status(_Text):
    PASSED = "passed"
    FAILED = "failed"  # the learner's code did not do what the check asks
    ERROR = "error"  # the check could not be judged through no fault of the learner
    SKIPPED = "skipped"  # not meaningful here (e.g. CUDA-only on a CPU machine): 0 points either way


class Fault(_Text):
    """Whose fault a lost point is: only a learner fault is something to fix in the code."""

    LEARNER = "learner"
    GRADER = "grader"  # a bug in a check or the reference
    INFRASTRUCTURE = "infrastructure"  # the grading process died or ran out of time outside any check


def exact_sum(values: Iterable[float]) -> float | int:
    """Sum points without float noise: 0.1 + 0.2 is 0.3, and whole numbers stay ints."""
    total = sum((Fraction(str(v)) for v in values), Fraction(0))
    return int(total) if total.denominator == 1 else float(total)


@dataclass
class CheckResult:
    id: str
    name: str
    status: Status  # a plain string is accepted too
    points: float  # what the check is worth when it can run
    message: str = ""
    fault: Fault | None = None  # set with every status but passed and skipped
    duration_s: float = 0.0
    details: str = ""  # the learner's traceback, or the grader's for a grader fault
    output: str = ""  # what the learner's code printed during this check
    cause: str = (
        ""  # why the learner's code gave no result to judge: timeout, crash, memory, exception, ... ("": it did)
    )
    plots: list[dict] = field(default_factory=list)  # {"title", "series": {label: [y, ...]}, "x_label", "y_label"}

    def __post_init__(self) -> None:
        self.status = Status(self.status)
        if self.fault is None and self.status in (Status.FAILED, Status.ERROR):
            self.fault = Fault.LEARNER if self.status == Status.FAILED else Fault.GRADER
        elif self.fault is not None:
            self.fault = Fault(self.fault)

    def settle(
        self, status: Status, message: str, details: str = "", fault: Fault | None = None, cause: str = ""
    ) -> None:
        """Record the outcome; the first problem found is the one reported."""
        if self.status == Status.PASSED:
            self.status, self.message, self.details, self.fault = Status(status), message, details, fault
            self.cause = cause
            self.__post_init__()

    @property
    def score(self) -> float | int:
        return exact_sum([self.points]) if self.status == Status.PASSED else 0

    @property
    def max_score(self) -> float | int:
        return 0 if self.status == Status.SKIPPED else exact_sum([self.points])

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status.value,
            "score": self.score,
            "max_score": self.max_score,
            "message": "" if self.status == Status.PASSED else self.message,
            "duration_s": round(self.duration_s, 3),
            "details": self.details,
            "output": self.output,
            "plots": self.plots,
        }

    def to_event(self) -> dict:
        return asdict(self) | {"status": self.status.value, "fault": self.fault and self.fault.value}

    @classmethod
    def from_event(cls, data: dict) -> CheckResult:
        return cls(**data)


@dataclass
class ExerciseResult:
    id: str
    title: str
    path: str
    checks: list[CheckResult] = field(default_factory=list)
    error: str | None = None  # learner-facing: the module could not be loaded, or grading broke
    fault: Fault | None = None  # whose fault ``error`` is
    cause: str = ""  # why the module could not be loaded: load, timeout, crash, ... (as CheckResult.cause)
    course: str = ""  # the root of the course whose checks graded it

    @property
    def score(self) -> float | int:
        return exact_sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float | int:
        return exact_sum(c.max_score for c in self.checks)

    @property
    def status(self) -> Status:
        if self.error is not None:
            return Status.ERROR
        graded = [c for c in self.checks if c.status != Status.SKIPPED]
        return Status.PASSED if graded and all(c.status == Status.PASSED for c in graded) else Status.FAILED

    @property
    def grader_fault(self) -> bool:
        """Whether the exercise could not be graded through no fault of the learner."""
        return self.error is not None and self.fault not in (None, Fault.LEARNER)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "path": self.path,
            "course": self.course,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status.value,
            "error": self.error,
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass
class Report:
    exercises: list[ExerciseResult]
    device: str
    torch_version: str
    duration_s: float = 0.0
    sandbox: tuple[str, ...] = ()  # the confinement layers learner code ran under (engine.confine)

    @property
    def checks(self) -> list[CheckResult]:
        return [c for e in self.exercises for c in e.checks]

    @property
    def courses(self) -> list[str]:
        """The courses whose checks graded the exercises (one, unless PATHs came from several)."""
        return sorted({e.course for e in self.exercises if e.course})

    @property
    def score(self) -> float | int:
        return exact_sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float | int:
        return exact_sum(e.max_score for e in self.exercises)

    @property
    def percent(self) -> float:
        return 0.0 if not self.max_score else 100.0 * self.score / self.max_score

    def counts(self) -> dict[str, int]:
        """How many checks ended in each status, every status present."""
        return {s.value: sum(1 for c in self.checks if c.status == s) for s in Status}

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "score": self.score,
            "max_score": self.max_score,
            "device": self.device,
            "torch_version": self.torch_version,
            "sandbox": list(self.sandbox),
            "duration_s": round(self.duration_s, 3),
            "exercises": [e.to_dict() for e in self.exercises],
        }
