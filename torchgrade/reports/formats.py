"""Report formats beyond the terminal and ``grade-report/1`` JSON, one renderer per format.

Every renderer maps the one result model (:mod:`torchgrade.results`) onto a platform's
shape. Every number comes from the model (``score``, ``max_score``, ``percent``, all
built on ``exact_sum``); nothing here scores a second time. Text formats render through
``templates/`` (``report.html.j2``, ``summary.md.j2``); JUnit XML is built with
ElementTree and the JSON platforms as plain data, so that escaping and number types are
right by construction.

Checks that were skipped (for example CUDA-only checks on a CPU machine) carry 0 points
either way. Platforms that know only "passed" or "failed" per test (Gradescope, GitHub
Classroom, Classroom 50) do not get them as tests; the others show them as skipped.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import os
import re
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from html import escape as html_escape
from pathlib import Path
from typing import IO, Iterator, Mapping

import jinja2
from markupsafe import Markup, escape

from torchgrade.reports import render
from torchgrade.course import UsageError
from torchgrade.results import CheckResult, ExerciseResult, Report, exact_sum

TEMPLATES = render.TEMPLATES

#: ``--FORMAT FILE`` options that write a file (``--classroom`` is a flag: see classroom_output).
FILE_FORMATS = ("html", "markdown", "junit", "gradescope", "prairielearn", "classroom50")

#: GitHub passes the runner result to the reporter in an environment variable; Linux caps
#: one such string at 128 KiB (MAX_ARG_STRLEN), so the encoded result stays below this.
CLASSROOM_MAX_B64 = 100_000

MARKS = {"passed": "✓", "failed": "✗", "error": "!", "skipped": "–"}
EMOJI = {"passed": "✅", "failed": "❌", "error": "⚠️", "skipped": "⏭️"}


class OutputError(Exception):
    """A report could not be written (a folder that cannot be created, a full disk…)."""


# --------------------------------------------------------------------------- text helpers

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)  # `code` in grader messages
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean(text: object) -> str:
    """Learner text made safe for every format: no ANSI colour codes, no control characters
    (XML 1.0 cannot hold them; they show as ``\\xNN``), ``\\r\\n`` and lone ``\\r`` as newlines."""
    text = "" if text is None else str(text)
    text = _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def tail(text: object, limit: int) -> str:
    """The last ``limit`` characters of ``text`` (cleaned), saying how much was cut."""
    text = clean(text)
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return f"[… {len(text) - limit} earlier characters cut …]\n" + text[-limit:]


def num(x: float | int) -> str:
    """Points as people write them: 10, 87.5, 0.3 (never 0.30000000000000004 or 1e+01)."""
    if isinstance(x, float):
        return "0" if x == 0 else (str(int(x)) if x.is_integer() else f"{x:.15g}")
    return str(x)


def _frac(x: float | int) -> Fraction:
    return Fraction(str(x))


def _path(path: str) -> str:
    """A report path as a repository would name it: relative to the current folder when inside it."""
    try:
        p = Path(path)
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix() if p.is_absolute() else path
    except (ValueError, OSError):
        return path


def _title(report: Report, ex: ExerciseResult, c: CheckResult | None) -> str:
    """A check's name, with its exercise when the report has several."""
    if c is None:
        return f"{ex.id}: could not be graded"
    return c.name if len(report.exercises) == 1 else f"{ex.id} · {c.name}"


def _rows(report: Report) -> Iterator[tuple[int, ExerciseResult, int, CheckResult | None]]:
    """(exercise number, exercise, check number, check) for every check; an exercise that
    could not be graded at all (no check was even collected) yields one row with ``None``."""
    for i, ex in enumerate(report.exercises, 1):
        if not ex.checks and ex.error is not None:
            yield i, ex, 0, None
        for j, c in enumerate(ex.checks, 1):
            yield i, ex, j, c


def _message(c: CheckResult) -> str:
    return "" if c.status == "passed" else clean(c.message)


def _feedback(c: CheckResult, limit: int, with_message: bool = True) -> str:
    """Everything a learner may want about one check, as plain text."""
    parts = [_message(c)] if with_message else []
    if c.details:
        parts.append("Traceback:\n" + tail(c.details, limit))
    if c.output:
        parts.append("Your code printed:\n" + tail(c.output, limit))
    return "\n\n".join(p for p in parts if p)


def nominal_points(report: Report) -> float | int:
    """What every check would be worth if it could run (only used when nothing could)."""
    return exact_sum(c.points for e in report.exercises for c in e.checks)


