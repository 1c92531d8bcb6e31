"""The pytest plugin that turns ``graders/NN_topic/test_*.py`` into scored checks.

It is registered through the ``pytest11`` entry point, so ``pytest graders/05_training``
grades directly. It stays inert in a pytest run that collects no check.

A check is a test marked with :func:`check` (points and a learner-facing name) that takes
the ``run`` fixture: ``got, want = run(scenario, *args)`` runs ``scenario(module, device,
*args)`` once on the learner's module and once on the reference, each in a sandbox child,
and returns both results as data for the test to judge with :mod:`torchgrade.kit`.

Each check's :class:`~torchgrade.results.CheckResult` lives in the item's stash; when
``grade`` drives pytest (``--events-fd``), every result is sent as an event the moment the
check ends (:mod:`torchgrade.engine.events`). With ``--json-report``, pytest-json-report
carries it too, as each test's ``metadata["torchgrade"]``.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from torchgrade import devices, seeds
from torchgrade.course import Exercise, find_root, load_exercise
from torchgrade.engine import events, forkserver, guard, loader, recording, refcache, sandbox
from torchgrade.kit.checks import MARK
from torchgrade.kit.compare import CheckFailed
from torchgrade.results import CheckResult, Fault, Status

_NAMED_SUBMISSION = re.compile(r"^(\d\d_\w+)=(.+)$")  # --submission NN_topic=PATH


class GraderError(Exception):
    """A fault of the grader or the reference, never of the learner."""


@dataclass
class ExerciseState:
    """Everything one exercise's checks share: sources, device, limits, cached results."""

    exercise: Exercise
    learner: loader.Source
    reference: loader.Source | None  # None in a release, which grades against recordings instead
    device: str
    timeout_factor: float
    memory_mb: int | None
    load_failure: sandbox.Failure | None = None
    loaded: bool = False
    cache: dict[tuple, tuple[sandbox.Outcome, float]] = field(default_factory=dict)  # key -> (outcome, time limit)
    reference_cache: refcache.ReferenceCache | None = None  # reference results on disk, shared by many gradings
    results: dict[str, CheckResult] = field(default_factory=dict)  # check id -> result, as checks end
    recording: recording.Recording | None = None  # the reference's results, where there is no reference
    recording_error: str = ""  # why there is neither
    recorder: recording.Recording | None = None  # --record: what the reference returned, to be saved
    learner_run: Callable[..., sandbox.Outcome] = sandbox.run  # how learner children are forked (forkserver)

    @property
    def private(self) -> tuple[str, ...]:
        """What learner code must not read: the course (reference, checks, other submissions)."""
        return (str(self.exercise.root),)

    def limits(self, marker: pytest.Mark | None) -> sandbox.Limits:
        kw = marker.kwargs if marker else {}
        timeout = (kw.get("timeout_s") or self.exercise.timeout_s) * self.timeout_factor
        memory = self.memory_mb or kw.get("memory_mb") or self.exercise.memory_mb
        return sandbox.Limits(timeout_s=timeout, memory_mb=memory)

    def outcome(self, side: str, scenario: Callable, args: tuple, limits: sandbox.Limits) -> sandbox.Outcome:
        if side == "reference" and self.reference is None:
            return sandbox.Outcome(value=self.recorded(scenario, args))
        source = self.learner if side == "learner" else self.reference
        key = (side, scenario.__module__, scenario.__qualname__, repr(args))
        cached = self.cache.get(key)
        timed_out = cached is not None and cached[0].failure is not None and cached[0].failure.kind == "timeout"
        if cached is None or (timed_out and cached[1] < limits.timeout_s):
            # first run, or a check that allows more time than the one that timed out
            stored = self.reference_cache if side == "reference" else None
            disk_key = stored.key(source, scenario, args, self.device) if stored else ""
            value = stored.get(disk_key) if stored else refcache.MISSING
            if value is refcache.MISSING:
                outcome = (self.learner_run if side == "learner" else sandbox.run)(
                    _invoke,
                    source,
                    scenario,
                    self.device,
                    args,
                    side == "learner",
                    limits=limits,
                    learner_file=source.path,
                    private=self.private,
                )
                if stored and outcome.ok:
                    stored.put(disk_key, outcome.value)
            else:
                outcome = sandbox.Outcome(value=value)
            if self.recorder is not None and side == "reference" and outcome.ok:
                try:
                    self.recorder.add(scenario, args, outcome.value)
                except recording.RecordingError as exc:
                    raise GraderError(str(exc)) from None
            self.cache[key] = (outcome, limits.timeout_s)
        return self.cache[key][0]

    def recorded(self, scenario: Callable, args: tuple) -> Any:
        """The reference's result from the release's recording; GraderError when it has none."""
        if self.recording is None:
            raise GraderError(f"there is no reference to compare with: {self.recording_error}")
        try:
            return self.recording.get(scenario, args)
        except KeyError:
            file = recording.path(self.exercise.root, self.exercise.id, self.device)
            raise GraderError(
                f"the recorded reference results ({file.relative_to(self.exercise.root)}) have no result for "
                f"{recording.call(scenario, args)}: record them again with `grade release`"
            ) from None

    def require_loaded(self, limits: sandbox.Limits) -> None:
        """Fail the check that asks (CheckFailed) when the learner's module cannot be loaded."""
        self.ensure_loaded(limits)
        if self.load_failure:
            f = self.load_failure
            raise CheckFailed(
                f"Your module could not be loaded, so this check could not run: {f.message}", f.traceback, f.kind
            )

    def ensure_loaded(self, limits: sandbox.Limits) -> None:
        """Import the learner's module once, alone, so an import-time fault is reported once."""
        if not self.loaded:
            self.loaded = True
            out = self.learner_run(
                _load, self.learner, limits=limits, learner_file=self.learner.path, private=self.private
            )
            if not out.ok:
                f = out.failure
                self.load_failure = (
                    f
                    if f.kind == "load"
                    else sandbox.Failure(f.kind, f"{self.learner.name} could not be imported: {f.message}", f.traceback)
                )


