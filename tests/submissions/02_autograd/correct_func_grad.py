# A correct submission in another style: torch.func.grad for cubic_and_grad, torch.autograd.grad on
# a detached copy for gradient, .grad set to None + backward + clone per batch, eval() and no_grad
# as a context manager, and a Swish that saves x and sigmoid(x) for a backward written as s·(1 + x·(1 − s)).
import torch
from torch import func


def _cubic(t):
    return t**3 + 2 * t**2


def cubic_and_grad(x):
    t = torch.tensor(x, dtype=torch.float64)
    return _cubic(t).item(), func.grad(_cubic)(t).item()


def gradient(f, x):
    with torch.enable_grad():
        xc = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(f(xc), xc)
    return g


def batch_gradients(model, loss_fn, batches):
    trainable = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    result = []
    for inputs, targets in batches:
        for _, p in trainable:
            p.grad = None
        loss_fn(model(inputs), targets).backward()
        result.append({name: p.grad.clone() for name, p in trainable})
    return result


def predict(model, x):
    model.eval()
    with torch.no_grad():
        out = model(x)
    return out


class Swish(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        s = torch.sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, grad_output):
        x, s = ctx.saved_tensors
        return grad_output * s * (1 + x * (1 - s))
