"""``grade gradescope-bundle``: a zip to upload as a Gradescope programming assignment.

It holds the engine and the course (torchgrade, graders, reference, stubs, pyproject.toml) plus Gradescope's
``setup.sh`` and ``run_autograder``, rendered from ``templates/gradescope/``; which files a
learner edits comes from each exercise's ``exercise.toml``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from torchgrade.course import Exercise
from torchgrade.reports.common import render

COURSE_PARTS = ("pyproject.toml", "README.md", "SECURITY.md", "torchgrade", "graders", "reference", "exercises")


def course_files(root: Path) -> list[Path]:
    """Every file of the course that grading needs, relative to its root (no caches)."""
    files: list[Path] = []
    for part in COURSE_PARTS:
        path = root / part
        candidates = (
            [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
        )
        files += [p.relative_to(root) for p in candidates if "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return files


def _executable(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o100755 << 16  # a regular file, rwxr-xr-x
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def gradescope_bundle(root: Path, exercises: list[Exercise], out: Path) -> int:
    """Write the autograder zip to ``out``; returns the number of files in it."""
    files = [f for ex in exercises for f in ex.learner_files]
    scripts = {
        "setup.sh": render("gradescope/setup.sh.j2"),
        "run_autograder": render("gradescope/run_autograder.j2", exercises=exercises, files=files),
    }
    parts = course_files(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in parts:
            zf.write(root / rel, rel.as_posix())
        for name, text in scripts.items():
            zf.writestr(_executable(name), text)
    return len(parts) + len(scripts)
