"""Checks for exercise 03_modules.

Scenarios (plain functions of ``(module, device, ...)``) run in sandbox children on the
learner's and on the reference's module. Models never rely on seeded initialisation: the
weights (and BatchNorm's running statistics) are generated here from a fixed seed, with
the reference's names and shapes, and copied into each side's ``MyModel`` by name.
``count_parameters`` and ``parameter_shapes`` are judged on models built here, so that
they do not depend on ``MyModel``. Scenarios only record (outputs, buffers, gradients,
modes); every comparison is made in the checks.

A check on a property of ``forward`` (dropout off in evaluation mode, batch norm's running
statistics) is judged once forward's training-mode output is right: a forward that
returns its input has most of these properties.
"""

from __future__ import annotations

import torch
from torch import nn

from torchgrade.kit import (
    CheckFailed,
    Foreign,
    check,
    describe,
    describe_type,
    expect_tensor,
    expect_tensors,
    fail,
    generator,
    name_differences,
    randn,
    seed,
    type_name,
)

IN, HIDDEN, OUT, P = 5, 8, 3, 0.25  # MyModel(IN, HIDDEN, OUT, dropout=P); P is not the default 0.3
BATCH = 6
KINDS = {"fc1": "Linear", "bn": "BatchNorm1d", "dropout": "Dropout", "fc2": "Linear"}

# --------------------------------------------------------------------------- shared setup


def reference_weights() -> dict[str, torch.Tensor]:
    """Every parameter and buffer of the reference's MyModel(IN, HIDDEN, OUT), by name, from a fixed seed."""
    g = generator(1234)

    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=g)

    return {
        "fc1.weight": 0.5 * randn(HIDDEN, IN),
        "fc1.bias": 0.1 * randn(HIDDEN),
        "bn.weight": 1 + 0.2 * randn(HIDDEN),
        "bn.bias": 0.1 * randn(HIDDEN),
        "bn.running_mean": 0.2 * randn(HIDDEN),
        "bn.running_var": 0.5 + torch.rand(HIDDEN, generator=g),
        "bn.num_batches_tracked": torch.tensor(7),
        "fc2.weight": 0.5 * randn(OUT, HIDDEN),
        "fc2.bias": 0.1 * randn(OUT),
    }


def make_batch(seed: int) -> torch.Tensor:
    return randn(BATCH, IN, seed=seed)


def _shapes(tensors) -> dict[str, tuple[int, ...]]:
    return {name: tuple(t.shape) for name, t in tensors}


def _naming_problems(mine: dict, want: dict) -> str:
    """'' when the names and shapes agree (order is free), else what differs, in words."""
    shapes = [f"`{k}` has shape {mine[k]}, expected {want[k]}" for k in want if k in mine and mine[k] != want[k]]
    return "; ".join(name_differences(mine, want) + shapes)


def loaded_model(m, device: str) -> nn.Module:
    """MyModel(IN, HIDDEN, OUT, dropout=P) holding the fixed weights. The checks that use it require
    ``state_dict_names``, so its names and shapes are the reference's."""
    model = m.MyModel(IN, HIDDEN, OUT, dropout=P)
    model.load_state_dict(reference_weights())
    return model.to(device)


def _fc2_inputs(model: nn.Module) -> list[torch.Tensor]:
    """What reaches fc2 (the activations after dropout), recorded when fc2 is called as a module."""
    seen: list[torch.Tensor] = []
    fc2 = getattr(model, "fc2", None)
    if isinstance(fc2, nn.Module):
        fc2.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()) if args else None)
    return seen


# --------------------------------------------------------------------------- structure


def _describe(module) -> dict | None:
    if not isinstance(module, nn.Module):
        return None
    info = {
        "class": type(module).__name__,
        "kind": next(
            (
                k
                for k, cls in (("Linear", nn.Linear), ("BatchNorm1d", nn.BatchNorm1d), ("Dropout", nn.Dropout))
                if isinstance(module, cls)
            ),
            None,
        ),
        "n_params": sum(p.numel() for p in module.parameters()),
    }
    if isinstance(module, nn.Linear):
        info["size"] = (module.in_features, module.out_features)
    elif isinstance(module, nn.BatchNorm1d):
        info["size"] = (module.num_features,)
        info["settings"] = {
            "eps": float(module.eps),
            "momentum": None if module.momentum is None else float(module.momentum),
            "affine": bool(module.affine),
            "track_running_stats": bool(module.track_running_stats),
        }
    elif isinstance(module, nn.Dropout):
        info["p"] = float(module.p)
    return info


