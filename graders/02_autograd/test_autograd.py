"""Checks for exercise 02_autograd.

Scenarios build their inputs, models and callables from fixed seeds inside the sandbox
child, so learner and reference see identical data; they record what the learner's code
did to the tensors and models it was handed (x before and after, requires_grad, .grad,
training mode, grad mode during forward passes, where returned gradients lie in memory)
as plain data, and every comparison is made in the checks. The reference runs every
scenario in one child (``REFERENCE``), the learner's code one child per scenario.

A check on a property of a function (x left alone, the model's mode, no graph built,
backward consistent with forward) is judged once that function's results are right:
code that does nothing has most of these properties.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from torchgrade.kit import (
    AutogradTrace,
    ForwardProbe,
    ReferenceBatch,
    check,
    describe,
    expect_float,
    expect_mode,
    expect_tensor,
    fail,
    generator,
    labelled,
    name_differences,
    randn,
    same_memory,
    seed,
    storage_address,
)

# PyTorch errors a learner's code is likely to hit here, and what to do about each
KNOWN_ERRORS = [
    (
        "does not require grad and does not have a grad_fn",
        "Autograd only differentiates through tensors that track gradients: make the input a tensor with "
        "requires_grad=True (or call .requires_grad_() on a detached copy) before computing with it, and not under torch.no_grad().",
    ),
    (
        "One of the differentiated Tensors does not require grad",
        "A frozen parameter (requires_grad=False) has no gradient: differentiate only the parameters with p.requires_grad, and leave the others out of the dicts.",
    ),
    (
        "Trying to backward through the graph a second time",
        "Each backward() frees its graph: compute the loss afresh (a new forward pass) for every batch before calling backward().",
    ),
    (
        "a leaf Variable that requires grad is being used in an in-place operation",
        "Do not change a tensor that requires grad in place; compute a new tensor instead (x * s rather than x.mul_(s)).",
    ),
]


# --------------------------------------------------------------------------- cubic_and_grad

POINTS = [2.0, -1.0, 0.0, 0.5, -3.25, 1.7, -4 / 3]


def cubic(m, device) -> dict:
    """What cubic_and_grad returned at each point, and what autograd computed during each call."""
    values, autograd = [], []
    for x in POINTS:
        with AutogradTrace() as trace:
            values.append(m.cubic_and_grad(x))
        autograd.append(trace.record())
    return {"values": values, "autograd": autograd}


def _pair(value: Any, x: float) -> tuple[Any, Any]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        fail(
            f"cubic_and_grad({x}) returned {describe(value)}, expected a pair (y, dy/dx).",
            "Return a tuple: return y, dy_dx.",
        )
    return value[0], value[1]


def _number(v: Any) -> Any:
    return float(v) if isinstance(v, torch.Tensor) and v.numel() == 1 else v


@check(10, "cubic_and_grad: y and dy/dx match at several points, dy/dx computed by autograd")
def test_cubic_and_grad_values(run):
    got, want = REFERENCE.both(run, cubic)
    for x, g, w in zip(POINTS, got["values"], want["values"], strict=True):
        y, dy = _pair(g, x)
        y, dy = _number(y), _number(dy)
        expect_float(
            y,
            w[0],
            f"y = x**3 + 2*x**2 at x = {x}",
            rtol=1e-5,
            atol=1e-5,
            hint=_precision(y, w[0]) or "Compute y from a tensor holding x: y = t**3 + 2 * t**2.",
        )
        expect_float(
            dy,
            w[1],
            f"dy/dx at x = {x}",
            rtol=1e-5,
            atol=1e-5,
            hint=_precision(dy, w[1])
            or "Make x a tensor with requires_grad=True, compute y from it, call y.backward(), and read the tensor's .grad (it holds 3x² + 4x).",
        )
    for x, trace in zip(POINTS, got["autograd"], strict=True):
        if not trace["backward_ops"] and not trace["forward_ad_ops"]:
            fail(
                f"cubic_and_grad({x}) returned the right dy/dx, but autograd did not compute it: no backward pass (and "
                "no forward-mode differentiation) of autograd ran during the call.",
                "The task is to let autograd differentiate, not to write the derivative 3x² + 4x yourself: make x a tensor "
                "with requires_grad=True, compute y from it, call y.backward() and return the tensor's .grad.item() (or "
                "take torch.autograd.grad(y, t), or torch.func.grad of the function).",
            )


def _precision(got: Any, want: float) -> str | None:
    """A hint about the dtype when ``got`` is close to ``want``, but only to the precision of a half-precision float."""
    if isinstance(got, bool) or not isinstance(got, (int, float)) or not math.isfinite(got) or want == 0:
        return None
    rel = abs(got - want) / abs(want)
    if 1e-5 < rel < 3e-2:
        return (
            f"The value is close but off by a relative error of {rel:.1e}, far more than float32 rounding: was it "
            "computed in lower precision (float16 or bfloat16)? Use float32 or float64, e.g. "
            "torch.tensor(x, dtype=torch.float64, requires_grad=True)."
        )
    return None


@check(5, "cubic_and_grad: returns Python floats", requires=("cubic_and_grad_values",))
def test_cubic_and_grad_floats(run):
    got = REFERENCE.learner(run, cubic)["values"]
    for x, g in zip(POINTS, got, strict=True):
        y, dy = _pair(g, x)
        for value, what in ((y, "y"), (dy, "dy/dx")):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                fail(
                    f"The {what} returned by cubic_and_grad({x}) is {describe(value)}, not a Python float.",
                    "Turn a one-element tensor into a Python float with .item() (y.item(), t.grad.item()).",
                )


# --------------------------------------------------------------------------- gradient

UNARY = [torch.sin, torch.cos, torch.tanh, torch.sigmoid, lambda t: torch.exp(-t * t), F.softplus, lambda t: t * t]


def random_function(seed: int, shape: tuple[int, ...]):
    """A scalar function of a tensor of ``shape``, composed at random from ``seed``."""
    g = generator(seed)
    n = math.prod(shape)
    a, b, c = (UNARY[i] for i in torch.randint(len(UNARY), (3,), generator=g).tolist())
    w = torch.randn(n, n, generator=g) / math.sqrt(n)
    v = torch.randn(shape, generator=g)

    def f(t: torch.Tensor) -> torch.Tensor:
        mixed = (w.to(t) @ a(t.reshape(-1))).reshape(shape)
        return (b(mixed) * v.to(t)).sum() + (c(t) * t.roll(1)).sum() + (t.exp() * 0.1).mean()

    return f


# (seed, shape, dtype, requires_grad, existing .grad)
GRADIENT_CASES = [
    (0, (5,), torch.float32, False, False),
    (1, (3, 4), torch.float64, False, False),
    (2, (2, 3, 2), torch.float32, False, False),
    (3, (6,), torch.float64, True, False),
    (4, (2, 5), torch.float32, True, True),
    (5, (4,), torch.float64, True, True),
]


def _case_label(seed, shape, dtype, requires_grad, has_grad) -> str:
    state = "with requires_grad=True and an existing .grad" if has_grad else f"with requires_grad={requires_grad}"
    return f"gradient(f, x) for x of shape {shape}, {dtype}, {state}"


def gradients(m, device) -> list[dict]:
    calls = []
    for n, shape, dtype, requires_grad, has_grad in GRADIENT_CASES:
        g = generator(100 + n)
        x = torch.randn(shape, generator=g, dtype=dtype).to(device).requires_grad_(requires_grad)
        if has_grad:
            x.grad = torch.full_like(x, 7.0)
        values, grad_before = x.detach().clone(), None if x.grad is None else x.grad.clone()
        out = m.gradient(random_function(n, shape), x)
        calls.append(
            {
                "grad": out,
                "x": (values, x.detach()),
                "requires_grad": (requires_grad, x.requires_grad),
                "x_grad": (grad_before, x.grad),
                "storage": (storage_address(out), storage_address(x.grad)),  # both alive: equal means x.grad itself
            }
        )
    return calls


def _same_tensor(a: Any, b: torch.Tensor) -> bool:
    return isinstance(a, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b)


@check(10, "gradient: matches autograd's gradient on random functions")
def test_gradient_values(run):
    got, want = REFERENCE.both(run, gradients)
    for case, g, w in zip(GRADIENT_CASES, got, want, strict=True):
        if case[3]:  # inputs that require grad are the next check's business
            continue
        hint = "Differentiate f at a copy of x that requires grad: torch.autograd.grad(f(xc), xc), or f(xc).backward() and xc.grad."
        if g["grad"] is None:
            hint = (
                "A tensor's .grad is None until backward() reaches it: read .grad from the tensor you made with "
                "requires_grad=True and passed to f (your copy), or use torch.autograd.grad, which returns the gradient."
            )
        expect_tensor(g["grad"], w["grad"], _case_label(*case), rtol=1e-5, atol=1e-6, check_dtype=False, hint=hint)


# Returning anything without touching x passes the next check: it is judged once the gradients are right.
@check(5, "gradient: leaves x, its .grad and its requires_grad as they were", requires=("gradient_values",))
def test_gradient_leaves_x_alone(run):
    got, want = REFERENCE.both(run, gradients)
    hint = (
        "Work on a copy that shares nothing with x, xc = x.detach().clone().requires_grad_(), and differentiate "
        "that (torch.autograd.grad(f(xc), xc) returns the gradient without touching any .grad)."
    )
    for case, g in zip(GRADIENT_CASES, got, strict=True):
        label = _case_label(*case)
        if not _same_tensor(g["x"][1], g["x"][0]):
            fail(f"{label} changed the values of x.", hint)
        before, after = g["requires_grad"]
        if before != after:
            fail(f"{label} left x with requires_grad={after}; it was {before} before the call.", hint)
        grad_before, grad_after = g["x_grad"]
        if grad_before is None and grad_after is not None:
            fail(f"{label} left a gradient in x.grad, which was None before the call.", hint)
        if grad_before is not None and not _same_tensor(grad_after, grad_before):
            change = "set it to None" if grad_after is None else "changed it (backward() adds into an existing .grad)"
            fail(f"x.grad held a gradient before the call, and {label} {change}.", hint)
        if same_memory(*g["storage"]):
            fail(f"{label} returned x.grad itself.", hint)
    for case, g, w in zip(GRADIENT_CASES, got, want, strict=True):
        if case[3]:
            expect_tensor(
                g["grad"],
                w["grad"],
                _case_label(*case),
                rtol=1e-5,
                atol=1e-6,
                check_dtype=False,
                hint="The gradient must not depend on x.requires_grad or on what x.grad held. " + hint,
            )


# --------------------------------------------------------------------------- batch_gradients

FROZEN = "0.bias"
FROZEN_NOTE = {FROZEN: "(a frozen parameter: requires_grad=False)"}


def make_model(device: str) -> nn.Module:
    torch.manual_seed(seed(0))  # identical weights for learner and reference
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Tanh(), nn.Linear(6, 3)).to(device)
    model.get_parameter(FROZEN).requires_grad_(False)
    return model


def make_batches(device: str) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = generator(7)  # one generator: three batches that differ
    return [tuple(t.to(device) for t in labelled(n, g, features=4)) for n in (5, 6, 4)]


def loss_fn(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Not plain cross-entropy: a learner must call the loss_fn it is given."""
    return F.cross_entropy(outputs, targets) + 0.1 * outputs.pow(2).mean()


