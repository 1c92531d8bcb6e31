# A correct submission in another style: forward-mode autograd (torch.func.jvp) for cubic_and_grad,
# torch.func.vjp for gradient, torch.autograd.grad with allow_unused per batch, inference_mode as a
# decorator, and a Swish whose backward recomputes sigmoid(x) with torch.exp.
import torch


def cubic_and_grad(x):
    t = torch.tensor(x, dtype=torch.float64)
    y, dy = torch.func.jvp(lambda u: u**3 + 2 * u**2, (t,), (torch.ones_like(t),))
    return y.item(), dy.item()


def gradient(f, x):
    out, pullback = torch.func.vjp(f, x.detach())
    (g,) = pullback(torch.ones_like(out))
    return g


def batch_gradients(model, loss_fn, batches):
    names = [name for name, p in model.named_parameters() if p.requires_grad]
    params = [p for p in model.parameters() if p.requires_grad]
    grads = []
    for inputs, targets in batches:
        loss = loss_fn(model(inputs), targets)
        grads.append(dict(zip(names, torch.autograd.grad(loss, params, allow_unused=True))))
    return grads


@torch.inference_mode()
def predict(model, x):
    model.eval()
    return model(x)


class Swish(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = 1 / (1 + torch.exp(-x))
        return grad_output * (s + x * s * (1 - s))
