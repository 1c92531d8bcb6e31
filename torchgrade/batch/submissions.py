"""Submissions: find them, and copy each one's learner files into a pristine work folder.

A submission is a learner repository in the course's layout (``exercises/NN_topic/<files>``):
a folder, or a ``.zip`` of one (at the zip's top or inside one folder). Only the files each
exercise's ``exercise.toml`` lists as ``learner_files`` are taken, read as bytes; nothing
else in the submission (its own checks, reference, tests, workflows) is looked at, and
nothing in it runs here. Symbolic links and oversized files are refused; a file the
submission lacks leaves the course's stub in its place (graded "not implemented yet").
"""

from __future__ import annotations

import hashlib
import shutil
import stat
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from torchgrade.course import Exercise, UsageError

MAX_FILE_BYTES = 4 * 2**20  # a learner file larger than this is not source code
_ZIP_LITTER = ("__MACOSX/",)  # what archivers add beside the repository


@dataclass(frozen=True)
class Submission:
    name: str  # the folder's name, or the zip's without .zip
    path: Path


@dataclass(frozen=True)
class Pristine:
    """A submission's learner files, copied into ``folder/exercises/NN_topic/``, stubs for the rest."""

    submission: Submission
    folder: Path
    taken: tuple[str, ...]  # the learner files found in the submission ("exercises/05_training/training.py")
    problems: tuple[str, ...]  # what could not be used, in words for the staff
    readable: bool  # False when the submission itself could not be read (a broken zip)
    digest: str  # a hash of every file graded: what the submission's result depends on

    def exercise_folder(self, exercise: Exercise) -> Path:
        return self.folder / "exercises" / exercise.id


def discover(folder: Path, skip: Path | None = None) -> list[Submission]:
    """Every submission in ``folder`` (its subfolders and .zip files), sorted by name."""
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder of submissions")
    found: dict[str, Submission] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or (skip is not None and entry.resolve() == skip.resolve()):
            continue
        if entry.is_dir():
            name = entry.name
        elif entry.is_file() and entry.suffix.lower() == ".zip":
            name = entry.stem
        else:
            continue
        if name in found:
            raise UsageError(
                f"{folder}: two submissions would be called {name!r} ({found[name].path.name}, {entry.name})"
            )
        found[name] = Submission(name, entry)
    return sorted(found.values(), key=lambda s: s.name)


class _Unusable(Exception):
    """A learner file that exists in the submission but is not taken; the message says why."""


class _Repository(Protocol):
    def read(self, rel: str) -> bytes | None:
        """The file at ``rel`` (a POSIX path in the repository), None if absent, or _Unusable."""


class _Folder:
    def __init__(self, root: Path):
        self.root = root.resolve()

    def read(self, rel: str) -> bytes | None:
        path = self.root / rel
        if not path.exists() and not path.is_symlink():
            return None
        if path.is_symlink() or not path.resolve().is_relative_to(self.root):
            raise _Unusable("a symbolic link")
        if not path.is_file():
            raise _Unusable("not a file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise _Unusable(f"larger than {MAX_FILE_BYTES // 2**20} MiB")
        return path.read_bytes()


class _Zip:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.prefix = _repository_prefix(archive.namelist())

    def read(self, rel: str) -> bytes | None:
        try:
            info = self.archive.getinfo(self.prefix + rel)
        except KeyError:
            return None
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _Unusable("a symbolic link")
        if info.file_size > MAX_FILE_BYTES:
            raise _Unusable(f"larger than {MAX_FILE_BYTES // 2**20} MiB")
        try:
            with self.archive.open(info) as f:
                data = f.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            raise _Unusable(f"could not be read from the zip ({exc})") from None
        if len(data) > MAX_FILE_BYTES:
            raise _Unusable(f"larger than {MAX_FILE_BYTES // 2**20} MiB")
        return data


def _repository_prefix(names: list[str]) -> str:
    """Where the repository starts in a zip: at its top, or inside its one top-level folder."""
    names = [n for n in names if not n.startswith(_ZIP_LITTER)]
    if any(n.startswith("exercises/") for n in names):
        return ""
    tops = {n.split("/", 1)[0] for n in names}
    return f"{tops.pop()}/" if len(tops) == 1 else ""


@contextmanager
def _opened(submission: Submission) -> Iterator[_Repository]:
    if submission.path.is_dir():
        yield _Folder(submission.path)
    else:
        with zipfile.ZipFile(submission.path) as archive:
            yield _Zip(archive)


def _learner_files(submission: Submission, exercises: Sequence[Exercise]) -> tuple[dict[str, bytes], list[str], bool]:
    """The learner files found in the submission, problems with the others, and whether it could be read."""
    found: dict[str, bytes] = {}
    problems: list[str] = []
    try:
        with _opened(submission) as repository:
            for ex in exercises:
                for name in ex.learner_files:
                    rel = f"exercises/{ex.id}/{name}"
                    try:
                        data = repository.read(rel)
                    except _Unusable as exc:
                        problems.append(f"{rel}: {exc}; the stub was graded instead")
                        continue
                    if data is not None:
                        found[rel] = data
    except (zipfile.BadZipFile, OSError) as exc:
        return {}, [f"{submission.path.name} could not be read: {exc}"], False
    return found, problems, True


def make_pristine(submission: Submission, exercises: Sequence[Exercise], folder: Path) -> Pristine:
    """Copy the submission's learner files (the course's stubs where it has none) into ``folder``."""
    found, problems, readable = _learner_files(submission, exercises)
    if folder.exists():
        shutil.rmtree(folder)
    digest = hashlib.sha256()
    for ex in exercises:
        for name in ex.learner_files:
            rel = f"exercises/{ex.id}/{name}"
            stub = ex.stub_dir / name
            data = found[rel] if rel in found else stub.read_bytes() if stub.is_file() else None
            if data is None:
                continue
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            digest.update(f"{rel}\0{len(data)}\0".encode() + data)
    return Pristine(submission, folder, tuple(found), tuple(problems), readable, digest.hexdigest())