def batch_grads(m, device) -> dict:
    """batch_gradients on a model handed over in training mode, then on one in evaluation mode."""
    return {_mode(training): _batch_grads(m, device, training) for training in (True, False)}


def _batch_grads(m, device, training: bool) -> dict:
    model = make_model(device)
    model.train(training)
    probe = ForwardProbe(model)
    loss_calls = []

    def given_loss_fn(outputs, targets):  # loss_fn, counting its calls
        loss_calls.append(1)
        return loss_fn(outputs, targets)

    grads = m.batch_gradients(model, given_loss_fn, make_batches(device))
    addresses = None  # where each returned gradient lies in memory, taken while all are alive
    if isinstance(grads, (list, tuple)) and all(isinstance(d, dict) for d in grads):
        addresses = [{name: storage_address(t) for name, t in d.items()} for d in grads]
    return {
        "grads": grads,
        "training": probe.field("training"),
        "loss_calls": len(loss_calls),
        "addresses": addresses,
        "param_grads": {name: storage_address(p.grad) for name, p in model.named_parameters()},
    }


def _aliasing(got: dict) -> tuple[list, list]:
    """(names whose tensor one batch's dict shares with a later batch's, (batch, name) whose tensor is the
    model's own .grad), from the addresses the scenario recorded."""
    shared, own_grad = [], []
    addresses = got["addresses"] or []
    for i, d in enumerate(addresses):
        for name, address in d.items():
            if any(same_memory(address, later.get(name)) for later in addresses[i + 1 :]):
                shared.append(name)
            if same_memory(address, got["param_grads"].get(name)):
                own_grad.append((i, name))
    return shared, own_grad


