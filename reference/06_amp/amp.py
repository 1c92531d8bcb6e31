"""Exercise 06: mixed-precision training with torch.autocast and torch.amp.GradScaler."""

from collections.abc import Callable

import torch
from torch import Tensor, nn


def autocast_dtype(device_type: str) -> torch.dtype:
    """The low-precision dtype to autocast to: torch.float16 for "cuda", torch.bfloat16 for "cpu"."""
    # GPUs have fast float16 units. On CPUs float16 matmuls are very slow, while bfloat16
    # is well supported (and is autocast's default there).
    return torch.float16 if device_type == "cuda" else torch.bfloat16


def make_scaler(device_type: str) -> torch.amp.GradScaler:
    """A torch.amp.GradScaler for `device_type`, enabled exactly when it is "cuda"."""
    # float16 has a narrow exponent range, so small gradients underflow to zero unless the
    # loss is scaled up first. bfloat16 has float32's range and needs no scaling, so on the
    # CPU the scaler is created disabled: then scale() is a no-op and step() just steps.
    return torch.amp.GradScaler(device_type, enabled=(device_type == "cuda"))


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
    `max_grad_norm` is given, clip the unscaled gradients to that norm before the step.
    """
    inputs, targets = batch
    inputs, targets = inputs.to(device_type), targets.to(device_type)

    optimizer.zero_grad()
    # Only the forward pass and the loss run under autocast: eligible ops (matmuls,
    # convolutions) run in low precision, precision-sensitive ones (losses, softmax) in float32.
    # backward() runs outside it and uses the same dtypes its forward ops did.
    with torch.autocast(device_type, dtype=autocast_dtype(device_type)):
        out = model(inputs)
        loss = criterion(out, targets)

    scaler.scale(loss).backward()  # backward on loss * scale, so small gradients survive float16
    if max_grad_norm is not None:
        # The gradients are still multiplied by the scale: unscale them in place first, so that
        # the norm is measured and clipped in true units. step() then does not unscale them again.
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    scaler.step(optimizer)  # unscales the gradients; skips the step if any is inf or NaN
    scaler.update()  # lowers the scale after a skipped step, raises it after a run of good ones
    return loss.item()
