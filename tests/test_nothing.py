"""Code that does nothing earns nothing, and code that tampers with the grader earns nothing.

The submissions are made from each exercise's stub: every ``raise NotImplementedError(...)``
becomes a ``return`` of nothing useful. Each must score exactly 0 on every exercise:

- ``none``: ``return None``;
- ``input``: ``return`` the first argument unchanged;
- ``kill the grader``: signal the process that runs the checks, then ``return None``;
- ``empty``: ``return`` an empty container of the first argument's kind (an empty tensor,
  list, dict…), or ``[]``;
- ``patch everything``: ``none``, with a module that replaces at import everything a
  judgement could rest on (torch's comparisons, ``Tensor.__eq__``, ``gradcheck``, the RNG
  state, grad mode, the kit's ``expect_*``); every check must say what was replaced, or
  that it waits for a check that does.
"""

from __future__ import annotations

import ast

import pytest
from conftest import ROOT

from torchgrade import course

EXERCISES = [ex.id for ex in course.all_exercises(ROOT)]

RETURNS = {
    "none": "return None",
    "input": "return {arg}",
    "kill the grader": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nreturn None",
    "empty": (
        "try:\n"
        "    return {arg}.new_empty(0) if hasattr({arg}, 'new_empty') else type({arg})()\n"
        "except Exception:\n"
        "    return []"
    ),
}

PATCH_EVERYTHING = """
import builtins, random
import torch, torch.testing, torch.autograd
torch.equal = lambda *a, **k: True
torch.allclose = lambda *a, **k: True
torch.isclose = lambda a, b, *r, **k: torch.ones_like(a, dtype=torch.bool)
torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
torch.Tensor.equal = lambda self, other: True
torch.testing.assert_close = lambda *a, **k: None
torch.autograd.gradcheck = lambda *a, **k: True
torch.get_rng_state = lambda: torch.zeros(5056, dtype=torch.uint8)
torch.is_grad_enabled = lambda: False
random.getstate = lambda: (3, (0,) * 625, None)
builtins.isinstance = lambda obj, cls: True
try:
    import torchgrade.kit as kit
    for name in dir(kit):
        if name.startswith("expect_"):
            setattr(kit, name, lambda *a, **k: None)
except ImportError:
    pass
"""


def nothing(stub: str, kind: str) -> str:
    """The stub with every ``raise NotImplementedError(...)`` turned into a useless return."""
    tree = ast.parse(stub)
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        params = [a.arg for a in node.args.args if a.arg not in ("self", "ctx", "cls")]
        for i, statement in enumerate(node.body):
            exc = statement.exc if isinstance(statement, ast.Raise) else None
            if isinstance(exc, ast.Call) and getattr(exc.func, "id", "") == "NotImplementedError":
                use = kind if params or kind == "kill the grader" else "none"
                code = RETURNS[use].format(arg=params[0] if params else "")
                node.body[i : i + 1] = ast.parse(code).body
    return ast.unparse(tree) + "\n"


CASES = [(e, k) for e in EXERCISES for k in (*RETURNS, "patch everything")]


@pytest.mark.parametrize("exercise_id, kind", CASES, ids=[f"{e}: {k}" for e, k in CASES])
def test_code_that_does_nothing_or_tampers_scores_zero(grade_text, exercise_id, kind):
    ex = course.load_exercise(ROOT, exercise_id)
    stub = (ex.stub_dir / ex.module).read_text()
    text = nothing(stub, "none" if kind == "patch everything" else kind)
    if kind == "patch everything":  # right after the stub's own imports
        tree = ast.parse(text)
        last = max(n.end_lineno for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)))
        lines = text.splitlines(keepends=True)
        text = "".join(lines[:last]) + PATCH_EVERYTHING + "".join(lines[last:])
    result = grade_text(exercise_id, text)
    earned = [(c.id, c.message) for c in result.checks if c.score]
    assert earned == [] and result.score == 0
    if kind == "patch everything":
        for c in result.checks:
            if c.status != "skipped":
                assert "replaced" in c.message or c.message.startswith("Not judged yet"), (c.id, c.message)
