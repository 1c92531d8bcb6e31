"""``summary.html``: the class at a glance, for the staff. One self-contained page in the style
of the learner report (inline CSS and SVG, no scripts, no external requests), rendered
through the one Jinja environment from ``templates/summary.html.j2``."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from torchgrade.batch.gradebook import Item, overview, percent
from torchgrade.batch.store import Manifest, Stored
from torchgrade.reports.common import render
from torchgrade.reports.html import state

BINS = 10  # the histogram's bars: 0–10 %, …, 90–100 %


@dataclass(frozen=True)
class ExerciseMean:
    id: str
    title: str
    mean: float
    max_score: float | int

    @property
    def percent(self) -> float:
        return percent(self.mean, self.max_score)


def histogram(percents: list[float], width: int = 560, height: int = 200) -> dict:
    """Geometry of the score histogram (the template draws it)."""
    counts = [0] * BINS
    for p in percents:
        counts[min(int(p // (100 / BINS)), BINS - 1)] += 1
    left, bottom, top = 8, 24, 18
    slot = (width - 2 * left) / BINS
    tallest = max(counts, default=0) or 1
    bars = []
    for k, count in enumerate(counts):
        h = round((height - top - bottom) * count / tallest, 1)
        low = k * 100 // BINS
        bars.append(
            {
                "x": round(left + k * slot + 3, 1),
                "w": round(slot - 6, 1),
                "y": round(height - bottom - h, 1),
                "h": h,
                "count": count,
                "label": f"{low}–{low + 100 // BINS}",
                "mid": round(left + (k + 0.5) * slot, 1),
            }
        )
    return {"bars": bars, "width": width, "height": height, "base": height - bottom}


def exercise_means(results: list[Stored]) -> list[ExerciseMean]:
    scores: dict[str, list[float]] = {}
    titles: dict[str, str] = {}
    most: dict[str, float | int] = {}
    for result in results:
        for ex in result.report["exercises"]:
            scores.setdefault(ex["id"], []).append(ex["score"])
            titles.setdefault(ex["id"], ex["title"])
            most[ex["id"]] = max(most.get(ex["id"], 0), ex["max_score"])
    return [ExerciseMean(i, titles[i], round(statistics.fmean(s), 2), most[i]) for i, s in scores.items()]


def summary_html(manifest: Manifest, results: list[Stored], found: list[Item]) -> str:
    ordered = sorted(results, key=lambda r: r.name)
    return render(
        "summary.html.j2",
        manifest=manifest,
        overview=overview(ordered),
        histogram=histogram([percent(r.score, r.max_score) for r in ordered]),
        exercises=exercise_means(ordered),
        items=found,
        trouble=[r for r in ordered if r.status != "graded"],
        state=state,
    )
