"""07_debugging: realistic mistakes, each failing the check that concerns it with a message naming the concept."""

from __future__ import annotations

NORMS = "    return {name: p.grad.norm().item() for name, p in model.named_parameters() if p.grad is not None}"
RAISE = '        raise FloatingPointError(f"loss is {loss.item()}")'
TEST = "    if not torch.isfinite(loss):\n"
RAISE_BLOCK = (
    TEST
    + "        # A Python float prints as 'nan', 'inf' or '-inf', which says exactly what went wrong.\n"
    + RAISE
    + "\n"
)
NONFINITE_BODY = "    return [name for name, p in model.named_parameters() if p.grad is not None and not torch.isfinite(p.grad).all()]"
BAD_GRAD = "if p.grad is not None and not torch.isfinite(p.grad).all()"
PROFILE = "    with torch.no_grad(), torch.profiler.profile(activities=activities) as prof:\n        model(x)\n"
COUNT = '    return {e.key: e.count for e in prof.key_averages() if e.key.startswith("aten::")}'
TOP_LEVEL = """    counts = {}
    for e in prof.events():
        if e.name.startswith("aten::") and e.cpu_parent is None:
            counts[e.name] = counts.get(e.name, 0) + 1
    return counts"""

NAN_TO_NUM = """    bad = []
    for name, p in model.named_parameters():
        if p.grad is not None and not torch.isfinite(p.grad).all():
            bad.append(name)
            p.grad.nan_to_num_(0.0, 0.0, 0.0)  # repair it while we are here
    return bad"""
GRAD_OFF = "    torch.set_grad_enabled(False)\n    with torch.profiler.profile(activities=activities) as prof:\n        model(x)\n"

