"""For a check that covers several functions: judge only the functions that already do their job.

A property such as "leaves the gradients unchanged" or "uses the current API" holds for
code that does nothing, so it must not pay out on its own. A check about one function
says so with ``check(..., requires=(...))``; a check about several functions asks, in the
check, which of them already pass their main checks, and judges those::

    functions = working(run, {"grad_norms": (test_grad_norms_values,), "op_counts": (test_op_counts_counts,)})
    if "grad_norms" in functions:
        ...  # judge grad_norms' part of the property

The main checks are called with ``run`` (their scenarios' results are cached, so they run
once). When none of the functions works, the check fails with a "Not judged yet" message
that names, for each function, the checks it has to pass first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from torchgrade.kit.checks import MARK
from torchgrade.kit.compare import CheckFailed, fail


def check_name(test: Callable) -> str:
    """The learner-facing name a check was declared with (``@check(points, name)``)."""
    marks = [m for m in getattr(test, "pytestmark", []) if m.name == MARK]
    return marks[0].kwargs["name"] if marks else test.__name__


def passes(run, *checks: Callable) -> bool:
    """Whether every one of ``checks`` (check functions such as ``test_train_step_updates_parameters``)
    passes on the learner's code. A grader error (the reference failing) is not caught."""
    try:
        for judge in checks:
            judge(run)
    except CheckFailed:
        return False
    return True


def working(run, functions: Mapping[str, Sequence[Callable]]) -> list[str]:
    """The functions, by name, whose main checks all pass, in the order given.

    ``functions`` maps a function's name to the checks that show it does its job. When
    none passes, fails with "Not judged yet: ..." naming those checks.
    """
    found = [name for name, checks in functions.items() if passes(run, *checks)]
    if not found:
        needs = "; ".join(
            f"{name} once {' and '.join(f'“{check_name(c)}”' for c in checks)} "
            f"{'pass' if len(checks) > 1 else 'passes'}"
            for name, checks in functions.items()
        )
        none = "neither does" if len(functions) == 2 else "none does"
        fail(
            f"Not judged yet: this check judges each function once it works, and {none} yet: {needs}. "
            "Fix one of them first."
        )
    return found
