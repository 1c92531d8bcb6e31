"""The ``grade-report/1`` JSON report: the result model as :meth:`~torchgrade.results.Report.to_dict` writes it."""

from __future__ import annotations

from torchgrade.reports.common import dumps
from torchgrade.results import Report


def json_text(report: Report) -> str:
    return dumps(report.to_dict(), allow_nan=True)  # a diverged curve in ``plots`` may hold NaN
