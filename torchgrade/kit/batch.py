"""Run a grader's reference scenarios together in one sandbox child, and the learner's one by one.

A grader with many small scenarios (one per function of the exercise) pays a fork and a
module load per scenario and side. The reference does not fail, so its results can all
come from one child; the learner's code still gets a child per scenario, so that one
function that raises, hangs or crashes fails only the checks on that function::

    REFERENCE = ReferenceBatch([(cubic, ()), (results, ("evens",))], known=KNOWN_ERRORS)

    got, want = REFERENCE.both(run, cubic)  # instead of run(cubic)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from torchgrade.kit.compare import explained

Scenario = Callable[..., Any]


class ReferenceBatch:
    """Scenario calls ``(scenario, args)`` whose reference results come from one child.

    ``known``: ``(pattern, hint)`` pairs for :func:`~torchgrade.kit.compare.explained`,
    added to the learner's failures. Create it below the scenarios it names; checks use it
    when they run.
    """

    def __init__(self, calls: Iterable[tuple[Scenario, tuple]], known: Sequence[tuple[str, str]] = ()):
        self.calls = [(scenario, tuple(args)) for scenario, args in calls]
        self.known = list(known)

    def __repr__(self) -> str:  # runs are cached by their arguments' repr: stable, one per batch
        return f"ReferenceBatch({', '.join(_key(s, a) for s, a in self.calls)})"

    def reference(self, run, scenario: Scenario, *args: Any) -> Any:
        """The reference's result of ``scenario(*args)``, which must be one of the batch's calls."""
        results = run.reference(_run_all, self)
        key = _key(scenario, args)
        if key not in results:
            raise KeyError(f"{key} is not a call of {self!r}")
        return results[key]

    def learner(self, run, scenario: Scenario, *args: Any) -> Any:
        """The learner's result of ``scenario(*args)``, in a child of its own; known errors explained."""
        with explained(self.known):
            return run.learner(scenario, *args)

    def both(self, run, scenario: Scenario, *args: Any) -> tuple[Any, Any]:
        """``(learner's, reference's)`` result, as ``run(scenario, *args)`` gives them."""
        want = self.reference(run, scenario, *args)  # a failing reference is the grader's fault: report that first
        return self.learner(run, scenario, *args), want


def _key(scenario: Scenario, args: tuple) -> str:
    return f"{scenario.__name__}{args!r}"


def _run_all(m, device: str, batch: ReferenceBatch) -> dict[str, Any]:
    """The scenario the reference's child runs: every call of ``batch``, by key."""
    return {_key(scenario, args): scenario(m, device, *args) for scenario, args in batch.calls}
