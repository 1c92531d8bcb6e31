"""The grading run's seed (``grade --seed N``) and the seeds it stands for.

Every seed the grader uses, in scenarios and in the sandbox, goes through :func:`seed`.
With the default run seed, 0, a seed is used as written; with another, each seed becomes
a mix of both, so every random input changes and outputs recorded or copied from one run
say nothing about another. The engine sets the run seed once, before any check is
imported; sandbox children inherit it.
"""

from __future__ import annotations

import hashlib

_run_seed = 0


def use_run_seed(run_seed: int) -> None:
    global _run_seed
    _run_seed = run_seed


def run_seed() -> int:
    return _run_seed


def seed(n: int = 0) -> int:
    """The seed a grader's ``n`` stands for in this run: ``n`` itself under run seed 0, else a mix of both."""
    if _run_seed == 0:
        return n
    return int.from_bytes(hashlib.sha256(f"{_run_seed}/{n}".encode()).digest()[:6], "big")
