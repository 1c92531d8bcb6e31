"""Checks for exercise 07_debugging.

Scenarios (plain functions of ``(module, device, ...)``) run in sandbox children on the
learner's and on the reference's module, with the same seeds and the same weights; the
``test_*`` checks compare what came back.

The models register their submodules in an order (``head``, ``body``, ``aux``) that differs
from the alphabetical one, so that "registration order" and "sorted" give different lists,
and some parameters have no gradient (``aux`` is unused by the forward pass, ``body.bias``
is frozen), while ``head.weight`` is frozen after backward() and keeps its gradient: only
``.grad is None`` decides what is left out.

None of the functions may change the gradients they read: every scenario returns a copy of
the gradients taken before the call and one taken after it, and the check compares them
(NaN and Inf compare equal to themselves). op_counts is also handed over a model in
evaluation mode, and gradient tracking must be on again when it returns.

Scenarios only observe: they return raw values, exceptions (their classes and messages),
modes and gradient copies; every comparison happens in the checks. A property that code
doing nothing also has pays only once the function does its job: the values and types of
grad_norms wait for its names (``requires=``), check_finite's message and quiet return for
its NaN and Inf checks, op_counts' mode and grad-mode checks for its counts, and
``gradients_unchanged`` judges only the functions whose main checks pass
(``torchgrade.kit.working``).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from torchgrade.kit import (
    ForwardProbe,
    check,
    describe,
    expect_mode,
    fail,
    generator,
    grad_differences,
    grad_snapshot,
    labelled,
    name_differences,
    randn,
    seed,
    working,
)

# --------------------------------------------------------------------------- shared setup


class Net(nn.Module):
    """head is registered before body before aux; aux is never used in forward."""

    def __init__(self):
        super().__init__()
        self.head = nn.Linear(8, 3)
        self.body = nn.Linear(6, 8)
        self.aux = nn.Linear(6, 2)

    def forward(self, x):
        return self.head(torch.relu(self.body(x)))


def make_net(device: str) -> Net:
    torch.manual_seed(seed(0))  # identical weights for learner and reference
    return Net().to(device)


def _names(values) -> str:
    return ", ".join(map(str, values))


def outcome(fn, *args) -> dict:
    """Call learner code and record how it ended, as raw data for the check to judge.

    ``{"returned": value, "raised": None}``, or ``{"raised": "ValueError", "classes": the
    qualified names of the exception's classes, "message": str(exc)}``. NotImplementedError
    passes through, so that an unfinished function reads "not implemented yet".
    """
    try:
        return {"returned": fn(*args), "raised": None}
    except NotImplementedError:
        raise
    except Exception as exc:  # learner code may raise anything: the check explains it
        classes = [f"{c.__module__}.{c.__qualname__}" for c in type(exc).__mro__]
        return {"raised": type(exc).__name__, "classes": classes, "message": str(exc)}


def _fpe(rec: dict) -> bool:
    """Whether the recorded exception is a FloatingPointError (or a subclass of it)."""
    return "builtins.FloatingPointError" in rec.get("classes", [])


def _raised(rec: dict) -> str:
    """'ValueError: loss is nan.' (with a final period unless the message has one)."""
    text = f"{rec['raised']}: {rec['message']}" if rec["message"] else rec["raised"]
    return text if text.endswith((".", "!", "?")) else text + "."


# --------------------------------------------------------------------------- grad_norms


def norms(m, device):
    model = make_net(device)
    model.body.bias.requires_grad_(False)  # frozen: its .grad stays None
    x, y = (t.to(device) for t in labelled(16, seed=1))
    nn.functional.cross_entropy(model(x), y).backward()  # aux is unused: its .grad stays None
    model.head.weight.requires_grad_(False)  # frozen after backward(): it keeps its .grad, so it has a norm
    none = [n for n, p in model.named_parameters() if p.grad is None]
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    weight_norms = {n: p.detach().norm().item() for n, p in model.named_parameters()}
    before = grad_snapshot(model)
    result = m.grad_norms(model)
    return {
        "norms": result,
        "none": none,
        "frozen": frozen,
        "weight_norms": weight_norms,
        "grads_before": before,
        "grads_after": grad_snapshot(model),
    }


def _norms_dict(got: dict) -> dict:
    result = got["norms"]
    if not isinstance(result, dict):
        fail(
            f"grad_norms returned {describe(result)}, expected a dict of parameter name → float.",
            "Build {name: p.grad.norm().item() for name, p in model.named_parameters() if p.grad is not None}.",
        )
    return result


@check(10, "grad_norms: one entry per parameter that has a gradient, by name")
def test_grad_norms_names(run):
    got, want = run(norms)
    result = _norms_dict(got)
    if not result and want["norms"]:
        fail(
            f"grad_norms returned an empty dict; {len(want['norms'])} parameters of this model have a gradient.",
            "Build {name: p.grad.norm().item() for name, p in model.named_parameters() if p.grad is not None}.",
        )
    extra = [k for k in result if k not in want["norms"]]
    missing = [k for k in want["norms"] if k not in result]
    none_extra = [k for k in extra if k in got["none"]]
    if none_extra:
        fail(
            f"grad_norms included {_names(none_extra)}, whose .grad is None (an unused or frozen parameter).",
            "Leave out parameters whose .grad is None rather than reporting 0.0: skip them with `if p.grad is not None`.",
        )
    frozen_missing = [k for k in missing if k in got["frozen"]]
    if frozen_missing:
        fail(
            f"grad_norms left out {_names(frozen_missing)}, which is frozen (requires_grad=False) but still has a .grad.",
            "Leave out only the parameters whose .grad is None (`if p.grad is not None`), not those with requires_grad=False: "
            "a parameter frozen after backward() keeps its gradient, and its norm is worth seeing.",
        )
    if extra or missing:
        hint = "Key the result by the names model.named_parameters() gives ('head.weight', ...), one per parameter with a gradient."
        if missing and not extra and all(k.endswith("bias") for k in missing):
            hint = (
                "The biases have gradients too: include every parameter whose .grad is not None, weights and biases alike "
                "(for name, p in model.named_parameters())."
            )
        fail(f"grad_norms has the wrong names: {'; '.join(name_differences(result, want['norms']))}.", hint)


@check(10, "grad_norms: each value is the L2 norm of the parameter's gradient", requires=("grad_norms_names",))
def test_grad_norms_values(run):
    got, want = run(norms)
    result = _norms_dict(got)
    for name, expected in want["norms"].items():
        value = result[name]  # the names are right: this check requires grad_norms_names
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            fail(f"The norm for {name} is {describe(value)}, not a number.", "Use p.grad.norm().item().")
        if math.isclose(value, expected, rel_tol=1e-5, abs_tol=1e-7):
            continue
        hint = "Take the L2 norm of the whole gradient tensor: p.grad.norm() (or torch.linalg.vector_norm(p.grad))."
        if math.isclose(value, got["weight_norms"][name], rel_tol=1e-5):
            hint = "That is the norm of the parameter itself (p.norm()); take the norm of its gradient, p.grad.norm()."
        elif math.isclose(value, expected**2, rel_tol=1e-4):
            hint = "That is the squared norm: take its square root, or use p.grad.norm()."
        fail(f"The gradient norm of {name} is {value:.6g}, expected {expected:.6g}.", hint)


@check(5, "grad_norms: the values are Python floats", requires=("grad_norms_values",))
def test_grad_norms_floats(run):
    got = run.learner(norms)
    result = _norms_dict(got)
    bad = {k: v for k, v in result.items() if type(v) is not float}
    if bad:
        name, value = next(iter(bad.items()))
        fail(
            f"The value for {name} is {describe(value)}, not a Python float.",
            "Convert each norm with .item() (or float(...)).",
        )


# --------------------------------------------------------------------------- check_finite

NONFINITE = {
    "nan": lambda d: torch.tensor(float("nan"), device=d),
    "nan (with requires_grad=True)": lambda d: (torch.ones(3, device=d, requires_grad=True) * float("nan")).mean(),
    "inf": lambda d: torch.tensor(float("inf"), device=d),
    "-inf": lambda d: torch.tensor(float("-inf"), device=d),
    "inf (float16)": lambda d: torch.tensor(70000.0, device=d).half(),
}
FINITE = {
    "1.5": lambda d: torch.tensor(1.5, device=d),
    "0.0": lambda d: torch.tensor(0.0, device=d),
    "-2.0": lambda d: torch.tensor(-2.0, device=d),
    "1e30": lambda d: torch.tensor(1e30, device=d),
    "-1e30": lambda d: torch.tensor(-1e30, device=d),
    "65504 (float16's largest value)": lambda d: torch.tensor(65504.0, device=d).half(),
    "2.5 (with requires_grad=True)": lambda d: (torch.ones(3, device=d, requires_grad=True) * 2.5).mean(),
}


def finiteness(m, device):
    out = {}
    for name, make in {**NONFINITE, **FINITE}.items():
        out[name] = outcome(m.check_finite, make(device))
    return out


def _expect_raises(got: dict, cases: list[str], kind: str, quiet_hint: str) -> None:
    for case in cases:
        rec = got[case]
        if rec["raised"] is None:
            fail(f"check_finite returned quietly for a loss of {case}.", quiet_hint)
        if not _fpe(rec):
            also = [c for c in FINITE if (got[c]["raised"], got[c].get("message")) == (rec["raised"], rec["message"])]
            hint = (
                f"Raise FloatingPointError, Python's built-in error for a failed floating-point computation (here a {kind} loss), "
                'e.g. raise FloatingPointError(f"loss is {loss.item()}").'
            )
            if also:  # the test itself failed, not a deliberate signal
                hint = (
                    f"Your code raised the same error for the finite loss {also[0]}, so it is the test itself that fails: "
                    "test the tensor with torch.isfinite(loss), which works on any tensor (one that requires grad included), "
                    "and raise FloatingPointError yourself."
                )
            elif "builtins.AssertionError" in rec.get("classes", []):
                hint = (
                    "An assert is the wrong tool for this: Python removes assert statements when it runs with `python -O`, "
                    "so the check would silently vanish, and a failed assert raises AssertionError, which code that "
                    "catches FloatingPointError does not catch. Test with an if and raise the error yourself: "
                    'if not torch.isfinite(loss): raise FloatingPointError(f"loss is {loss.item()}").'
                )
            said = f" ({rec['message']!r})" if rec["message"] else ""
            fail(
                f"For a loss of {case}, check_finite raised {rec['raised']}{said}; the task asks for FloatingPointError.",
                hint,
            )


@check(8, "check_finite: raises FloatingPointError for a NaN loss")
def test_check_finite_nan(run):
    got = run.learner(finiteness)
    _expect_raises(
        got,
        [c for c in NONFINITE if c.startswith("nan")],
        "NaN",
        "NaN compares False with everything, so a test like `loss > threshold` never catches it: test with "
        "torch.isfinite(loss) (or torch.isnan).",
    )


@check(8, "check_finite: raises FloatingPointError for +Inf and -Inf losses")
def test_check_finite_inf(run):
    got = run.learner(finiteness)
    hint = "Test with torch.isfinite(loss): it is False for NaN, +Inf and -Inf alike."
    if got["inf"]["raised"] is not None and got["-inf"]["raised"] is None:
        hint = "-Inf is infinite too: `loss == float('inf')` misses it, torch.isinf(loss) and torch.isfinite(loss) catch both signs."
    _expect_raises(got, [c for c in NONFINITE if "inf" in c], "infinite", hint)


@check(4, "check_finite: the error message says nan or inf", requires=("check_finite_nan", "check_finite_inf"))
def test_check_finite_message(run):
    got = run.learner(finiteness)
    for case in NONFINITE:  # each raised FloatingPointError: this check requires check_finite_nan and _inf
        rec = got[case]
        word = "nan" if case.startswith("nan") else "inf"
        if word not in rec["message"].lower():
            fail(
                f"For a loss of {case}, the error message is {rec['message']!r}, which does not contain {word!r}.",
                "Say which problem it is, e.g. raise FloatingPointError(f\"loss is {loss.item()}\"), which reads 'loss is nan' or 'loss is inf'.",
            )
    nan_msg, inf_msg = got["nan"].get("message", "").lower(), got["inf"].get("message", "").lower()
    if nan_msg and nan_msg == inf_msg:
        fail(
            f"NaN and Inf losses get the same message, {got['nan']['message']!r}, so it does not say which problem it is.",
            'Put the value in the message, e.g. f"loss is {loss.item()}".',
        )


@check(
    8,
    "check_finite: returns None quietly for finite losses, however large",
    requires=("check_finite_nan", "check_finite_inf"),
)
def test_check_finite_quiet(run):
    got = run.learner(finiteness)
    for case in FINITE:
        rec = got[case]
        if rec["raised"] is not None:
            hint = "Raise only when the loss is NaN or infinite: test with torch.isfinite(loss)."
            if case in ("1e30", "-1e30", "65504 (float16's largest value)"):
                hint = "A large loss is still finite and not an error here: test with torch.isfinite(loss) rather than against a threshold."
            fail(f"For the finite loss {case}, check_finite raised {_raised(rec)}", hint)
        if rec["returned"] is not None:
            fail(
                f"check_finite returned {describe(rec['returned'])} for the finite loss {case}; it should return None.",
                "Return nothing when the loss is finite; signal a problem only by raising FloatingPointError.",
            )


# --------------------------------------------------------------------------- nonfinite_grads

BAD = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}

# case -> {parameter name: what its gradient holds}; "none" means .grad is None, missing names get finite gradients
GRAD_CASES = {
    "nan": {"body.weight": "nan"},
    "+inf": {"head.bias": "inf"},
    "-inf": {"body.weight": "-inf"},
    "order": {"head.weight": "nan", "body.bias": "nan", "aux.weight": "nan"},
    "none": {"aux.weight": "none", "aux.bias": "none", "body.bias": "none", "head.bias": "nan"},
    "finite": {"aux.weight": "none", "aux.bias": "none", "head.weight": "big"},
}


def gradients(m, device):
    out = {}
    for case, spec in GRAD_CASES.items():
        model = make_net(device)
        g = generator(2)
        for name, p in model.named_parameters():
            what = spec.get(name, "finite")
            if what == "none":
                p.grad = None
                continue
            p.grad = torch.randn(p.shape, generator=g).to(device)
            if what == "big":
                p.grad *= 1e30  # large but finite
            elif what in BAD:
                p.grad.view(-1)[1] = BAD[what]  # one bad value among finite ones
        before = grad_snapshot(model)
        out[case] = outcome(m.nonfinite_grads, model) | {"grads_before": before, "grads_after": grad_snapshot(model)}
    return out


def _expect_names(run, case: str, missed_hint: str, order_hint: str | None = None) -> None:
    got_all, want_all = run(gradients)
    got, expected = got_all[case], want_all[case]["returned"]
    if got["raised"] is not None:
        hint = (
            "Some parameters have no gradient (.grad is None): skip them with `if p.grad is not None`."
            if "None" in got["message"]
            else None
        )
        fail(f"With {_describe(case)}, nonfinite_grads raised {_raised(got)}", hint)
    names = got["returned"]
    if not isinstance(names, list):
        fail(
            f"nonfinite_grads returned {describe(names)}, expected a list of parameter names.",
            "Return a list: [name for name, p in model.named_parameters() if ...].",
        )
    if names == expected:
        return
    if sorted(names, key=str) == sorted(expected) and order_hint:
        fail(f"nonfinite_grads returned {names}, expected {expected}: the right names in the wrong order.", order_hint)
    missed = [n for n in expected if n not in names]
    hint = (
        missed_hint
        if missed
        else "List only the parameters whose gradient holds a NaN or an Inf (and skip those whose .grad is None)."
    )
    fail(f"With {_describe(case)}, nonfinite_grads returned {names}, expected {expected}.", hint)


def _describe(case: str) -> str:
    """'a NaN in body.weight.grad and every other gradient finite', in words."""
    spec = GRAD_CASES[case]
    absent = [n for n, w in spec.items() if w == "none"]
    parts = [f"no gradient (None) for {_names(absent)}"] if absent else []
    for n, w in spec.items():
        if w in BAD:
            parts.append(f"{'a NaN' if w == 'nan' else 'an Inf' if w == 'inf' else 'a -Inf'} in {n}.grad")
    parts.append("every other gradient finite" + (" (some as large as 1e30)" if "big" in spec.values() else ""))
    return ", ".join(parts[:-1]) + " and " + parts[-1]


@check(6, "nonfinite_grads: finds a NaN gradient")
def test_nonfinite_grads_nan(run):
    _expect_names(
        run,
        "nan",
        "Look at every value of each gradient (torch.isinf does not catch NaN): torch.isfinite(p.grad).all() is False "
        "when any of them is NaN, +Inf or -Inf.",
    )


@check(6, "nonfinite_grads: finds +Inf and -Inf gradients")
def test_nonfinite_grads_inf(run):
    hint = (
        "torch.isnan does not catch Inf: test with torch.isfinite(p.grad).all() (or torch.isnan(...) | torch.isinf(...)), "
        "which catches NaN, +Inf and -Inf."
    )
    _expect_names(run, "+inf", hint)
    _expect_names(
        run,
        "-inf",
        "-Inf is infinite too: a test like `p.grad == float('inf')` finds +Inf only. Use torch.isinf(p.grad).any() "
        "or `not torch.isfinite(p.grad).all()`, which catch both signs (and isfinite catches NaN too).",
    )


@check(5, "nonfinite_grads: names in named_parameters() order")
def test_nonfinite_grads_order(run):
    _expect_names(
        run,
        "order",
        "Check every parameter that has a gradient.",
        order_hint="Keep the order of model.named_parameters() (the order the layers were registered), without sorting.",
    )


@check(5, "nonfinite_grads: skips missing gradients and returns [] when all are finite")
def test_nonfinite_grads_skips_none(run):
    _expect_names(run, "none", "Check every parameter that has a gradient.")
    _expect_names(run, "finite", "Check every parameter that has a gradient.")


# --------------------------------------------------------------------------- op_counts


class Profiled(nn.Module):
    """Batch norm and dropout run different operators in training and evaluation mode;
    the labelled block adds a profiler event that is not an aten:: operator."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 16)
        self.bn = nn.BatchNorm1d(16)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        h = self.drop(torch.relu(self.bn(self.fc1(x))))
        with torch.profiler.record_function("classifier_head"):
            return self.fc2(h)


def profiling(m, device, mode: str = "train"):
    torch.manual_seed(seed(0))
    model = Profiled().to(device)
    model.train(mode == "train")  # handed over in this mode: op_counts must leave it so
    g = generator(4)
    for p in model.parameters():  # gradients from an earlier backward(): op_counts must leave them alone
        p.grad = torch.randn(p.shape, generator=g).to(device)
    probe = ForwardProbe(model)
    x = randn(8, 6, seed=3, device=device)
    before = grad_snapshot(model)
    torch.set_grad_enabled(True)
    counts = m.op_counts(model, x)
    grad_after = torch.is_grad_enabled()
    return {
        "counts": counts,
        "training": probe.field("training"),
        "grad": probe.field("grad_enabled"),
        "after": model.training,
        "grad_after": grad_after,
        "grads_before": before,
        "grads_after": grad_snapshot(model),
    }


@check(10, "op_counts: counts match the profile of one forward pass")
def test_op_counts_counts(run):
    got, want = run(profiling)
    counts, ref = got["counts"], want["counts"]
    if not isinstance(counts, dict):
        fail(
            f"op_counts returned {describe(counts)}, expected a dict of operator name → count.",
            "Return {e.key: e.count for e in prof.key_averages() if e.key.startswith('aten::')}.",
        )
    if not got["training"]:
        fail(
            "The model never ran a forward pass.", "Call model(x) inside the `with torch.profiler.profile(...)` block."
        )
    not_aten = [k for k in counts if not str(k).startswith("aten::")]
    if not_aten:
        fail(
            f"op_counts includes events that are not aten:: operators: {_names(not_aten[:5])}.",
            "Keep only the events whose name starts with 'aten::' (e.g. not labelled blocks from record_function).",
        )
    if counts == ref:
        bad_type = [k for k, v in counts.items() if type(v) is not int]
        if bad_type:
            fail(
                f"The count for {bad_type[0]} is {describe(counts[bad_type[0]])}, not an int.",
                "Use event.count as it is.",
            )
        return
    if not all(got["training"]):
        if got["after"]:
            fail(
                "The counts differ from the profile of the model as it was handed over (in training mode): op_counts "
                "switched it to evaluation mode for the profiled forward pass, where batch norm and dropout run different "
                "operators, and back to training mode afterwards.",
                "Switching the mode back afterwards does not undo the profile that already ran in evaluation mode: do not "
                "call model.eval() at all, profile the model in the mode it is in.",
            )
        fail(
            "The counts differ from the profile of the model as it was handed over (in training mode): the profiled forward "
            "pass ran in evaluation mode, where batch norm and dropout run different operators, and op_counts left the "
            "model in evaluation mode.",
            "Do not call model.eval() (or model.train()): profile the model in the mode it is in, and leave it so.",
        )
    if len(got["training"]) > 1 and all(counts.get(k, 0) == 2 * v for k, v in ref.items()):
        fail(
            f"model(x) ran {len(got['training'])} times, so every operator was counted twice.",
            "Profile exactly one forward pass: one call of model(x) inside the profiler.",
        )
    missing = [k for k in ref if k not in counts]
    extra = [k for k in counts if k not in ref]
    wrong = [k for k in ref if k in counts and counts[k] != ref[k]]
    details = name_differences(counts, ref, most=4) + [f"{k}: yours {counts[k]}, expected {ref[k]}" for k in wrong[:4]]
    hint = "Count every event of prof.key_averages() whose key starts with 'aten::', with its event.count."
    if (missing or wrong) and not extra and all(counts[k] <= ref[k] for k in wrong):
        hint = (
            "Nested operators count too (aten::linear calls aten::addmm, ...): take every aten:: event of prof.key_averages(), "
            "not only the top-level ones."
        )
    fail(f"The operator counts differ from the profile of the same forward pass: {'; '.join(details)}.", hint)


@check(5, "op_counts: leaves the model in the mode it was handed over in", requires=("op_counts_counts",))
def test_op_counts_keeps_mode(run):
    got = run.learner(profiling)
    expect_mode(
        got["training"],
        True,
        "The model was handed over in training mode, but the profiled forward pass ran in evaluation mode.",
        "Do not call model.eval(): op_counts shows what the model runs as it is, in training mode here.",
    )
    if not got["after"]:
        fail(
            "The model was handed over in training mode and was left in evaluation mode.",
            "Do not change the model's mode in op_counts.",
        )
    got = run.learner(profiling, "eval")
    expect_mode(
        got["training"],
        False,
        "The model was handed over in evaluation mode, but the profiled forward pass ran in training mode.",
        "Do not call model.train(): op_counts shows what the model runs in the mode it is in, evaluation mode here.",
    )
    if got["after"]:
        fail(
            "The model was handed over in evaluation mode and was left in training mode.",
            "Do not call model.train() (or model.eval()) in op_counts: the caller decides the model's mode, and an evaluation "
            "that follows would run dropout and update batch-norm statistics.",
        )


@check(5, "op_counts: no gradient tracking during the profiled forward pass", requires=("op_counts_counts",))
def test_op_counts_no_grad(run):
    got = run.learner(profiling)
    if any(got["grad"]):
        fail(
            "Gradient tracking was on during the profiled forward pass, so it built an autograd graph for nothing.",
            "Run the forward pass inside `with torch.no_grad():` (or torch.inference_mode()) as well as the profiler.",
        )
    if not got["grad_after"]:
        fail(
            "Gradient tracking was still off after op_counts returned (torch.is_grad_enabled() is False), so the training "
            "that follows would build no autograd graph and backward() would fail.",
            "Switch it off only for the profiled pass with a `with torch.no_grad():` block, which switches it back on when "
            "the block ends, rather than torch.set_grad_enabled(False).",
        )


# --------------------------------------------------------------------------- all: gradients untouched


@check(5, "grad_norms, nonfinite_grads and op_counts leave the gradients unchanged")
def test_gradients_unchanged(run):
    # Judged for the functions that already work, so that code which does nothing earns nothing here.
    functions = working(
        run,
        {
            "grad_norms": (test_grad_norms_names, test_grad_norms_values),
            "nonfinite_grads": (test_nonfinite_grads_nan, test_nonfinite_grads_inf),
            "op_counts": (test_op_counts_counts,),
        },
    )
    records = []
    if "grad_norms" in functions:
        records.append(("grad_norms", run.learner(norms)))
    if "nonfinite_grads" in functions:
        records += [("nonfinite_grads", rec) for rec in run.learner(gradients).values()]
    if "op_counts" in functions:
        records += [("op_counts", run.learner(profiling)), ("op_counts", run.learner(profiling, "eval"))]
    for fn, rec in records:
        changes = grad_differences(rec["grads_before"], rec["grads_after"])
        if changes:
            what = "; ".join(f"{name}.grad {how}" for name, how in changes[:4]) + ("; ..." if len(changes) > 4 else "")
            fail(
                f"{fn} changed the gradients of the model it was given: {what}.",
                "A debugging tool only reads: do not call zero_grad() or change p.grad in place (nan_to_num_(), clamp_(), "
                "zero_(), ...). Compute on the values instead, e.g. p.grad.norm() or torch.isfinite(p.grad), which return new tensors, "
                "so that the training step that follows sees the same gradients.",
            )