# --------------------------------------------------------------------------- HTML

def _html_env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = num
    env.filters["clean"] = clean
    env.filters["tail"] = tail
    env.filters["code"] = html_inline
    env.filters["relpath"] = _path
    env.filters["lines"] = lambda text: len(clean(text).rstrip("\n").splitlines())
    env.globals["state"] = _state
    env.globals["grader_fault"] = grader_fault
    return env


def html_inline(text: object) -> Markup:
    """Escaped text whose `backtick spans` become <code> (grader messages use them)."""
    text, out, pos = clean(text), [], 0
    for m in _CODE_SPAN.finditer(text):
        out.append(escape(text[pos:m.start()]))
        out.append(Markup("<code>%s</code>") % m.group(2))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def _percent(score: float | int, max_score: float | int) -> float:
    return 0.0 if not max_score else float(100 * _frac(score) / _frac(max_score))


def bar_chart(report: Report) -> dict:
    """Geometry of the per-exercise score chart (the template draws it; text stays escaped)."""
    row, top, label_w, bar_w = 30, 6, 120, 170
    bars = []
    for k, ex in enumerate(report.exercises):
        pct = _percent(ex.score, ex.max_score)
        bars.append({
            "ex": ex, "y": top + k * row, "pct": pct,
            "width": round(bar_w * pct / 100, 2), "state": _state(ex.score, ex.max_score, grader_fault(ex)),
        })
    return {"bars": bars, "height": top * 2 + row * len(bars), "label_w": label_w, "bar_w": bar_w,
            "width": label_w + bar_w + 100, "row": row}


def line_chart(curve: Mapping, width: int = 420, height: int = 220) -> dict:
    """Geometry of one curve chart: ``{"title", "series": {label: [y0, y1, …]}, "x_label"?, "y_label"?}``,
    as checks attach them (``CheckResult.plots``)."""
    series = {str(k): [float(v) for v in vals] for k, vals in curve.get("series", {}).items()}
    values = [v for vals in series.values() for v in vals if math.isfinite(v)]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    n = max((len(v) for v in series.values()), default=1)
    left, right, top, bottom = 48, 12, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom

    def xy(i: int, v: float) -> str:
        x = left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        y = top + plot_h * (1 - (v - lo) / (hi - lo))
        return f"{x:.1f},{y:.1f}"

    lines = []
    for k, (label, vals) in enumerate(series.items()):
        points = " ".join(xy(i, v) for i, v in enumerate(vals) if math.isfinite(v))
        lines.append({"label": label, "points": points, "index": k % 4})
    ticks = [{"y": round(top + plot_h * (1 - f), 1), "value": f"{lo + (hi - lo) * f:.3g}"} for f in (0, 0.5, 1)]
    return {"title": str(curve.get("title", "")), "x_label": str(curve.get("x_label", "epoch")),
            "y_label": str(curve.get("y_label", "")), "lines": lines, "ticks": ticks, "width": width,
            "height": height, "left": left, "top": top, "plot_w": plot_w, "plot_h": plot_h, "n": n}


def _state(score, max_score, grader_fault: bool = False) -> str:
    """A colour for a score: full marks, partial, none, nothing to grade, or the grader's fault."""
    if grader_fault and not score:
        return "error"
    if not max_score:
        return "skipped"
    return "passed" if score == max_score else ("partial" if score else "failed")


def grader_fault(ex: ExerciseResult) -> bool:
    """Whether an exercise could not be graded through no fault of the learner."""
    return ex.error is not None and ex.error.startswith("grader error")


def html(report: Report) -> str:
    """One self-contained page: inline CSS and SVG, no scripts, no external requests."""
    counts = render.counts(report)
    todo = [(ex, c) for ex in report.exercises for c in ex.checks if c.status in ("failed", "error")]
    charts = {ex.id: [line_chart(p) for c in ex.checks for p in c.plots] for ex in report.exercises}
    ring = 2 * math.pi * 52
    return _html_env().get_template("report.html.j2").render(
        report=report, counts=counts, todo=todo, chart=bar_chart(report), curves=charts,
        summary=render.summary_line(report), marks=MARKS,
        overall=_state(report.score, report.max_score),
        ring={"c": round(ring, 2), "dash": round(ring * report.percent / 100, 2)},
    )


# --------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~<>])")  # what can start markup inside a table cell


