"""The course as committed: what ``grade release`` and ``grade gradescope-bundle`` build from.

Both hand the course to others, so both take it from ``git HEAD``: an edit that was never
committed (a stub half-solved while trying something out) must not reach learners or
Gradescope. What the working tree changes is left out, and said. A course that is not a
git repository is taken as it is on disk.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from torchgrade.course import UsageError


@dataclass(frozen=True)
class Snapshot:
    root: Path  # a copy of the course, to build from
    revision: str | None  # the commit it holds; None for a course that is not a git repository
    left_out: tuple[str, ...]  # files whose working-tree state differs from that commit

    def describe(self) -> str:
        if self.revision is None:
            return "the course as it is on disk (not a git repository)"
        return f"commit {self.revision[:12]}"


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=120)
    except OSError as exc:
        raise UsageError(f"{root} is in a git repository, but git cannot be run ({exc.strerror})") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"git {args[0]} in {root} took more than 120 s") from None


def _in_repository(root: Path) -> bool:
    return any((folder / ".git").exists() for folder in [root, *root.parents])


def _revision(root: Path) -> str | None:
    """The commit to build from; None only where the course is not in a git repository at all."""
    if not _in_repository(root):
        return None
    inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0:
        said = inside.stderr.decode().strip().splitlines()
        raise UsageError(f"git cannot read the repository of {root}: {said[-1] if said else 'unknown error'}")
    head = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if head.returncode != 0:
        raise UsageError(f"{root} is a git repository without a commit: commit the course first")
    return head.stdout.decode().strip()


def _changes(root: Path, parts: tuple[str, ...]) -> tuple[str, ...]:
    """Files under ``parts`` that are modified, added, deleted or untracked (not ignored)."""
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *parts)
    entries = status.stdout.decode().split("\0")
    changed, skip = [], False
    for entry in entries:
        if skip or not entry:
            skip = False
            continue
        changed.append(entry[3:])
        skip = entry[0] in "RC"  # a rename is followed by its old path
    return tuple(sorted(changed))


@contextmanager
def snapshot(root: Path, parts: tuple[str, ...]) -> Iterator[Snapshot]:
    """A temporary copy of ``parts`` of the course (files or folders) as committed."""
    with tempfile.TemporaryDirectory(prefix="torchgrade-course-") as tmp:
        copy = Path(tmp) / "course"
        copy.mkdir()
        revision = _revision(root)
        if revision is None:
            for part in parts:
                source = root / part
                if source.is_dir():
                    shutil.copytree(source, copy / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                elif source.is_file():
                    shutil.copy2(source, copy / part)
            yield Snapshot(copy, None, ())
            return
        present = [p for p in parts if _git(root, "cat-file", "-e", f"HEAD:./{p}").returncode == 0]
        archive = _git(root, "archive", "--format=tar", "HEAD", "--", *present)
        if archive.returncode != 0:
            raise UsageError(f"git archive of {root} failed: {archive.stderr.decode().strip()}")
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            prefix = _git(root, "rev-parse", "--show-prefix").stdout.decode().strip()
            members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
            for member in members:
                member.name = member.name.removeprefix(prefix)
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # no links out, no odd modes
            tar.extractall(copy, members=members, **safe)
        yield Snapshot(copy, revision, _changes(root, parts))