def _invoke(source: loader.Source, scenario: Callable, device: str, args: tuple, learner: bool) -> Any:
    """Runs in the sandbox child: load the module from its source text, run the scenario.

    Torch's defaults and the seeds are pinned again once the module is loaded (on both
    sides, so that they stay alike), and on the learner's side anything its code replaced
    that scenarios rely on fails the check (guard.Tampered).
    """
    devices.prepare_child(device)
    watch = guard.Watch(scenario) if learner else None
    try:
        module = loader.load(source)
        guard.pin_defaults(device)
        return scenario(module, device, *args)
    finally:  # a replacement explains a failure better than what it broke
        if watch is not None:
            guard.check(watch)


def _load(source: loader.Source) -> Any:
    """Load the learner's module in a sandbox child; a replacement made at import fails it."""
    watch = guard.Watch(_load)
    try:
        return loader.load(source)
    finally:
        guard.check(watch)


class Runner:
    """The ``run`` fixture: runs scenarios for one check on learner and reference code."""

    def __init__(self, state: ExerciseState, limits: sandbox.Limits, result: CheckResult):
        self.state, self.limits, self.result = state, limits, result
        self.device = state.device

    @property
    def learner_source(self) -> str:
        """The learner's module as text, read before any learner code ran (for source probes)."""
        return self.state.learner.text

    def __call__(self, scenario: Callable, *args: Any) -> tuple[Any, Any]:
        want = self.reference(scenario, *args)  # a failing reference is the grader's fault: report that first
        return self.learner(scenario, *args), want

    def learner(self, scenario: Callable, *args: Any) -> Any:
        self.state.require_loaded(self.limits)
        out = self.state.outcome("learner", scenario, args, self.limits)
        if out.output and out.output not in self.result.output:
            self.result.output += out.output
        if not out.ok:
            raise CheckFailed(out.failure.message, out.failure.traceback, out.failure.kind)
        return out.value

    def reference(self, scenario: Callable, *args: Any) -> Any:
        try:
            out = self.state.outcome("reference", scenario, args, self.limits)
        except GraderError as exc:
            raise GraderError(f"“{self.result.name}”: {exc}") from None
        if not out.ok:
            f = out.failure
            raise GraderError(f"the reference failed in {scenario.__qualname__}: {f.message}\n{f.traceback}")
        return out.value

    def plot(self, title: str, series: dict[str, list], x_label: str = "epoch", y_label: str = "") -> None:
        """Attach a curve chart (e.g. learner's and reference's accuracy per epoch) to this check's report."""

        def numbers(values: Any) -> bool:
            return isinstance(values, (list, tuple)) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
            )

        clean = {name: [float(v) for v in values] for name, values in series.items() if numbers(values)}
        if clean:
            self.result.plots.append({"title": title, "series": clean, "x_label": x_label, "y_label": y_label})


