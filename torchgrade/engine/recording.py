"""Recorded reference results: what a release ships in place of the solutions.

``grade release`` grades each exercise's reference once and keeps every result the checks
asked of it. A course without ``reference/`` (a release) grades against these instead.
One file per exercise and device kind, ``recordings/<cpu|cuda>/<NN_topic>.pt``, written with
``torch.save`` and read with ``torch.load(weights_only=True)``, so nothing in it can execute:

    {"format": "torchgrade-recording/1", "exercise": "05_training",
     "torch": "2.13.0+cpu", "device": "cpu", "seed": 0,
     "results": {"step_once(True,)": <the scenario's result, wire-encoded>, ...}}

A result is keyed by its call: the scenario's qualified name and the repr of its arguments.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from torchgrade import seeds
from torchgrade.engine import wire
from torchgrade.files import write_atomic

FORMAT = "torchgrade-recording/1"
FOLDER = "recordings"


class RecordingError(Exception):
    """A recording that cannot be used: absent, unreadable, or made for another seed."""


def device_kind(device: str) -> str:
    return "cuda" if device.startswith("cuda") else "cpu"


def path(root: Path, exercise_id: str, device: str) -> Path:
    return root / FOLDER / device_kind(device) / f"{exercise_id}.pt"


def call(scenario: Callable, args: tuple) -> str:
    """How a scenario call is named in a recording, and in the error when one is missing."""
    return f"{scenario.__qualname__}{args!r}"


@dataclass
class Recording:
    exercise: str
    device: str  # cpu | cuda
    seed: int
    torch_version: str = str(torch.__version__)
    results: dict[str, Any] = field(default_factory=dict)  # call -> wire-encoded value

    def get(self, scenario: Callable, args: tuple) -> Any:
        """The recorded result of the call; KeyError when the recording lacks it."""
        return wire.decode(self.results[call(scenario, args)])

    def add(self, scenario: Callable, args: tuple, value: Any) -> None:
        key = call(scenario, args)
        if " at 0x" in key:  # a function or object without a repr of its own: another process names it otherwise
            raise RecordingError(f"cannot record {key}: scenario arguments need a repr that is the same in every run")
        if key in self.results:
            raise RecordingError(f"two scenarios would be recorded as {key}: give them different names")
        self.results[key] = wire.encode(value)

    def to_data(self) -> dict:
        return {
            "format": FORMAT,
            "exercise": self.exercise,
            "torch": self.torch_version,
            "device": self.device,
            "seed": self.seed,
            "results": self.results,
        }

    def save(self, file: Path) -> None:
        """Write atomically, adding to what ``file`` already records (a second pass adds calls)."""
        if file.is_file():
            self.results = {**load(file, self.exercise).results, **self.results}
        buffer = io.BytesIO()
        torch.save(self.to_data(), buffer)
        write_atomic(file, buffer.getvalue())


def load(file: Path, exercise_id: str) -> Recording:
    """Read a recording as plain data; RecordingError when it is absent or not one."""
    try:
        data = torch.load(io.BytesIO(file.read_bytes()), weights_only=True)
    except FileNotFoundError:
        raise RecordingError(f"{file} is missing") from None
    except Exception as exc:  # noqa: BLE001 - a truncated or foreign file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise RecordingError(f"{file} cannot be read ({type(exc).__name__}: {first})") from None
    fields = {"device": str, "seed": int, "torch": str, "results": dict}
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or data.get("exercise") != exercise_id
        or not all(isinstance(data.get(k), t) for k, t in fields.items())
    ):
        raise RecordingError(f"{file} is not a recording of {exercise_id} ({FORMAT})")
    return Recording(exercise_id, data["device"], data["seed"], data["torch"], dict(data["results"]))


def for_grading(root: Path, exercise_id: str, device: str) -> Recording:
    """The recording a release grades ``exercise_id`` on ``device`` against, for this run's seed."""
    recording = load(path(root, exercise_id, device), exercise_id)
    if recording.seed != seeds.run_seed():
        raise RecordingError(
            f"the recorded reference results are for seed {recording.seed}, and this run uses seed "
            f"{seeds.run_seed()}: another seed needs the reference solutions, which a release does not have"
        )
    return recording
