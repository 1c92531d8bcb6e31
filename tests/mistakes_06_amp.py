"""06_amp: realistic mistakes, each failing the check that concerns it with a message naming the concept."""

from __future__ import annotations

DTYPE = '    return torch.float16 if device_type == "cuda" else torch.bfloat16'
SCALER = '    return torch.amp.GradScaler(device_type, enabled=(device_type == "cuda"))'
ZERO = "    optimizer.zero_grad()\n"
AUTOCAST = """    with torch.autocast(device_type, dtype=autocast_dtype(device_type)):
        out = model(inputs)
        loss = criterion(out, targets)
"""
FORWARD = (
    """    # Only the forward pass and the loss run under autocast: eligible ops (matmuls,
    # convolutions) run in low precision, precision-sensitive ones (losses, softmax) in float32.
    # backward() runs outside it and uses the same dtypes its forward ops did.
"""
    + AUTOCAST
    + "\n"
)
BACKWARD = "    scaler.scale(loss).backward()  # backward on loss * scale, so small gradients survive float16\n"
STEP = "    scaler.step(optimizer)  # unscales the gradients; skips the step if any is inf or NaN\n"
UPDATE = "    scaler.update()  # lowers the scale after a skipped step, raises it after a run of good ones\n"
ONLY_AROUND_BACKWARD = """    out = model(inputs)
    loss = criterion(out, targets)
    with torch.autocast(device_type, dtype=autocast_dtype(device_type)):
        scaler.scale(loss).backward()
"""
CUDA_BRANCH_AUTOCAST = """    ctx = torch.cuda.amp.autocast() if device_type == "cuda" else torch.autocast(device_type, dtype=autocast_dtype(device_type))
    with ctx:
"""
BF16_IF_SUPPORTED = """    if device_type == "cuda" and torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return torch.bfloat16
"""
UNSCALE = "        scaler.unscale_(optimizer)\n"
CLIP_CALL = "        nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)\n"
CLIP = (
    """    if max_grad_norm is not None:
        # The gradients are still multiplied by the scale: unscale them in place first, so that
        # the norm is measured and clipped in true units. step() then does not unscale them again.
"""
    + UNSCALE
    + CLIP_CALL
)
CLIP_AFTER_STEP = """    if max_grad_norm is not None:
        nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
"""
ALWAYS_CLIP_AT_ONE = """    scaler.unscale_(optimizer)
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
"""
OLD_SCALERS = """    if device_type == "cuda":
        return torch.cuda.amp.GradScaler()
    return torch.cpu.amp.GradScaler(enabled=False)"""