STORED_GRAD = (
    "you stored the .grad tensors themselves, which the later batches overwrote in place. Store a copy, "
    "p.grad.clone() (or use torch.autograd.grad)."
)


def _dicts(got: Any, n: int) -> list[dict]:
    if not isinstance(got, (list, tuple)):
        fail(
            f"batch_gradients returned {describe(got)}, expected a list with one dict per batch.",
            "Collect one {name: gradient} dict per batch in a list and return the list.",
        )
    if len(got) != n:
        fail(
            f"batch_gradients returned {len(got)} item{'s' if len(got) != 1 else ''} for {n} batches; expected one dict per batch."
        )
    for i, d in enumerate(got):
        if not isinstance(d, dict):
            fail(f"Item {i} of the list batch_gradients returned is {describe(d)}, not a dict of gradients by name.")
    return list(got)


def _mode(training: bool) -> str:
    return "training" if training else "evaluation"


def mode(results: tuple[dict, dict], training: bool) -> tuple[dict, dict]:
    return results[0][_mode(training)], results[1][_mode(training)]


@check(5, "batch_gradients: one dict per batch, keyed by the names of the parameters that require grad")
def test_batch_gradients_names(run):
    got, want = mode(REFERENCE.both(run, batch_grads), True)
    dicts = _dicts(got["grads"], len(want["grads"]))
    names = list(want["grads"][0])
    for i, d in enumerate(dicts):
        keys = list(d)
        if sorted(map(str, keys)) == sorted(names):
            continue
        parts = name_differences(keys, names, notes=FROZEN_NOTE)
        hint = (
            "Key each gradient by the name model.named_parameters() gives its parameter, for the parameters with "
            "requires_grad=True only."
        )
        if FROZEN in keys:
            hint = (
                "Leave out parameters whose requires_grad is False (they have no gradient), and key each gradient by its "
                "own parameter's name: filter names and parameters together "
                "(for name, p in model.named_parameters(): if p.requires_grad: ...)."
            )
        fail(f"The dict for batch {i + 1} has the wrong keys: {'; '.join(parts)}. Expected {names}.", hint)


