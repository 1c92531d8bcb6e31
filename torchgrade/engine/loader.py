"""Turn a module's source text into a module object: runs inside a sandbox child only.

Sources are read once, before any learner code runs, so a submission that rewrites files
on disk cannot change what later checks execute.
"""

from __future__ import annotations

import sys
import traceback
import types
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Source:
    path: str
    text: str

    @classmethod
    def read(cls, path: Path) -> Source:
        return cls(str(path), path.read_text(encoding="utf-8", errors="replace"))

    @property
    def name(self) -> str:
        return Path(self.path).name


class LoadError(Exception):
    """The learner's module could not be imported; the message is meant for the learner."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


def load(source: Source) -> types.ModuleType:
    name = Path(source.path).stem
    module = types.ModuleType(name)
    module.__file__ = source.path
    sys.modules[name] = module  # so pickling, dataclasses and DataLoader workers find it
    try:
        code = compile(source.text, source.path, "exec")
    except SyntaxError as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc))
        raise LoadError(f"{source.name} has a syntax error on line {exc.lineno}: {exc.msg}", detail) from None
    try:
        exec(code, module.__dict__)
    except BaseException as exc:  # noqa: BLE001 - an import-time failure of any kind
        frames = [fr for fr in traceback.extract_tb(exc.__traceback__) if fr.filename == source.path]
        detail = "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(type(exc), exc))
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        what = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
        hint = (
            " (your module may import only torch, numpy, math and the standard library)"
            if isinstance(exc, ImportError)
            else ""
        )
        raise LoadError(f"{source.name} could not be imported: {what}{hint}", detail) from None
    return module
