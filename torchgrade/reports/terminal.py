"""The terminal report: what ``grade`` prints, in colour when it goes to a terminal."""

from __future__ import annotations

import textwrap

from torchgrade.engine import confine
from torchgrade.reports.common import ENV, render, summary_line
from torchgrade.results import Report


def wrap(text: object, width: int) -> str:
    """Every line of ``text`` wrapped at ``width``, words kept whole."""
    return "\n".join(
        "\n".join(textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False))
        for line in str(text).splitlines()
    )


def last_lines(text: object, n: int) -> str:
    return "\n".join(str(text).rstrip().splitlines()[-n:])


ENV.filters.update(wrap=wrap, lastlines=last_lines)


#: What learner code could do without each protection, for the terminal's warning.
_UNPROTECTED = {
    "files": "reading the reference and writing into the course",
    "network": "using the network",
    "signals": "signalling grade itself",
}


def terminal(report: Report, color: bool = False) -> str:
    missing = confine.missing(list(report.sandbox)) if report.sandbox else []
    said = [_UNPROTECTED[m] for m in missing]
    unprotected = " or ".join([", ".join(said[:-1]), said[-1]] if len(said) > 1 else said)
    return render(
        "terminal.txt.j2",
        report=report,
        counts=report.counts(),
        summary=summary_line(report),
        color=color,
        unprotected=unprotected,
    )
