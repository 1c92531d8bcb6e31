# A correct submission in another style: torch.autograd.grad everywhere, torch.func.grad for
# gradient, a name -> parameter dict, a no_grad decorator that leaves the model in eval mode,
# and a Swish whose backward recomputes sigmoid from the saved input.
import torch
from torch.func import grad as func_grad


def cubic_and_grad(x):
    t = torch.as_tensor(x, dtype=torch.float64).requires_grad_()
    y = t.pow(3) + 2 * t.pow(2)
    (dy,) = torch.autograd.grad(y, t)
    return y.item(), dy.item()


def gradient(f, x):
    return func_grad(f)(x.detach())


def batch_gradients(model, loss_fn, batches):
    params = {name: p for name, p in model.named_parameters() if p.requires_grad}
    result = []
    for inputs, targets in batches:
        loss = loss_fn(model(inputs), targets)
        grads = torch.autograd.grad(loss, list(params.values()))
        result.append({name: g for name, g in zip(params, grads)})
    return result


@torch.no_grad()
def predict(model, x):
    return model.eval()(x)


class Swish(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + torch.exp(-x))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(x)
        return grad_output * (s + x * s * (1 - s))
