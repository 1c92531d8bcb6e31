"""JUnit XML as GitLab and Jenkins read it, built with ElementTree so that escaping is right by construction.

A testsuite per exercise, a testcase per check (``classname`` = exercise id, GitLab's "Suite"
column), points as ``score``/``max_score`` properties (JUnit has no points field).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from torchgrade.reports.common import clean, message, num, relpath, tail
from torchgrade.results import ExerciseResult, Report


def _properties(parent: ET.Element, **values: object) -> None:
    props = ET.SubElement(parent, "properties")
    for name, value in values.items():
        if value is not None:
            ET.SubElement(props, "property", name=name, value=clean(value))


def _cases(ex: ExerciseResult) -> int:
    """Test cases of an exercise: one per check; an exercise that could not be graded at all is one error case."""
    return len(ex.checks) or int(ex.error is not None)


def _count(ex: ExerciseResult, status: str) -> int:
    uncollected = status == "error" and not ex.checks and ex.error is not None
    return sum(1 for c in ex.checks if c.status == status) + int(uncollected)


def junit(report: Report, limit: int = 20_000) -> str:
    total = {s: sum(_count(ex, s) for ex in report.exercises) for s in ("failed", "error", "skipped")}
    root = ET.Element(
        "testsuites",
        name="torchgrade",
        tests=str(sum(_cases(ex) for ex in report.exercises)),
        failures=str(total["failed"]),
        errors=str(total["error"]),
        skipped=str(total["skipped"]),
        time=f"{report.duration_s:.3f}",
    )
    for ex in report.exercises:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=ex.id,
            tests=str(_cases(ex)),
            failures=str(_count(ex, "failed")),
            errors=str(_count(ex, "error")),
            skipped=str(_count(ex, "skipped")),
            time=f"{sum(c.duration_s for c in ex.checks):.3f}",
        )
        _properties(
            suite,
            title=ex.title,
            path=ex.path,
            score=num(ex.score),
            max_score=num(ex.max_score),
            status=ex.status,
            error=ex.error,
            device=report.device,
            torch_version=report.torch_version,
        )
        if not ex.checks and ex.error is not None:
            case = ET.SubElement(
                suite, "testcase", classname=ex.id, name="(could not be graded)", time="0.000", file=relpath(ex.path)
            )
            kind = "GraderError" if ex.grader_fault else "LoadError"
            err = ET.SubElement(case, "error", message=clean(ex.error).split("\n", 1)[0], type=kind)
            err.text = tail(ex.error, limit)
        for c in ex.checks:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=ex.id,
                name=clean(c.name),
                time=f"{c.duration_s:.3f}",
                file=relpath(ex.path),
            )
            _properties(case, id=c.id, score=num(c.score), max_score=num(c.max_score))
            text = message(c)
            if c.status in ("failed", "error"):
                tag = "failure" if c.status == "failed" else "error"
                el = ET.SubElement(
                    case,
                    tag,
                    message=text.split("\n", 1)[0] if text else c.status,
                    type="CheckFailed" if tag == "failure" else "GraderError",
                )
                el.text = "\n\n".join(p for p in (text, tail(c.details, limit)) if p)
            elif c.status == "skipped":
                ET.SubElement(case, "skipped", message=text or "skipped")
            if c.output:
                ET.SubElement(case, "system-out").text = tail(c.output, limit)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
