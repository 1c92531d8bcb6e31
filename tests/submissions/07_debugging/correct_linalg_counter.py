# A correct submission in another style: torch.linalg.vector_norm, math.isnan/isinf on the
# loss value, (~torch.isfinite(g)).any(), inference_mode, and a Counter over prof.events().
import math
from collections import Counter

import torch


def grad_norms(model):
    norms = {}
    for name, p in model.named_parameters():
        if p.grad is None:
            continue
        norms[name] = float(torch.linalg.vector_norm(p.grad.detach()))
    return norms


def check_finite(loss):
    value = loss.item()
    if math.isnan(value):
        raise FloatingPointError("NaN loss: training diverged")
    if math.isinf(value):
        raise FloatingPointError(f"infinite loss ({value})")


def nonfinite_grads(model):
    bad = []
    for name, p in model.named_parameters():
        g = p.grad
        if g is not None and bool((~torch.isfinite(g)).any()):
            bad.append(name)
    return bad


def op_counts(model, x):
    with torch.inference_mode():
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            model(x)
    return dict(Counter(e.name for e in prof.events() if e.name.startswith("aten::")))
