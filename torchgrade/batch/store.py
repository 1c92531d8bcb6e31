"""What a batch keeps in OUT, and reads back: its manifest and each submission's result.

::

    OUT/manifest.json                    course version, torch, device, shard, the submissions it was given
    OUT/submissions/<name>/report.json   the grade-report/1 JSON, to hand back
    OUT/submissions/<name>/report.html   the learner's HTML report
    OUT/submissions/<name>/result.json   its key, status and problems: written last, so its presence means done
    OUT/work/<name>/exercises/…          the pristine copies that were graded
    OUT/.cache/reference/                reference results, computed once per batch

A result is current when its key (a hash of the files graded, the course version and the
grading settings) matches: an interrupted batch run again skips those. Every file is
written atomically, so a killed run leaves whole files or none.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from torchgrade.course import UsageError
from torchgrade.files import write_atomic
from torchgrade.reports import html, json_report
from torchgrade.reports.common import dumps
from torchgrade.results import Report

SCHEMA = "grade-batch/1"
MANIFEST = "manifest.json"
COURSE_PARTS = ("graders", "reference")  # what the course version covers


@dataclass(frozen=True)
class Manifest:
    course_root: str
    course_version: str
    torch_version: str  # several, comma-separated, when merged from shards that differ
    device: str
    seed: int  # the run seed (grade --seed)
    exercises: tuple[str, ...]
    timeout_factor: float
    memory_mb: int | None
    shard: str | None  # "K/N"; None when this OUT holds every submission
    discovered: tuple[str, ...]  # every submission found (in all shards)
    given: tuple[str, ...]  # the submissions this OUT grades
    merged_from: tuple[str, ...] = ()  # the shard outputs a merge combined

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        fields = {"seed": 0} | {k: v for k, v in data.items() if k != "schema"}
        tuples = ("exercises", "discovered", "given", "merged_from")
        return cls(**{k: tuple(v) if k in tuples else v for k, v in fields.items()})


@dataclass(frozen=True)
class Stored:
    """One submission's result as kept in OUT."""

    name: str
    key: str
    status: str  # see grading.SubmissionStatus
    problems: tuple[str, ...]
    report: dict  # grade-report/1

    @property
    def score(self) -> float | int:
        return self.report["score"]

    @property
    def max_score(self) -> float | int:
        return self.report["max_score"]


def course_version(root: Path) -> str:
    """A hash of the course's checks and reference, file by file (caches left out)."""
    digest = hashlib.sha256()
    for part in COURSE_PARTS:
        for path in sorted((root / part).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def result_key(files_digest: str, manifest: Manifest) -> str:
    """What a result depends on: the files graded, the course, and how they were graded."""
    parts = [files_digest, manifest.course_version, manifest.torch_version, manifest.device, str(manifest.seed)]
    parts += [repr(manifest.timeout_factor), repr(manifest.memory_mb)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def claim(out: Path) -> None:
    """Make OUT, or accept it as the output of an earlier batch or merge; refuse any other folder."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise UsageError(f"--out {out} holds other files: give a new folder, or one that grade batch wrote")
    out.mkdir(parents=True, exist_ok=True)


def write_manifest(out: Path, manifest: Manifest) -> None:
    write_atomic(out / MANIFEST, dumps(manifest.to_dict()))


def read_manifest(out: Path) -> Manifest:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        if data.get("schema") != SCHEMA:
            raise ValueError(f"schema {data.get('schema')!r}")
        return Manifest.from_dict(data)
    except FileNotFoundError:
        raise UsageError(f"{out}: not the output of grade batch (no {MANIFEST})") from None
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"{out}/{MANIFEST} cannot be read: {exc}") from None


def submission_dir(out: Path, name: str) -> Path:
    return out / "submissions" / name


def save(out: Path, name: str, key: str, status: str, problems: tuple[str, ...], report: Report) -> Stored:
    """Keep a submission's reports (the JSON and the HTML that ``grade`` writes) and its result."""
    folder = submission_dir(out, name)
    (folder / "result.json").unlink(missing_ok=True)  # until the new result is whole, there is none
    write_atomic(folder / "report.json", json_report.json_text(report))
    write_atomic(folder / "report.html", html.html(report))
    record = {"submission": name, "key": key, "status": status, "problems": list(problems)}
    write_atomic(folder / "result.json", dumps(record))  # last: it marks the result as complete
    return Stored(name, key, status, problems, report.to_dict())


def load(out: Path, name: str) -> Stored | None:
    """The stored result of ``name``, or None if there is none (or only part of one)."""
    folder = submission_dir(out, name)
    try:
        record = json.loads((folder / "result.json").read_text(encoding="utf-8"))
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        return Stored(name, record["key"], record["status"], tuple(record["problems"]), report)
    except (OSError, ValueError, KeyError, TypeError):
        return None