def structure(m, device):
    model = m.MyModel(IN, HIDDEN, OUT, dropout=P)
    return {
        "children": {name: _describe(child) for name, child in model.named_children()},
        "state": _shapes(model.state_dict().items()),
    }


def dropout_probabilities(m, device):
    chosen, default = m.MyModel(IN, HIDDEN, OUT, dropout=P), m.MyModel(IN, HIDDEN, OUT)
    return [_describe(dict(model.named_children()).get("dropout")) for model in (chosen, default)]


@check(15, "MyModel: submodules fc1, bn, dropout, fc2 with the right types and sizes")
def test_submodules(run):
    got, want = run(structure)
    children, expected = got["children"], want["children"]
    listing = ", ".join(f"`{name}`" for name in children) or "none"
    for name, kind in KINDS.items():
        mine = children.get(name)
        if mine is None:
            fail(
                f"MyModel has no submodule named `{name}` (its submodules are: {listing}).",
                f"Assign the layers as attributes named exactly fc1, bn, dropout and fc2 in __init__ (self.{name} = nn.{kind}(...)); "
                "the names matter because the weights are looked up by name.",
            )
        if mine["kind"] != kind:
            fail(f"`{name}` is an nn.{mine['class']}, expected an nn.{kind}.", f"Create self.{name} as nn.{kind}(...).")
        if mine.get("size") != expected[name].get("size"):
            fail(
                f"For MyModel({IN}, {HIDDEN}, {OUT}), `{name}` has sizes {mine['size']}, expected {expected[name]['size']}.",
                "fc1 maps input_dim to hidden_dim, bn normalises hidden_dim features, fc2 maps hidden_dim to output_dim.",
            )
    heavy = [
        f"`{name}` ({info['class'] if info else '?'})"
        for name, info in children.items()
        if name not in KINDS and info and info["n_params"]
    ]
    if heavy:
        fail(
            f"MyModel has further submodules with parameters: {', '.join(heavy)}.",
            "Only fc1, bn, dropout and fc2 hold parameters; extra submodules must be parameter-free (an nn.ReLU is fine).",
        )


@check(5, "MyModel: the dropout probability is the dropout argument")
def test_dropout_probability(run):
    got, want = run(dropout_probabilities)
    for mine, expected, how in zip(
        got,
        want,
        (f"MyModel({IN}, {HIDDEN}, {OUT}, dropout={P})", f"MyModel({IN}, {HIDDEN}, {OUT}) (default dropout)"),
        strict=True,
    ):
        if mine is None or mine["kind"] != "Dropout":
            fail(
                f"{how} has no nn.Dropout submodule named `dropout` (see the submodule check).",
                "Create self.dropout = nn.Dropout(p=dropout), even if you apply dropout with F.dropout.",
            )
        if abs(mine["p"] - expected["p"]) > 1e-12:
            fail(
                f"In {how}, `dropout.p` is {mine['p']:g}, expected {expected['p']:g}.",
                "Use the dropout argument: nn.Dropout(p=dropout), with dropout=0.3 as the default in the signature.",
            )


@check(10, "MyModel: parameter and buffer names and shapes match the reference")
def test_state_dict_names(run):
    got, want = run(structure)
    problems = _naming_problems(got["state"], want["state"])
    if problems:
        missing = [k for k in want["state"] if k not in got["state"]]
        if any(k.startswith("bn.") and ("running_" in k or "num_batches" in k) for k in missing):
            hint = (
                "Batch norm's running statistics are missing: keep track_running_stats=True (the default of "
                "nn.BatchNorm1d(hidden_dim)), which keeps running_mean, running_var and num_batches_tracked as buffers "
                "for evaluation mode."
            )
        elif any(k.endswith(".bias") and not k.startswith("bn.") for k in missing):
            hint = "fc1 and fc2 are nn.Linear layers with a bias (bias=True, the default)."
        else:
            hint = (
                "fc1 and fc2 are nn.Linear layers, bn is nn.BatchNorm1d(hidden_dim) with its defaults; "
                "nothing else holds parameters or buffers."
            )
        fail(f"The model's state_dict() (its parameters and buffers) does not match the reference's: {problems}.", hint)


