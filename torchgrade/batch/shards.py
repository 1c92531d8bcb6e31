"""``--shard``: which 1/N of the submissions this run grades.

A submission belongs to shard ``K`` of ``N`` (``K`` from 1) by a hash of its name, not by
its position, so adding a submission never moves the others to another shard. ``auto``
takes the index and count from a Slurm array job, ``auto/N`` the index from a Kubernetes
Indexed Job; both number from 0, ``--shard`` from 1.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from torchgrade.course import UsageError

_GIVEN = re.compile(r"^(\d+)/(\d+)$")
_AUTO_COUNT = re.compile(r"^auto/(\d+)$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1 … count
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, name: str) -> bool:
        return shard_of(name, self.count) == self.index


def shard_of(name: str, count: int) -> int:
    """The shard (1 … count) that grades the submission called ``name``."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def parse(spec: str, env: Mapping[str, str]) -> Shard:
    """``K/N``, ``auto`` (Slurm array job) or ``auto/N`` (Kubernetes Indexed Job) → a Shard, or UsageError."""
    spec = spec.strip()
    if spec == "auto":
        return _slurm(env)
    if match := _AUTO_COUNT.match(spec):
        index = _number(env, "JOB_COMPLETION_INDEX", "--shard auto/N reads the index of a Kubernetes Indexed Job")
        return _checked(index + 1, int(match.group(1)), f"--shard {spec} (JOB_COMPLETION_INDEX={index})")
    if match := _GIVEN.match(spec):
        return _checked(int(match.group(1)), int(match.group(2)), f"--shard {spec}")
    raise UsageError(f"--shard {spec}: expected K/N (K from 1 to N), auto (a Slurm array job) or auto/N (Kubernetes)")


def _slurm(env: Mapping[str, str]) -> Shard:
    why = "--shard auto reads the index and count of a Slurm array job"
    task = _number(env, "SLURM_ARRAY_TASK_ID", why)
    first = _number(env, "SLURM_ARRAY_TASK_MIN", why)
    count = _number(env, "SLURM_ARRAY_TASK_COUNT", why)
    step = _number(env, "SLURM_ARRAY_TASK_STEP", why) if "SLURM_ARRAY_TASK_STEP" in env else 1
    offset, rest = divmod(task - first, max(step, 1))
    where = f"--shard auto (SLURM_ARRAY_TASK_ID={task}, MIN={first}, COUNT={count}, STEP={step})"
    if rest:
        raise UsageError(f"{where}: the array's task ids must be evenly spaced, e.g. --array=0-{count - 1}")
    return _checked(offset + 1, count, where)


def _number(env: Mapping[str, str], name: str, why: str) -> int:
    value = env.get(name, "").strip()
    if not value.isdigit():
        raise UsageError(f"{why}, but ${name} is {'unset' if name not in env else repr(value)}")
    return int(value)


def _checked(index: int, count: int, where: str) -> Shard:
    if count < 1 or not 1 <= index <= count:
        raise UsageError(
            f"{where}: the shard must be between 1 and the shard count ({count}), and the count at least 1"
        )
    return Shard(index, count)
