"""Report formats: one module per platform over the one result model (:mod:`torchgrade.results`).

:mod:`~torchgrade.reports.common` holds what they share (the one Jinja environment, number
format and set of marks). Text formats render through ``templates/``; JUnit XML is built with
ElementTree and the JSON platforms as plain data, so that escaping and number types are right
by construction. Skipped checks (for example CUDA-only checks on a CPU machine) carry 0 points
either way: platforms that know only "passed" or "failed" per test (Gradescope, GitHub
Classroom, Classroom 50) do not get them as tests; the others show them as skipped.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import IO

from torchgrade.reports import classroom50, gradescope, html, junit, markdown, prairielearn
from torchgrade.reports.classroom import write_classroom
from torchgrade.reports.common import dumps
from torchgrade.reports.output import OutputError, append, check_options, stdout_taken, write_file
from torchgrade.results import Report

#: ``--FORMAT FILE`` options that write a file, and their text (``--classroom`` is a flag: see write_classroom).
FILE_FORMATS: dict[str, Callable[[Report], str]] = {
    "html": html.html,
    "markdown": markdown.markdown,
    "junit": junit.junit,
    "gradescope": lambda r: dumps(gradescope.gradescope(r)),
    "prairielearn": lambda r: dumps(prairielearn.prairielearn(r)),
    "classroom50": lambda r: dumps(classroom50.classroom50(r)),
}


def write_reports(
    report: Report,
    files: Mapping[str, str | None],
    classroom: bool = False,
    env: Mapping[str, str] | None = None,
    stdout: IO[str] | None = None,
) -> None:
    """Write every requested report; also append the Markdown summary to
    ``$GITHUB_STEP_SUMMARY`` when that is set (as it is in every GitHub Actions step)."""
    env = os.environ if env is None else env
    stdout = stdout or sys.stdout
    for name, render in FILE_FORMATS.items():
        path = files.get(name)
        if path:
            write_file(path, render(report), stdout)
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        append(summary, markdown.markdown(report) + "\n")
    if classroom:
        write_classroom(report, env, stdout)


__all__ = ["FILE_FORMATS", "OutputError", "check_options", "stdout_taken", "write_file", "write_reports"]