# (what the learner did, text in the reference, what they wrote instead, the check that must fail, words its message must hold)
MISTAKES = [
    (
        "None gradients reported as 0.0",
        NORMS,
        "    return {name: (p.grad.norm().item() if p.grad is not None else 0.0) for name, p in model.named_parameters()}",
        "grad_norms_names",
        "rather than reporting 0.0",
    ),
    (
        "frozen parameters left out although they have a .grad",
        "if p.grad is not None}",
        "if p.requires_grad and p.grad is not None}",
        "grad_norms_names",
        "frozen (requires_grad=False) but still has a .grad",
    ),
    (
        "only the weights",
        "if p.grad is not None}",
        'if p.grad is not None and name.endswith("weight")}',
        "grad_norms_names",
        "The biases have gradients too",
    ),
    (
        "norm of the parameter instead of its gradient",
        "p.grad.norm().item()",
        "p.norm().item()",
        "grad_norms_values",
        "norm of the parameter itself",
    ),
    ("squared norm", "p.grad.norm().item()", "p.grad.pow(2).sum().item()", "grad_norms_values", "squared norm"),
    ("norms returned as tensors", "p.grad.norm().item()", "p.grad.norm()", "grad_norms_floats", "not a Python float"),
    (
        "a threshold instead of a finiteness test",
        TEST,
        "    if loss.abs() > 1e10:\n",
        "check_finite_nan",
        "NaN compares False with everything",
    ),
    (
        "ValueError instead of FloatingPointError",
        RAISE,
        '        raise ValueError(f"loss is {loss.item()}")',
        "check_finite_nan",
        "Python's built-in error for a failed floating-point computation",
    ),
    (
        "assert instead of raising FloatingPointError",
        RAISE_BLOCK,
        "    assert not torch.isnan(loss)\n",
        "check_finite_nan",
        "python -O",
    ),
    ("only NaN caught", TEST, "    if torch.isnan(loss):\n", "check_finite_inf", "returned quietly for a loss of inf"),
    (
        "only +Inf caught besides NaN",
        TEST,
        '    if torch.isnan(loss) or loss == float("inf"):\n',
        "check_finite_inf",
        "-Inf is infinite too",
    ),
    (
        "message without nan/inf",
        RAISE,
        '        raise FloatingPointError("the loss is not finite")',
        "check_finite_message",
        "does not contain 'nan'",
    ),
    (
        "one message for both",
        RAISE,
        '        raise FloatingPointError("loss is nan or inf")',
        "check_finite_message",
        "does not say which",
    ),
    (
        "large finite losses rejected",
        TEST,
        "    if not torch.isfinite(loss) or loss.abs() > 1e10:\n",
        "check_finite_quiet",
        "still finite",
    ),
    ("returns True when finite", RAISE, RAISE + "\n    return True", "check_finite_quiet", "it should return None"),
    (  # check_finite_quiet waits for check_finite_nan, which reports it
        "numpy() on a loss that requires grad",
        TEST,
        "    import numpy as np\n    if not np.isfinite(loss.numpy()):\n",
        "check_finite_nan",
        "it is the test itself that fails",
    ),
    (
        "only Inf caught",
        BAD_GRAD,
        "if p.grad is not None and torch.isinf(p.grad).any()",
        "nonfinite_grads_nan",
        "torch.isinf does not catch NaN",
    ),
    (
        "only NaN caught (torch.isnan)",
        BAD_GRAD,
        "if p.grad is not None and torch.isnan(p.grad).any()",
        "nonfinite_grads_inf",
        "torch.isnan does not catch Inf",
    ),
    (
        "+Inf caught but not -Inf",
        BAD_GRAD,
        'if p.grad is not None and (torch.isnan(p.grad).any() or (p.grad == float("inf")).any())',
        "nonfinite_grads_inf",
        "-Inf is infinite too",
    ),
    (
        "names sorted",
        NONFINITE_BODY,
        "    return sorted(" + NONFINITE_BODY.removeprefix("    return ") + ")",
        "nonfinite_grads_order",
        "without sorting",
    ),
    (
        "None gradients not skipped",
        BAD_GRAD,
        "if not torch.isfinite(p.grad).all()",
        "nonfinite_grads_skips_none",
        "if p.grad is not None",
    ),
    (
        "non-aten events included",
        COUNT,
        "    return {e.key: e.count for e in prof.key_averages()}",
        "op_counts_counts",
        "not aten:: operators",
    ),
    ("only top-level events counted", COUNT, TOP_LEVEL, "op_counts_counts", "Nested operators count too"),
    (
        "model.eval() before profiling",
        PROFILE,
        "    model.eval()\n" + PROFILE,
        "op_counts_counts",
        "op_counts left the model in evaluation mode",
    ),
    # op_counts_keeps_mode waits for op_counts_counts, which reports a profile run in evaluation mode
    (
        "eval() for the profile, train() after",
        PROFILE,
        "    model.eval()\n" + PROFILE + "    model.train()\n",
        "op_counts_counts",
        "and back to training mode afterwards",
    ),
    (
        "model.eval() after profiling",
        PROFILE,
        PROFILE + "    model.eval()\n",
        "op_counts_keeps_mode",
        "handed over in training mode and was left in evaluation mode",
    ),
    (
        "model.train() after profiling",
        PROFILE,
        PROFILE + "    model.train()\n",
        "op_counts_keeps_mode",
        "handed over in evaluation mode and was left in training mode",
    ),
    (
        "gradient tracking switched off and left off",
        PROFILE,
        GRAD_OFF,
        "op_counts_no_grad",
        "still off after op_counts returned",
    ),
    (
        "gradients cleared after taking the norms",
        NORMS,
        "    norms = " + NORMS.removeprefix("    return ") + "\n    model.zero_grad()\n    return norms",
        "gradients_unchanged",
        "grad_norms changed the gradients",
    ),
    (
        "non-finite gradients repaired in place",
        NONFINITE_BODY,
        NAN_TO_NUM,
        "gradients_unchanged",
        "nonfinite_grads changed the gradients",
    ),
    (
        "gradients cleared before profiling",
        PROFILE,
        "    model.zero_grad()\n" + PROFILE,
        "gradients_unchanged",
        "op_counts changed the gradients",
    ),
    (
        "profiled with gradient tracking on",
        "with torch.no_grad(), torch.profiler",
        "with torch.profiler",
        "op_counts_no_grad",
        "Gradient tracking was on",
    ),
]