def md_inline(text: object) -> str:
    """Text for a Markdown table cell: code spans kept, every other markup character escaped,
    HTML neutralised, pipes escaped (also inside code spans, as GFM tables need)."""
    out = []
    text = clean(text)
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_md_plain(text[pos:m.start()]))
        out.append(m.group(1) + m.group(2).replace("|", "\\|").replace("\n", " ") + m.group(1))
        pos = m.end()
    out.append(_md_plain(text[pos:]))
    return "".join(out)


def _md_plain(text: str) -> str:
    text = text.replace("&", "&amp;")
    return "<br>".join(_MD_SPECIAL.sub(r"\\\1", line) for line in text.split("\n"))


def md_fence(text: object) -> str:
    """A fenced block that no backtick run inside ``text`` can close."""
    text = clean(text).rstrip("\n")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def markdown(report: Report, output_limit: int = 3000) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=num, md=md_inline, fence=md_fence, tail=tail, h=lambda t: html_escape(clean(t)))
    env.globals["grader_fault"] = grader_fault
    return env.get_template("summary.md.j2").render(
        report=report, counts=render.counts(report), emoji=EMOJI, limit=output_limit,
        summary=render.summary_line(report),
    )


# --------------------------------------------------------------------------- JUnit XML

def _properties(parent: ET.Element, **values) -> None:
    props = ET.SubElement(parent, "properties")
    for name, value in values.items():
        if value is not None:
            ET.SubElement(props, "property", name=name, value=clean(value))


def junit(report: Report, limit: int = 20_000) -> str:
    """JUnit XML as GitLab and Jenkins read it: a testsuite per exercise, a testcase per check
    (``classname`` = exercise id, GitLab's "Suite" column), points as ``score``/``max_score``
    properties (JUnit has no points field)."""
    def cases(ex: ExerciseResult) -> int:  # an exercise that could not be graded at all is one error case
        return len(ex.checks) or int(ex.error is not None)

    def n(ex: ExerciseResult, status: str) -> int:
        return sum(1 for c in ex.checks if c.status == status) + int(status == "error" and not ex.checks and ex.error is not None)

    total = {s: sum(n(ex, s) for ex in report.exercises) for s in ("failed", "error", "skipped")}
    root = ET.Element("testsuites", name="torchgrade", tests=str(sum(cases(ex) for ex in report.exercises)),
                      failures=str(total["failed"]), errors=str(total["error"]), skipped=str(total["skipped"]),
                      time=f"{report.duration_s:.3f}")
    for ex in report.exercises:
        suite = ET.SubElement(root, "testsuite", name=ex.id, tests=str(cases(ex)), failures=str(n(ex, "failed")),
                              errors=str(n(ex, "error")), skipped=str(n(ex, "skipped")),
                              time=f"{sum(c.duration_s for c in ex.checks):.3f}")
        _properties(suite, title=ex.title, path=ex.path, score=num(ex.score), max_score=num(ex.max_score),
                    status=ex.status, error=ex.error, device=report.device, torch_version=report.torch_version)
        if not ex.checks and ex.error is not None:
            case = ET.SubElement(suite, "testcase", classname=ex.id, name="(could not be graded)", time="0.000", file=_path(ex.path))
            kind = "GraderError" if grader_fault(ex) else "LoadError"
            err = ET.SubElement(case, "error", message=clean(ex.error).split("\n", 1)[0], type=kind)
            err.text = tail(ex.error, limit)
        for c in ex.checks:
            case = ET.SubElement(suite, "testcase", classname=ex.id, name=clean(c.name), time=f"{c.duration_s:.3f}", file=_path(ex.path))
            _properties(case, id=c.id, score=num(c.score), max_score=num(c.max_score))
            message = _message(c)
            if c.status in ("failed", "error"):
                tag = "failure" if c.status == "failed" else "error"
                el = ET.SubElement(case, tag, message=message.split("\n", 1)[0] if message else c.status,
                                   type="CheckFailed" if tag == "failure" else "GraderError")
                el.text = "\n\n".join(p for p in (message, tail(c.details, limit)) if p)
            elif c.status == "skipped":
                ET.SubElement(case, "skipped", message=message or "skipped")
            if c.output:
                ET.SubElement(case, "system-out").text = tail(c.output, limit)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --------------------------------------------------------------------------- Gradescope

