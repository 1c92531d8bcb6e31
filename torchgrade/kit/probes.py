"""Instruments that scenarios attach to models and optimizers to observe learner behaviour.

They run inside sandbox children and record plain data (bools, floats, strings) that the
scenario returns for the grader to judge.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook


def grad_norm(parameters) -> float:
    """The total L2 norm of the gradients that exist, as ``clip_grad_norm_`` measures it."""
    grads = [p.grad.detach().flatten() for p in parameters if p.grad is not None]
    return float(torch.cat(grads).norm()) if grads else 0.0


def attempt(fn: Callable, *args: Any) -> dict:
    """Call learner code and record how it ended, for a check that judges errors too.

    ``{"returned": value, "raised": None}``, or ``{"raised": "ValueError", "fpe": is it a
    FloatingPointError, "message": str(exc)}``. ``NotImplementedError`` is not recorded but
    raised on, so that an unfinished function still reads "not implemented yet".
    """
    try:
        return {"returned": fn(*args), "raised": None}
    except NotImplementedError:
        raise
    except Exception as exc:  # learner code may raise anything: the check explains it
        return {"raised": type(exc).__name__, "fpe": isinstance(exc, FloatingPointError), "message": str(exc)}


class ForwardProbe:
    """Records, for each forward pass of ``module``: training mode, grad mode, batch size, device."""

    def __init__(self, module: nn.Module):
        self.calls: list[dict] = []
        self._handle = module.register_forward_pre_hook(self._hook)

    def _hook(self, module: nn.Module, args: tuple) -> None:
        x = args[0] if args else None
        self.calls.append(
            {
                "training": module.training,
                "grad_enabled": torch.is_grad_enabled(),
                "batch": int(x.shape[0]) if isinstance(x, torch.Tensor) and x.dim() else 0,
                "device": str(x.device) if isinstance(x, torch.Tensor) else "",
            }
        )

    def field(self, name: str) -> list:
        return [c[name] for c in self.calls]


class StepProbe:
    """Records every ``optimizer.step()`` made anywhere: optimizer type, lr, settings, grad norm."""

    def __init__(self):
        self.steps: list[dict] = []

    def _hook(self, optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
        group = optimizer.param_groups[0]
        self.steps.append(
            {
                "optimizer": type(optimizer).__name__,
                "lr": float(group["lr"]),
                "weight_decay": float(group.get("weight_decay", 0.0)),
                "grad_norm": grad_norm(p for g in optimizer.param_groups for p in g["params"]),
                "n_params": sum(len(g["params"]) for g in optimizer.param_groups),
            }
        )

    @contextlib.contextmanager
    def watching(self) -> Iterator[StepProbe]:
        handle = register_optimizer_step_pre_hook(self._hook)
        try:
            yield self
        finally:
            handle.remove()

    def field(self, name: str) -> list:
        return [s[name] for s in self.steps]


class OpTrace(contextlib.AbstractContextManager):
    """Counts the aten operators that actually run (e.g. ``_softmax`` before a loss)."""

    def __init__(self):
        from torch.utils._python_dispatch import TorchDispatchMode

        trace = self
        self.counts: dict[str, int] = {}

        class _Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                name = func.overloadpacket.__name__
                trace.counts[name] = trace.counts.get(name, 0) + 1
                return func(*args, **(kwargs or {}))

        self._mode = _Mode()

    def __enter__(self) -> OpTrace:
        self._mode.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._mode.__exit__(*exc)
