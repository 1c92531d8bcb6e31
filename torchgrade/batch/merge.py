"""``grade merge``: the outputs of several shards combined into one OUT, as if graded in one run.

Shards graded with a different course version (or other exercises) are refused. Each
submission's stored result is copied over (the first OUT named wins if one was graded in
two); those that some shard found but none graded are reported as missing.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from torchgrade.batch import store
from torchgrade.batch.store import Manifest
from torchgrade.course import UsageError

# What may differ between shards: said, not refused (the course version and exercises are refused).
NOTED = (
    ("torch_version", "torch"),
    ("device", "device"),
    ("timeout_factor", "--timeout-factor"),
    ("memory_mb", "--memory-mb"),
)


@dataclass(frozen=True)
class Merged:
    manifest: Manifest
    missing: tuple[str, ...]  # found by a shard, graded by none
    twice: tuple[str, ...]  # graded by more than one shard
    notes: tuple[str, ...]  # differences between the shards that do not prevent the merge


def _same(manifests: list[tuple[Path, Manifest]], field: str, what: str) -> None:
    values = {getattr(m, field) for _, m in manifests}
    if len(values) > 1:
        shown = ", ".join(f"{path} ({_shown(getattr(m, field))})" for path, m in manifests)
        raise UsageError(f"the shards were graded with different {what}: {shown}; grade them alike and merge again")


def _shown(value: object) -> str:
    return ",".join(value) if isinstance(value, tuple) else str(value)


def _differences(manifests: list[tuple[Path, Manifest]]) -> tuple[str, ...]:
    notes = []
    for field, what in NOTED:
        values = sorted({str(getattr(m, field)) for _, m in manifests})
        if len(values) > 1:
            notes.append(f"the shards differ in {what}: {', '.join(values)}")
    return tuple(notes)


def _prepare(out: Path, sources: list[Path]) -> None:
    """Refuse to write over an input or a folder that is not a batch output; clear an old merge."""
    if any(out.resolve() == s.resolve() for s in sources):
        raise UsageError(f"--out {out} is one of the shard outputs: merge into a new folder")
    store.claim(out)
    shutil.rmtree(out / "submissions", ignore_errors=True)


def merge(sources: list[Path], out: Path) -> Merged:
    manifests = [(path, store.read_manifest(path)) for path in sources]
    _same(manifests, "course_version", "course versions")
    _same(manifests, "exercises", "exercises")
    _same(manifests, "seed", "seeds")
    _prepare(out, sources)
    taken: dict[str, Path] = {}
    twice: list[str] = []
    for path, manifest in manifests:
        for name in manifest.given:
            if store.load(path, name) is None:
                continue
            if name in taken:
                twice.append(name)
                continue
            taken[name] = path
            shutil.copytree(store.submission_dir(path, name), store.submission_dir(out, name))
    first = manifests[0][1]
    discovered = sorted({name for _, m in manifests for name in m.discovered})
    merged = replace(
        first,
        torch_version=", ".join(sorted({m.torch_version for _, m in manifests})),
        device=", ".join(sorted({m.device for _, m in manifests})),
        shard=None,
        discovered=tuple(discovered),
        given=tuple(sorted(taken)),
        merged_from=tuple(str(path) for path, _ in manifests),
    )
    store.write_manifest(out, merged)
    missing = tuple(name for name in discovered if name not in taken)
    return Merged(merged, missing, tuple(sorted(set(twice))), _differences(manifests))
