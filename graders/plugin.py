"""The pytest plugin that turns ``graders/NN_topic/test_*.py`` into scored checks.

A check is a test marked with :func:`check` (points and a learner-facing name) that takes
the ``run`` fixture: ``got, want = run(scenario, *args)`` runs ``scenario(module, device,
*args)`` once on the learner's module and once on the reference, each in a sandbox child,
and returns both results as data for the test to compare with ``graders.compare``.

The outcome of every check (status, points, message) is attached to the test's
pytest-json-report entry as ``metadata["torchgrade"]``. When ``grade`` drives pytest it
also sets :data:`CHANNEL`, and the plugin announces the collected checks and the start of
each one there, so that a grading process that dies mid-way still leaves a trace of which
check it was running.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from graders import devices, loader, sandbox
from graders.compare import CheckFailed
from graders.course import Exercise, find_root, load_exercise

CHANNEL: int | None = None  # a pipe to the ``grade`` process, set by graders.session
_STATES: dict[str, "ExerciseState"] = {}  # exercise id -> its state, for this pytest run

_MARK = "torchgrade"


def check(points: float, name: str, *, timeout_s: float | None = None, memory_mb: int | None = None, cuda: bool = False):
    """Declare a test as a check worth ``points``; ``name`` is what the learner reads.

    ``cuda=True`` marks a check that only means something on a CUDA device: elsewhere it
    is reported as skipped and counts for nothing.
    """
    return pytest.mark.torchgrade(points=points, name=name, timeout_s=timeout_s, memory_mb=memory_mb, cuda=cuda)


class GraderError(Exception):
    """A fault of the grader or the reference, never of the learner."""


@dataclass
class CheckRecord:
    id: str
    name: str
    points: float
    status: str = "passed"
    message: str = ""
    details: str = ""
    output: str = ""
    duration_s: float = 0.0
    plots: list[dict] = field(default_factory=list)  # learner-vs-reference curves for the reports

    def settle(self, status: str, message: str, details: str = "") -> None:
        if self.status == "passed":  # the first problem is the one to report
            self.status, self.message, self.details = status, message, details


@dataclass
class ExerciseState:
    """Everything one exercise's checks share: sources, device, limits, cached results."""

    exercise: Exercise
    learner: loader.Source
    reference: loader.Source
    device: str
    timeout_factor: float
    memory_mb: int | None
    load_failure: sandbox.Failure | None = None
    loaded: bool = False
    cache: dict[tuple, tuple[sandbox.Outcome, float]] = field(default_factory=dict)  # key -> (outcome, its time limit)

    def limits(self, marker: pytest.Mark | None) -> sandbox.Limits:
        kw = marker.kwargs if marker else {}
        timeout = (kw.get("timeout_s") or self.exercise.timeout_s) * self.timeout_factor
        memory = self.memory_mb or kw.get("memory_mb") or self.exercise.memory_mb
        return sandbox.Limits(timeout_s=timeout, memory_mb=memory)

    def outcome(self, side: str, scenario: Callable, args: tuple, limits: sandbox.Limits) -> sandbox.Outcome:
        source = self.learner if side == "learner" else self.reference
        key = (side, scenario.__module__, scenario.__qualname__, repr(args))
        cached = self.cache.get(key)
        if cached is None or (cached[1] < limits.timeout_s and cached[0].failure and cached[0].failure.kind == "timeout"):
            # first run, or a check that allows more time than the one that timed out
            self.cache[key] = (sandbox.run(_invoke, source, scenario, self.device, args, limits=limits, learner_file=source.path), limits.timeout_s)
        return self.cache[key][0]

    def ensure_loaded(self, limits: sandbox.Limits) -> None:
        """Import the learner's module once, alone, so an import-time fault is reported once."""
        if not self.loaded:
            self.loaded = True
            out = sandbox.run(loader.load, self.learner, limits=limits, learner_file=self.learner.path)
            if not out.ok:
                self.load_failure = out.failure if out.failure.kind == "load" else sandbox.Failure(
                    "load", f"{self.learner.name} could not be imported: {out.failure.message}", out.failure.traceback)


def _invoke(source: loader.Source, scenario: Callable, device: str, args: tuple) -> Any:
    """Runs in the sandbox child: load the module from its source text, run the scenario."""
    devices.prepare_child(device)
    module = loader.load(source)
    return scenario(module, device, *args)


class Runner:
    """The ``run`` fixture: runs scenarios for one check on learner and reference code."""

    def __init__(self, state: ExerciseState, limits: sandbox.Limits, record: CheckRecord):
        self.state, self.limits, self.record = state, limits, record
        self.device = state.device

    def __call__(self, scenario: Callable, *args: Any) -> tuple[Any, Any]:
        want = self.reference(scenario, *args)  # a failing reference is the grader's fault: report that first
        return self.learner(scenario, *args), want

    def learner(self, scenario: Callable, *args: Any) -> Any:
        self.state.ensure_loaded(self.limits)
        if self.state.load_failure:
            f = self.state.load_failure
            raise CheckFailed(f"Your module could not be loaded, so this check could not run: {f.message}", f.traceback)
        out = self.state.outcome("learner", scenario, args, self.limits)
        if out.output and out.output not in self.record.output:
            self.record.output += out.output
        if not out.ok:
            raise CheckFailed(out.failure.message, out.failure.traceback)
        return out.value

    def plot(self, title: str, series: dict[str, list], x_label: str = "epoch", y_label: str = "") -> None:
        """Attach a curve chart (e.g. the learner's and the reference's accuracy per epoch) to this check's report."""
        clean = {name: [float(v) for v in values] for name, values in series.items()
                 if isinstance(values, (list, tuple)) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)}
        if clean:
            self.record.plots.append({"title": title, "series": clean, "x_label": x_label, "y_label": y_label})

    def reference(self, scenario: Callable, *args: Any) -> Any:
        out = self.state.outcome("reference", scenario, args, self.limits)
        if not out.ok:
            raise GraderError(f"the reference failed in {scenario.__qualname__}: {out.failure.message}\n{out.failure.traceback}")
        return out.value


