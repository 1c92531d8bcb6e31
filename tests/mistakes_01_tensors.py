"""01_tensors: realistic mistakes, each failing the check that concerns it with a message naming the concept."""

from __future__ import annotations

NOISE = "    generator = torch.Generator().manual_seed(seed)\n    return torch.randn(shape, generator=generator)\n"
# one generator per seed, made on its first call and kept (defined after the function, found when it runs)
CACHED_GENERATORS = (
    "    if seed not in _GENERATORS:\n"
    "        _GENERATORS[seed] = torch.Generator().manual_seed(seed)\n"
    "    return torch.randn(shape, generator=_GENERATORS[seed])\n"
    "\n\n_GENERATORS = {}\n"
)

# (what the learner did, text in the reference, what they wrote instead, the check that must fail, words its message must hold)
MISTAKES = [
    ("evens includes n", "torch.arange(0, n, 2)", "torch.arange(0, n + 1, 2)", "evens", "not including, n"),
    (
        "evens from a Python list",
        "torch.arange(0, n, 2)",
        "torch.tensor([i for i in range(0, n, 2)])",
        "evens",
        "an empty Python list",
    ),
    (
        "evens as floats",
        "torch.arange(0, n, 2)",
        "torch.arange(0.0, n, 2)",
        "evens",
        "torch.arange with a float argument such as 0.0 gives floats",
    ),
    (
        "value on the diagonal only",
        "torch.eye(n, dtype=torch.float32) + value",
        "torch.eye(n) * (1 + value)",
        "identity_plus",
        "every entry",
    ),
    (
        "identity_plus in float64",
        "torch.eye(n, dtype=torch.float32) + value",
        "torch.eye(n, dtype=torch.float64) + value",
        "identity_plus",
        "must be float32",
    ),
    (
        "uniform instead of normal noise",
        "torch.randn(shape, generator=generator)",
        "torch.rand(shape, generator=generator)",
        "seeded_noise_values",
        "torch.rand draws uniform",
    ),
    (
        "generator made but not passed",
        "torch.randn(shape, generator=generator)",
        "torch.randn(shape)",
        "seeded_noise_values",
        "not reproducible",
    ),
    (
        "seed ignored",
        "torch.Generator().manual_seed(seed)",
        "torch.Generator().manual_seed(0)",
        "seeded_noise_values",
        "seed argument is not used",
    ),
    (
        "one generator per seed, kept between calls",
        NOISE,
        CACHED_GENERATORS,
        "seeded_noise_reproducible",
        "not reproducible",
    ),
    (
        "reseeds the global generator",
        NOISE,
        "    torch.manual_seed(seed)\n    return torch.randn(shape)\n",
        "seeded_noise_global_rng",
        "torch.manual_seed",
    ),
    (
        "flattens the batch axis too",
        "x.flatten(start_dim=1)",
        "x.flatten()",
        "flatten_features",
        "The batch axis was flattened too",
    ),
    (
        "flattens into the last axis",
        "x.flatten(start_dim=1)",
        "x.reshape(-1, x.shape[-1])",
        "flatten_features",
        "not one per sample",
    ),
    (
        "view after permute",
        "x.flatten(start_dim=1)",
        "x.view(x.shape[0], -1)",
        "flatten_features_non_contiguous",
        "Use x.reshape(x.shape[0], -1)",
    ),
    ("new axis at the end", "x.unsqueeze(0)", "x.unsqueeze(-1)", "add_batch_dim", "x.unsqueeze(0)"),
    (
        "squeezes only the first axis",
        "x.squeeze()",
        "x.squeeze(0)",
        "drop_singleton_dims",
        "squeeze(0) removes only the first",
    ),
    (
        "reshape instead of permute",
        "x.permute(0, 3, 1, 2)",
        "x.reshape(x.shape[0], x.shape[3], x.shape[1], x.shape[2])",
        "channels_first",
        "scrambles pixels and channels",
    ),
    (
        "H and W swapped",
        "x.permute(0, 3, 1, 2)",
        "x.permute(0, 3, 2, 1)",
        "channels_first",
        "Height and width came out swapped",
    ),
    (
        "permute for three axes only",
        "x.transpose(0, 1)",
        "x.permute(1, 0, 2)",
        "swap_batch_and_time",
        "permute needs one index per axis",
    ),
    (
        "reshape instead of transpose",
        "x.transpose(0, 1)",
        "x.reshape(x.shape[1], x.shape[0], *x.shape[2:])",
        "swap_batch_and_time",
        "regroup the elements",
    ),
    ("slice keeps the batch axis", "    return x[0]\n", "    return x[:1]\n", "first_sample", "x[0]"),
    (
        "copies the sample",
        "    return x[0]\n",
        "    return x[0].clone()\n",
        "first_sample_view",
        "returned a copy, not a view",
    ),
    ("drops the first sample", "    return x[:, 1:]\n", "    return x[1:]\n", "drop_first_step", "x[:, 1:]"),
    (
        "makes the slice contiguous",
        "    return x[:, 1:]\n",
        "    return x[:, 1:].contiguous()\n",
        "drop_first_step_view",
        ".contiguous() on a non-contiguous result",
    ),
    (
        "transposes in place",
        "x.transpose(0, 1)",
        "x.transpose_(0, 1)",
        "inputs_unchanged",
        "swap_batch_and_time(x) for x of shape (2, 3, 4) changed the shape of x",
    ),
    (
        "unsqueezes in place",
        "x.unsqueeze(0)",
        "x.unsqueeze_(0)",
        "inputs_unchanged",
        "add_batch_dim(x) for x of shape (3,) changed the shape of x",
    ),
    ("squeezes in place", "x.squeeze()", "x.squeeze_()", "inputs_unchanged", "drop_singleton_dims(x)"),
    (
        "to_device casts to float32",
        "    return x.to(device)\n",
        "    return x.to(device, dtype=torch.float32)\n",
        "to_device",
        "expected torch.int64",
    ),
    ("to_device ignores the device", "    return x.to(device)\n", "    return x\n", "to_device_gpu", "x.to(device)"),
    # on the CPU, returning x and choosing between .cuda() and .cpu() look alike: both leave a meta request on the CPU
    (
        "to_device chooses between .cuda() and .cpu()",
        "    return x.to(device)\n",
        '    return x.cuda() if str(device).startswith("cuda") else x.cpu()\n',
        "to_device",
        "asked for the meta device, got cpu",
    ),
    (
        "to_device refuses devices other than the CPU and CUDA",
        "    return x.to(device)\n",
        '    if torch.device(device).type not in ("cpu", "cuda"):\n        raise ValueError(f"unknown device {device}")\n    return x.to(device)\n',
        "to_device",
        '"meta" included',
    ),
]
