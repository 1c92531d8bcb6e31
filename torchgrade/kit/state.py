"""A model's state before and after learner code ran: copies, what changed, shared storage.

Scenarios take a copy before handing a model (or tensor) to learner code and compare after
it returns: ``before = snapshot(model)`` ... ``changed(before, snapshot(model))``. The
copies are plain tensors, so a scenario can also return them for the check to compare with
the reference's.
"""

from __future__ import annotations

from typing import Any

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


def grad_changes(before: dict[str, torch.Tensor | None], module: nn.Module) -> list[list[str]]:
    """``[[name, what happened], ...]`` for every ``.grad`` of ``module`` that is not as in ``before``.

    ``before`` is :func:`grad_snapshot` taken earlier; what happened is "created", "set to None",
    "zeroed" or "changed" (NaN and Inf compare equal to themselves).
    """
    changes = []
    for name, p in module.named_parameters():
        old, new = before.get(name), p.grad
        if old is None and new is None:
            continue
        if new is None:
            changes.append([name, "set to None"])
        elif old is None:
            changes.append([name, "created"])
        elif not _same(new.detach(), old):
            changes.append([name, "zeroed" if not new.detach().any() else "changed"])
    return changes


def stale_gradients(module: nn.Module, value: float = 5.0) -> None:
    """Give every parameter a ``.grad`` full of ``value``, as if left over from an earlier backward().

    A step that forgets ``optimizer.zero_grad()`` then adds the new gradients to these.
    """
    for p in module.parameters():
        p.grad = torch.full_like(p, value)


def shares_storage(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are tensors over the same memory: a view and its base, or one tensor twice.

    Writing into one then changes the other. Tensors that own no memory (fresh empty ones)
    share it with nothing.
    """
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
        return False
    try:
        ptr = a.untyped_storage().data_ptr()
        return ptr != 0 and ptr == b.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):  # sparse and other layouts without one storage
        return False


def writes_through(result: Any, source: torch.Tensor) -> bool | None:
    """Whether writing into ``result`` changes ``source``: the behaviour that makes ``result`` a view.

    Adds 1 to ``result`` in place, so pass tensors made for the purpose. None when there
    is nothing to write into: ``result`` is not a tensor, is empty or cannot be written.
    """
    if not isinstance(result, torch.Tensor) or result.numel() == 0:
        return None
    before = source.clone()
    try:
        with torch.no_grad():
            result.add_(1)
    except RuntimeError:
        return None
    return not torch.equal(source, before)


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and bool(torch.equal(a, b) or _equal_nan(a, b))


def _equal_nan(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.is_floating_point() and bool(torch.allclose(a, b, rtol=0, atol=0, equal_nan=True))
