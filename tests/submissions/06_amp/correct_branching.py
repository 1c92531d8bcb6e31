# A correct submission in another style: match on the device type, a scaler that is enabled
# only when CUDA can really be used (the same scaler torch builds on any machine), gradients
# cleared by hand, and the scaler's work spelled out only when it is enabled (unscaling
# before clipping only where there is something to unscale).
import torch
from torch import nn


def autocast_dtype(device_type: str) -> torch.dtype:
    match device_type:
        case "cuda":
            return torch.float16
        case _:
            return torch.bfloat16


def make_scaler(device_type: str) -> torch.amp.GradScaler:
    use_scaling = device_type == "cuda" and torch.cuda.is_available()
    return torch.amp.GradScaler(device_type, enabled=use_scaling)


def amp_train_step(
    model: nn.Module, batch, criterion, optimizer, scaler, device_type: str, max_grad_norm: float | None = None
) -> float:
    inputs, targets = batch
    inputs = inputs.to(device_type)
    targets = targets.to(device_type)
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.grad = None
    with torch.autocast(device_type=device_type, dtype=autocast_dtype(device_type), enabled=True):
        loss = criterion(model(inputs), targets)
    if scaler.is_enabled():
        scaler.scale(loss).backward()
        if max_grad_norm is not None:
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        scaler.step(optimizer)
        scaler.update()
    else:  # a disabled scaler would only pass the calls through
        loss.backward()
        if max_grad_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
    return loss.detach().float().item()