@check(8, "batch_gradients: the first batch's gradients match the reference")
def test_batch_gradients_first_batch(run):
    for training in (True, False):
        got, want = mode(REFERENCE.both(run, batch_grads), training)
        dicts = _dicts(got["grads"], len(want["grads"]))
        hint = (
            "Differentiate loss_fn(model(inputs), targets) (the loss_fn you are given) with respect to every "
            "parameter that requires grad, with the model in the mode it was handed over in."
        )
        shared = _aliasing(got)[0]
        if shared:
            hint = f"The dicts of different batches hold the same tensor for {shared[0]!r}: {STORED_GRAD}"
        elif not got["loss_calls"]:
            hint = (
                "batch_gradients never called the loss_fn it was given, so it differentiated another loss: compute "
                "loss_fn(model(inputs), targets) for each batch, whatever loss function the caller passes in."
            )
        expect_grads(
            dicts[0],
            want["grads"][0],
            f"For the first batch, with the model handed over in {_mode(training)} mode",
            hint,
        )


def _close(a: Any, b: torch.Tensor) -> bool:
    return (
        isinstance(a, torch.Tensor)
        and a.shape == b.shape
        and bool(torch.allclose(a.double(), b.double(), rtol=1e-4, atol=1e-6))
    )


@check(8, "batch_gradients: nothing accumulates across batches")
def test_batch_gradients_no_accumulation(run):
    got, want = mode(REFERENCE.both(run, batch_grads), True)
    dicts, ref = _dicts(got["grads"], len(want["grads"])), want["grads"]
    hint = "Each dict must hold the gradients of its own batch only."
    running = {k: torch.zeros_like(v) for k, v in ref[0].items()}
    for i, d in enumerate(dicts):
        for k in running:
            running[k] = running[k] + ref[i][k]
        if i and all(_close(d.get(k), running[k]) for k in running):
            batches = "1 and 2" if i == 1 else f"1 to {i + 1}"
            hint = (
                f"The gradients for batch {i + 1} are those of batches {batches} added together: backward() adds into .grad. "
                "Clear the gradients before each batch (model.zero_grad()), or use torch.autograd.grad, which returns them instead."
            )
            break
    last = ref[-1]
    if len(dicts) > 1 and all(_close(d.get(k), last[k]) for d in dicts[:-1] for k in last):
        hint = f"Every dict holds the last batch's gradients: {STORED_GRAD}"
    for i, (d, w) in enumerate(zip(dicts, ref, strict=True)):
        expect_grads(d, w, f"For batch {i + 1} of {len(ref)}", hint=hint)


