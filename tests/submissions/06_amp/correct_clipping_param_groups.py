# A correct submission in another style: the parameters to clip taken from the optimizer's
# param groups, clip_grad_norm_ with foreach=True, the batch unpacked in a loop, a guard clause
# for the unclipped case, and the loss returned through .detach().item().
import torch
from torch import nn


def autocast_dtype(device_type: str) -> torch.dtype:
    return {"cuda": torch.float16}.get(device_type, torch.bfloat16)


def make_scaler(device_type: str) -> torch.amp.GradScaler:
    scaler = torch.amp.GradScaler(device_type, enabled=False)
    if device_type == "cuda":
        scaler = torch.amp.GradScaler("cuda", enabled=True)
    return scaler


def _clip(optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler, max_grad_norm: float | None) -> None:
    if max_grad_norm is None:
        return
    scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
    params = [p for group in optimizer.param_groups for p in group["params"]]
    nn.utils.clip_grad_norm_(params, max_grad_norm, foreach=True)


def amp_train_step(model, batch, criterion, optimizer, scaler, device_type, max_grad_norm=None):
    inputs, targets = (t.to(device_type) for t in batch)
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast(device_type, dtype=autocast_dtype(device_type)):
        loss = criterion(model(inputs), targets)
    scaler.scale(loss).backward()
    _clip(optimizer, scaler, max_grad_norm)
    scaler.step(optimizer)
    scaler.update()
    return loss.detach().item()
