"""Checks for exercise 06_amp.

Scenarios (plain functions of ``(module, device, ...)``) run in sandbox children on the
learner's and on the reference's module, with the same seeds and the same initial
weights; the ``test_*`` checks compare what came back.

What is observed, and how (the instruments are in ``torchgrade.kit.amp``):

- autocast: ``autocast_forward`` (hooks on the model's layers) and ``AutocastLoss`` record
  ``torch.is_autocast_enabled(device_type)`` and the dtypes that came out;
- the scaler: ``AmpSpy`` wraps ``torch.amp.GradScaler.scale/step/update`` on the class
  (which also covers the deprecated ``torch.cuda.amp`` / ``torch.cpu.amp`` subclasses) to
  record the order of the calls, and that backward() ran on the scaled loss;
- the deprecated API: the ``FutureWarning`` it emits (every warning is recorded raw by
  ``warnings_seen``, and picked out in the check), the classes used
  (``is_deprecated_amp``), and the learner's source text (``deprecated_amp_in_source``:
  code only, comments and strings left out), so that a deprecated call on a branch the CPU
  run never takes (``if device_type == "cuda": torch.cuda.amp...``) is seen too;
- ``make_scaler("cuda")`` on a machine without CUDA: under ``fake_gpu``,
  ``torch.cuda.is_available`` answers True, so the scaler is built as it would be on a GPU
  machine (a CUDA scaler only touches the GPU when it first scales a loss);
- ``autocast_dtype``: asked under ``fake_gpu`` as on a GPU machine whose GPU supports
  bfloat16, so that "float16 for 'cuda'" is checked whatever GPU the code would run on.

``amp_step_clears_gradients`` requires ``amp_step_parameters``: gradients left over from
before the call are judged once a plain step (the same scenario without them) matches.
``current_amp_api`` covers make_scaler and amp_train_step, and code that does nothing uses
no deprecated API either: it judges only the functions whose main checks pass
(``torchgrade.kit.working``), and waits while none does.

Scenarios only observe: they return type names and class lists, the scalers' ids, raw
warnings and states; whether something is a GradScaler or a torch.dtype, whether the step
used its own scaler, which warnings are AMP deprecations, is decided in the checks.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator

import torch
from torch import nn

from torchgrade.kit import (
    AmpSpy,
    AutocastLoss,
    StepProbe,
    autocast_forward,
    blobs,
    changed,
    check,
    deprecated_amp_in_source,
    deprecation_warnings,
    describe,
    describe_type,
    expect_float,
    expect_tensor,
    expect_tensors,
    explained,
    fail,
    fake_gpu,
    grad_norm,
    is_deprecated_amp,
    labelled,
    seed,
    snapshot,
    stale_gradients,
    type_name,
    working,
)

# --------------------------------------------------------------------------- shared setup

INIT_SCALE = 1024.0  # an enabled scaler's starting scale in the scaler scenarios


def device_type(device: str) -> str:
    return torch.device(device).type  # "cuda:0" -> "cuda"


def expected_dtype(device: str) -> str:
    return "torch.float16" if device_type(device) == "cuda" else "torch.bfloat16"


def make_model(device: str) -> nn.Sequential:
    torch.manual_seed(seed(0))  # identical initial weights for learner and reference
    return nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 3)).to(device)


def make_batch() -> tuple[torch.Tensor, torch.Tensor]:
    return labelled(16, seed=1)  # on the CPU: the step moves it


# --------------------------------------------------------------------------- autocast_dtype


def dtypes(m, device):
    """autocast_dtype for each device type, asked as on a machine whose GPU supports bfloat16."""
    out = {}
    for dev in ("cpu", "cuda"):
        asked: list[str] = []
        with fake_gpu(asked):
            value = m.autocast_dtype(dev)
        out[dev] = {"type": type_name(value), "value": value, "asked": asked}  # a dtype comes back as its str()
    return out


def _expect_dtype(got: dict, dev: str, want: str, why: str) -> None:
    value = got[dev]
    if value["type"] != DTYPE_TYPE:
        shown = repr(value["value"]) if isinstance(value["value"], (str, int, float)) else describe(value["value"])
        fail(
            f"autocast_dtype({dev!r}) returned {shown}, not a torch.dtype.",
            f"Return the dtype object itself, {want}.",
        )
    if value["value"] != want:
        other = "cuda" if dev == "cpu" else "cpu"
        gpu = f" That is the same dtype as for {other!r}." if value["value"] == got[other]["value"] else ""
        asked = sorted(set(value["asked"]))
        if asked:
            calls = " and ".join(f"torch.cuda.{name}()" for name in asked)
            verb = "are" if len(asked) > 1 else "is"
            gpu = (
                f" (This check asks as on a machine whose GPU supports bfloat16, where {calls}, which your code asks, "
                f"{verb} True: the dtype depends on the device type, not on what the machine supports.)"
            )
        fail(f"autocast_dtype({dev!r}) returned {value['value']}, expected {want}.{gpu}", why)


@check(5, "autocast_dtype: bfloat16 for the CPU")
def test_autocast_dtype_cpu(run):
    got = run.learner(dtypes)
    _expect_dtype(
        got,
        "cpu",
        "torch.bfloat16",
        "CPUs run bfloat16 well, while float16 matmuls are very slow there; bfloat16 also keeps float32's range, so it needs no loss scaling.",
    )


@check(5, "autocast_dtype: float16 for CUDA")
def test_autocast_dtype_cuda(run):
    got = run.learner(dtypes)
    _expect_dtype(
        got,
        "cuda",
        "torch.float16",
        "CUDA GPUs have fast float16 units: return torch.float16 for 'cuda', even on GPUs that also support bfloat16 "
        "(the float16 path is what make_scaler's enabled scaler is for).",
    )


# --------------------------------------------------------------------------- make_scaler


def classes(value) -> list[str]:
    """The qualified names of the classes ``value`` is an instance of (its type's MRO): the check judges them."""
    return [f"{c.__module__}.{c.__qualname__}" for c in type(value).__mro__]


SCALER_CLASS = f"{torch.amp.GradScaler.__module__}.{torch.amp.GradScaler.__qualname__}"
DTYPE_TYPE = type_name(torch.float32)


def scaler_state(scaler) -> dict:
    """What a scaler is: its classes and, for a GradScaler, its device and whether it is enabled, as they are."""
    info = {"type": type_name(scaler), "classes": classes(scaler)}
    if SCALER_CLASS in info["classes"]:  # only a GradScaler has these to read
        info |= {"device": str(scaler._device), "enabled": scaler.is_enabled()}
    return info


@contextlib.contextmanager
def warnings_seen() -> Iterator[list[dict]]:
    """Every warning raised inside, as ``{"classes": its category's MRO names, "message": text}``."""
    seen: list[dict] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield seen
        finally:
            seen += [{"classes": [c.__name__ for c in w.category.__mro__], "message": str(w.message)} for w in caught]


def _amp_deprecations(seen: list[dict]) -> list[str]:
    """In the check: the texts of the AMP deprecation warnings among those a scenario saw (``warnings_seen``)."""

    def category(w: dict) -> type[Warning]:
        return next((c for c in (FutureWarning, DeprecationWarning) if c.__name__ in w["classes"]), UserWarning)

    return deprecation_warnings([warnings.WarningMessage(w["message"], category(w), "", 0) for w in seen])


def scaler_for(m, device, dev_type):
    """make_scaler(dev_type) as on a machine with a GPU (CUDA scalers are built lazily)."""
    asked: list[str] = []
    with fake_gpu(asked, functions=("is_available",)), warnings_seen() as seen:
        scaler = m.make_scaler(dev_type)
    return scaler_state(scaler) | {"warnings": seen, "asked": asked}


def _is_scaler(got: dict) -> bool:
    return SCALER_CLASS in got["classes"]


def _expect_scaler(got: dict, dev: str) -> None:
    if not _is_scaler(got):
        fail(
            f"make_scaler({dev!r}) returned {describe_type(got['type'])}, not a torch.amp.GradScaler.",
            "Return torch.amp.GradScaler(device_type, enabled=(device_type == 'cuda')) for every device type, the CPU included: "
            "amp_train_step then works the same with any scaler.",
        )
    if got["device"] != dev:
        hint = (
            "torch.amp.GradScaler() without a device type means 'cuda'. " if got["device"] == "cuda" else ""
        ) + "Pass the device type: torch.amp.GradScaler(device_type, enabled=(device_type == 'cuda'))."
        fail(f"make_scaler({dev!r}) returned a scaler for {got['device']!r} devices.", hint)


@check(5, "make_scaler: a disabled torch.amp.GradScaler for the CPU")
def test_make_scaler_cpu(run):
    got = run.learner(scaler_for, "cpu")
    _expect_scaler(got, "cpu")
    if got["enabled"]:
        gpu = (
            (
                " (This check builds the scaler as on a machine with a GPU, where torch.cuda.is_available(), which your code asks, is True:"
                " whether to scale depends on the device type, not on the machine.)"
            )
            if got["asked"]
            else ""
        )
        why = "." + gpu if gpu else ": a GradScaler is enabled unless it is created with enabled=False."
        fail(
            "make_scaler('cpu') returned an enabled scaler" + why,
            "On the CPU autocast uses bfloat16, which has float32's range and needs no loss scaling: create the scaler with enabled=(device_type == 'cuda').",
        )


@check(5, "make_scaler: an enabled torch.amp.GradScaler for CUDA")
def test_make_scaler_cuda(run):
    got = run.learner(scaler_for, "cuda")
    _expect_scaler(got, "cuda")
    if not got["enabled"]:
        fail(
            "make_scaler('cuda') returned a disabled scaler, even with CUDA available.",
            "float16 gradients underflow without loss scaling: create it with enabled=(device_type == 'cuda') so that it is enabled for 'cuda'.",
        )


# --------------------------------------------------------------------------- amp_train_step: one step


def amp_step(m, device, stale_grads: bool = False, inf_grad: bool = False):
    dev_type = device_type(device)
    model = make_model(device)
    forward = autocast_forward(model, dev_type)
    criterion = AutocastLoss(dev_type)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    if stale_grads:  # leftovers from an earlier step that must not leak into this one
        stale_gradients(model)
    if inf_grad:  # an overflowing gradient: the scaler must skip this step
        model[2].bias.register_hook(lambda g: torch.full_like(g, float("inf")))
    scaler = torch.amp.GradScaler(dev_type, init_scale=INIT_SCALE, enabled=True)
    before = snapshot(model)
    spy = AmpSpy()
    with spy.watching(), warnings_seen() as seen:
        loss = m.amp_train_step(model, make_batch(), criterion, optimizer, scaler, dev_type)
    return {
        "loss": loss,
        "forward": forward,
        "criterion": criterion.calls,
        "events": spy.events,
        "errors": spy.errors,
        "scales": spy.scales,
        "autocast": spy.autocast,
        "warnings": seen,
        "scalers": spy.scalers,  # id() of every scaler whose scale/step/update was called
        "given": id(scaler),
        "before": before,
        "params": snapshot(model),
        "scale_after": float(scaler.get_scale()),
    }


@check(10, "amp_train_step: the forward pass runs under autocast in the low-precision dtype")
def test_amp_step_forward_autocast(run):
    got = run.learner(amp_step)
    dev, want = device_type(run.device), expected_dtype(run.device)
    forward = got["forward"]
    if not forward:
        fail("The model never ran a forward pass.")
    if not all(c["autocast"] for c in forward):
        other = sorted({a["device"] for a in got["autocast"]} - {dev})
        if other:
            fail(
                f"torch.autocast was entered for device type {other[0]!r}, but the model ran on {dev!r}, so the forward pass did not run under autocast.",
                "Pass the device_type argument: torch.autocast(device_type, dtype=autocast_dtype(device_type)).",
            )
        where = (
            "an autocast block was entered, but not around the forward pass"
            if got["autocast"]
            else "no torch.autocast block was entered at all"
        )
        fail(
            f"The forward pass did not run under autocast ({where}): the model computed in float32.",
            "Wrap the forward pass and the loss in `with torch.autocast(device_type, dtype=autocast_dtype(device_type)):`.",
        )
    produced = sorted({c["dtype"] for c in forward})
    if produced != [want]:
        fail(
            f"Under autocast the model's layers produced {', '.join(produced)}; on {dev!r} they should produce {want}.",
            "Pass dtype=autocast_dtype(device_type) to torch.autocast: bfloat16 on the CPU (float16 is very slow there), float16 on CUDA.",
        )


@check(5, "amp_train_step: the loss is computed inside the autocast block")
def test_amp_step_loss_autocast(run):
    got = run.learner(amp_step)
    calls = got["criterion"]
    if not calls:
        fail("The criterion was never called.", "Compute loss = criterion(model(inputs), targets).")
    if not all(c["autocast"] for c in calls):
        fail(
            f"The loss was computed outside torch.autocast: criterion(...) ran with autocast off (the loss came out in {calls[0]['dtype']}).",
            "Compute `loss = criterion(outputs, targets)` inside the `with torch.autocast(...)` block too: autocast then runs "
            "the loss in float32 for accuracy. Only scaler.scale(loss).backward() goes after the block.",
        )


def _own_scaler(got: dict) -> bool:
    """Whether amp_train_step called scale/step/update on a scaler other than the one it was given."""
    return any(s != got["given"] for s in got["scalers"])


NAMES = {
    "scale": "scaler.scale(loss)",
    "backward": "backward()",
    "step": "scaler.step(optimizer)",
    "update": "scaler.update()",
    "optimizer.step": "optimizer.step()",
}
ORDER = ["scale", "backward", "step", "update"]


@check(10, "amp_train_step: scaler.scale(loss).backward(), scaler.step(optimizer), scaler.update(), in that order")
def test_amp_step_scaler_order(run):
    got = run.learner(amp_step)
    seq = got["events"]
    if _own_scaler(got):
        fail(
            "amp_train_step used a GradScaler of its own instead of the scaler it was given.",
            "Use the scaler argument: the caller creates it once (make_scaler) so that its scale carries over from step to step.",
        )
    if "optimizer.step" in seq:
        if "step" not in seq:
            fail(
                "optimizer.step() was called directly, not through the scaler.",
                "Call scaler.step(optimizer): it unscales the gradients first and skips the step when one of them is inf or NaN.",
            )
        fail(
            "optimizer.step() was called besides scaler.step(optimizer), so the model stepped twice.",
            "scaler.step(optimizer) calls optimizer.step() itself (unless it skips the step): remove your own call.",
        )
    if "scale" not in seq:
        fail(
            "scaler.scale(loss) was never called, so backward() ran on the unscaled loss.",
            "Call scaler.scale(loss).backward() instead of loss.backward(): with float16, scaling keeps small gradients from underflowing to zero.",
        )
    if "backward" not in seq:
        fail(
            "backward() did not run on the scaled loss: the result of scaler.scale(loss) was not used.",
            "Call backward() on what the scaler returns: scaler.scale(loss).backward().",
        )
    if "step" not in seq:
        fail(
            "scaler.step(optimizer) was never called, so no optimizer step was taken.",
            "After scaler.scale(loss).backward(), call scaler.step(optimizer) and then scaler.update().",
        )
    if "update" not in seq:
        fail(
            "scaler.update() was never called.",
            "Call scaler.update() after scaler.step(optimizer): it lowers the scale after a skipped step and raises it after a run of good ones.",
        )
    if seq != ORDER:
        fail(
            f"The calls came in the order {' → '.join(NAMES[e] for e in seq)}; expected "
            f"{' → '.join(NAMES[e] for e in ORDER)}, each once.",
            "Scale the loss and call backward() on it, then scaler.step(optimizer) (it unscales the gradients and steps), then scaler.update() to adjust the scale for the next step.",
        )


UPDATE_RTOL = 2e-2  # low-precision arithmetic: updates agree to about bfloat16's precision (1/128)


def _expect_update(got: dict, want: dict, what: str, hint: str) -> None:
    """Each parameter's update (after − before) matches the reference's to low precision.

    Mixed precision makes a step reproducible only to the precision of the autocast dtype:
    a loss computed in bfloat16 instead of float32 (``amp_step_loss_autocast`` says so) moves
    the update by about 0.5%. Each element may differ by ``UPDATE_RTOL`` of that parameter's
    largest update; a missing, doubled, scaled or unclipped step differs by far more.
    """
    for name, after in want["params"].items():
        step = after - want["before"][name]
        atol = UPDATE_RTOL * float(step.abs().max()) + 1e-7
        expect_tensor(got["params"][name], after, f"{what} `{name}`", hint=hint, rtol=0.0, atol=atol)


@check(10, "amp_train_step: with finite gradients, parameters after the step match the reference")
def test_amp_step_parameters(run):
    got, want = run(amp_step)
    seq = got["events"]
    if not changed(got["before"], got["params"]):
        fail(
            "The parameters did not change (with an enabled scaler and finite gradients).",
            "Clear gradients first, then scaler.scale(loss).backward() and scaler.step(optimizer): the scaler steps whenever the gradients are finite.",
        )
    hint = "Use the optimizer and the scaler you are given: zero_grad(), forward and loss under autocast, scaler.scale(loss).backward(), scaler.step(optimizer), scaler.update()."
    if "optimizer.step" in seq and "step" in seq:
        hint = (
            "optimizer.step() was called besides scaler.step(optimizer), so the model stepped twice: "
            "scaler.step(optimizer) calls optimizer.step() itself, so remove your own call."
        )
    elif "optimizer.step" in seq:
        hint = "optimizer.step() does not unscale the gradients: call scaler.step(optimizer), which divides them by the scale before stepping."
    elif "scale" in seq and "backward" not in seq:
        hint = "backward() ran on the unscaled loss, so scaler.step() divided already-unscaled gradients by the scale: call scaler.scale(loss).backward()."
    _expect_update(got, want, "After one amp_train_step with an enabled scaler, parameter", hint)


@check(5, "amp_train_step: clears old gradients before backward", requires=("amp_step_parameters",))
def test_amp_step_clears_gradients(run):
    got, want = run(amp_step, True)
    _expect_update(
        got,
        want,
        "With gradients left over from before the call, parameter",
        "Gradients accumulate in .grad across backward() calls: call optimizer.zero_grad() before the backward pass.",
    )


@check(10, "amp_train_step: skips the step and lowers the scale when a gradient is inf")
def test_amp_step_skips_inf_step(run):
    got, want = run(amp_step, False, True)
    names = changed(got["before"], got["params"])
    if names:
        hint = (
            "optimizer.step() steps regardless: call scaler.step(optimizer), which checks the gradients and skips the step when one is inf or NaN."
            if "optimizer.step" in got["events"]
            else "Let the scaler decide: scaler.step(optimizer) skips the optimizer step when a gradient is inf or NaN."
        )
        fail(f"A gradient was inf, yet the step changed {', '.join(names)}.", hint)
    scale, expected = got["scale_after"], want["scale_after"]
    if scale != expected and _own_scaler(got):
        fail(
            f"The scaler amp_train_step was given still has scale {scale:g}, expected {expected:g}: your code used a GradScaler of its own.",
            "Use the scaler argument, so that its scale carries over from step to step.",
        )
    if scale != expected:
        if scale == INIT_SCALE:
            fail(
                f"After a step with an inf gradient the scale stayed at {scale:g}; expected {expected:g}.",
                "Call scaler.update() after scaler.step(optimizer): update() is what lowers the scale after a skipped step.",
            )
        fail(
            f"After a step with an inf gradient the scale is {scale:g}; expected {expected:g} (halved from {INIT_SCALE:g}).",
            "Call scaler.update() once, with no argument, after scaler.step(optimizer).",
        )


@check(5, "amp_train_step: returns the loss as a Python float")
def test_amp_step_returns_loss(run):
    # Judged against the loss the learner's own criterion call computed (AutocastLoss records it):
    # whether that loss is computed right is what the other checks judge.
    got = run.learner(amp_step)
    calls, value = got["criterion"], got["loss"]
    if not calls:
        fail(
            "The criterion was never called, so there is no loss to return.",
            "Compute loss = criterion(model(inputs), targets).",
        )
    own = calls[0]["value"]
    hint = "Return loss.item(): the value of the loss your criterion call computed for this batch, before the step."
    if isinstance(value, float) and own and abs(value / (own * INIT_SCALE) - 1) < 1e-2:
        hint = f"You returned the scaled loss (loss × scale, the scale being {INIT_SCALE:g}): return loss.item() of the loss itself."
    elif isinstance(value, float) and any(abs(value - c["value"]) <= 1e-6 * abs(c["value"]) for c in calls[1:]):
        hint = "You returned the value of a later criterion call, after the step: return loss.item() of the loss the step used."
    expect_float(value, own, "The value amp_train_step returns", rtol=1e-6, atol=1e-7, hint=hint)


# --------------------------------------------------------------------------- amp_train_step: gradient clipping

CLIP = 0.5  # max_grad_norm in the clipping scenario: the unclipped norm there is about 2.1
OTHER_CLIP = 0.25  # a second value, to tell "clipped to a fixed norm" from "clipped to max_grad_norm"
SCALER_STEP = torch.amp.GradScaler.step.__code__  # to tell the learner's unscale_() calls from step()'s own


def clip_step(m, device, max_grad_norm):
    """One amp_train_step with an enabled scaler, max_grad_norm passed, on a batch whose gradient norm is above 1."""
    dev_type = device_type(device)
    model = make_model(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler(dev_type, init_scale=INIT_SCALE, enabled=True)
    batch = labelled(16, seed=2, scale=4.0)  # larger inputs: an unclipped gradient norm of about 2.1
    before = snapshot(model)
    unscales: list[dict] = []  # the learner's own scaler.unscale_() calls, with the gradient norm after each
    orig_unscale = torch.amp.GradScaler.unscale_

    def unscale_(self_, *args, **kwargs):
        own = sys._getframe(1).f_code is not SCALER_STEP
        out = orig_unscale(self_, *args, **kwargs)
        if own:
            unscales.append({"norm": grad_norm(model.parameters()), "scale": float(self_.get_scale())})
        return out

    probe, spy = StepProbe(), AmpSpy()
    torch.amp.GradScaler.unscale_ = unscale_
    try:
        with probe.watching(), spy.watching():
            loss = m.amp_train_step(
                model, batch, nn.CrossEntropyLoss(), optimizer, scaler, dev_type, max_grad_norm=max_grad_norm
            )
    finally:
        torch.amp.GradScaler.unscale_ = orig_unscale
    return {
        "loss": loss,
        "events": spy.events,
        "unscales": unscales,
        "step_norms": probe.field("grad_norm"),  # the gradient norm as each optimizer.step() saw it
        "norm_after": grad_norm(model.parameters()),  # once amp_train_step has returned
        "scale": INIT_SCALE,
        "before": before,
        "params": snapshot(model),
    }


UNSCALE_ERRORS = [
    (
        "unscale_() has already been called on this optimizer since the last update()",
        "scaler.unscale_(optimizer) was called twice in one step. It divides the gradients by the scale in place and "
        "records that it did, so it may run only once per optimizer between update()s; scaler.step(optimizer) then "
        "skips its own unscaling. Call it once, right before clip_grad_norm_.",
    ),
    (
        "unscale_() is being called after step()",
        "scaler.unscale_(optimizer) was called after scaler.step(optimizer), when the step had already used the "
        "gradients. Unscale and clip between backward() and scaler.step(optimizer).",
    ),
]
CLIP_HINT = (
    "Between scaler.scale(loss).backward() and scaler.step(optimizer): scaler.unscale_(optimizer), then "
    "nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)."
)


def _close(a: float, b: float, rel: float = 1e-3) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)


@check(10, "amp_train_step: clips the unscaled gradients to max_grad_norm", requires=("amp_step_parameters",))
def test_amp_step_clips_gradients(run):
    with explained(UNSCALE_ERRORS):
        got, want = run(clip_step, CLIP)
    if not got["step_norms"]:
        fail(f"With max_grad_norm={CLIP} no optimizer step was taken.", CLIP_HINT)
    norm, unclipped, scale = got["step_norms"][0], want["unscales"][0]["norm"], got["scale"]
    if norm <= CLIP * (1 + 1e-3):
        if not got["unscales"] and _close(norm * scale, CLIP, 1e-2):
            fail(
                f"With max_grad_norm={CLIP} the gradient norm at optimizer.step() was {norm:.3g}, which is {CLIP} divided by "
                f"the scale {scale:g}: the gradients were clipped while still multiplied by the scale, before "
                "scaler.unscale_(optimizer).",
                "After scaler.scale(loss).backward() every gradient is multiplied by the scale, so clipping them then "
                "clips at the wrong norm, and scaler.step() divides them by the scale afterwards. Call "
                "scaler.unscale_(optimizer) first, then clip_grad_norm_.",
            )
    elif _close(norm, unclipped):
        if _close(got["norm_after"], CLIP, 1e-2):
            fail(
                f"With max_grad_norm={CLIP} the gradient norm at optimizer.step() was {norm:.3g}, not clipped; once "
                f"amp_train_step returned it was {got['norm_after']:.3g}: the gradients were clipped after "
                "scaler.step(optimizer) had already used them.",
                CLIP_HINT,
            )
        fail(
            f"With max_grad_norm={CLIP} the gradients were not clipped: their norm at optimizer.step() was {norm:.3g}, "
            "the unclipped norm.",
            "When max_grad_norm is given, clip the gradients to it. " + CLIP_HINT,
        )
    else:
        other = run.learner(clip_step, OTHER_CLIP)["step_norms"]
        if other and _close(other[0], norm):
            fail(
                f"The gradients were clipped to norm {norm:.3g} whatever max_grad_norm is: the same with "
                f"max_grad_norm={CLIP} and {OTHER_CLIP}.",
                "Pass max_grad_norm to nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm) instead of a fixed value.",
            )
        fail(
            f"With max_grad_norm={CLIP} the gradient norm at optimizer.step() was {norm:.3g}, above {CLIP} "
            f"(unclipped: {unclipped:.3g}).",
            CLIP_HINT,
        )
    _expect_update(got, want, f"After one amp_train_step with max_grad_norm={CLIP}, parameter", CLIP_HINT)


@check(5, "amp_train_step: does not clip when max_grad_norm is None", requires=("amp_step_parameters",))
def test_amp_step_no_clip_without_max_norm(run):
    with explained(UNSCALE_ERRORS):
        got, want = run(clip_step, None)
    if not got["step_norms"]:
        fail("With max_grad_norm=None no optimizer step was taken.", "Call scaler.step(optimizer) after backward().")
    norm, unclipped = got["step_norms"][0], want["step_norms"][0]
    if norm < unclipped * (1 - 1e-3):
        fail(
            f"With max_grad_norm=None the gradients were clipped: their norm at optimizer.step() was {norm:.3g}, "
            f"the unclipped norm is {unclipped:.3g}.",
            "max_grad_norm=None means no clipping: clip only `if max_grad_norm is not None`.",
        )
    _expect_update(
        got,
        want,
        "After one amp_train_step with max_grad_norm=None, parameter",
        "With max_grad_norm=None the step is the plain one: scale/backward, scaler.step(optimizer), scaler.update().",
    )


# --------------------------------------------------------------------------- amp_train_step: training

STEPS, BATCH = 40, 32


def amp_training(m, device):
    dev_type = device_type(device)
    model = make_model(device)
    criterion = AutocastLoss(dev_type)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler(dev_type, enabled=False)  # as make_scaler("cpu") returns it
    x, y = blobs(STEPS * BATCH // 4, seed=4)  # three clusters in 6-D: a few dozen steps solve it
    for i in range(STEPS):
        j = (i * BATCH) % len(x)
        m.amp_train_step(model, (x[j : j + BATCH], y[j : j + BATCH]), criterion, optimizer, scaler, dev_type)
    return {"losses": [c["value"] for c in criterion.calls]}


def _tail(losses: list[float]) -> float:
    last = losses[-5:]
    return sum(last) / len(last)


@check(5, "amp_train_step: converges on a small problem", timeout_s=20)
def test_amp_step_converges(run):
    got, want = run(amp_training)
    losses, ref = got["losses"], want["losses"]
    if not losses:
        fail("The criterion was never called during training.")
    run.plot(
        "Training loss (bfloat16 autocast)", {"your code": losses, "reference": ref}, x_label="step", y_label="loss"
    )
    final, target = _tail(losses), _tail(ref)
    bound = target * 1.25 + 0.05  # low-precision arithmetic: compare loosely
    if final > bound:
        fail(
            f"After {STEPS} steps with a disabled scaler the loss is {final:.3f} (mean of the last five); the reference reaches {target:.3f}, and at most {bound:.3f} is expected.",
            "With a disabled scaler, scaler.step(optimizer) still steps (it simply calls optimizer.step()): call scale/backward/step/update the same way whether or not the scaler is enabled.",
        )


# --------------------------------------------------------------------------- the current API

MODERN = {"autocast": "torch.autocast({dev!r}, dtype=...)", "GradScaler": "torch.amp.GradScaler({dev!r}, ...)"}


@check(5, "uses the current torch.amp API, not the deprecated torch.cuda.amp / torch.cpu.amp")
def test_current_amp_api(run):
    # Judged for the functions that already work, so that code which does nothing earns nothing here.
    functions = working(
        run,
        {"make_scaler": (test_make_scaler_cpu, test_make_scaler_cuda), "amp_train_step": (test_amp_step_parameters,)},
    )
    scalers = [run.learner(scaler_for, dev) for dev in ("cpu", "cuda")] if "make_scaler" in functions else []
    steps = [run.learner(amp_step)] if "amp_train_step" in functions else []
    texts = list(dict.fromkeys(t for r in scalers + steps for t in _amp_deprecations(r["warnings"])))
    if texts:
        fail(
            f"Your code uses the deprecated API: {' '.join(texts)}",
            "The current API is torch.autocast(device_type, dtype=...) and torch.amp.GradScaler(device_type, ...).",
        )
    old = sorted(
        {r["type"] for r in scalers if is_deprecated_amp(r["type"])}
        | {a["class"] for r in steps for a in r["autocast"] if is_deprecated_amp(a["class"])}
    )
    if old:
        fail(
            f"Your code uses {', '.join(old)}, from the deprecated torch.cuda.amp / torch.cpu.amp API.",
            "Use torch.autocast(device_type, dtype=...) and torch.amp.GradScaler(device_type, ...) instead.",
        )
    uses = deprecated_amp_in_source(run.learner_source)
    if uses:
        first = uses[0]
        modern = [MODERN[u["what"]].format(dev=u["dev"]) for u in uses if u["what"] in MODERN]
        instead = (
            f"Write {' and '.join(dict.fromkeys(modern))} instead"
            if modern
            else "Use torch.autocast(device_type, dtype=...) and torch.amp.GradScaler(device_type, ...) instead"
        )
        more = f" (and {len(uses) - 1} more place{'s' if len(uses) > 2 else ''})" if len(uses) > 1 else ""
        fail(
            f"Line {first['line']} of your code, `{first['text']}`, uses the deprecated torch.{first['dev']}.amp API{more}, "
            f"even if this run (device {run.device!r}) never reached it.",
            f"{instead}: the current API is torch.autocast(device_type, ...) and torch.amp.GradScaler(device_type, ...), "
            "one for every device type.",
        )


# --------------------------------------------------------------------------- on a CUDA GPU


def gpu_step(m, device):
    model = make_model(device)
    forward = autocast_forward(model, "cuda")
    criterion = AutocastLoss("cuda")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = m.make_scaler("cuda")
    state = scaler_state(scaler)  # before the step, as make_scaler returned it
    spy = AmpSpy()
    with spy.watching():
        loss = m.amp_train_step(model, make_batch(), criterion, optimizer, scaler, "cuda")
    return state | {
        "forward": forward,
        "events": spy.events,
        "scales": spy.scales,
        "loss": loss,
        "params": snapshot(model),
    }


@check(5, "make_scaler: the CUDA scaler is enabled on a GPU", cuda=True)
def test_make_scaler_enabled_on_gpu(run):
    got = run.learner(gpu_step)
    if not _is_scaler(got):
        fail(
            f"make_scaler('cuda') returned {describe_type(got['type'])}, not a torch.amp.GradScaler.",
            "Return torch.amp.GradScaler(device_type, enabled=(device_type == 'cuda')).",
        )
    if not got["enabled"]:
        fail(
            "On this GPU machine, make_scaler('cuda').is_enabled() is False.",
            "Create it with torch.amp.GradScaler('cuda', enabled=True) for 'cuda' (enabled=(device_type == 'cuda')).",
        )


@check(5, "amp_train_step on a GPU: float16 forward pass and a scaled backward", cuda=True)
def test_amp_step_on_gpu(run):
    got, want = run(gpu_step)
    produced = sorted({c["dtype"] for c in got["forward"]})
    if not got["forward"] or not all(c["autocast"] for c in got["forward"]):
        fail(
            "On the GPU the forward pass did not run under CUDA autocast.",
            "Wrap the forward pass and the loss in `with torch.autocast(device_type, dtype=autocast_dtype(device_type)):` with device_type 'cuda'.",
        )
    if produced != ["torch.float16"]:
        fail(
            f"On the GPU the model's layers produced {', '.join(produced)} under autocast, expected torch.float16.",
            "Use dtype=autocast_dtype('cuda'), which is torch.float16.",
        )
    if not got["scales"] or max(got["scales"]) <= 1.0 or "backward" not in got["events"]:
        fail(
            "On the GPU the backward pass did not run on a scaled loss (the scaler from make_scaler('cuda') was disabled or not used).",
            "Use make_scaler('cuda') enabled, and call scaler.scale(loss).backward().",
        )
    expect_tensors(
        got["params"],
        want["params"],
        "After one amp_train_step on the GPU, parameter",
        rtol=1e-3,
        atol=1e-5,
        hint="Follow the order: zero_grad(), forward and loss under autocast, scaler.scale(loss).backward(), scaler.step(optimizer), scaler.update().",
    )
