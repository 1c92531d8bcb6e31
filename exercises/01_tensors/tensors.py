"""Exercise 01: creating tensors, reshaping them, and telling views from copies.

Replace each `raise NotImplementedError(...)` with your code. See README.md.
"""

import torch
from torch import Tensor


def evens(n: int) -> Tensor:
    """The even numbers below `n` (n >= 0) as a 1-D int64 tensor: [0, 2, 4, ...].

    Hint: torch.arange.
    """
    raise NotImplementedError("TODO: return the even numbers below n (torch.arange with a step)")


def identity_plus(n: int, value: float) -> Tensor:
    """An n x n float32 tensor: the identity matrix plus `value` in every entry.

    Hint: torch.eye, plus torch.ones / torch.full (or just broadcasting).
    """
    raise NotImplementedError("TODO: build an n x n identity and add value everywhere")


def seeded_noise(shape: tuple[int, ...], seed: int) -> Tensor:
    """Standard-normal float32 noise of `shape`, drawn from a generator of its own seeded with `seed`.

    Must equal torch.randn(shape, generator=torch.Generator().manual_seed(seed)) and leave
    the global random state (the one torch.manual_seed sets) untouched.
    """
    raise NotImplementedError("TODO: draw torch.randn from a torch.Generator seeded with seed")


def flatten_features(x: Tensor) -> Tensor:
    """(B, d1, d2, ...) -> (B, d1*d2*...): keep the batch axis, flatten all the others.

    Must also work when `x` is not contiguous (e.g. after permute). Hint: flatten or
    reshape; `view` fails on non-contiguous tensors.
    """
    raise NotImplementedError("TODO: flatten every axis but the first")


def add_batch_dim(x: Tensor) -> Tensor:
    """`x` with a new leading axis of size 1: shape (...) -> (1, ...). Hint: unsqueeze."""
    raise NotImplementedError("TODO: add a leading axis of size 1")


def drop_singleton_dims(x: Tensor) -> Tensor:
    """`x` with every axis of size 1 removed, e.g. (1, 3, 1, 2) -> (3, 2). Hint: squeeze."""
    raise NotImplementedError("TODO: remove every axis of size 1")


def channels_first(x: Tensor) -> Tensor:
    """(B, H, W, C) -> (B, C, H, W), the layout nn.Conv2d expects. Hint: permute."""
    raise NotImplementedError("TODO: reorder the axes to (B, C, H, W)")


def swap_batch_and_time(x: Tensor) -> Tensor:
    """(B, T, ...) -> (T, B, ...): swap the first two axes. Hint: transpose."""
    raise NotImplementedError("TODO: swap axes 0 and 1")


def first_sample(x: Tensor) -> Tensor:
    """The first sample `x[0]`, as a view that shares `x`'s storage (no copy)."""
    raise NotImplementedError("TODO: return x[0] without copying")


def drop_first_step(x: Tensor) -> Tensor:
    """For a (B, T, ...) tensor: every time step but the first, `x[:, 1:, ...]`, as a view."""
    raise NotImplementedError("TODO: slice off the first time step without copying")


def to_device(x: Tensor, device: str | torch.device) -> Tensor:
    """`x` on `device` (a str such as "cpu" / "cuda:0", or a torch.device), same dtype and values."""
    raise NotImplementedError("TODO: move x to device")
