# A correct submission in another style: a dict lookup for the dtype, torch.amp.autocast with
# keyword arguments, zero_grad(set_to_none=False), float(loss) instead of loss.item(), clipping
# through torch.nn.utils.clip_grad_norm_ with keyword arguments.
import torch

_LOW_PRECISION = {"cuda": torch.float16, "cpu": torch.bfloat16}


def autocast_dtype(device_type):
    return _LOW_PRECISION.get(device_type, torch.bfloat16)


def make_scaler(device_type):
    return torch.amp.GradScaler(device=device_type, enabled=device_type == "cuda")


def amp_train_step(model, batch, criterion, optimizer, scaler, device_type, max_grad_norm=None):
    device = torch.device(device_type)
    inputs, targets = (t.to(device, non_blocking=True) for t in batch)
    optimizer.zero_grad(set_to_none=False)
    with torch.amp.autocast(device_type=device_type, dtype=autocast_dtype(device_type)):
        logits = model(inputs)
        loss = criterion(logits, targets)
    scaled = scaler.scale(loss)
    scaled.backward()
    if max_grad_norm is not None:
        scaler.unscale_(optimizer=optimizer)
        torch.nn.utils.clip_grad_norm_(parameters=model.parameters(), max_norm=max_grad_norm)
    scaler.step(optimizer)
    scaler.update()
    return float(loss)
