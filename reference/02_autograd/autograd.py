"""Exercise 02: gradients with autograd, gradient-free inference, and a hand-written backward."""

from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn


def cubic_and_grad(x: float) -> tuple[float, float]:
    """y = x**3 + 2*x**2 and dy/dx at `x`, both as Python floats, the derivative computed by autograd.

    Hint: make `x` a tensor with requires_grad=True, compute y, call y.backward(), read x.grad;
    .item() turns a one-element tensor into a Python float.
    """
    # float64 keeps the results as exact as the Python float we were given.
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = t**3 + 2 * t**2
    y.backward()  # fills t.grad with dy/dt = 3t^2 + 4t
    return y.item(), t.grad.item()


def gradient(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """The gradient of the scalar-valued function `f` at `x`, a tensor of the same shape as `x`.

    Leave `x` as it was: its values, its .grad and its requires_grad.
    Hint: work on a detached copy (x.detach().clone().requires_grad_()), or torch.autograd.grad.
    """
    # A fresh leaf that shares nothing with the caller's tensor: autograd can track it
    # without touching x.requires_grad or x.grad.
    x = x.detach().clone().requires_grad_(True)
    # autograd.grad returns the gradients instead of accumulating them into .grad.
    (grad,) = torch.autograd.grad(f(x), x)
    return grad


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
    names, params = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            names.append(name)
            params.append(p)

    result = []
    for inputs, targets in batches:
        loss = loss_fn(model(inputs), targets)
        # Fresh gradient tensors for this batch only; p.grad is never touched. A parameter
        # the loss does not depend on gets a zero gradient rather than an error.
        grads = torch.autograd.grad(loss, params, allow_unused=True, materialize_grads=True)
        result.append(dict(zip(names, grads)))
    return result


def predict(model: nn.Module, x: Tensor) -> Tensor:
    """The model's output for `x`, computed in evaluation mode with gradient tracking off.

    Hint: model.eval() (dropout off, BatchNorm uses its running statistics) and
    torch.no_grad() or torch.inference_mode() around the forward pass.
    """
    model.eval()
    # No graph is built, which saves memory and time; the output has requires_grad=False.
    with torch.no_grad():
        return model(x)


class Swish(torch.autograd.Function):
    """swish(x) = x * sigmoid(x) with a hand-written backward pass; use it as Swish.apply(x)."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        """Compute x * sigmoid(x) and save what backward needs (ctx.save_for_backward)."""
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> Tensor:
        """Chain rule: grad_output * d/dx[x * sigmoid(x)] = grad_output * (s + x * s * (1 - s)), s = sigmoid(x)."""
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * (s + x * s * (1 - s))