def expect_grads(got: dict, want: dict, where: str, hint: str) -> None:
    """One batch's {name: gradient} dict: the reference's names, then each gradient's values."""
    parts = name_differences(got, want, notes=FROZEN_NOTE)
    if parts:
        fail(f"{where}, the dict of gradients has the wrong keys: {'; '.join(parts)}. Expected {list(want)}.", hint)
    for name, expected in want.items():
        expect_tensor(got[name], expected, f"{where}, the gradient of `{name}`", rtol=1e-4, atol=1e-6, hint=hint)


# Fresh tensors of any value pass the next check: it is judged once the gradients are right.
@check(7, "batch_gradients: each batch's gradients are tensors of their own", requires=("batch_gradients_first_batch",))
def test_batch_gradients_own_tensors(run):
    got = REFERENCE.learner(run, batch_grads)["training"]
    _dicts(got["grads"], 3)
    shared, own_grad = _aliasing(got)
    if shared:
        fail(
            f"The dicts of different batches hold the same tensor for {shared[0]!r}: the later batches overwrote it, "
            "so an earlier batch's gradient is gone.",
            "Clearing .grad in place (p.grad.zero_(), model.zero_grad(set_to_none=False)) keeps the same tensor, and every "
            "backward() writes into it. Store a copy of each gradient, p.grad.clone() after backward(), or use "
            "torch.autograd.grad, which returns new tensors.",
        )
    if own_grad:
        i, name = own_grad[0]
        hint = (
            "Store a copy of each gradient, p.grad.clone() after backward(), or use torch.autograd.grad, which returns "
            "new tensors and never touches .grad."
        )
        if all(j == len(got["grads"]) - 1 for j, _ in own_grad):
            hint = (
                "Setting .grad to None between batches (model.zero_grad(), whose default is set_to_none=True, or "
                "p.grad = None) makes backward() create a new .grad tensor, so the earlier batches kept tensors of their "
                "own, but the last batch's dict still holds the model's .grad, which the caller's next backward() adds "
                "into. " + hint
            )
        fail(
            f"The gradient returned for {name!r} in batch {i + 1} is the model's own {name}.grad tensor: the next "
            "backward() or zero_grad() by whoever uses the model would change it.",
            hint,
        )


