"""Instruments for mixed-precision code: autocast, ``torch.amp.GradScaler``, the deprecated AMP API.

- :class:`AmpSpy` records the scaler calls and their order, direct optimizer steps,
  the autocast blocks entered and the AMP deprecation warnings, while ``spy.watching()``;
- :func:`autocast_forward` and :class:`AutocastLoss` record, per layer call and per loss,
  whether autocast was on and which dtype came out;
- :func:`fake_gpu` makes ``torch.cuda`` answer as on a machine with a recent GPU, so that
  code asking it is graded as it would run there;
- :func:`deprecated_amp_in_source` and :func:`is_deprecated_amp` find the
  ``torch.cuda.amp`` / ``torch.cpu.amp`` API in the source text and among the classes used.

All of them run in the sandbox child and record plain data for the scenario to return.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterator, Sequence

import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook

from torchgrade.engine.wire import type_name
from torchgrade.kit.source import find_in_code


class AmpSpy:
    """Records GradScaler calls, optimizer steps, autocast blocks and AMP deprecation warnings.

    Inside ``with spy.watching():`` the scaler methods are wrapped on the class
    ``torch.amp.GradScaler`` (so the deprecated ``torch.cuda.amp`` / ``torch.cpu.amp``
    subclasses are covered too); afterwards everything is as it was.
    """

    def __init__(self):
        self.events: list[str] = []  # scale, backward (of the scaled loss), step, optimizer.step (direct), update
        self.errors: list[str] = []  # scaler calls that failed because of the order they came in
        self.scales: list[float] = []  # the scale at each scaler.scale() call
        self.autocast: list[dict] = []  # each autocast block entered: class, device, dtype
        self.scalers: list[int] = []  # id() of every scaler whose scale/step/update was called
        self.deprecated: list[str] = []  # AMP deprecation warnings' texts

    @contextlib.contextmanager
    def watching(self) -> Iterator[AmpSpy]:
        spy = self
        scaler_cls = torch.amp.GradScaler
        autocast_cls = torch.amp.autocast_mode.autocast
        orig = {name: scaler_cls.__dict__[name] for name in ("scale", "step", "update")}
        orig_enter = autocast_cls.__dict__["__enter__"]
        in_scaler_step = [False]

        def scale(self_, outputs):
            spy.scalers.append(id(self_))
            spy.events.append("scale")
            spy.scales.append(float(self_.get_scale()))
            out = orig["scale"](self_, outputs)
            if isinstance(out, torch.Tensor) and out.requires_grad:
                out.register_hook(backward_hook)
            return out

        def backward_hook(grad):
            spy.events.append("backward")

        def step(self_, optimizer, *args, **kwargs):
            spy.scalers.append(id(self_))
            spy.events.append("step")
            in_scaler_step[0] = True
            try:
                return orig["step"](self_, optimizer, *args, **kwargs)
            except AssertionError as exc:  # e.g. no scale() before: report it as an order problem
                spy.errors.append(f"scaler.step: {exc}")
                return None
            finally:
                in_scaler_step[0] = False

        def update(self_, *args, **kwargs):
            spy.scalers.append(id(self_))
            spy.events.append("update")
            try:
                return orig["update"](self_, *args, **kwargs)
            except AssertionError as exc:  # "No inf checks were recorded prior to update."
                spy.errors.append(f"scaler.update: {exc}")
                return None

        def enter(self_):
            spy.autocast.append(
                {"class": type_name(self_), "device": str(self_.device), "dtype": str(self_.fast_dtype)}
            )
            return orig_enter(self_)

        def on_step(optimizer, args, kwargs):
            if not in_scaler_step[0]:
                spy.events.append("optimizer.step")

        scaler_cls.scale, scaler_cls.step, scaler_cls.update, autocast_cls.__enter__ = scale, step, update, enter
        handle = register_optimizer_step_pre_hook(on_step)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                yield self
        finally:
            handle.remove()
            scaler_cls.scale, scaler_cls.step, scaler_cls.update = orig["scale"], orig["step"], orig["update"]
            autocast_cls.__enter__ = orig_enter
            self.deprecated += deprecation_warnings(caught)


def deprecation_warnings(caught: Sequence[warnings.WarningMessage]) -> list[str]:
    """The distinct texts of the AMP deprecation warnings among ``caught`` (``warnings.catch_warnings(record=True)``)."""
    texts = [str(w.message) for w in caught if issubclass(w.category, (FutureWarning, DeprecationWarning))]
    return [t for t in dict.fromkeys(texts) if "deprecated" in t and "amp" in t]


def autocast_forward(model: nn.Module, device_type: str) -> list[dict]:
    """A list that fills, at every forward of one of ``model``'s ``nn.Linear`` layers, with
    ``{"autocast": is autocast on for device_type, "dtype": the output's dtype}``."""
    seen: list[dict] = []

    def hook(module, inputs, output):
        seen.append({"autocast": torch.is_autocast_enabled(device_type), "dtype": str(output.dtype)})

    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            layer.register_forward_hook(hook)
    return seen


class AutocastLoss(nn.Module):
    """Cross-entropy that records, per call, whether autocast was on for ``device_type``, the loss dtype and value."""

    def __init__(self, device_type: str):
        super().__init__()
        self.device_type = device_type
        self.calls: list[dict] = []

    def forward(self, logits, targets):
        loss = nn.functional.cross_entropy(logits, targets)
        self.calls.append(
            {
                "autocast": torch.is_autocast_enabled(self.device_type),
                "dtype": str(loss.dtype),
                "value": float(loss.detach().float()),
            }
        )
        return loss


GPU_QUESTIONS = ("is_available", "is_bf16_supported")


@contextlib.contextmanager
def fake_gpu(asked: list[str] | None = None, functions: Sequence[str] = GPU_QUESTIONS) -> Iterator[None]:
    """While inside, the ``torch.cuda`` ``functions`` (by default ``is_available`` and
    ``is_bf16_supported``) answer True, as on a machine with a recent GPU.

    The name of each one asked is appended to ``asked``, so a message can say what the
    learner's code asked. Nothing touches a GPU: a CUDA ``GradScaler`` built meanwhile
    only does when it first scales a loss.
    """
    real = {name: getattr(torch.cuda, name) for name in functions}

    def fake(name: str):
        def answer(*args, **kwargs) -> bool:
            if asked is not None:
                asked.append(name)
            return True

        return answer

    for name in real:
        setattr(torch.cuda, name, fake(name))
    try:
        yield
    finally:
        for name, fn in real.items():
            setattr(torch.cuda, name, fn)


_DEPRECATED_CLASS = re.compile(r"^torch\.(cuda|cpu)\.amp\.")

# In code: torch.cuda.amp..., import torch.cpu.amp, from torch.cuda.amp import ...,
# from torch.cuda import amp / (GradScaler, amp as a).
_DEPRECATED_SOURCE = re.compile(
    r"\btorch\s*\.\s*(?P<dev>cuda|cpu)\s*\.\s*amp\b(?:\s*\.\s*(?P<what>\w+))?"
    r"|\bfrom\s+torch\s*\.\s*(?P<dev2>cuda|cpu)\s+import\s+\(?[\w\s,]*?\bamp\b"
)


def is_deprecated_amp(qualified_name: str) -> bool:
    """Whether a class, by its qualified name (``wire.type_name``), is from ``torch.cuda.amp`` / ``torch.cpu.amp``."""
    return bool(_DEPRECATED_CLASS.match(qualified_name))


def deprecated_amp_in_source(text: str) -> list[dict]:
    """Every use of the deprecated ``torch.cuda.amp`` / ``torch.cpu.amp`` API in the code of ``text``.

    Each as ``{"line": number from 1, "text": the line, "dev": "cuda" or "cpu", "what": the
    name used after ``amp.`` or ""}``; comments and strings do not count.
    """
    return [
        {"line": line, "text": original, "dev": m.group("dev") or m.group("dev2"), "what": m.group("what") or ""}
        for line, original, m in find_in_code(text, _DEPRECATED_SOURCE)
    ]
