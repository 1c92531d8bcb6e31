"""Declaring a check: the marker that the pytest plugin turns into a scored check."""

from __future__ import annotations

import pytest

MARK = "torchgrade"


def check(
    points: float,
    name: str,
    *,
    timeout_s: float | None = None,
    memory_mb: int | None = None,
    cuda: bool = False,
    requires: tuple[str, ...] = (),
):
    """Declare a test as a check worth ``points``; ``name`` is what the learner reads.

    ``cuda=True``: the check only means something on a CUDA device; elsewhere it is
    skipped and counts for nothing. ``requires``: ids of earlier checks (in the same
    file) that must pass before this one is judged; until they do, it fails with 0 points
    and says which check to fix first.
    """
    return pytest.mark.torchgrade(
        points=points, name=name, timeout_s=timeout_s, memory_mb=memory_mb, cuda=cuda, requires=tuple(requires)
    )
