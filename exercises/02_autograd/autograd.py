"""Exercise 02: gradients with autograd, gradient-free inference, and a hand-written backward.

Replace each `raise NotImplementedError(...)` with your code. See README.md.
"""

from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn


def cubic_and_grad(x: float) -> tuple[float, float]:
    """y = x**3 + 2*x**2 and dy/dx at `x`, both as Python floats, the derivative computed by autograd.

    Hint: make `x` a tensor with requires_grad=True, compute y, call y.backward(), read x.grad;
    .item() turns a one-element tensor into a Python float.
    """
    raise NotImplementedError("TODO: compute y and let autograd find dy/dx")


def gradient(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """The gradient of the scalar-valued function `f` at `x`, a tensor of the same shape as `x`.

    Leave `x` as it was: its values, its .grad and its requires_grad.
    Hint: work on a detached copy (x.detach().clone().requires_grad_()), or torch.autograd.grad.
    """
    raise NotImplementedError("TODO: differentiate f at a copy of x")


def batch_gradients(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    batches: Iterable[tuple[Tensor, Tensor]],
) -> list[dict[str, Tensor]]:
    """For each (inputs, targets) in `batches`, the gradient of loss_fn(model(inputs), targets).

    Returns one dict per batch, {parameter name: gradient} for every parameter that requires
    grad, named as model.named_parameters() names them. Each batch's gradients are its own:
    nothing accumulates across batches, and they are not the model's .grad tensors (which later
    batches would overwrite). Use the model in whatever mode (train/eval) it was handed over in.
    Hint: torch.autograd.grad, or zero_grad + backward + clone each .grad.
    """
    raise NotImplementedError("TODO: one {name: gradient} dict per batch")


def predict(model: nn.Module, x: Tensor) -> Tensor:
    """The model's output for `x`, computed in evaluation mode with gradient tracking off.

    Hint: model.eval() (dropout off, BatchNorm uses its running statistics) and
    torch.no_grad() or torch.inference_mode() around the forward pass.
    """
    raise NotImplementedError("TODO: eval mode, no gradient tracking, forward pass")


class Swish(torch.autograd.Function):
    """swish(x) = x * sigmoid(x) with a hand-written backward pass; use it as Swish.apply(x)."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        """Compute x * sigmoid(x) and save what backward needs (ctx.save_for_backward)."""
        raise NotImplementedError("TODO: save x for backward, return x * sigmoid(x)")

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> Tensor:
        """Chain rule: grad_output * d/dx[x * sigmoid(x)] = grad_output * (s + x * s * (1 - s)), s = sigmoid(x)."""
        raise NotImplementedError("TODO: read ctx.saved_tensors, return grad_output * dswish/dx")
