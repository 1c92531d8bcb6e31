"""Broken and hostile submissions: always a graded result, quickly, with nothing forged.

Each case is the 05_training reference with ``train_step`` (or the whole module) replaced;
the other functions stay correct, so their checks must keep passing. Every case grades
with a copy of the course (``grade_hostile``), never with this checkout. The time limits
asserted leave room for a slow 2-core machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from conftest import check, copy_course, reference_text

from torchgrade import course
from torchgrade.engine import confine, sandbox, session

TRAIN_STEP_CHECKS = (
    "train_step_updates_parameters",
    "train_step_returns_loss",
    "train_step_clears_gradients",
    "train_step_clips_gradients",
)
HEAD = 'def train_step(model, batch, criterion, optimizer, max_grad_norm: float = 1.0, device="cpu") -> float:\n'


def with_train_step(body: str, prelude: str = "") -> str:
    """The reference with train_step's body replaced by ``body`` (and ``prelude`` at the top)."""
    text = reference_text("05_training")
    start = text.index(HEAD) + len(HEAD)
    end = text.index("\ndef train_one_epoch")
    imports_end = text.index("from torch.utils.data import DataLoader\n") + len(
        "from torch.utils.data import DataLoader\n"
    )
    return text[:imports_end] + prelude + text[imports_end:start] + body + "\n" + text[end:]


def strays(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if marker in line and "ps -eo" not in line]


def grade_json(folder, course_root) -> subprocess.CompletedProcess:
    """`grade FOLDER --json -` in a process of its own, from ``course_root``."""
    command = [sys.executable, "-m", "torchgrade", str(folder), "--json", "-"]
    return subprocess.run(command, capture_output=True, text=True, cwd=course_root, timeout=300)


def grade_train_step(grade_hostile, body, prelude="", **options):
    start = time.monotonic()
    result = grade_hostile(
        "05_training", with_train_step(body, prelude), *TRAIN_STEP_CHECKS, "evaluate_accuracy", **options
    )
    return result, time.monotonic() - start


def assert_only_train_step_fails(result, words):
    """Every train_step check failed, the one on its return value with ``words``; the rest passed."""
    for cid in TRAIN_STEP_CHECKS:
        assert check(result, cid).status == "failed", cid
    message = check(result, "train_step_returns_loss").message
    assert words in message, message
    assert check(result, "evaluate_accuracy").status == "passed"


BROKEN = [
    ("raises", "    raise ValueError('shapes do not match')", "`train_step` raised ValueError: shapes do not match"),
    ("returns None", "    return None", "should be a Python float, but is None"),
    (
        "recursion",
        "    return train_step(model, batch, criterion, optimizer, max_grad_norm, device)",
        "recursed without end",
    ),
    ("sys.exit", "    import sys\n    sys.exit(0)", "raised SystemExit"),
    ("KeyboardInterrupt", "    raise KeyboardInterrupt", "raised KeyboardInterrupt"),
    ("pytest.skip", "    import pytest\n    pytest.skip('not today')", "raised Skipped"),
    ("os._exit", "    import os\n    os._exit(0)", "ended the process (exit status 0)"),
    ("segfault", "    import ctypes\n    ctypes.string_at(0)", "killed by SIGSEGV"),
    ("kills itself", "    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)", "killed by SIGKILL"),
    ("memory hog", "    import torch\n    chunks = [torch.ones(2**28) for _ in range(100)]", "ran out of memory"),
    (
        "closes its pipes",
        "    import os\n    os.close(1); os.close(2)\n    raise RuntimeError('gone')",
        "raised RuntimeError: gone",
    ),
    (
        "returns an object that equals everything",
        "    class Liar(float):\n        def __eq__(self, other): return True\n    return Liar(-1.0)",
        "is -1, expected",
    ),
    (
        "returns a tensor subclass",
        "    import torch\n    class T(torch.Tensor): pass\n    return torch.tensor(1.0).as_subclass(T)",
        "should be a Python float",
    ),
]