def gradescope(report: Report, limit: int = 20_000) -> dict:
    """Gradescope's ``results.json``.

    ``status`` is only ``passed`` or ``failed``, so skipped checks (0 points either way) are
    not tests here: the top-level ``output`` lists them with the reason. Text is ``text``
    format: learner output must never be read as HTML or Markdown.
    """
    tests, skipped = [], []
    for i, ex, j, c in _rows(report):
        if c is not None and c.status == "skipped":
            skipped.append(f"  - {_title(report, ex, c)}: {clean(c.message)}")
            continue
        test = {
            "score": 0 if c is None else c.score,
            "max_score": 0 if c is None else c.max_score,
            "status": "passed" if c is not None and c.status == "passed" else "failed",
            "name": _title(report, ex, c),
            "number": f"{i}" if c is None else f"{i}.{j}",
            "output": tail(ex.error, limit) if c is None else _feedback(c, limit),
            "output_format": "text",
            "tags": [ex.id],
            "visibility": "visible",
        }
        tests.append(test)
    lines = [render.summary_line(report)]
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


# --------------------------------------------------------------------------- PrairieLearn

def prairielearn(report: Report, limit: int = 20_000) -> dict:
    """PrairieLearn's external-grader ``results.json``: ``score`` in [0, 1].

    ``gradable`` is false when nothing could be verified: every exercise's code failed to
    load (a syntax or import error, PrairieLearn's own example of an ungradable submission)
    or every check was skipped. PrairieLearn then awards nothing and takes no attempt.
    """
    counts = render.counts(report)
    fraction = _frac(report.score) / _frac(report.max_score) if report.max_score else Fraction(0)
    gradable = bool(report.max_score) and not all(ex.error is not None for ex in report.exercises)
    tests = []
    for _, ex, _, c in _rows(report):
        if c is None:
            tests.append({"name": _title(report, ex, c), "description": f"{ex.title} ({ex.path})", "points": 0,
                          "max_points": 0, "message": tail(ex.error, limit), "output": ""})
            continue
        message = _message(c)
        if c.status == "skipped":
            message = f"Skipped: {message}" if message else "Skipped"
        tests.append({"name": _title(report, ex, c), "description": f"{ex.title} ({ex.id}, check {c.id})",
                      "points": c.score, "max_points": c.max_score, "message": message,
                      "output": _feedback(c, limit, with_message=False)})
    result = {
        "gradable": gradable,
        "score": float(min(max(fraction, Fraction(0)), Fraction(1))),
        "message": (f"Score {num(report.score)}/{num(report.max_score)} ({report.percent:.1f}%): {counts['passed']} passed, "
                    f"{counts['failed']} failed, {counts['error']} errors, {counts['skipped']} skipped."),
        "output": tail(render.terminal(report, color=False), 200_000),
        "tests": tests,
    }
    if not gradable:
        errors = [f"{ex.id}: {clean(ex.error)}" for ex in report.exercises if ex.error]
        result["format_errors"] = errors or ["Nothing could be verified on this machine: every check was skipped."]
    return result


# --------------------------------------------------------------------------- Classroom 50

def points_scale(values: list[float | int], max_digits: int = 6) -> int:
    """The smallest power of ten that makes every value a whole number (1 for whole points)."""
    for k in range(max_digits + 1):
        if all((_frac(v) * 10 ** k).denominator == 1 for v in values):
            return 10 ** k
    return 10 ** max_digits


def classroom50(report: Report, env: Mapping[str, str] | None = None, now: _dt.datetime | None = None) -> dict:
    """Classroom 50's ``result.json`` (``classroom50/result/v1``): integer points.

    Fractional points are not rounded: when any check is worth a fraction, every number is
    multiplied by the smallest power of ten that makes all of them whole (0.5-point checks:
    ×10), so ``score``/``max-score`` keep the exact ratio and each total is the sum of its
    tests. Identity fields come from the runner's environment; the runner stamps ``owner``
    and ``assignment_type`` itself.
    """
    env = os.environ if env is None else env
    scale = points_scale([c.points for e in report.exercises for c in e.checks if c.status != "skipped"])

    def scaled(x: float | int) -> int:
        return round(_frac(x) * scale)

    tests = []
    for _, ex, _, c in _rows(report):
        if c is None:
            tests.append({"test-name": _title(report, ex, c), "passed": False, "score": 0, "max-score": 0,
                          "status": "error", "message": tail(ex.error, 2000)})
        elif c.status != "skipped":
            tests.append({"test-name": _title(report, ex, c), "passed": c.status == "passed", "score": scaled(c.score),
                          "max-score": scaled(c.max_score), "status": c.status, "message": tail(_message(c), 2000)})
    commit = env.get("COMMIT_URL", "")
    stamp = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
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


# --------------------------------------------------------------------------- GitHub Classroom

