"""Compare a learner's data with the reference's and explain any difference to the learner.

Every ``expect_*`` function returns quietly or raises :class:`CheckFailed` with a message
that names the value, what is wrong with it (type, shape, dtype, NaN/Inf, which values),
and, when the caller knows the likely cause, a hint in PyTorch terms.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NoReturn

import torch

from torchgrade.engine.wire import Foreign
from torchgrade.kit.describe import describe, name_differences


class CheckFailed(AssertionError):
    """A check did not pass; ``str()`` is the learner-facing message."""

    def __init__(self, message: str, details: str = "", cause: str = ""):
        super().__init__(message)
        self.details = details
        self.cause = cause  # set by the engine when the learner's code gave no result (sandbox.Failure.kind)


def fail(message: str, hint: str | None = None, details: str = "") -> NoReturn:
    raise CheckFailed(f"{message} {hint}" if hint else message, details)


@contextlib.contextmanager
def explained(known: list[tuple[str, str]]) -> Iterator[None]:
    """Add a hint to a learner failure whose text matches a known PyTorch error: ``(pattern, hint)``."""
    try:
        yield
    except CheckFailed as exc:
        for pattern, hint in known:
            if pattern in str(exc):
                message = str(exc) if str(exc).endswith((".", "!", "?")) else f"{exc}."
                fail(message, hint, exc.details)
        raise


def tolerance(dtype: torch.dtype) -> tuple[float, float]:
    """(rtol, atol) for comparing values of ``dtype``, as torch.testing.assert_close uses."""
    return {
        torch.float16: (1e-3, 1e-5),
        torch.bfloat16: (1.6e-2, 1e-5),
        torch.float32: (1.3e-6, 1e-5),
        torch.float64: (1e-7, 1e-7),
    }.get(dtype, (0.0, 0.0))


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def expect_tensor(
    got: Any,
    want: torch.Tensor,
    what: str,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    hint: str | None = None,
    check_dtype: bool = True,
) -> None:
    """``got`` must be a tensor with ``want``'s shape, dtype and values (within tolerance)."""
    if not isinstance(got, torch.Tensor):
        fail(f"{what} should be a tensor, but is {describe(got)}.", hint)
    if got.shape != want.shape:
        fail(f"{what} has shape {tuple(got.shape)}, expected {tuple(want.shape)}.", hint)
    if check_dtype and got.dtype != want.dtype:
        fail(f"{what} has dtype {got.dtype}, expected {want.dtype}.", hint)
    if got.is_complex() or want.is_complex():
        fail(f"{what} is complex-valued, which this exercise never expects.", hint)
    default_rtol, default_atol = tolerance(want.dtype)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    g, w = got.detach().to(torch.float64), want.detach().to(torch.float64)
    for bad, name in ((torch.isnan, "NaN"), (torch.isinf, "Inf")):
        if bool((bad(g) & ~bad(w)).any()):
            n = int((bad(g) & ~bad(w)).sum())
            fail(f"{what} contains {n} {name} value{'s' if n != 1 else ''} where the expected values are finite.", hint)
    close = torch.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
    if bool(close.all()):
        return
    diff = (g - w).abs().nan_to_num(nan=math.inf)
    diff[close] = 0
    flat = int(diff.reshape(-1).argmax())
    index = list(torch.unravel_index(torch.tensor(flat), g.shape)) if g.dim() else []
    where = f" at [{', '.join(str(int(i)) for i in index)}]" if index else ""
    n_bad, n_all = int((~close).sum()), close.numel()
    fail(
        f"{what} differs from the expected values at {n_bad} of {n_all} position{'s' if n_all != 1 else ''}; "
        f"largest difference {_fmt(float(diff.reshape(-1)[flat]))}{where} "
        f"(yours {_fmt(float(g.reshape(-1)[flat]))}, expected {_fmt(float(w.reshape(-1)[flat]))}).",
        hint,
    )


def expect_tensors(
    got: Any, want: Mapping[str, torch.Tensor], what: str, *, hint: str | None = None, **tol: float
) -> None:
    """A name → tensor mapping (state dict, gradients) equal to ``want``, name by name."""
    if not isinstance(got, dict):
        fail(f"{what} should be a dict of tensors by name, but is {describe(got)}.", hint)
    differences = name_differences(got, want, show=repr)
    if differences:
        fail(f"{what} has the wrong names: {'; '.join(differences)}.", hint)
    for name, expected in want.items():
        expect_tensor(got[name], expected, f"{what} `{name}`", hint=hint, **tol)


def expect_float(
    got: Any, want: float, what: str, *, rtol: float = 1e-5, atol: float = 1e-6, hint: str | None = None
) -> None:
    """``got`` must be a Python float (an int is fine) close to ``want``."""
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        extra = " Return a Python number, e.g. with `.item()`." if isinstance(got, torch.Tensor) else ""
        fail(f"{what} should be a Python float, but is {describe(got)}.{extra}", hint)
    if math.isnan(got) and not math.isnan(want):
        fail(f"{what} is NaN, expected {_fmt(want)}.", hint)
    if not math.isclose(got, want, rel_tol=rtol, abs_tol=atol):
        fail(f"{what} is {_fmt(got)}, expected {_fmt(want)}.", hint)


def expect_equal(got: Any, want: Any, what: str, *, hint: str | None = None) -> None:
    """Exact equality of plain data (numbers, strings, lists, tuples), types included."""
    if not _same(got, want):
        fail(f"{what} is {_show(got)}, expected {_show(want)}.", hint)


def expect_mode(
    modes: Sequence[bool],
    training: bool,
    message: str,
    hint: str | None = None,
    *,
    never: str = "The model never ran a forward pass.",
) -> None:
    """Every forward pass ran in training mode (``training=True``) or in evaluation mode (``False``).

    ``modes`` is what a :class:`~torchgrade.kit.probes.ForwardProbe` recorded,
    ``probe.field("training")``. No forward pass at all fails with ``never``; one in the
    other mode with ``message`` (what happened, in the learner's terms) and ``hint``.
    """
    if not modes:
        fail(never)
    if any(bool(mode) != training for mode in modes):
        fail(message, hint)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (
            isinstance(a, torch.Tensor)
            and isinstance(b, torch.Tensor)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and bool((a == b).all())
        )
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return a == b


def _show(value: Any) -> str:
    if isinstance(value, (Foreign, torch.Tensor)) or value is None:
        return describe(value)
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