def _bn_settings(run) -> str | None:
    """Where ``bn`` was built with settings other than the reference's, which ones, in words."""
    try:
        got, want = run(structure)
    except CheckFailed:
        return None
    mine, expected = got["children"].get("bn"), want["children"].get("bn")
    if not mine or not expected or "settings" not in mine or "settings" not in expected:
        return None
    differ = [(k, mine["settings"][k], v) for k, v in expected["settings"].items() if mine["settings"].get(k) != v]
    if not differ:
        return None
    return (
        "`bn` was built with "
        + ", ".join(f"{k}={g!r}" for k, g, _ in differ)
        + ", where nn.BatchNorm1d(hidden_dim) has "
        + ", ".join(f"{k}={w!r}" for k, _, w in differ)
        + ": keep batch norm's defaults, nn.BatchNorm1d(hidden_dim) "
        "(eps is added to the variance before normalising, momentum sets how fast the running statistics move)."
    )


DROPOUT_OFF_HINT = (
    "Call self.dropout(x) (nn.Dropout follows model.eval()), or pass training=self.training to F.dropout: "
    "without it F.dropout is active in evaluation mode too."
)
BN_EVAL_HINT = (
    "During a training-mode forward pass `bn` ran in evaluation mode (bn.training was False), so it normalised with "
    "its running statistics instead of the batch's and did not update them. Do not call self.bn.eval() (or "
    "train(False)) inside forward: model.train() and model.eval() set the mode of every submodule, bn included."
)


def _bn_ran_in_eval(got) -> bool:
    return any(mode is False for mode in got.get("bn_training") or [])


# --------------------------------------------------------------------------- forward passes

ORDER_HINT = "Compute fc2(dropout(relu(bn(fc1(x))))) in exactly this order."
TRAIN_HINT = (
    "In training mode batch norm normalises with the batch's own statistics and dropout zeroes activations: "
    "apply fc1, bn, relu, dropout and fc2 in this order, dropout right before fc2."
)


def eval_forward(m, device):
    model = loaded_model(m, device)
    model.eval()
    x = make_batch(1).to(device)
    with torch.no_grad():
        first, again = model(x), model(x)
    return {"out": first, "again": again, "buffers": dict(model.named_buffers())}


def train_forward(m, device):
    model = loaded_model(m, device)
    model.train()
    hidden = _fc2_inputs(model)
    bn_training: list[bool] = []  # bn's own mode whenever it is called as a module
    if isinstance(getattr(model, "bn", None), nn.Module):
        model.bn.register_forward_pre_hook(lambda module, args: bn_training.append(bool(module.training)))
    x = make_batch(2).to(device)
    torch.manual_seed(seed(5))  # the dropout masks: F.dropout and nn.Dropout draw the same ones
    out = model(x)
    buffers = {name: b.detach().clone() for name, b in model.named_buffers()}
    if isinstance(out, torch.Tensor) and out.shape == (BATCH, OUT) and out.requires_grad:
        weights = randn(BATCH, OUT, seed=3, device=device)
        (out * weights).sum().backward()
    return {
        "out": out,
        "hidden": hidden[0] if hidden else None,
        "buffers": buffers,
        "grads": {name: p.grad for name, p in model.named_parameters()},
        "bn_training": bn_training,
    }