# Any forward pass in the mode given passes the next check: it is judged once the dicts are keyed right.
@check(4, "batch_gradients: uses the model in the mode it was handed over in", requires=("batch_gradients_names",))
def test_batch_gradients_mode(run):
    for training in (False, True):
        modes = REFERENCE.learner(run, batch_grads)[_mode(training)]["training"]
        expect_mode(
            modes,
            training,
            f"The model was handed over in {_mode(training)} mode, but batch_gradients ran forward passes in {_mode(not training)} mode.",
            "Use the model as it was handed over: do not call model.train() or model.eval() in batch_gradients "
            "(dropout and batch norm change the gradients).",
            never="batch_gradients never ran a forward pass of the model.",
        )


# --------------------------------------------------------------------------- predict


def prediction(m, device) -> dict:
    torch.manual_seed(seed(0))
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2)).to(device)
    with torch.no_grad():  # running statistics far from a batch's own, so the two modes differ clearly
        model[1].running_mean.fill_(0.5)
        model[1].running_var.fill_(2.0)
    model.train()  # handed over in training mode: predict must switch it
    probe = ForwardProbe(model)
    x = randn(6, 4, seed=8, device=device)
    out = m.predict(model, x)
    result = {
        "out": out,
        "requires_grad": getattr(out, "requires_grad", None),
        "training": probe.field("training"),
        "grad": probe.field("grad_enabled"),
        "grad_enabled_after": torch.is_grad_enabled(),
    }
    torch.set_grad_enabled(True)
    model.eval()  # handed over in evaluation mode this time: it must come back in evaluation mode
    m.predict(model, x)
    result["training_after_eval"] = model.training
    return result


@check(5, "predict: output matches the reference")
def test_predict_output(run):
    got, want = REFERENCE.both(run, prediction)
    hint = "Put the model in evaluation mode with model.eval() before the forward pass, then return model(x)."
    if got["training"] and any(got["training"]):
        hint = (
            "The model was in training mode during predict's forward pass (it was handed over in training mode), so "
            "dropout zeroed random units and batch norm used the batch's own statistics: call model.eval() before "
            "the forward pass."
        )
    expect_tensor(got["out"], want["out"], "The output of predict", hint=hint)


# Returning x, or nothing, passes the next two checks: they are judged once the output is right.
@check(5, "predict: the model is in evaluation mode during the forward pass", requires=("predict_output",))
def test_predict_eval_mode(run):
    got = REFERENCE.learner(run, prediction)
    expect_mode(
        got["training"],
        False,
        "The model was in training mode during predict's forward pass (it was handed over in training mode), "
        "so dropout was active and batch norm used batch statistics.",
        "Call model.eval() before the forward pass.",
        never="predict never ran a forward pass of the model.",
    )
    if got["training_after_eval"]:
        fail(
            "The model was handed over in evaluation mode, and predict left it in training mode: whoever called predict "
            "now gets dropout and batch-statistics batch norm they never asked for.",
            "Do not call model.train() unconditionally afterwards: either leave the model in evaluation mode, or remember "
            "its mode first (was_training = model.training) and restore it with model.train(was_training).",
        )


@check(6, "predict: no gradient tracking during the forward pass", requires=("predict_output",))
def test_predict_no_grad(run):
    got = REFERENCE.learner(run, prediction)
    hint = "Run the forward pass inside `with torch.no_grad():` (or torch.inference_mode())."
    if any(got["grad"]):
        after = (
            " Calling .detach() on the output afterwards does not help: the graph was already built."
            if got["requires_grad"] is False
            else " The output you returned is attached to that graph (requires_grad=True)."
        )
        fail(
            f"Gradient tracking was on during predict's forward pass, so autograd recorded a graph for nothing.{after}",
            hint,
        )
    if got["requires_grad"]:
        fail("predict's output has requires_grad=True: it is attached to an autograd graph.", hint)
    if not got["grad_enabled_after"]:
        fail(
            "Gradient tracking was still off after predict returned, so every later computation in the program (training "
            "included) silently builds no graph.",
            "Use `with torch.no_grad():` (or torch.inference_mode()), which restores gradient tracking when the block ends, "
            "rather than torch.set_grad_enabled(False) on its own.",
        )


# --------------------------------------------------------------------------- Swish


def swish_forward(m, device) -> list:
    g = generator(9)
    xs = [
        torch.linspace(-6, 6, 13),
        torch.randn(3, 4, generator=g) * 3,
        torch.randn(5, generator=g, dtype=torch.float64),
    ]
    return [m.Swish.apply(x.to(device)) for x in xs]


