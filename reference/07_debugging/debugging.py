"""Exercise 07: tools for debugging training: gradient norms, non-finite values, profiling."""

import torch
from torch import Tensor, nn


def grad_norms(model: nn.Module) -> dict[str, float]:
    """The L2 norm of each parameter's gradient, keyed by named_parameters() name.

    Parameters whose .grad is None (e.g. frozen, or not used in the forward pass) are left out.
    """
    # norm() of the whole tensor, however many dimensions it has; item() makes it a float.
    return {name: p.grad.norm().item() for name, p in model.named_parameters() if p.grad is not None}


def check_finite(loss: Tensor) -> None:
    """Return quietly if the scalar `loss` is finite (however large); otherwise raise
    FloatingPointError with a message saying whether it is nan or inf (torch.isfinite).
    """
    if not torch.isfinite(loss):
        # A Python float prints as 'nan', 'inf' or '-inf', which says exactly what went wrong.
        raise FloatingPointError(f"loss is {loss.item()}")


def nonfinite_grads(model: nn.Module) -> list[str]:
    """Names, in named_parameters() order, of the parameters whose gradient holds a NaN or an Inf.

    Parameters whose .grad is None are skipped.
    """
    return [name for name, p in model.named_parameters() if p.grad is not None and not torch.isfinite(p.grad).all()]


def op_counts(model: nn.Module, x: Tensor) -> dict[str, int]:
    """Profile one forward pass model(x) and count how often each aten:: operator ran.

    Run it under torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
    with gradient tracking off (torch.no_grad()), leaving the model in the mode it is in.
    Return {event name: call count} for every event in prof.key_averages() whose name
    starts with "aten::" (nested ops included).
    """
    activities = [torch.profiler.ProfilerActivity.CPU]
    with torch.no_grad(), torch.profiler.profile(activities=activities) as prof:
        model(x)
    # key_averages() groups the recorded events by name. High-level ops show up together
    # with the ops they call: aten::linear -> aten::t, aten::addmm, ...
    return {e.key: e.count for e in prof.key_averages() if e.key.startswith("aten::")}
