# A correct submission in another style: the norm written out, separate isnan/isinf tests,
# torch.no_grad as a decorator, an explicit loop over key_averages().
import torch


def grad_norms(model):
    return {
        name: p.grad.detach().double().pow(2).sum().sqrt().item()
        for name, p in model.named_parameters()
        if p.grad is not None
    }


def check_finite(loss):
    if torch.isnan(loss).any():
        raise FloatingPointError("Loss is NaN")
    if torch.isinf(loss).any():
        raise FloatingPointError("Loss is Inf")
    return None


def nonfinite_grads(model):
    names = []
    for name, param in model.named_parameters():
        if param.grad is None:
            continue
        if torch.isnan(param.grad).any() or torch.isinf(param.grad).any():
            names.append(name)
    return names


@torch.no_grad()
def _forward(model, x):
    return model(x)


def op_counts(model, x):
    profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], record_shapes=False)
    with profiler:
        _forward(model, x)
    counts = {}
    for event in profiler.key_averages():
        if event.key.startswith("aten::"):
            counts[event.key] = counts.get(event.key, 0) + event.count
    return counts
