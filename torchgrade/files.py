"""Writing a file whole or not at all, so that concurrent graders and an interrupted run never
leave half a file behind: write a temporary file beside it, then rename it into place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8, newlines as given) to ``path``, readable by all as a normal file is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
    os.chmod(tmp, 0o644)  # mkstemp's 0600 would keep it from other users (learners cloning a release)
    os.replace(tmp, path)