# --------------------------------------------------------------------------- per-run state

_DEVICE = pytest.StashKey[str]()  # resolved once per run
_STATES = pytest.StashKey[dict[str, ExerciseState]]()  # exercise id -> its state
_EVENTS = pytest.StashKey[int | None]()  # the pipe to ``grade``, if it drives this run
_PASSED_BEFORE = pytest.StashKey[set[str]]()  # checks that passed in an earlier process (after a crash)
_COLLECT_ERRORS = pytest.StashKey[list[tuple[str, str]]]()  # (exercise id, what failed to collect)
_ENDED = pytest.StashKey[set[str]]()  # exercises whose end was sent
_RESULT = pytest.StashKey[CheckResult]()  # an item's result
_CUDA_SKIP = pytest.StashKey[bool]()  # the item was skipped for lack of CUDA (by us, not by learner code)
_SERVER = pytest.StashKey[forkserver.ForkServer]()  # forks every learner child (see forkserver)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("torchgrade")
    group.addoption(
        "--submission",
        action="append",
        default=[],
        help="the learner module (or its NN_topic folder) to grade; NN_topic=PATH: for that exercise only "
        "(repeatable); default: the course's exercises/NN_topic",
    )
    group.addoption("--device", dest="tg_device", default="auto", help="auto, cpu, cuda or cuda:N")
    group.addoption(
        "--timeout-factor", dest="tg_timeout_factor", type=float, default=1.0, help="multiply every time limit"
    )
    group.addoption("--memory-mb", dest="tg_memory_mb", type=int, default=None, help="memory limit of each check")
    group.addoption(
        "--reference-cache", dest="tg_reference_cache", default=None, help="keep reference results in this folder"
    )
    group.addoption(
        "--seed", dest="tg_seed", type=int, default=0, help="the run seed that every scenario's seed is mixed with"
    )
    group.addoption(
        "--record",
        dest="tg_record",
        default=None,
        help="save the reference's results in ROOT/recordings (grade release)",
    )
    group.addoption("--checks", dest="tg_checks", default="", help="only these check ids (comma-separated)")
    group.addoption("--events-fd", dest="tg_events_fd", type=int, default=None, help=argparse.SUPPRESS)
    group.addoption("--passed-before", dest="tg_passed_before", default="", help=argparse.SUPPRESS)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "torchgrade(points, name, timeout_s, memory_mb, cuda, requires): a scored check")
    config.stash[_STATES] = {}
    seeds.use_run_seed(config.getoption("tg_seed"))  # before any check is imported
    config.stash[_EVENTS] = config.getoption("tg_events_fd")
    config.stash[_PASSED_BEFORE] = set(filter(None, config.getoption("tg_passed_before").split(",")))
    config.stash[_COLLECT_ERRORS] = []
    config.stash[_ENDED] = set()


def _emit(config: pytest.Config, event: events.Event) -> None:
    fd = config.stash.get(_EVENTS, None)
    if fd is not None:
        events.send(fd, event)


def _check_id(item: pytest.Item) -> str:
    return item.name.removeprefix("test_")