# --------------------------------------------------------------------------- pytest hooks

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("torchgrade")
    group.addoption("--submission", default=None, help="the learner module (or its NN_topic folder) to grade; default: the course's exercises/NN_topic")
    group.addoption("--device", dest="tg_device", default="auto", help="auto, cpu, cuda or cuda:N")
    group.addoption("--timeout-factor", dest="tg_timeout_factor", type=float, default=1.0, help="multiply every check's time limit")
    group.addoption("--memory-mb", dest="tg_memory_mb", type=int, default=None, help="memory limit of each check's child process")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "torchgrade(points, name, timeout_s, memory_mb, cuda): a scored check")
    config._tg_device = devices.resolve(config.getoption("tg_device"))
    sandbox.become_subreaper()
    sandbox.warm_up()


def _emit(event: dict) -> None:
    if CHANNEL is not None:
        os.write(CHANNEL, (json.dumps(event) + "\n").encode())


def _record(item: pytest.Item) -> CheckRecord:
    rec = getattr(item, "_tg_record", None)
    if rec is None:
        marker = item.get_closest_marker(_MARK)
        points = marker.kwargs["points"] if marker else 0
        name = marker.kwargs["name"] if marker else item.name
        rec = item._tg_record = CheckRecord(id=item.name.removeprefix("test_"), name=name, points=points)
        if marker is None:
            rec.settle("error", "grader error: this test is not marked as a check (graders.plugin.check)")
    return rec


def pytest_collection_finish(session: pytest.Session) -> None:
    _emit({"event": "collected", "checks": [asdict(_record(item)) | {"nodeid": item.nodeid} for item in session.items]})


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _emit({"event": "start", "nodeid": nodeid})


def _state(request: pytest.FixtureRequest) -> ExerciseState:
    config = request.config
    grader_dir = Path(request.node.path).parent
    exercise_id = grader_dir.name
    if exercise_id not in _STATES:
        root = find_root(grader_dir)
        exercise = load_exercise(root, exercise_id)
        given = config.getoption("submission")
        learner = Path(given).expanduser().resolve() if given else exercise.stub_dir / exercise.module
        if learner.is_dir():
            learner = learner / exercise.module
        _STATES[exercise_id] = ExerciseState(
            exercise=exercise,
            learner=loader.Source.read(learner),
            reference=loader.Source.read(exercise.reference_file),
            device=config._tg_device,
            timeout_factor=config.getoption("tg_timeout_factor"),
            memory_mb=config.getoption("tg_memory_mb"),
        )
    return _STATES[exercise_id]


@pytest.fixture
def run(request: pytest.FixtureRequest) -> Runner:
    state = _state(request)
    marker = request.node.get_closest_marker(_MARK)
    if marker and marker.kwargs.get("cuda") and not state.device.startswith("cuda"):
        request.node._tg_skip = True
        pytest.skip("needs CUDA: this check only means something on a GPU, and grading runs on the CPU")
    return Runner(state, state.limits(marker), _record(request.node))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    start = time.perf_counter()
    yield
    _record(item).duration_s = round(time.perf_counter() - start, 3)


@pytest.hookimpl(optionalhook=True)  # pytest-json-report's hooks exist only when it is active
def pytest_json_runtest_metadata(item: pytest.Item, call: pytest.CallInfo) -> dict:
    rec = _record(item)
    if call.excinfo is not None:
        exc = call.excinfo.value
        if isinstance(exc, CheckFailed):
            rec.settle("failed", str(exc), exc.details)
        elif call.excinfo.errisinstance(pytest.skip.Exception) and getattr(item, "_tg_skip", False):
            rec.settle("skipped", str(exc.msg))
        else:
            rec.settle("error", f"grader error: {type(exc).__name__}: {exc}")
    if call.when == "teardown":  # final: stream it, in case this process does not live to report
        _emit({"event": "result", "nodeid": item.nodeid, "record": asdict(rec)})
    return {"torchgrade": asdict(rec)}


@pytest.hookimpl(optionalhook=True)
def pytest_json_modifyreport(json_report: dict) -> None:
    json_report["torchgrade"] = {
        eid: {"load_error": s.load_failure.message if s.load_failure else None,
              "load_details": s.load_failure.traceback if s.load_failure else ""}
        for eid, s in _STATES.items()
    }


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Show the learner-facing message (not a Python traceback) when run as plain pytest."""
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and isinstance(call.excinfo.value, CheckFailed):
        report.longrepr = str(call.excinfo.value)
