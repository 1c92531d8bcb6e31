"""02_autograd: realistic mistakes, each failing the check that concerns it with a message naming the concept."""

from __future__ import annotations

COPY = "    x = x.detach().clone().requires_grad_(True)\n"
GRADIENT_BODY = (
    COPY
    + """    # autograd.grad returns the gradients instead of accumulating them into .grad.
    (grad,) = torch.autograd.grad(f(x), x)
    return grad
"""
)
BATCH_LOOP = """    result = []
    for inputs, targets in batches:
        loss = loss_fn(model(inputs), targets)
        # Fresh gradient tensors for this batch only; p.grad is never touched. A parameter
        # the loss does not depend on gets a zero gradient rather than an error.
        grads = torch.autograd.grad(loss, params, allow_unused=True, materialize_grads=True)
        result.append(dict(zip(names, grads)))
    return result
"""
NO_ZERO_GRAD = """    result = []
    for inputs, targets in batches:
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        result.append({name: p.grad.clone() for name, p in zip(names, params)})
    return result
"""
ZERO_IN_PLACE_NO_CLONE = """    result = []
    for inputs, targets in batches:
        for p in params:
            if p.grad is not None:
                p.grad.zero_()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        result.append({name: p.grad for name, p in zip(names, params)})
    return result
"""
SET_TO_NONE_NO_CLONE = """    result = []
    for inputs, targets in batches:
        model.zero_grad()
        loss_fn(model(inputs), targets).backward()
        result.append({name: p.grad for name, p in zip(names, params)})
    return result
"""
TRAINABLE = "        if p.requires_grad:\n            names.append(name)\n            params.append(p)\n"
DERIVATIVE = "        return grad_output * (s + x * s * (1 - s))"
AUTOGRAD_IN_BACKWARD = """        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(x * torch.sigmoid(x), x, grad_output)
        return grad"""