def _dropout_diagnosis(h, h_ref) -> str | None:
    """When fc2's inputs differ from the reference's only by a constant factor, name the dropout p that explains it."""
    if (
        not isinstance(h, torch.Tensor)
        or not isinstance(h_ref, torch.Tensor)
        or h.shape != h_ref.shape
        or h.dtype != h_ref.dtype
    ):
        return None
    both = (h != 0) & (h_ref != 0)
    if int(both.sum()) < 3:
        return None
    ratio = (h[both] / h_ref[both]).double()
    r = float(ratio.mean())
    if r <= 0 or float(ratio.std()) > 1e-4 * abs(r) or abs(r - 1) < 1e-4:
        return None
    p = 1 - (1 - P) / r
    if abs(p) < 1e-3:
        return (
            "In training mode the activations reaching fc2 were not scaled by 1/(1-p), so dropout was not applied. "
            "Apply self.dropout after the ReLU, right before fc2 (nn.Dropout is active in training mode only)."
        )
    return (
        f"In training mode the activations reaching fc2 were scaled as if dropout had p={p:.2g}, but the model was built "
        f"with dropout={P}: use the dropout argument (self.dropout, or F.dropout(x, p, training=self.training) with that p)."
    )


# The checks below run the learner's MyModel with the test weights, copied in by name: they
# are judged once the names and shapes are right.
LOADED = ("state_dict_names",)


@check(10, "forward: outputs in evaluation mode match the reference", requires=LOADED)
def test_eval_output(run):
    got, want = run(eval_forward)
    hint = ORDER_HINT + " In evaluation mode batch norm uses its running statistics and dropout does nothing."
    if (
        isinstance(got["out"], torch.Tensor)
        and isinstance(got["again"], torch.Tensor)
        and got["out"].shape == got["again"].shape
        and not torch.equal(got["out"], got["again"])
    ):
        hint = (
            "Two evaluation-mode passes gave different outputs: dropout is still active after model.eval(). "
            + DROPOUT_OFF_HINT
        )
    else:
        hint = _bn_settings(run) or hint
    expect_tensor(got["out"], want["out"], f"In evaluation mode, the output for a batch of {BATCH}", hint=hint)


@check(10, "forward: outputs in training mode match the reference (batch statistics, dropout)", requires=LOADED)
def test_train_output(run):
    got, want = run(train_forward)
    hint = (
        _dropout_diagnosis(got["hidden"], want["hidden"])
        or (BN_EVAL_HINT if _bn_ran_in_eval(got) else None)
        or _bn_settings(run)
        or TRAIN_HINT
    )
    expect_tensor(
        got["out"], want["out"], f"In training mode, the output for a batch of {BATCH} (same dropout seed)", hint=hint
    )


# A forward that returns x (or a constant) has the next two properties: they are judged once the
# training-mode output, dropout included, is right.
@check(5, "forward: dropout is off in evaluation mode", requires=("train_output",))
def test_eval_no_dropout(run):
    got = run.learner(eval_forward)
    first, again = got["out"], got["again"]
    if not isinstance(first, torch.Tensor) or not isinstance(again, torch.Tensor):
        fail(f"forward returned {describe(first)}, expected a tensor.")
    if first.shape != again.shape or not torch.equal(first, again):
        fail(
            "After model.eval(), two forward passes on the same batch gave different outputs, so dropout was still zeroing activations.",
            DROPOUT_OFF_HINT,
        )


@check(10, "forward: gradients of every parameter match the reference", requires=("train_output",))
def test_gradients(run):
    got, want = run(train_forward)
    missing = [name for name, g in got["grads"].items() if g is None]
    if missing:
        fail(
            f"After backward(), {', '.join(f'`{n}`' for n in missing)} received no gradient.",
            "Keep the whole forward pass in the autograd graph: no .detach(), .data, NumPy round trips or torch.no_grad() inside forward.",
        )
    expect_tensors(
        got["grads"],
        want["grads"],
        "The gradient of parameter",
        hint="Use only differentiable torch operations in forward, on the layers' own parameters.",
    )


