"""A model's state before and after learner code ran: copies, what changed, shared storage.

Scenarios take a copy before handing a model (or tensor) to learner code and compare after
it returns: ``before = snapshot(model)`` ... ``changed(before, snapshot(model))``. The
copies are plain tensors, so a scenario can also return them for the check to compare with
the reference's.
"""

from __future__ import annotations

import torch
from torch import nn


def snapshot(module: nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of every parameter and buffer, by name."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def changed(before: dict[str, torch.Tensor], after: dict[str, torch.Tensor]) -> list[str]:
    """The names whose tensor in ``after`` is not exactly the one in ``before`` (in ``before``'s order).

    E.g. which parameters an optimizer step updated, or which buffers an evaluation
    should have left alone but did not; a name missing from ``after`` counts as changed.
    """
    return [k for k, v in before.items() if not (isinstance(after.get(k), torch.Tensor) and _same(after[k], v))]


def grad_snapshot(module: nn.Module) -> dict[str, torch.Tensor | None]:
    """A copy of every parameter's ``.grad``, by name (None where it has none)."""
    return {n: None if p.grad is None else p.grad.detach().clone() for n, p in module.named_parameters()}


def grad_differences(before: dict[str, torch.Tensor | None], after: dict[str, torch.Tensor | None]) -> list[list[str]]:
    """``[[name, what happened], ...]`` for every gradient not in ``after`` as it was in ``before``.

    Two :func:`grad_snapshot` s, taken by a scenario before and after the learner's call and
    compared in the check. What happened is "created", "set to None", "zeroed" or
    "changed" (NaN and Inf compare equal to themselves); names in ``before``'s order, then
    any that only ``after`` has.
    """

    def what(old: torch.Tensor | None, new: torch.Tensor | None) -> str | None:
        if old is None or new is None:
            return None if old is new else ("created" if old is None else "set to None")
        return None if _same(new, old) else ("zeroed" if not bool(new.any()) else "changed")

    names = list(before) + [n for n in after if n not in before]
    found = [(name, what(before.get(name), after.get(name))) for name in names]
    return [[name, how] for name, how in found if how is not None]


def stale_gradients(module: nn.Module, value: float = 5.0) -> None:
    """Give every parameter a ``.grad`` full of ``value``, as if left over from an earlier backward().

    A step that forgets ``optimizer.zero_grad()`` then adds the new gradients to these.
    """
    for p in module.parameters():
        p.grad = torch.full_like(p, value)


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and bool(torch.equal(a, b) or _equal_nan(a, b))


def _equal_nan(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.is_floating_point() and bool(torch.allclose(a, b, rtol=0, atol=0, equal_nan=True))