@pytest.mark.parametrize("what, body, words", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_train_step_fails_only_its_checks(grade_hostile, what, body, words):
    result, elapsed = grade_train_step(grade_hostile, body)
    assert_only_train_step_fails(result, words)
    assert elapsed < 40


def test_infinite_loop_times_out_quickly(grade_hostile):
    result, elapsed = grade_train_step(grade_hostile, "    while True:\n        pass", timeout_factor=0.1)
    assert_only_train_step_fails(result, "timed out after 1 s")
    assert elapsed < 30


def test_syntax_error_is_a_graded_load_error(grade_hostile):
    result = grade_hostile("05_training", "def train_step(:\n    pass\n")
    assert result.status == "error" and "syntax error on line 1" in result.error
    assert result.score == 0 and all(c.status in ("failed", "skipped") for c in result.checks)


def test_missing_import_is_a_graded_load_error(grade_hostile):
    result = grade_hostile("05_training", reference_text("05_training") + "\nimport torchvision_nonexistent\n")
    assert result.status == "error" and "ModuleNotFoundError" in result.error and "may import only" in result.error


def test_missing_function_is_named(grade_hostile):
    text = reference_text("05_training").replace("def fit(", "def fit_model(")
    result = grade_hostile("05_training", text, "fit_history", "evaluate_accuracy")
    assert "`fit` is missing from your module" in check(result, "fit_history").message
    assert check(result, "evaluate_accuracy").status == "passed"


def test_import_time_infinite_loop_is_reported_once(grade_hostile):
    start = time.monotonic()
    result = grade_hostile("05_training", "while True:\n    pass\n", timeout_factor=0.1)
    assert result.status == "error" and "timed out" in result.error
    assert time.monotonic() - start < 30


def test_output_flood_is_capped(grade_hostile):
    body = (
        "    print('x' * 10_000_000)\n"
        + "    optimizer.zero_grad()\n    loss = criterion(model(batch[0]), batch[1])\n    loss.backward()\n"
        "    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)\n    optimizer.step()\n    return loss.item()"
    )
    result, _ = grade_train_step(grade_hostile, body)
    c = check(result, "train_step_updates_parameters")
    assert c.status == "passed" and len(c.output) < 70_000 and "output truncated" in c.output


def test_no_process_outlives_its_check(grade_hostile):
    marker = "torchgrade-stray-marker"
    body = (
        f"    import subprocess, os\n"
        f"    subprocess.Popen(['sleep', '300', '{marker}'], start_new_session=True)\n"
        f"    if os.fork() == 0:\n        os.setsid()\n        os.execvp('sleep', ['sleep', '301', '{marker}'])\n"
        f"    raise RuntimeError('left daemons behind')"
    )
    result, _ = grade_train_step(grade_hostile, body)
    assert_only_train_step_fails(result, "left daemons behind")
    assert strays(marker) == []


def test_global_state_changes_stay_in_their_check(grade_hostile):
    body = (
        "    import os, torch\n    torch.set_default_dtype(torch.float64)\n    torch.manual_seed(123)\n"
        "    os.chdir('/')\n    torch.set_num_threads(2)\n    raise RuntimeError('changed the world')"
    )
    result, _ = grade_train_step(grade_hostile, body)
    assert_only_train_step_fails(result, "changed the world")


def test_global_defaults_changed_at_import_do_not_reach_the_inputs(grade_hostile):
    """torch's defaults are pinned again after the module loads: correct functions keep every point."""
    prelude = (
        "torch.set_default_dtype(torch.float64)\ntorch.set_grad_enabled(False)\ntorch.manual_seed(123)\n"
        "torch.use_deterministic_algorithms(False)\ntorch.autograd.set_detect_anomaly(True)\n"
    )
    anchor = "from torch.utils.data import DataLoader\n"
    text = reference_text("05_training").replace(anchor, anchor + prelude, 1)
    result = grade_hostile("05_training", text)
    assert [(c.id, c.message) for c in result.checks if c.status not in ("passed", "skipped")] == []


def test_monkeypatching_torch_and_the_grader_changes_nothing(grade_hostile):
    prelude = (
        "import torch, torch.testing, builtins\n"
        "torch.equal = lambda *a, **k: True\n"
        "torch.allclose = lambda *a, **k: True\n"
        "torch.testing.assert_close = lambda *a, **k: None\n"
        "import torchgrade.kit.compare\ntorchgrade.kit.compare.expect_tensors = lambda *a, **k: None\n"
        "torchgrade.kit.compare.expect_float = lambda *a, **k: None\n"
    )
    result, _ = grade_train_step(grade_hostile, "    return 0.0", prelude)
    assert result.score == 0  # correct functions too: nothing computed next to the patches is trusted
    assert "Your code replaced `torch.allclose`, `torch.equal`, `torch.testing.assert_close`" in result.error
    for c in result.checks:
        assert c.status == "failed" and "replaced" in c.message, (c.id, c.message)


def test_printed_fake_results_are_just_output(course_copy, tmp_path):
    """Fake JSON and 'Points 100/100' on stdout and fd 1 do not reach `grade --json -`."""
    folder = tmp_path / "05_training"
    folder.mkdir()
    body = (
        '    import os\n    print(\'{"score": 100, "max_score": 100}\')\n'
        "    os.write(1, b'Points 100/100\\n')\n    return 0.0"
    )
    (folder / "training.py").write_text(with_train_step(body, "print('Points 100/100')\n"))
    proc = grade_json(folder, course_copy)
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and report["score"] < 100
    assert not any(
        line.startswith(("Points", '{"score"')) for line in proc.stdout.splitlines()
    )  # only inside JSON strings


@pytest.mark.parametrize("sig", ["signal.SIGKILL", "40"])  # 40: a real-time signal, which has no name
def test_killing_the_grading_process_fails_one_check_and_the_rest_still_run(course_copy, tmp_path, sig):
    marker = f"torchgrade-orphan-{sig.replace('.', '')}"
    folder = tmp_path / "05_training"
    folder.mkdir()
    body = (
        f"    import os, signal, subprocess, time\n"
        f"    subprocess.Popen(['sleep', '300', '{marker}'], start_new_session=True)\n"
        f"    os.kill(os.getppid(), {sig})\n    time.sleep(60)"
    )
    (folder / "training.py").write_text(with_train_step(body))
    start = time.monotonic()
    proc = grade_json(folder, course_copy)
    elapsed = time.monotonic() - start
    checks = {c["id"]: c for c in json.loads(proc.stdout)["exercises"][0]["checks"]}
    assert all(checks[c]["status"] == "failed" for c in TRAIN_STEP_CHECKS)
    assert checks["evaluate_accuracy"]["status"] == "passed" and checks["evaluate_no_grad"]["status"] == "passed"
    assert elapsed < 120 and strays(marker) == []
    if "signals" in confine.missing(list(sandbox.layers())):  # the kill lands: the check it was in fails
        assert "Grading stopped during this check" in checks["train_step_updates_parameters"]["message"]
    else:  # Landlock refuses to deliver it
        assert "PermissionError" in checks["train_step_updates_parameters"]["message"]


def test_leaving_its_process_group_does_not_escape_the_time_limit(grade_hostile):
    body = (
        "    import os\n    try:\n        os.setpgid(0, os.getpgid(os.getppid()))\n    except OSError:\n        pass\n"
        "    while True:\n        pass"
    )
    result, elapsed = grade_train_step(grade_hostile, body, timeout_factor=0.1)
    assert_only_train_step_fails(result, "timed out after 1 s")
    assert elapsed < 30


def test_a_wrong_signature_is_named_as_such(grade_hostile):
    text = reference_text("05_training").replace(
        'def train_step(model, batch, criterion, optimizer, max_grad_norm: float = 1.0, device="cpu") -> float:',
        "def train_step(model, batch, criterion, optimizer) -> float:",
    )
    result = grade_hostile("05_training", text, "train_step_returns_loss")
    assert "cannot be called the way the exercise calls it" in check(result, "train_step_returns_loss").message


def test_a_check_with_a_longer_limit_reruns_a_scenario_that_timed_out(grade_hostile):
    """fit_history (2.5 s here) times out on a slow fit; fit_converges (5 s) must not inherit that."""
    text = reference_text("05_training").replace(
        "    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)",
        "    import time\n    time.sleep(2.8)\n    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)",
    )
    result = grade_hostile("05_training", text, "fit_history", "fit_converges", timeout_factor=0.25)
    assert "timed out after 2.5 s" in check(result, "fit_history").message
    assert check(result, "fit_converges").status == "passed"


BROKEN_COURSE = {  # exercise: (what is appended to its reference, words its report must hold)
    "01_tensors": ("def evens(n:\n", "syntax error on line"),
    "02_autograd": ("\ndef cubic_and_grad(x):\n    while True:\n        pass\n", "timed out after 3 s"),
    "03_modules": ("\nimport a_module_that_does_not_exist\n", "ModuleNotFoundError"),
    "04_data": (
        # 8 GiB at once: refused by the address-space limit before a page is touched, so it is the
        # memory limit every time (filling 1 GiB takes ~0.6 s, which a busy machine stretches past 3 s)
        "\ndef make_loader(*args, **kwargs):\n    import torch\n    return torch.ones(2**31)\n",
        "ran out of memory",
    ),
    "05_training": (
        "\ndef train_step(*args, **kwargs):\n    import os\n    os._exit(3)\n",
        "ended the process (exit status 3)",
    ),
    "06_amp": (
        "\ndef amp_train_step(*args, **kwargs):\n    import ctypes\n    ctypes.string_at(0)\n",
        "killed by SIGSEGV",
    ),
    "07_debugging": (
        "\ndef grad_norms(model):\n    print('x' * 10_000_000)\n    raise ValueError('flooded')\n",
        "raised ValueError: flooded",
    ),
}
BROKEN_COURSE_BOUND_S = 120  # documented in SECURITY.md


def test_a_course_broken_everywhere_is_graded_within_its_bound(tmp_path):
    course = copy_course(tmp_path / "course")
    for ex, (tail, _) in BROKEN_COURSE.items():
        module = next((course / "exercises" / ex).glob("*.py"))
        module.write_text(reference_text(ex) + tail)
    start = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "torchgrade",
            "--all",
            str(course),
            "--json",
            "-",
            "--timeout-factor",
            "0.3",
            "--min-score",
            "0",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=BROKEN_COURSE_BOUND_S * 2,
    )
    elapsed = time.monotonic() - start
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and elapsed < BROKEN_COURSE_BOUND_S
    for ex in report["exercises"]:
        words = BROKEN_COURSE[ex["id"]][1]
        said = (ex["error"] or "") + "\n".join(c["message"] for c in ex["checks"])
        assert words in said, (ex["id"], said[:500])
        assert 0 <= ex["score"] < ex["max_score"]
        assert all(len(c["output"]) < 70_000 for c in ex["checks"])
    assert len(proc.stdout) < 2_000_000


