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
        "dtype=torch.int64",
    ),
    ("evens as floats", "torch.arange(0, n, 2)", "torch.arange(0.0, n, 2)", "evens", "a float argument (0.0)"),
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
    ("flattens the batch axis too", "x.flatten(start_dim=1)", "x.flatten()", "flatten_features", "Keep the batch axis"),
    (
        "flattens into the last axis",
        "x.flatten(start_dim=1)",
        "x.reshape(-1, x.shape[-1])",
        "flatten_features",
        "(B, d1*d2*...)",
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
        "x.permute(0, 3, 1, 2)",
    ),
    ("H and W swapped", "x.permute(0, 3, 1, 2)", "x.permute(0, 3, 2, 1)", "channels_first", "(B, C, H, W)"),
    (
        "permute for three axes only",
        "x.transpose(0, 1)",
        "x.permute(1, 0, 2)",
        "swap_batch_and_time",
        "x.transpose(0, 1)",
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
    (
        "copies with advanced indexing",
        "    return x[0]\n",
        "    return x[[0]][0]\n",
        "first_sample_view",
        "indexing with a list or tensor of indices",
    ),
    ("drops the first sample", "    return x[:, 1:]\n", "    return x[1:]\n", "drop_first_step", "x[:, 1:]"),
    (
        "makes the slice contiguous",
        "    return x[:, 1:]\n",
        "    return x[:, 1:].contiguous()\n",
        "drop_first_step_view",
        ".contiguous() on a non-contiguous result",
    ),
    ("transposes in place", "x.transpose(0, 1)", "x.transpose_(0, 1)", "inputs_unchanged", "changed the shape of x"),
    ("unsqueezes in place", "x.unsqueeze(0)", "x.unsqueeze_(0)", "inputs_unchanged", "work in place"),
    ("squeezes in place", "x.squeeze()", "x.squeeze_()", "inputs_unchanged", "drop_singleton_dims(x)"),
    (
        "to_device casts to float32",
        "    return x.to(device)\n",
        "    return x.to(device, dtype=torch.float32)\n",
        "to_device",
        "expected torch.int64",
    ),
    ("to_device ignores the device", "    return x.to(device)\n", "    return x\n", "to_device_gpu", "x.to(device)"),
    (
        "to_device ignores the device (seen on the meta device)",
        "    return x.to(device)\n",
        "    return x\n",
        "to_device",
        "the device argument was not used",
    ),
]