def _result(item: pytest.Item) -> CheckResult:
    if _RESULT not in item.stash:
        marker = item.get_closest_marker(MARK)
        points = marker.kwargs["points"] if marker else 0
        name = marker.kwargs["name"] if marker else item.name
        item.stash[_RESULT] = result = CheckResult(_check_id(item), name, Status.PASSED, points)
        if marker is None:
            result.settle(Status.ERROR, "grader error: this test is not marked as a check (torchgrade.kit.check)")
    return item.stash[_RESULT]


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    report = (yield).get_result()
    if report.failed:  # a grader file that does not import
        collector.config.stash[_COLLECT_ERRORS].append((_exercise_id(collector.path), str(report.longrepr)))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--checks``: keep exactly the named checks, and the checks they require."""
    wanted = set(filter(None, config.getoption("tg_checks").split(",")))
    if not wanted:
        return
    by_id = {_check_id(i): i for i in items}
    unknown = wanted - set(by_id)
    if unknown:
        raise pytest.UsageError(f"--checks: no check named {', '.join(sorted(unknown))}")
    todo = list(wanted)
    while todo:
        marker = by_id[todo.pop()].get_closest_marker(MARK)
        for dep in marker.kwargs.get("requires", ()) if marker else ():
            if dep not in wanted and dep in by_id:
                wanted.add(dep)
                todo.append(dep)
    kept = [i for i in items if _check_id(i) in wanted]
    config.hook.pytest_deselected(items=[i for i in items if _check_id(i) not in wanted])
    items[:] = kept


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(item.get_closest_marker(MARK) for item in session.items):
        sandbox.become_subreaper()  # orphans of learner code come back to us, to be reaped
        sandbox.warm_up()  # imports paid once, before the first fork
        session.config.stash[_SERVER] = forkserver.ForkServer()  # forked while nothing is known yet
    _emit(session.config, events.Collected({item.nodeid: _result(item) for item in session.items}))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    _emit(item.config, events.Started(item.nodeid))
    yield
    if nextitem is None or _exercise_id(nextitem.path) != _exercise_id(item.path):
        _end_exercise(item.config, _exercise_id(item.path))


def _exercise_id(path: Path | str) -> str:
    """The exercise a checks file (or its folder, graders/NN_topic) belongs to."""
    path = Path(str(path).split("::")[0])
    return path.name if path.suffix != ".py" else path.parent.name


def _end_exercise(config: pytest.Config, exercise_id: str) -> None:
    """Tell ``grade`` that an exercise's checks are over, and why its module could not load, if it could not.

    Sent as soon as its last check ends, so that a process grading several exercises that
    dies in a later one leaves this one whole.
    """
    if exercise_id in config.stash[_ENDED]:
        return
    config.stash[_ENDED].add(exercise_id)
    state = config.stash[_STATES].get(exercise_id)
    failure = state.load_failure if state else None
    asked = {_exercise_id(arg) for arg in config.args}
    other = {where for where, _ in config.stash[_COLLECT_ERRORS]} - asked  # errors of no one exercise: everyone's
    _emit(
        config,
        events.Ended(
            exercise=exercise_id,
            load_error=failure.message if failure else None,
            load_fault=Fault.LEARNER if failure else None,
            load_cause=failure.kind if failure else "",
            collect_errors=tuple(
                text for where, text in config.stash[_COLLECT_ERRORS] if where in (exercise_id, *other)
            ),
        ),
    )


def _state(request: pytest.FixtureRequest) -> ExerciseState:
    config = request.config
    grader_dir = Path(request.node.path).parent
    exercise_id = grader_dir.name
    states = config.stash[_STATES]
    if exercise_id not in states:
        root = find_root(grader_dir)
        exercise = load_exercise(root, exercise_id)
        given = _submission(config.getoption("submission"), exercise_id)
        learner = Path(given).expanduser().resolve() if given else exercise.stub_dir / exercise.module
        if learner.is_dir():
            learner = learner / exercise.module
        if _DEVICE not in config.stash:
            config.stash[_DEVICE] = devices.resolve(config.getoption("tg_device"))
        device = config.stash[_DEVICE]
        has_reference = exercise.reference_file.is_file()
        state = states[exercise_id] = ExerciseState(
            exercise=exercise,
            learner=loader.Source.read(learner),
            reference=loader.Source.read(exercise.reference_file) if has_reference else None,
            device=device,
            timeout_factor=config.getoption("tg_timeout_factor"),
            memory_mb=config.getoption("tg_memory_mb"),
            reference_cache=refcache.ReferenceCache(Path(cache))
            if (cache := config.getoption("tg_reference_cache"))
            else None,
        )
        if _SERVER in config.stash:
            state.learner_run = config.stash[_SERVER].run
        if not has_reference:
            try:
                state.recording = recording.for_grading(root, exercise_id, device)
            except recording.RecordingError as exc:
                state.recording_error = str(exc)
        if config.getoption("tg_record"):
            state.recorder = recording.Recording(exercise_id, recording.device_kind(device), seeds.run_seed())
    return states[exercise_id]


def _submission(given: list[str], exercise_id: str) -> str | None:
    """The ``--submission`` for this exercise: its own ``NN_topic=PATH``, else a plain PATH."""
    for value in given:
        named = _NAMED_SUBMISSION.match(value)
        if named and named[1] == exercise_id:
            return named[2]
    return next((value for value in given if not _NAMED_SUBMISSION.match(value)), None)


def _unmet(state: ExerciseState, config: pytest.Config, requires: tuple[str, ...]) -> list[str]:
    """The names of the required checks that did not pass; GraderError if one has not run yet."""
    unmet = []
    for dep in requires:
        if dep in config.stash[_PASSED_BEFORE]:
            continue
        result = state.results.get(dep)
        if result is None:
            raise GraderError(f"this check requires `{dep}`, which has not run before it (checks run in file order)")
        if result.status != Status.PASSED:
            unmet.append(result.name)
    return unmet


@pytest.fixture
def run(request: pytest.FixtureRequest) -> Runner:
    state = _state(request)
    marker = request.node.get_closest_marker(MARK)
    kw = marker.kwargs if marker else {}
    if kw.get("cuda") and not state.device.startswith("cuda"):
        request.node.stash[_CUDA_SKIP] = True
        where = "grading runs on the CPU"
        if state.reference is None and devices.cuda_count():
            where = "this repository's reference results were recorded on the CPU only, so grading runs there"
        pytest.skip(f"needs CUDA: this check only means something on a GPU, and {where}")
    state.require_loaded(state.limits(marker))  # a module that cannot load is the reason, not a requirement
    unmet = _unmet(state, request.config, kw.get("requires", ()))
    if unmet:
        names = " and ".join(f"“{n}”" for n in unmet)
        raise CheckFailed(f"Not judged yet: this check is judged once {names} passes. Fix that first.")
    return Runner(state, state.limits(marker), _result(request.node))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    start = time.perf_counter()
    yield
    _result(item).duration_s = round(time.perf_counter() - start, 3)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Settle the check's result from each phase; show the learner-facing message in pytest's output."""
    outcome = yield
    report = outcome.get_result()
    result = _result(item)
    if call.excinfo is not None:
        exc = call.excinfo.value
        if isinstance(exc, CheckFailed):
            result.settle(Status.FAILED, str(exc), exc.details, Fault.LEARNER, exc.cause)
            report.longrepr = str(exc)
        elif call.excinfo.errisinstance(pytest.skip.Exception) and item.stash.get(_CUDA_SKIP, False):
            result.settle(Status.SKIPPED, str(exc.msg))
        else:
            result.settle(Status.ERROR, f"grader error: {type(exc).__name__}: {exc}", fault=Fault.GRADER)
    if call.when == "teardown":
        states = item.config.stash[_STATES]
        state = states.get(Path(item.path).parent.name)
        if state is not None:
            state.results[result.id] = result
        _emit(item.config, events.Finished(item.nodeid, result))


def pytest_sessionfinish(session: pytest.Session) -> None:
    states = list(session.config.stash[_STATES].values())
    folder = session.config.getoption("tg_record")
    for state in states:
        if state.recorder is not None:
            state.recorder.save(recording.path(Path(folder), state.exercise.id, state.device))
    asked = {_exercise_id(arg) for arg in session.config.args}
    for exercise_id in sorted(asked | set(session.config.stash[_STATES])):  # those whose last check did not end it
        _end_exercise(session.config, exercise_id)


@pytest.hookimpl(optionalhook=True)  # pytest-json-report's hook exists only when it is installed
def pytest_json_runtest_metadata(item: pytest.Item, call: pytest.CallInfo) -> dict:
    return {"torchgrade": _result(item).to_dict()}


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_SERVER, None)
    if server is not None:
        server.close()
