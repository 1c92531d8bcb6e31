"""Reference results kept on disk, so that grading many submissions runs the reference once.

``grade`` keeps one in the user's cache folder (:func:`default_folder`), so that a second
``grade --all`` does not run the reference again; ``grade batch`` keeps one in its OUT.
A result is keyed by everything it depends on: the reference's source, the checks file
that defines the scenario, the scenario and its arguments, the device, the seed, the
torch version and the engine's own code (the kit builds the scenarios' inputs). It is stored as plain data (``torch.save`` of wire-encoded values, written
atomically, so concurrent graders share a folder safely) and read back with
``torch.load(weights_only=True)``: nothing in the cache can execute.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from torchgrade import seeds
from torchgrade.engine import wire
from torchgrade.engine.loader import Source
from torchgrade.files import write_atomic

MISSING = object()


def default_folder(environ: Mapping[str, str] = os.environ) -> Path | None:
    """``$TORCHGRADE_CACHE`` (``off``: none), else ``$XDG_CACHE_HOME/torchgrade/reference``, else ``~/.cache/...``."""
    given = environ.get("TORCHGRADE_CACHE", "")
    if given.lower() in ("off", "0", "no", "false"):
        return None
    if given:
        return Path(given).expanduser()
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "torchgrade" / "reference"


@functools.cache
def _engine_digest() -> str:
    """A hash of torchgrade's own Python files: a new engine does not reuse an old engine's results."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class ReferenceCache:
    def __init__(self, folder: Path):
        self.folder = folder

    def key(self, reference: Source, scenario: Callable, args: tuple, device: str) -> str:
        checks = getattr(sys.modules.get(scenario.__module__), "__file__", None)
        parts = [
            reference.text,
            Path(checks).read_text() if checks and os.path.exists(checks) else "",
            f"{scenario.__module__}.{scenario.__qualname__}",
            repr(args),
            device,
            str(seeds.run_seed()),
            torch.__version__,
            _engine_digest(),
        ]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def get(self, key: str) -> Any:
        """The stored value, or MISSING (also for an entry that cannot be read)."""
        try:
            data = (self.folder / f"{key}.pt").read_bytes()
            return wire.decode(torch.load(io.BytesIO(data), weights_only=True))
        except Exception:  # a missing, partial or foreign file is simply not a hit
            return MISSING

    def put(self, key: str, value: Any) -> None:
        """Store a result; a folder that cannot be written (read-only, full) only costs the next run time."""
        buffer = io.BytesIO()
        torch.save(wire.encode(value), buffer)
        try:
            write_atomic(self.folder / f"{key}.pt", buffer.getvalue())
        except OSError:
            pass
