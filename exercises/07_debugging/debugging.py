"""Exercise 07: tools for debugging training: gradient norms, non-finite values, profiling.

See README.md for what each function must do.
"""

import torch
from torch import Tensor, nn


def grad_norms(model: nn.Module) -> dict[str, float]:
    """The L2 norm of each parameter's gradient, keyed by named_parameters() name.

    Parameters whose .grad is None (e.g. frozen, or not used in the forward pass) are left out.
    """
    raise NotImplementedError("TODO: {name: L2 norm of p.grad as a float} for parameters with a gradient")


def check_finite(loss: Tensor) -> None:
    """Return quietly if the scalar `loss` is finite (however large); otherwise raise
    FloatingPointError with a message saying whether it is nan or inf (torch.isfinite).
    """
    raise NotImplementedError("TODO: raise FloatingPointError('loss is nan' / 'loss is inf') unless loss is finite")


def nonfinite_grads(model: nn.Module) -> list[str]:
    """Names, in named_parameters() order, of the parameters whose gradient holds a NaN or an Inf.

    Parameters whose .grad is None are skipped.
    """
    raise NotImplementedError("TODO: list the names of parameters whose .grad has a NaN or an Inf")


def op_counts(model: nn.Module, x: Tensor) -> dict[str, int]:
    """Profile one forward pass model(x) and count how often each aten:: operator ran.

    Run it under torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
    with gradient tracking off (torch.no_grad()), leaving the model in the mode it is in.
    Return {event name: call count} for every event in prof.key_averages() whose name
    starts with "aten::" (nested ops included).
    """
    raise NotImplementedError("TODO: profile model(x) under no_grad and count the aten:: events")