def test_known_pytorch_errors_are_explained(grade_hostile):
    body = (
        "    inputs, targets = batch\n    optimizer.zero_grad()\n    out = torch.relu_(model(inputs))\n    out.mul_(2)\n"
        "    loss = criterion(out, targets)\n    loss.backward()\n    optimizer.step()\n    return loss.item()"
    )
    result, _ = grade_train_step(grade_hostile, body)
    assert "overwrote a tensor that backward() still needed" in check(result, "train_step_returns_loss").message


STEAL = """
    import gc
    for o in gc.get_objects():
        if type(o).__name__ in ("ExerciseState", "Outcome", "CheckResult", "Runner"):
            outcome = next((out for key, (out, _) in getattr(o, "cache", {}).items() if key[0] == "reference"), None)
            if outcome is not None and "accuracy" in (outcome.value or {}):
                return outcome.value["accuracy"]
            raise RuntimeError(f"found a {type(o).__name__} of the grader")
    raise NotImplementedError("nothing to steal")
"""


def test_learner_code_finds_no_result_of_the_grader_in_its_memory(grade_hostile):
    """A learner child is forked from a process that knew nothing yet (engine/forkserver.py):
    walking the heap finds no reference result, nor any other result the grader holds."""
    text = reference_text("05_training")
    start, end = text.index("def evaluate("), text.index("\ndef fit(")
    result = grade_hostile(
        "05_training", text[:start] + 'def evaluate(model, loader, device="cpu"):' + STEAL + text[end:]
    )
    accuracy = check(result, "evaluate_accuracy")
    assert accuracy.status == "failed" and "not implemented yet" in accuracy.message, accuracy.message
    assert check(result, "train_step_updates_parameters").status == "passed"  # the rest is the reference's


