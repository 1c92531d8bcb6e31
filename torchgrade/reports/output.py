"""Where reports go: files, standard output (one report at most), appended CI files."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from torchgrade.course import UsageError


class OutputError(Exception):
    """A report could not be written (a folder that cannot be created, a full disk…)."""


def _stdout_claims(
    json_file: str | None, files: Mapping[str, str | None], classroom: bool, env: Mapping[str, str]
) -> list[str]:
    """The options that want standard output, as the user would write them."""
    claims = (["--json"] if json_file == "-" else []) + [f"--{name}" for name, path in files.items() if path == "-"]
    return claims + (["--classroom"] if classroom and not env.get("GITHUB_OUTPUT") else [])


def check_options(
    json_file: str | None, files: Mapping[str, str | None], classroom: bool, env: Mapping[str, str]
) -> None:
    """Refuse, before grading, what cannot work (raises :class:`UsageError`): standard output
    carries one report and nothing else."""
    claims = _stdout_claims(json_file, files, classroom, env)
    if len(claims) > 1:
        raise UsageError(
            f"only one report can go to standard output, not {' and '.join(claims)}; write the others to files"
        )


def stdout_taken(
    json_file: str | None, files: Mapping[str, str | None], classroom: bool, env: Mapping[str, str]
) -> bool:
    """Whether a report goes to standard output (the terminal report then goes to stderr)."""
    return bool(_stdout_claims(json_file, files, classroom, env))


def append(path: str, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise OutputError(f"cannot append to {path}: {exc.strerror or exc}") from exc


def write_file(path: str, text: str, stdout: IO[str] | None = None) -> None:
    """Write ``text`` to ``path``, creating its folders; ``-`` is standard output."""
    if path == "-":
        stream = stdout or sys.stdout
        stream.write(text)
        stream.flush()
        return
    try:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
