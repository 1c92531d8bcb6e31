"""What OUT holds once a batch (or a merge) is done, made from the results stored in it:
``gradebook.csv``, ``checks.csv``, ``summary.html`` and, with a roster, ``roster_mismatches.csv``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torchgrade.batch import gradebook, roster, store, summary
from torchgrade.batch.store import Manifest, Stored
from torchgrade.files import write_atomic

GRADEBOOK, CHECKS, SUMMARY, MISMATCHES = "gradebook.csv", "checks.csv", "summary.html", "roster_mismatches.csv"


@dataclass(frozen=True)
class Written:
    results: list[Stored]  # what the gradebook holds
    mismatches: list[roster.Mismatch]  # between the roster and the submissions (none without a roster)


def stored_results(out: Path, manifest: Manifest) -> list[Stored]:
    """The stored result of every submission the manifest gives OUT, by name (those that have one)."""
    return [r for r in (store.load(out, name) for name in sorted(manifest.given)) if r is not None]


def write(out: Path, manifest: Manifest, students: list[roster.Student] | None) -> Written:
    """Write the outputs from the results stored in OUT."""
    results = stored_results(out, manifest)
    items = gradebook.items(results)
    known = roster.by_submission(students) if students is not None else None
    write_atomic(out / GRADEBOOK, gradebook.gradebook_csv(results, known))
    write_atomic(out / CHECKS, gradebook.checks_csv(items))
    write_atomic(out / SUMMARY, summary.summary_html(manifest, results, items))
    if students is None:
        (out / MISMATCHES).unlink(missing_ok=True)  # from an earlier run with a roster: no longer true
        return Written(results, [])
    found = roster.mismatches(students, manifest.discovered)
    rows = [["name", *roster.COLUMNS, "problem"]]
    rows += [[m.name, m.github_username, m.roster_identifier, m.problem] for m in found]
    write_atomic(out / MISMATCHES, gradebook.csv_text(rows))
    return Written(results, found)