@check(5, "forward: batch norm's running statistics update in training mode only", requires=("train_output",))
def test_batchnorm_statistics(run):
    trained, trained_want = run(train_forward)
    evaluated, evaluated_want = run(eval_forward)
    for name, value in evaluated_want["buffers"].items():
        if isinstance(evaluated["buffers"].get(name), torch.Tensor) and not torch.equal(
            evaluated["buffers"][name], value
        ):
            fail(
                f"Batch norm's `{name}` changed during forward passes in evaluation mode.",
                "In evaluation mode batch norm must only use its running statistics: call self.bn(...) (it follows model.eval()), "
                "or pass training=self.training if you use F.batch_norm.",
            )
    if _bn_ran_in_eval(trained):
        fail(
            "During a training-mode forward pass `bn` was in evaluation mode, so it did not update its running statistics "
            "(and normalised with them instead of the batch's statistics).",
            "Do not call self.bn.eval() (or train(False)) inside forward: model.train() and model.eval() set the mode of every "
            "submodule, bn included, and bn in training mode updates running_mean and running_var from each batch.",
        )
    unchanged = [
        n
        for n, v in trained["buffers"].items()
        if n in evaluated_want["buffers"] and torch.equal(v, evaluated_want["buffers"][n])
    ]
    if unchanged:
        fail(
            f"A training-mode forward pass left {', '.join(f'`{n}`' for n in unchanged)} unchanged: batch norm did not update its running statistics.",
            "Call self.bn(...) in forward; in training mode it updates running_mean and running_var from each batch.",
        )
    expect_tensors(
        trained["buffers"],
        trained_want["buffers"],
        "After one training-mode forward pass, buffer",
        hint=_bn_settings(run)
        or "Use nn.BatchNorm1d(hidden_dim) with its default momentum, and call self.bn exactly once "
        "per forward pass, on fc1's output.",
    )


# --------------------------------------------------------------------------- count_parameters


class Tied(nn.Module):
    """Two layers sharing one weight: model.parameters() yields it once."""

    def __init__(self):
        super().__init__()
        self.encode = nn.Linear(4, 4)
        self.decode = nn.Linear(4, 4)
        self.decode.weight = self.encode.weight


def counting_model() -> nn.Module:
    # 5*8 + 8 = 48, 8 + 8 = 16, 8*3 + 3 = 27 parameters: 91; buffers: 8 + 8 + 1 = 17 values
    return nn.Sequential(nn.Linear(IN, HIDDEN), nn.BatchNorm1d(HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, OUT))


def counting(m, device):
    plain = counting_model()
    frozen = counting_model()
    frozen[0].requires_grad_(False)
    tied = Tied()
    return {
        "plain": [m.count_parameters(plain), m.count_parameters(plain, trainable_only=False)],
        "frozen": [
            m.count_parameters(frozen),
            m.count_parameters(frozen, trainable_only=True),
            m.count_parameters(frozen, trainable_only=False),
        ],
        "tied": [m.count_parameters(tied), m.count_parameters(tied, trainable_only=False)],
    }


def _expect_int(got, want: int, call: str) -> None:
    if type(got) is not int:
        extra = (
            " Return a Python int: p.numel() is one, and so is a sum of them."
            if isinstance(got, (torch.Tensor, float, Foreign))
            else ""
        )
        fail(f"{call} returned {describe(got)}, expected the int {want}.{extra}")


def _expect_count(got: int, want: int, call: str, hint: str) -> None:
    if got != want:
        fail(f"{call} returned {got}, expected {want}.", hint)


STANDARD = "nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))"


@check(10, "count_parameters: counts every parameter, and no buffer")
def test_count_parameters(run):
    got, want = run(counting)
    buffers = 2 * HIDDEN + 1
    for value, expected, call in zip(
        got["plain"],
        want["plain"],
        ("count_parameters(model)", "count_parameters(model, trainable_only=False)"),
        strict=True,
    ):
        call = f"For {STANDARD}, {call}"
        _expect_int(value, expected, call)
        hint = "Sum p.numel() over model.parameters()."
        if value == expected + buffers:
            hint = (
                f"That is {expected} parameters plus {buffers} buffer values: batch norm's running_mean, running_var and "
                "num_batches_tracked are buffers, not parameters. Iterate model.parameters(), not state_dict()."
            )
        _expect_count(value, expected, call, hint)