def classroom_result(report: Report, message_limit: int = 2000) -> dict:
    """The runner result that ``classroom-resources/autograding-grading-reporter`` reads.

    One test per graded check (status ``pass``/``fail``/``error``; ``duration`` in
    milliseconds, as the official command and I/O graders write it). The reporter records
    ``Σ tests[].score`` out of ``max_score``. Skipped checks are left out: the reporter
    prints every test that is not ``pass`` as an error, and they are worth nothing.
    ``status`` is ``error`` for a fault of the grader or when nothing could be verified (then
    ``max_score`` is what the checks would have been worth, so the reporter records 0 of it).
    """
    tests = []
    for _, ex, _, c in _rows(report):
        if c is not None and c.status == "skipped":
            continue
        status = "error" if c is None else {"passed": "pass", "failed": "fail"}.get(c.status, "error")
        tests.append({
            "name": _title(report, ex, c),
            "status": status,
            "score": 0 if c is None else c.score,
            "message": tail(ex.error if c is None else _message(c), message_limit),
            "test_code": f"grade {_path(ex.path)}",
            "filename": f"graders/{ex.id}",
            "line_no": 0,
            "duration": 0 if c is None else round(c.duration_s * 1000),
        })
    max_score = report.max_score
    if not max_score:
        max_score = nominal_points(report) or 1
        if not tests:
            tests.append({"name": "torchgrade: nothing was graded", "status": "error", "score": 0,
                          "message": "Every check was skipped on this machine, so nothing was verified.",
                          "test_code": "grade --all", "filename": "", "line_no": 0, "duration": 0})
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
        _append(target, f"result={encoded}\n")
        return target
    stdout.write(encoded + "\n")
    stdout.flush()
    return "-"


# --------------------------------------------------------------------------- writing

def _json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


RENDERERS = {
    "html": html,
    "markdown": markdown,
    "junit": junit,
    "gradescope": lambda r: _json(gradescope(r)),
    "prairielearn": lambda r: _json(prairielearn(r)),
    "classroom50": lambda r: _json(classroom50(r)),
}


def _stdout_claims(json_file: str | None, files: Mapping[str, str | None], classroom: bool, env: Mapping[str, str]) -> list[str]:
    """The options that want standard output, as the user would write them."""
    claims = (["--json"] if json_file == "-" else []) + [f"--{name}" for name, path in files.items() if path == "-"]
    return claims + (["--classroom"] if classroom and not env.get("GITHUB_OUTPUT") else [])


def check_options(json_file: str | None, files: Mapping[str, str | None], classroom: bool, env: Mapping[str, str]) -> None:
    """Refuse, before grading, what cannot work (raises :class:`UsageError`): standard output
    carries one report and nothing else."""
    claims = _stdout_claims(json_file, files, classroom, env)
    if len(claims) > 1:
        raise UsageError(f"only one report can go to standard output, not {' and '.join(claims)}; write the others to files")


def stdout_taken(json_file: str | None, files: Mapping[str, str | None], classroom: bool, env: Mapping[str, str]) -> bool:
    """Whether a report goes to standard output (the terminal report then goes to stderr)."""
    return bool(_stdout_claims(json_file, files, classroom, env))


def _append(path: str, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise OutputError(f"cannot append to {path}: {exc.strerror or exc}") from exc


def write_file(path: str, text: str, stdout: IO[str] | None = None) -> None:
    if path == "-":
        stream = stdout or sys.stdout
        stream.write(text)
        stream.flush()
        return
    try:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_reports(report: Report, files: Mapping[str, str | None], classroom: bool = False,
                  env: Mapping[str, str] | None = None, stdout: IO[str] | None = None) -> None:
    """Write every requested report; also append the Markdown summary to
    ``$GITHUB_STEP_SUMMARY`` when that is set (as it is in every GitHub Actions step)."""
    env = os.environ if env is None else env
    stdout = stdout or sys.stdout
    for name in FILE_FORMATS:
        path = files.get(name)
        if path:
            write_file(path, RENDERERS[name](report), stdout)
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        _append(summary, markdown(report) + "\n")
    if classroom:
        write_classroom(report, env, stdout)


__all__ = [
    "FILE_FORMATS", "OutputError", "RENDERERS", "bar_chart", "check_options", "grader_fault", "html_inline", "classroom50", "classroom_output",
    "classroom_result", "clean", "gradescope", "html", "junit", "line_chart", "markdown", "md_fence", "md_inline",
    "num", "points_scale", "prairielearn", "stdout_taken", "write_classroom", "write_file", "write_reports",
]