FORWARD_LABELS = [
    "Swish.apply(x) for x = linspace(-6, 6, 13)",
    "Swish.apply(x) for x of shape (3, 4)",
    "Swish.apply(x) for x of shape (5,), float64",
]


def swish_backward(m, device) -> dict:
    g = generator(10)
    cases = []
    for shape, dtype in (((13,), torch.float64), ((3, 4), torch.float32), ((6,), torch.float64)):
        x = (torch.randn(shape, generator=g, dtype=dtype) * 3).to(device)
        if shape == (13,):
            x = torch.linspace(-6, 6, 13, dtype=dtype, device=device)
        upstream = torch.randn(shape, generator=g, dtype=dtype).to(device)
        leaf = x.clone().requires_grad_(True)
        with AutogradTrace() as trace:  # what autograd ran for Swish.apply and its backward
            m.Swish.apply(leaf).backward(upstream)
        cases.append({"x": x, "upstream": upstream, "grad": leaf.grad, "autograd": trace.record()})
    return {"cases": cases}


EPS = 1e-6  # torch.autograd.gradcheck's defaults: step, and how close backward must come
GRADCHECK_ATOL, GRADCHECK_RTOL = 1e-5, 1e-3


def swish_slopes(m, device) -> dict:
    """What torch.autograd.gradcheck looks at, for float64 x of shape (7,): backward's gradient for
    each one-hot grad_output (the Jacobian, row by row), and forward at x ± EPS along each axis
    (its slopes, by finite differences). The check compares them."""
    x = torch.randn(7, generator=generator(11), dtype=torch.float64).to(device)
    rows = []
    for i in range(x.numel()):
        leaf = x.clone().requires_grad_(True)
        m.Swish.apply(leaf).backward(torch.zeros_like(x).index_fill_(0, torch.tensor([i], device=device), 1.0))
        rows.append(leaf.grad)
    plus, minus = [], []
    with torch.no_grad():
        for j in range(x.numel()):
            step = torch.zeros_like(x).index_fill_(0, torch.tensor([j], device=device), EPS)
            plus.append(m.Swish.apply(x + step))
            minus.append(m.Swish.apply(x - step))
    return {"x": x, "rows": rows, "plus": plus, "minus": minus}


@check(5, "Swish: forward computes x * sigmoid(x)")
def test_swish_forward(run):
    got, want = REFERENCE.both(run, swish_forward)
    for label, g, w in zip(FORWARD_LABELS, got, want, strict=True):
        expect_tensor(g, w, label, hint="forward returns x * torch.sigmoid(x), in x's dtype.")


@check(7, "Swish: backward gives grad_output times the derivative of x * sigmoid(x)")
def test_swish_backward(run):
    got, want = REFERENCE.both(run, swish_backward)
    for g, w in zip(got["cases"], want["cases"], strict=True):
        x, up = w["x"], w["upstream"]
        s = torch.sigmoid(x)
        hint = (
            "d/dx[x·s] = s + x·s·(1 − s) with s = sigmoid(x); backward returns grad_output times that (the chain rule)."
        )
        mine = g["grad"]
        if isinstance(mine, torch.Tensor) and mine.shape == x.shape:
            if _close(mine, up * s):
                hint = (
                    "You returned grad_output * sigmoid(x), as if x were a constant factor: x · sigmoid(x) is a product of two "
                    "functions of x, so by the product rule its derivative is s + x·s·(1 − s) with s = sigmoid(x)."
                )
            elif _close(mine, s + x * s * (1 - s)) or _close(mine, s * (1 + x * (1 - s))):
                hint = "The derivative is right but not multiplied by grad_output: backward must return grad_output * (s + x·s·(1 − s)) (the chain rule)."
        label = f"x.grad after Swish.apply(x).backward(grad_output) for x of shape {tuple(x.shape)}, {x.dtype}"
        if mine is None:
            fail(
                f"{label} is None: no gradient reached x.",
                "backward must return a tensor: grad_output * (s + x·s·(1 − s)).",
            )
        expect_tensor(mine, w["grad"], label, rtol=1e-5, atol=1e-6, hint=hint)


