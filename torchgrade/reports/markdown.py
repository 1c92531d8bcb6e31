"""The Markdown summary (GitHub job summary, merge-request notes), through ``templates/summary.md.j2``."""

from __future__ import annotations

import re
from html import escape as html_escape

from torchgrade.reports.common import CODE_SPAN, ENV, clean, render
from torchgrade.results import Report

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~<>])")  # what can start markup inside a table cell


def md_inline(text: object) -> str:
    """Text for a Markdown table cell: code spans kept, every other markup character escaped,
    HTML neutralised, pipes escaped (also inside code spans, as GFM tables need)."""
    out = []
    text = clean(text)
    pos = 0
    for m in CODE_SPAN.finditer(text):
        out.append(_md_plain(text[pos : m.start()]))
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


ENV.filters.update(md=md_inline, fence=md_fence, h=lambda text: html_escape(clean(text)))


def markdown(report: Report, output_limit: int = 3000) -> str:
    return render("summary.md.j2", report=report, counts=report.counts(), limit=output_limit)