# (what the learner did, text in the reference, what they wrote instead, the check that must fail, words its message must hold)
MISTAKES = [
    ("float16 on every device", DTYPE, "    return torch.float16", "autocast_dtype_cpu", "expected torch.bfloat16"),
    (
        "dtype names as strings",
        DTYPE,
        '    return "float16" if device_type == "cuda" else "bfloat16"',
        "autocast_dtype_cpu",
        "not a torch.dtype",
    ),
    (
        "bfloat16 on every device",
        DTYPE,
        "    return torch.bfloat16",
        "autocast_dtype_cuda",
        "That is the same dtype as for 'cpu'.",
    ),
    (
        "bfloat16 for CUDA where the GPU supports it",
        DTYPE,
        BF16_IF_SUPPORTED + DTYPE,
        "autocast_dtype_cuda",
        "whose GPU supports bfloat16",
    ),
    (
        "GradScaler() without a device type",
        SCALER,
        '    return torch.amp.GradScaler(enabled=(device_type == "cuda"))',
        "make_scaler_cpu",
        "without a device type means 'cuda'",
    ),
    (
        "GradScaler(device_type) without enabled=",
        SCALER,
        "    return torch.amp.GradScaler(device_type)",
        "make_scaler_cpu",
        "enabled unless it is created with enabled=False",
    ),
    (
        "enabled whenever CUDA exists",
        SCALER,
        "    return torch.amp.GradScaler(device_type, enabled=torch.cuda.is_available())",
        "make_scaler_cpu",
        "torch.cuda.is_available(), which your code asks, is True",
    ),
    (
        "no scaler on the CPU",
        SCALER,
        '    return torch.amp.GradScaler("cuda") if device_type == "cuda" else None',
        "make_scaler_cpu",
        "not a torch.amp.GradScaler",
    ),
    (
        "enabled flag inverted",
        SCALER,
        '    return torch.amp.GradScaler(device_type, enabled=(device_type == "cpu"))',
        "make_scaler_cuda",
        "returned a disabled scaler",
    ),
    (
        "always a CPU scaler",
        SCALER,
        '    return torch.amp.GradScaler("cpu", enabled=(device_type == "cuda"))',
        "make_scaler_cuda",
        "scaler for 'cpu' devices",
    ),
    (
        "autocast only around backward",
        AUTOCAST + "\n" + BACKWARD,
        ONLY_AROUND_BACKWARD,
        "amp_step_forward_autocast",
        "an autocast block was entered, but not around the forward pass",
    ),
    (
        "no autocast at all",
        AUTOCAST,
        "    out = model(inputs)\n    loss = criterion(out, targets)\n",
        "amp_step_forward_autocast",
        "no torch.autocast block was entered at all",
    ),
    (
        "autocast hard-coded to cuda",
        "with torch.autocast(device_type,",
        'with torch.autocast("cuda",',
        "amp_step_forward_autocast",
        "entered for device type 'cuda'",
    ),
    (
        "float16 autocast on the CPU",
        "dtype=autocast_dtype(device_type)):",
        "dtype=torch.float16):",
        "amp_step_forward_autocast",
        "should produce torch.bfloat16",
    ),
    (
        "loss outside the autocast block",
        "        loss = criterion(out, targets)\n",
        "    loss = criterion(out, targets)\n",
        "amp_step_loss_autocast",
        "The loss was computed outside torch.autocast",
    ),
    (
        "optimizer.step() instead of scaler.step()",
        STEP,
        "    optimizer.step()\n",
        "amp_step_scaler_order",
        "called directly",
    ),
    (
        "optimizer.step() besides scaler.step()",
        STEP,
        STEP + "    optimizer.step()\n",
        "amp_step_scaler_order",
        "stepped twice",
    ),
    (
        "loss.backward() without scaling",
        BACKWARD,
        "    loss.backward()\n",
        "amp_step_scaler_order",
        "scaler.scale(loss) was never called",
    ),
    (
        "scaled loss computed but not used",
        BACKWARD,
        "    scaler.scale(loss)\n    loss.backward()\n",
        "amp_step_scaler_order",
        "did not run on the scaled loss",
    ),
    (
        "update before step",
        STEP + UPDATE,
        UPDATE + STEP,
        "amp_step_scaler_order",
        "scaler.update() → scaler.step(optimizer)",
    ),
    ("no scaler.update()", UPDATE, "", "amp_step_scaler_order", "scaler.update() was never called"),
    (
        "own scaler inside the step",
        BACKWARD,
        "    scaler = torch.amp.GradScaler(device_type)\n" + BACKWARD,
        "amp_step_scaler_order",
        "of its own",
    ),
    ("no zero_grad", ZERO, "", "amp_step_clears_gradients", "optimizer.zero_grad()"),
    (
        "double step: the parameters differ",
        STEP,
        STEP + "    optimizer.step()\n",
        "amp_step_parameters",
        "the model stepped twice",
    ),
    (
        "optimizer.step() on scaled gradients",
        STEP,
        "    optimizer.step()\n",
        "amp_step_parameters",
        "does not unscale the gradients",
    ),
    (
        "zero_grad between backward and step",
        ZERO + FORWARD + BACKWARD,
        FORWARD + BACKWARD + ZERO,
        "amp_step_parameters",
        "did not change",
    ),
    (
        "optimizer.step() ignores inf gradients",
        STEP,
        "    optimizer.step()\n",
        "amp_step_skips_inf_step",
        "yet the step changed",
    ),
    (
        "no update: the scale never backs off",
        UPDATE,
        "",
        "amp_step_skips_inf_step",
        "update() is what lowers the scale",
    ),
    ("returns the loss tensor", "    return loss.item()", "    return loss", "amp_step_returns_loss", "Python float"),
    (
        "returns the scaled loss",
        "    return loss.item()",
        "    return scaler.scale(loss).item()",
        "amp_step_returns_loss",
        "You returned the scaled loss (loss × scale",
    ),
    (
        "clipping the scaled gradients: no unscale_ before clip_grad_norm_",
        UNSCALE,
        "",
        "amp_step_clips_gradients",
        "clipped while still multiplied by the scale",
    ),
    (
        "clipping after scaler.step",
        CLIP + STEP,
        STEP + CLIP_AFTER_STEP,
        "amp_step_clips_gradients",
        "clipped after scaler.step(optimizer) had already used them",
    ),
    (
        "unscale_ called twice",
        CLIP_CALL,
        CLIP_CALL + "    scaler.unscale_(optimizer)\n",
        "amp_step_clips_gradients",
        "may run only once per optimizer between update()s",
    ),
    (
        "clipping at a fixed 1.0 whatever max_grad_norm is",
        CLIP_CALL,
        "        nn.utils.clip_grad_norm_(model.parameters(), 1.0)\n",
        "amp_step_clips_gradients",
        "clipped to norm 1 whatever max_grad_norm is",
    ),
    ("max_grad_norm ignored: never clipping", CLIP, "", "amp_step_clips_gradients", "the gradients were not clipped"),
    (
        "always clipping at 1.0, also when max_grad_norm is None",
        CLIP,
        ALWAYS_CLIP_AT_ONE,
        "amp_step_no_clip_without_max_norm",
        "With max_grad_norm=None the gradients were clipped",
    ),
    (
        "no step when the scaler is disabled",
        STEP,
        "    if scaler.is_enabled():\n        scaler.step(optimizer)\n",
        "amp_step_converges",
        "the reference reaches",
    ),
    (
        "deprecated torch.cuda.amp / torch.cpu.amp scalers",
        SCALER,
        OLD_SCALERS,
        "current_amp_api",
        "torch.amp.GradScaler('cuda', args...)",
    ),
    (
        "deprecated torch.cpu.amp.autocast",
        "with torch.autocast(device_type, dtype=autocast_dtype(device_type)):",
        "with torch.cpu.amp.autocast(dtype=autocast_dtype(device_type)):",
        "current_amp_api",
        "torch.amp.autocast('cpu', args...)",
    ),
    (
        "deprecated torch.cuda.amp.autocast on the CUDA branch only",
        "    with torch.autocast(device_type, dtype=autocast_dtype(device_type)):\n",
        CUDA_BRANCH_AUTOCAST,
        "current_amp_api",
        "torch.cuda.amp.autocast() if device_type",
    ),
    (
        "deprecated import kept for the CUDA branch",
        "import torch\n",
        "import torch\nfrom torch.cuda import amp\n",
        "current_amp_api",
        "`from torch.cuda import amp`",
    ),
    (
        "CUDA scaler disabled on a GPU",
        SCALER,
        "    return torch.amp.GradScaler(device_type, enabled=False)",
        "make_scaler_enabled_on_gpu",
        "is_enabled() is False",
    ),
    ("bfloat16 autocast on a GPU", DTYPE, "    return torch.bfloat16", "amp_step_on_gpu", "expected torch.float16"),
]