SNOOP = """
    import gc, sys
    frame, found = sys._getframe(), list(gc.get_objects())
    while frame is not None:  # the stack this process was forked from, locals and all
        found += list(frame.f_locals.values())
        frame = frame.f_back
    for o in found:
        for r in o if isinstance(o, list) else [o]:
            if type(r).__name__ == "_Run" and r.results or type(r).__name__ == "_Process" and r.buffer:
                raise RuntimeError(f"found the results of {r.target.display_path if hasattr(r, 'target') else r}")
    raise NotImplementedError("nothing found")
"""


def test_learner_code_finds_no_other_submission_s_results(course_copy, tmp_path):
    """Graded after another submission in the same session (as grade batch does), nothing of its
    results is left in the memory the learner's code was forked with."""
    text = reference_text("05_training")
    start, end = text.index("def evaluate("), text.index("\ndef fit(")
    first, second = tmp_path / "a" / "05_training", tmp_path / "b" / "05_training"
    for folder, module in (
        (first, text),
        (second, text[:start] + "def evaluate(model, loader, device='cpu'):" + SNOOP + text[end:]),
    ):
        folder.mkdir(parents=True)
        (folder / "training.py").write_text(module)
    targets = [course.resolve(str(f), course_copy) for f in (first, second)]
    report = session.grade(targets, session.Options(device="cpu", jobs=1))
    assert report.exercises[0].score == 100
    accuracy = check(report.exercises[1], "evaluate_accuracy")
    assert accuracy.status == "failed" and "not implemented yet" in accuracy.message, accuracy.message
