"""Every ``>>>`` example in ``exercises/NN_topic/README.md`` runs, as written, against the reference.

The READMEs promise learners what their functions will print; this keeps that promise true.
Each README runs as one doctest, top to bottom, the way a learner would type it into Python
started inside ``exercises/NN_topic``: its ``import <module>`` / ``from <module> import ...``
lines get the reference solution (``reference/NN_topic/<module>`` with ``<module>`` from
``graders/NN_topic/exercise.toml``), and nothing else is predefined, so an example that uses a
name it never imported fails here as it would for a learner. An example that cannot run here
(it needs CUDA) carries ``# doctest: +SKIP`` and says why in the README.
"""

from __future__ import annotations

import doctest
import importlib.util
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest
import torch

if sys.version_info >= (3, 11):
    import tomllib
else:  # pyproject.toml installs tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = sorted(p.parent.name for p in (ROOT / "exercises").glob("*/README.md"))

# NORMALIZE_WHITESPACE: tensor reprs wrap and align as torch pleases. ELLIPSIS: `...` in an
# expected output stands for any text, for output too long or too machine-specific to spell out
# (a traceback's stack lines, also written `...` in the READMEs, doctest skips by itself).
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
FENCE = re.compile(r"^[ \t]*(```|~~~).*$", re.MULTILINE)


def module_name(exercise_id: str) -> str:
    with open(ROOT / "graders" / exercise_id / "exercise.toml", "rb") as f:
        return Path(tomllib.load(f)["module"]).stem


@contextmanager
def reference_importable_as(exercise_id: str) -> Iterator[ModuleType]:
    """A fresh copy of the reference module, importable by its learner-facing name while in use."""
    name = module_name(exercise_id)
    path = ROOT / "reference" / exercise_id / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    missing = object()
    previous = sys.modules.get(name, missing)
    sys.modules[name] = module
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in reference/
    try:
        try:
            spec.loader.exec_module(module)
        finally:
            sys.dont_write_bytecode = writes_bytecode
        yield module
    finally:
        if previous is missing:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous


def readme_doctest(exercise_id: str) -> doctest.DocTest:
    path = ROOT / "exercises" / exercise_id / "README.md"
    # A closing ``` right after an expected output would otherwise be read as part of it;
    # blanking the fence lines (not removing them) keeps the reported line numbers right.
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    globs = {"__name__": "__main__"}
    return doctest.DocTestParser().get_doctest(text, globs, f"{exercise_id}/README.md", str(path), 0)


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_readme_examples_match_the_reference(exercise_id: str) -> None:
    test = readme_doctest(exercise_id)
    assert test.examples, f"exercises/{exercise_id}/README.md has no >>> examples"
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    # The same seed every time (an example may print random numbers), tensors printed as in a
    # learner's fresh Python; the session's RNG and grad mode are restored afterwards.
    torch.set_printoptions(profile="default")
    with reference_importable_as(exercise_id), torch.random.fork_rng(devices=[]), torch.enable_grad():
        torch.manual_seed(0)
        result = runner.run(test, out=report.append)
    assert result.failed == 0, (
        f"{result.failed} of {result.attempted} examples in exercises/{exercise_id}/README.md do not match "
        f"what reference/{exercise_id}/{module_name(exercise_id)}.py does (fix the README, or the reference):\n"
        + "".join(report)
    )