# A backward that returns grad_output alone calls no autograd either: whether backward is written by
# hand is judged once its gradients are right.
@check(5, "Swish: backward is written by hand (it calls no autograd)", requires=("swish_backward",))
def test_swish_backward_by_hand(run):
    got = REFERENCE.learner(run, swish_backward)
    for case in got["cases"]:
        trace, x = case["autograd"], case["x"]
        # Swish.apply(x).backward(grad_output) is one backward pass; one more means autograd differentiated
        # something itself inside Swish's forward or backward.
        extra = trace["backward_passes"] - 1
        if extra > 0 or trace["forward_ad_ops"]:
            how = (
                f"{extra} backward pass{'es' if extra > 1 else ''} of its own"
                if extra > 0
                else "forward-mode differentiation"
            )
            fail(
                f"During Swish.apply(x).backward(grad_output) for x of shape {tuple(x.shape)}, autograd ran {how} inside "
                "Swish, besides the backward pass that call starts: the gradients are right, but autograd computed the "
                "derivative of x * sigmoid(x), not your backward.",
                "Write backward by hand, with no torch.autograd.grad, .backward() or torch.func inside Swish: read x from "
                "ctx.saved_tensors, s = torch.sigmoid(x), and return grad_output * (s + x * s * (1 - s)).",
            )


def _float_tensor(value: Any, shape: tuple[int, ...]) -> bool:
    return isinstance(value, torch.Tensor) and tuple(value.shape) == shape and value.is_floating_point()


# An identity forward with a backward that returns grad_output agrees with itself: whether backward
# matches forward is judged once forward is right.
@check(
    5,
    "Swish: backward matches forward's slope in float64 (as torch.autograd.gradcheck checks)",
    requires=("swish_forward",),
)
def test_swish_gradcheck(run):
    got = REFERENCE.learner(run, swish_slopes)
    x, n = got["x"], got["x"].numel()
    hint = (
        "Check the derivative: d/dx[x·sigmoid(x)] = s + x·s·(1 − s) with s = sigmoid(x), multiplied by grad_output; "
        "compute it in the dtype of x (no .float())."
    )
    label = "Swish.apply(x).backward(grad_output) for float64 x of shape (7,)"
    for grad in got["rows"]:
        if not _float_tensor(grad, (n,)):
            fail(f"After {label}, x.grad is {describe(grad)}, expected a float tensor of shape ({n},).", hint)
    for out in got["plus"] + got["minus"]:
        if not _float_tensor(out, (n,)):
            fail(
                f"Swish.apply(x) for float64 x of shape ({n},) returned {describe(out)}, expected a float tensor of shape ({n},)."
            )
    analytical = torch.stack(got["rows"]).double()  # [i, j]: d out[i] / d x[j], from backward
    numerical = ((torch.stack(got["plus"]).double() - torch.stack(got["minus"]).double()) / (2 * EPS)).T
    bad = (analytical - numerical).abs() > GRADCHECK_ATOL + GRADCHECK_RTOL * numerical.abs()
    if bool(bad.any()):
        i, j = (int(k) for k in bad.nonzero()[0])
        which = f"at x = {float(x[j]):.4g}" if i == j else f"of output {i} with respect to x[{j}] = {float(x[j]):.4g}"
        fail(
            "The gradcheck failed (float64 inputs, as torch.autograd.gradcheck runs it): the gradient your backward "
            "returns does not match the slope of your forward measured by finite differences. The derivative "
            f"{which} is {float(analytical[i, j]):.6g} by your backward and {float(numerical[i, j]):.6g} by finite "
            "differences, so your backward is not the derivative of x·sigmoid(x).",
            hint,
        )


# --------------------------------------------------------------------------- the reference's side, all at once

REFERENCE = ReferenceBatch(
    [(cubic, ()), (gradients, ()), (batch_grads, ()), (prediction, ()), (swish_forward, ()), (swish_backward, ())],
    known=KNOWN_ERRORS,
)
