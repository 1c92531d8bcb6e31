"""Raw observations of memory, for scenarios to record and checks to judge.

A scenario runs in the same interpreter as the learner's module, so whatever it decides
there rests on functions that module could have replaced. These helpers only look: a
scenario records what they return and the check, in the grader's process, compares::

    # in the scenario, while both tensors are alive
    call["storage"] = [storage_address(result), storage_address(x)]
    call["write"] = write_into(fn(fresh), fresh)
    # in the check
    if not same_memory(*got["storage"]) or wrote_through(got["write"]) is False: fail(...)

"""

from __future__ import annotations

from typing import Any

import torch


def storage_address(value: Any) -> int | None:
    """In a scenario: where ``value``'s memory starts (its storage's data pointer), as an int.

    None for anything that is not a tensor or has no single storage (sparse layouts). Take
    the addresses of tensors that are all still alive, and compare them with
    :func:`same_memory` in the check.
    """
    if not isinstance(value, torch.Tensor):
        return None
    try:
        return int(value.untyped_storage().data_ptr())
    except (RuntimeError, NotImplementedError):  # sparse and other layouts without one storage
        return None


def same_memory(a: int | None, b: int | None) -> bool:
    """In a check: whether two :func:`storage_address` results are the same memory.

    A view and its base, or one tensor twice, share it; a tensor that owns no memory
    (address 0, a fresh empty tensor) shares it with nothing.
    """
    return isinstance(a, int) and isinstance(b, int) and a != 0 and a == b


def write_into(result: Any, source: torch.Tensor) -> dict[str, torch.Tensor] | None:
    """In a scenario: add 1 to ``result`` in place, and record ``source`` before and after.

    ``{"before": tensor, "after": tensor}``, for :func:`wrote_through` to judge in the
    check; None when there is nothing to write into (``result`` is not a tensor, is empty
    or cannot be written). Pass tensors made for the purpose: both are changed.
    """
    if not isinstance(result, torch.Tensor) or result.numel() == 0:
        return None
    before = source.detach().clone()
    try:
        with torch.no_grad():
            result.add_(1)
    except RuntimeError:
        return None
    return {"before": before, "after": source.detach().clone()}


def wrote_through(write: dict[str, torch.Tensor] | None) -> bool | None:
    """In a check: whether the write :func:`write_into` recorded changed its source, as it does
    through a view; None when nothing could be written."""
    if write is None:
        return None
    before, after = write["before"], write["after"]
    return not (after.shape == before.shape and after.dtype == before.dtype and torch.equal(after, before))
