"""Render a :class:`~torchgrade.results.Report` through the templates in ``templates/``."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from pathlib import Path

import click
import jinja2

from torchgrade.results import Report

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def environment(color: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), keep_trailing_newline=True, autoescape=False)
    env.filters["style"] = (lambda text, **kw: click.style(str(text), **kw)) if color else (lambda text, **kw: str(text))
    env.filters["num"] = lambda x: f"{x:g}" if isinstance(x, float) else str(x)
    env.filters["wrap"] = lambda text, width: "\n".join(
        "\n".join(textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)) or "" for line in str(text).splitlines()
    )
    env.filters["lastlines"] = lambda text, n: "\n".join(str(text).rstrip().splitlines()[-n:])
    return env


def counts(report: Report) -> Counter:
    result = Counter({"passed": 0, "failed": 0, "error": 0, "skipped": 0})
    result.update(c.status for e in report.exercises for c in e.checks)
    return result


def summary_line(report: Report) -> str:
    """One stable line for CI logs to grep."""
    n = counts(report)
    return (f"torchgrade: score {report.score}/{report.max_score} ({report.percent:.1f}%) "
            f"passed={n['passed']} failed={n['failed']} error={n['error']} skipped={n['skipped']}")


def terminal(report: Report, color: bool = False) -> str:
    template = environment(color).get_template("terminal.txt.j2")
    return template.render(report=report, counts=counts(report), summary=summary_line(report))


def json_text(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
