# A correct submission in another style: float32 tensors and backward(), a requires_grad copy
# under enable_grad, zero_grad + backward + clone per batch, inference_mode with the earlier
# mode restored, and a Swish that saves sigmoid(x) for backward.
import torch


def cubic_and_grad(x):
    t = torch.tensor(float(x), requires_grad=True)
    y = t**3 + 2 * t**2
    y.backward()
    return float(y), float(t.grad)


def gradient(f, x):
    with torch.enable_grad():
        xc = x.detach().clone()
        xc.requires_grad = True
        f(xc).backward()
    return xc.grad


def batch_gradients(model, loss_fn, batches):
    trainable = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    out = []
    for inputs, targets in batches:
        model.zero_grad()
        loss_fn(model(inputs), targets).backward()
        out.append({name: p.grad.detach().clone() for name, p in trainable})
    return out


def predict(model, x):
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            return model(x)
    finally:
        model.train(was_training)


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
