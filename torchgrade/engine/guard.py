"""What learner code may not change inside a sandbox child, and how a change is noticed.

- **Pinned defaults.** After the learner's module is loaded, torch's global defaults
  (default dtype and device, grad mode, deterministic algorithms, matmul precision,
  anomaly detection, thread count) and every seed are set again, so a module that calls
  ``torch.set_default_dtype(torch.float64)`` at import changes nothing the scenario builds.
- **Noticed replacements.** Before the module is loaded, :class:`Watch` records the
  identity of every function and class that scenarios, probes and judgements rely on:
  torch's functions and ``Tensor`` methods, ``torch.testing``, ``torch.autograd``
  (``gradcheck``), ``torch.nn.functional``, the random-state functions, Python's builtins,
  the grader's kit and wire modules, and the grader module that defines the scenario.
  After the scenario, anything replaced fails the check with a message that names it.
"""

from __future__ import annotations

import builtins
import math
import sys
import types
from collections.abc import Callable

import torch
import torch.autograd
import torch.nn.functional
import torch.testing

_WATCHED_MODULES = (
    builtins,
    math,
    torch,
    torch.nn.functional,
    torch.testing,
    torch.autograd,
    torch.random,
    torch.nn.utils,
)
_WATCHED_CLASSES = (torch.Tensor, torch.nn.Module, torch.optim.Optimizer, torch.amp.GradScaler, torch.autograd.Function)
_KINDS = (types.FunctionType, types.BuiltinFunctionType, types.MethodDescriptorType, types.WrapperDescriptorType, type)


class Tampered(Exception):
    """The learner's code replaced something the grader relies on."""

    def __init__(self, replaced: list[str]):
        super().__init__(", ".join(replaced))
        self.replaced = replaced


def _engine_modules(scenario: Callable) -> list[types.ModuleType]:
    names = [scenario.__module__, "torchgrade.engine.wire"]
    names += [n for n in sys.modules if n.startswith("torchgrade.kit")]
    return [sys.modules[n] for n in names if n in sys.modules]


def _identities(scenario: Callable) -> dict[str, object]:
    found: dict[str, object] = {}
    for module in (*_WATCHED_MODULES, *_engine_modules(scenario)):
        for name, value in vars(module).items():
            if isinstance(value, _KINDS) or callable(value) and getattr(value, "__module__", "").startswith("torch"):
                found[f"{module.__name__}.{name}"] = value
    for cls in _WATCHED_CLASSES:
        for name, value in vars(cls).items():
            if isinstance(value, (*_KINDS, classmethod, staticmethod, property)):
                found[f"{cls.__module__}.{cls.__qualname__}.{name}"] = value
    return found


class Watch:
    """Identities recorded now, compared by :meth:`replaced` later."""

    def __init__(self, scenario: Callable):
        self._scenario = scenario
        self._before = _identities(scenario)

    def replaced(self) -> list[str]:
        """The names whose object is no longer the one recorded (deleted ones included)."""
        after = _identities(self._scenario)
        return sorted(
            name.removeprefix("builtins.") for name, obj in self._before.items() if after.get(name) is not obj
        )


def pin_defaults(device: str, seed: int) -> None:
    """Set torch's global defaults and every seed as the sandbox set them before the module loaded."""
    from torchgrade.engine import sandbox

    torch.set_default_dtype(torch.float32)
    if hasattr(torch, "set_default_device"):
        torch.set_default_device(None)
    torch.set_grad_enabled(True)
    torch.autograd.set_detect_anomaly(False)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_float32_matmul_precision("highest")
    torch.set_num_threads(1)
    if device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    sandbox.seed_everything(seed)
