"""Exercise 06: mixed-precision training with torch.autocast and torch.amp.GradScaler.

Use the current torch.amp API (torch.autocast, torch.amp.GradScaler), not the deprecated
torch.cuda.amp / torch.cpu.amp one. See README.md for what each function must do.
"""

from collections.abc import Callable

import torch
from torch import Tensor, nn


def autocast_dtype(device_type: str) -> torch.dtype:
    """The low-precision dtype to autocast to: torch.float16 for "cuda", torch.bfloat16 for "cpu"."""
    raise NotImplementedError("TODO: return torch.float16 for 'cuda' and torch.bfloat16 for 'cpu'")


def make_scaler(device_type: str) -> torch.amp.GradScaler:
    """A torch.amp.GradScaler for `device_type`, enabled exactly when it is "cuda"."""
    raise NotImplementedError("TODO: build a torch.amp.GradScaler(device_type, enabled=...)")


def amp_train_step(
    model: nn.Module,
    batch: tuple[Tensor, Tensor],
    criterion: Callable[[Tensor, Tensor], Tensor],
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    device_type: str,
    max_grad_norm: float | None = None,
) -> float:
    """One mixed-precision optimisation step on `batch = (inputs, targets)`; returns the loss as a float.

    Move the batch to `device_type`, clear old gradients, run the forward pass and the loss
    under torch.autocast(device_type, dtype=autocast_dtype(device_type)), then
    scaler.scale(loss).backward(), scaler.step(optimizer), scaler.update(). When
    `max_grad_norm` is given, clip the gradients to that norm between backward and step:
    scaler.unscale_(optimizer) first, then nn.utils.clip_grad_norm_; when it is None, do not clip.
    """
    raise NotImplementedError(
        "TODO: zero_grad, forward + loss under torch.autocast, then scale/backward, "
        "unscale_ + clip_grad_norm_ if max_grad_norm is given, then step/update"
    )