# (what the learner did, text in the reference, what they wrote instead, the check that must fail, words its message must hold)
MISTAKES = [
    (
        "input without requires_grad",
        "torch.tensor(x, dtype=torch.float64, requires_grad=True)",
        "torch.tensor(x, dtype=torch.float64)",
        "cubic_and_grad_values",
        "Autograd only differentiates through tensors that track gradients",
    ),
    (
        "derivative by a formula written by hand",
        "    y.backward()  # fills t.grad with dy/dt = 3t^2 + 4t\n    return y.item(), t.grad.item()",
        "    return y.item(), 3 * x**2 + 4 * x",
        "cubic_and_grad_values",
        "autograd did not compute it",
    ),
    (
        "y and dy/dx swapped",
        "    return y.item(), t.grad.item()",
        "    return t.grad.item(), y.item()",
        "cubic_and_grad_values",
        "expected 16",
    ),
    (
        "returns tensors",
        "    return y.item(), t.grad.item()",
        "    return y, t.grad",
        "cubic_and_grad_floats",
        "not a Python float",
    ),
    (
        "reads the caller's x.grad",
        GRADIENT_BODY,
        "    xc = x.detach().clone().requires_grad_(True)\n    f(xc).backward()\n    return x.grad\n",
        "gradient_values",
        "A tensor's .grad is None",
    ),
    (
        "sets requires_grad on x itself",
        COPY,
        "    x.requires_grad_(True)\n",
        "gradient_leaves_x_alone",
        "left x with requires_grad=True",
    ),
    (
        "clone without detach",
        GRADIENT_BODY,
        "    xc = x.clone().requires_grad_(True)\n    f(xc).backward()\n    return xc.grad\n",
        "gradient_leaves_x_alone",
        "left a gradient in x.grad",
    ),
    (
        "backward on x, then tidies up",
        GRADIENT_BODY,
        "    x.requires_grad_(True)\n    f(x).backward()\n    g = x.grad.clone()\n    x.grad = None\n    x.requires_grad_(False)\n    return g\n",
        "gradient_leaves_x_alone",
        "left x with requires_grad=False",
    ),
    (
        "names misaligned with the trainable parameters",
        TRAINABLE,
        "        names.append(name)\n        if p.requires_grad:\n            params.append(p)\n",
        "batch_gradients_names",
        "filter names and parameters together",
    ),
    (
        "differentiates the frozen parameter too",
        TRAINABLE,
        "        names.append(name)\n        params.append(p)\n",
        "batch_gradients_names",
        "A frozen parameter (requires_grad=False)",
    ),
    (
        "cross-entropy instead of loss_fn",
        "        loss = loss_fn(model(inputs), targets)",
        "        loss = nn.functional.cross_entropy(model(inputs), targets)",
        "batch_gradients_first_batch",
        "never called the loss_fn it was given",
    ),
    (
        "no zero_grad between batches",
        BATCH_LOOP,
        NO_ZERO_GRAD,
        "batch_gradients_no_accumulation",
        "Clear the gradients before each batch",
    ),
    (
        "stores .grad without clone (zeroed in place)",
        BATCH_LOOP,
        ZERO_IN_PLACE_NO_CLONE,
        "batch_gradients_no_accumulation",
        "Every dict holds the last batch's gradients",
    ),
    (
        "stores .grad without clone (zeroed in place), aliasing",
        BATCH_LOOP,
        ZERO_IN_PLACE_NO_CLONE,
        "batch_gradients_first_batch",
        "hold the same tensor",
    ),
    (
        "stores .grad without clone (set to None)",
        BATCH_LOOP,
        SET_TO_NONE_NO_CLONE,
        "batch_gradients_own_tensors",
        "the earlier batches kept tensors of their own",
    ),
    (
        "switches the model to training mode",
        "    names, params = [], []\n",
        "    model.train()\n    names, params = [], []\n",
        "batch_gradients_mode",
        "handed over in evaluation mode",
    ),
    (
        "no model.eval()",
        "    model.eval()\n    # No graph",
        "    # No graph",
        "predict_output",
        "was in training mode during predict's forward pass",
    ),
    (
        "names misaligned with the trainable parameters: values",
        TRAINABLE,
        "        names.append(name)\n        if p.requires_grad:\n            params.append(p)\n",
        "batch_gradients_first_batch",
        "the dict of gradients has the wrong keys",
    ),
    (
        "model.train() after predict",
        "    with torch.no_grad():\n        return model(x)",
        "    with torch.no_grad():\n        out = model(x)\n    model.train()\n    return out",
        "predict_eval_mode",
        "left it in training mode",
    ),
    (
        "set_grad_enabled(False) never undone",
        "    with torch.no_grad():\n        return model(x)",
        "    torch.set_grad_enabled(False)\n    return model(x)",
        "predict_no_grad",
        "still off after predict returned",
    ),
    (
        "cubic in float16",
        "torch.tensor(x, dtype=torch.float64, requires_grad=True)",
        "torch.tensor(x, dtype=torch.float16, requires_grad=True)",
        "cubic_and_grad_values",
        "lower precision",
    ),
    (
        "detach instead of no_grad",
        "    with torch.no_grad():\n        return model(x)",
        "    return model(x).detach()",
        "predict_no_grad",
        "does not help",
    ),
    (
        "no no_grad at all",
        "    with torch.no_grad():\n        return model(x)",
        "    return model(x)",
        "predict_no_grad",
        "The output you returned is attached to that graph",
    ),
    (
        "sign error in forward",
        "        return x * torch.sigmoid(x)",
        "        return x / (1 + torch.exp(x))",
        "swish_forward",
        "x * torch.sigmoid(x)",
    ),
    (
        "backward forgets the product rule",
        DERIVATIVE,
        "        return grad_output * s",
        "swish_backward",
        "product rule",
    ),
    ("backward forgets grad_output", DERIVATIVE, "        return s + x * s * (1 - s)", "swish_backward", "chain rule"),
    (
        "backward calls autograd on x * sigmoid(x)",
        DERIVATIVE,
        AUTOGRAD_IN_BACKWARD,
        "swish_backward_by_hand",
        "not your backward",
    ),
    (
        "backward forgets the product rule: gradcheck",
        DERIVATIVE,
        "        return grad_output * s",
        "swish_gradcheck",
        "gradcheck failed",
    ),
]
