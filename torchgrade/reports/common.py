"""What every report format shares: the one Jinja environment, number format and set of marks,
and the helpers that make learner text safe and turn the result model into rows.

Every number comes from the model (``score``, ``max_score``, ``percent``, all built on
``exact_sum``); no format scores a second time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import click
import jinja2

from torchgrade.results import CheckResult, ExerciseResult, Report

MARKS = {"passed": "✓", "failed": "✗", "error": "!", "skipped": "–"}
EMOJI = {"passed": "✅", "failed": "❌", "error": "⚠️", "skipped": "⏭️"}
COLOURS = {"passed": "green", "failed": "red", "error": "magenta", "skipped": "yellow"}

CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)  # `code` in grader messages
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


# --------------------------------------------------------------------------- text


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


def fraction(x: float | int) -> Fraction:
    """Points as an exact fraction (0.1 is 1/10), for ratios and scaling without float noise."""
    return Fraction(str(x))


def relpath(path: str) -> str:
    """A report path as a repository would name it: relative to the current folder when inside it."""
    try:
        p = Path(path)
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix() if p.is_absolute() else path
    except (ValueError, OSError):
        return path


def dumps(data: dict, allow_nan: bool = False) -> str:
    """A JSON report file: indented, UTF-8 as is, one newline at the end."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=allow_nan) + "\n"


def summary_line(report: Report) -> str:
    """One stable line for CI logs to grep."""
    n = report.counts()
    return (
        f"torchgrade: score {report.score}/{report.max_score} ({report.percent:.1f}%) "
        f"passed={n['passed']} failed={n['failed']} error={n['error']} skipped={n['skipped']}"
    )


# --------------------------------------------------------------------------- checks as rows


def rows(report: Report) -> Iterator[tuple[int, ExerciseResult, int, CheckResult | None]]:
    """(exercise number, exercise, check number, check) for every check; an exercise that
    could not be graded at all (no check was even collected) yields one row with ``None``."""
    for i, ex in enumerate(report.exercises, 1):
        if not ex.checks and ex.error is not None:
            yield i, ex, 0, None
        for j, c in enumerate(ex.checks, 1):
            yield i, ex, j, c


def title(report: Report, ex: ExerciseResult, c: CheckResult | None) -> str:
    """A check's name, with its exercise when the report has several."""
    if c is None:
        return f"{ex.id}: could not be graded"
    return c.name if len(report.exercises) == 1 else f"{ex.id} · {c.name}"


def message(c: CheckResult) -> str:
    return "" if c.status == "passed" else clean(c.message)


def feedback(c: CheckResult, limit: int, with_message: bool = True) -> str:
    """Everything a learner may want about one check, as plain text."""
    parts = [message(c)] if with_message else []
    if c.details:
        parts.append("Traceback:\n" + tail(c.details, limit))
    if c.output:
        parts.append("Your code printed:\n" + tail(c.output, limit))
    return "\n\n".join(p for p in parts if p)


# --------------------------------------------------------------------------- templates


@jinja2.pass_context
def style(context: jinja2.runtime.Context, text: object, **kw) -> str:
    """``click.style`` when the render call says ``color=True``, the plain text otherwise."""
    return click.style(str(text), **kw) if context.get("color") else str(text)


#: The one environment for ``templates/``, loaded from the installed package. Autoescape is on
#: for HTML templates only. Each format module adds the filters only its templates use; the
#: package imports every format module, so they are all there whenever this is.
ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("torchgrade", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
ENV.filters.update(num=num, tail=tail, style=style)
ENV.globals.update(marks=MARKS, emoji=EMOJI, colours=COLOURS)


def render(name: str, **context: object) -> str:
    """``templates/<name>`` rendered through the one environment."""
    return ENV.get_template(name).render(**context)