@check(5, "count_parameters: trainable_only counts only parameters that require grad")
def test_count_trainable_only(run):
    got, want = run(counting)
    total, frozen = want["plain"][0], want["plain"][0] - want["frozen"][0]
    calls = (
        "count_parameters(model)",
        "count_parameters(model, trainable_only=True)",
        "count_parameters(model, trainable_only=False)",
    )
    for value, expected, call in zip(got["frozen"], want["frozen"], calls, strict=True):
        call = f"With the first Linear layer frozen (requires_grad_(False)), {call}"
        _expect_int(value, expected, call)
        if value == total and expected != total:
            hint = "With trainable_only=True (the default), skip parameters whose requires_grad is False."
        elif value == frozen:
            hint = "That is the number of frozen values: count the parameters with p.requires_grad when trainable_only is true."
        elif expected == total:
            hint = "With trainable_only=False, count every parameter, frozen or not."
        else:
            hint = "Count only parameters with p.requires_grad when trainable_only is true, all of them otherwise."
        _expect_count(value, expected, call, hint)


@check(5, "count_parameters: a shared parameter counts once")
def test_count_shared_once(run):
    got, want = run(counting)
    for value, expected, call in zip(
        got["tied"],
        want["tied"],
        ("count_parameters(model)", "count_parameters(model, trainable_only=False)"),
        strict=True,
    ):
        call = f"For two nn.Linear(4, 4) layers sharing one weight, {call}"
        _expect_int(value, expected, call)
        hint = "Sum over model.parameters(), which yields each parameter once."
        if value == expected + 16:
            hint = (
                "The shared 4x4 weight was counted twice (iterating over modules, or over state_dict(), sees it under both names); "
                "model.parameters() yields it once."
            )
        _expect_count(value, expected, call, hint)


# --------------------------------------------------------------------------- parameter_shapes


class Shapes(nn.Module):
    """Named parameters in an order that differs from the sorted one, a scalar, a frozen one, and buffers."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))
        self.encoder = nn.Conv1d(2, 4, kernel_size=3)
        self.norm = nn.BatchNorm1d(4)
        self.decoder = nn.Linear(4, 2)
        self.decoder.bias.requires_grad_(False)


def shapes(m, device):
    result = m.parameter_shapes(Shapes())
    if not isinstance(result, dict):  # an OrderedDict is a dict too
        return {"type": type_name(result), "items": None}
    return {"type": "dict", "items": [[name, shape] for name, shape in result.items()]}


def _shape_items(got) -> list:
    if got["items"] is None:
        fail(
            f"parameter_shapes returned {describe_type(got['type'])}, expected a dict.",
            "Return a dict such as {name: tuple(p.shape) for name, p in model.named_parameters()}.",
        )
    return got["items"]


@check(5, "parameter_shapes: every parameter's name and shape")
def test_parameter_shapes(run):
    got, want = run(shapes)
    items, expected = dict(_shape_items(got)), dict(want["items"])
    names_only = _naming_problems(dict.fromkeys(items), dict.fromkeys(expected))  # shapes are judged below
    problems = names_only if all(isinstance(k, str) for k in items) else "its keys are not all parameter names"
    if problems:
        hint = "Use model.named_parameters(): it yields every parameter (frozen ones too) and no buffer."
        if any(k.endswith(("running_mean", "running_var", "num_batches_tracked")) for k in items if isinstance(k, str)):
            hint = "Buffers such as batch norm's running_mean are not parameters: use model.named_parameters(), not state_dict()."
        fail(f"The names parameter_shapes returned do not match the model's parameters: {problems}.", hint)
    for name, shape in items.items():
        if not isinstance(shape, tuple) or not all(type(d) is int for d in shape):
            fail(
                f"The shape of `{name}` is {describe(shape)}, expected the tuple {expected[name]}.",
                "Use tuple(p.shape) (or p.shape, a torch.Size).",
            )
        if shape != expected[name]:
            fail(f"The shape of `{name}` is {shape}, expected {expected[name]}.", "Use tuple(p.shape).")


@check(5, "parameter_shapes: keys in named_parameters() order", requires=("parameter_shapes",))
def test_parameter_shapes_order(run):
    got, want = run(shapes)
    names, expected = [k for k, _ in got["items"]], [k for k, _ in want["items"]]
    if names != expected:
        fail(
            f"The keys came in the order {names}, expected {expected}.",
            "Keep the keys in named_parameters() order: build the dict while iterating model.named_parameters(), without sorting.",
        )
