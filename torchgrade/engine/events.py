"""What a pytest process tells the ``grade`` process, one JSON line per event on a pipe.

The stream is written as checks run, so a process that dies mid-way (a submission killed
it) still leaves the record of every finished check and of the one it was running.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from torchgrade.results import CheckResult, Fault


@dataclass
class Collected:
    checks: dict[str, CheckResult]  # pytest node id -> the check's result before it runs


@dataclass
class Started:
    nodeid: str


@dataclass
class Finished:
    nodeid: str
    result: CheckResult


@dataclass
class Ended:
    """An exercise's checks are over: why the learner's module could not be loaded, if it could not."""

    exercise: str = ""
    load_error: str | None = None
    load_fault: Fault | None = None
    load_cause: str = ""  # sandbox.Failure.kind of the load failure
    collect_errors: tuple[str, ...] = ()


Event = Collected | Started | Finished | Ended


def send(fd: int, event: Event) -> None:
    if isinstance(event, Collected):
        data = {"checks": {k: r.to_event() for k, r in event.checks.items()}}
    elif isinstance(event, Finished):
        data = {"nodeid": event.nodeid, "result": event.result.to_event()}
    else:
        data = vars(event)
    os.write(fd, (json.dumps({"event": type(event).__name__} | data) + "\n").encode())


def parse(buffer: bytes) -> list[Event]:
    """Every complete, well-formed event in ``buffer`` (a torn last line is dropped)."""
    events: list[Event] = []
    for line in buffer.split(b"\n"):
        try:
            data = json.loads(line)
            kind = data.pop("event")
        except (ValueError, AttributeError, KeyError, TypeError):
            continue
        if kind == "Collected":
            events.append(Collected({k: CheckResult.from_event(r) for k, r in data["checks"].items()}))
        elif kind == "Started":
            events.append(Started(**data))
        elif kind == "Finished":
            events.append(Finished(data["nodeid"], CheckResult.from_event(data["result"])))
        elif kind == "Ended":
            fault = data.pop("load_fault")
            events.append(Ended(**data, load_fault=Fault(fault) if fault else None))
    return events
