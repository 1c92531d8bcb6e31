"""The HTML report: one self-contained page for learners (inline CSS and SVG, no scripts, no
external requests), rendered through ``templates/report.html.j2`` with autoescape on."""

from __future__ import annotations

import math
from collections.abc import Mapping

from markupsafe import Markup, escape

from torchgrade.reports.common import CODE_SPAN, ENV, clean, fraction, relpath, render, summary_line
from torchgrade.results import Report


def html_inline(text: object) -> Markup:
    """Escaped text whose `backtick spans` become <code> (grader messages use them)."""
    text, out, pos = clean(text), [], 0
    for m in CODE_SPAN.finditer(text):
        out.append(escape(text[pos : m.start()]))
        out.append(Markup("<code>%s</code>") % m.group(2))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def line_count(text: object) -> int:
    return len(clean(text).rstrip("\n").splitlines())


ENV.filters.update(code=html_inline, lines=line_count, relpath=relpath)


def state(score: float | int, max_score: float | int, grader_fault: bool = False) -> str:
    """A colour for a score: full marks, partial, none, nothing to grade, or the grader's fault."""
    if grader_fault and not score:
        return "error"
    if not max_score:
        return "skipped"
    return "passed" if score == max_score else ("partial" if score else "failed")


def bar_chart(report: Report) -> dict:
    """Geometry of the per-exercise score chart (the template draws it; text stays escaped)."""
    row, top, label_w, bar_w = 30, 6, 120, 170
    bars = []
    for k, ex in enumerate(report.exercises):
        pct = float(100 * fraction(ex.score) / fraction(ex.max_score)) if ex.max_score else 0.0
        bars.append(
            {
                "ex": ex,
                "y": top + k * row,
                "pct": pct,
                "width": round(bar_w * pct / 100, 2),
                "state": state(ex.score, ex.max_score, ex.grader_fault),
            }
        )
    return {
        "bars": bars,
        "height": top * 2 + row * len(bars),
        "label_w": label_w,
        "bar_w": bar_w,
        "width": label_w + bar_w + 100,
        "row": row,
    }


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
    return {
        "title": str(curve.get("title", "")),
        "x_label": str(curve.get("x_label", "epoch")),
        "y_label": str(curve.get("y_label", "")),
        "lines": lines,
        "ticks": ticks,
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "plot_w": plot_w,
        "plot_h": plot_h,
        "n": n,
    }


def html(report: Report) -> str:
    todo = [(ex, c) for ex in report.exercises for c in ex.checks if c.status in ("failed", "error")]
    curves = {ex.id: [line_chart(p) for c in ex.checks for p in c.plots] for ex in report.exercises}
    ring = 2 * math.pi * 52
    return render(
        "report.html.j2",
        report=report,
        counts=report.counts(),
        todo=todo,
        chart=bar_chart(report),
        curves=curves,
        summary=summary_line(report),
        state=state,
        overall=state(report.score, report.max_score),
        ring={"c": round(ring, 2), "dash": round(ring * report.percent / 100, 2)},
    )
