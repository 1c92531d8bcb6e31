"""Exercise 01: creating tensors, reshaping them, and telling views from copies."""

import torch
from torch import Tensor


def evens(n: int) -> Tensor:
    """The even numbers below `n` (n >= 0) as a 1-D int64 tensor: [0, 2, 4, ...].

    Hint: torch.arange.
    """
    # Integer arguments give an int64 tensor; the end is exclusive, so evens(4) is [0, 2].
    return torch.arange(0, n, 2)


def identity_plus(n: int, value: float) -> Tensor:
    """An n x n float32 tensor: the identity matrix plus `value` in every entry.

    Hint: torch.eye, plus torch.ones / torch.full (or just broadcasting).
    """
    # Adding a Python float broadcasts it to every entry.
    return torch.eye(n, dtype=torch.float32) + value


def seeded_noise(shape: tuple[int, ...], seed: int) -> Tensor:
    """Standard-normal float32 noise of `shape`, drawn from a generator of its own seeded with `seed`.

    Must equal torch.randn(shape, generator=torch.Generator().manual_seed(seed)) and leave
    the global random state (the one torch.manual_seed sets) untouched.
    """
    # torch.manual_seed would reseed the global RNG that the rest of the program shares;
    # a private Generator makes the noise reproducible without that side effect.
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=generator)


def flatten_features(x: Tensor) -> Tensor:
    """(B, d1, d2, ...) -> (B, d1*d2*...): keep the batch axis, flatten all the others.

    Must also work when `x` is not contiguous (e.g. after permute). Hint: flatten or
    reshape; `view` fails on non-contiguous tensors.
    """
    # flatten (like reshape) returns a view when the memory layout allows it and copies
    # otherwise; view() would raise on a permuted tensor.
    return x.flatten(start_dim=1)


def add_batch_dim(x: Tensor) -> Tensor:
    """`x` with a new leading axis of size 1: shape (...) -> (1, ...). Hint: unsqueeze."""
    return x.unsqueeze(0)


def drop_singleton_dims(x: Tensor) -> Tensor:
    """`x` with every axis of size 1 removed, e.g. (1, 3, 1, 2) -> (3, 2). Hint: squeeze."""
    return x.squeeze()


def channels_first(x: Tensor) -> Tensor:
    """(B, H, W, C) -> (B, C, H, W), the layout nn.Conv2d expects. Hint: permute."""
    return x.permute(0, 3, 1, 2)


def swap_batch_and_time(x: Tensor) -> Tensor:
    """(B, T, ...) -> (T, B, ...): swap the first two axes. Hint: transpose."""
    return x.transpose(0, 1)


def first_sample(x: Tensor) -> Tensor:
    """The first sample `x[0]`, as a view that shares `x`'s storage (no copy)."""
    # Basic indexing (integers and slices) always returns a view.
    return x[0]


def drop_first_step(x: Tensor) -> Tensor:
    """For a (B, T, ...) tensor: every time step but the first, `x[:, 1:, ...]`, as a view."""
    return x[:, 1:]


def to_device(x: Tensor, device: str | torch.device) -> Tensor:
    """`x` on `device` (a str such as "cpu" / "cuda:0", or a torch.device), same dtype and values."""
    # .to() returns `x` itself when it is already there, and a copy on `device` otherwise.
    return x.to(device)
