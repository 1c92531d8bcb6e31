"""04_data: realistic mistakes, each failing the check that concerns it with a message naming the concept."""

from __future__ import annotations

X_INIT = "        self.X = torch.as_tensor(X, dtype=torch.float32)\n"
ITEM = "        return self.X[i], self.y[i]\n"
PIN = '    pin_memory = torch.device(device).type == "cuda"\n'
SPLIT = (
    "    generator = torch.Generator().manual_seed(seed)\n"
    "    train, val = random_split(dataset, [n - n_val, n_val], generator=generator)\n"
    "    return train, val\n"
)
PERM = "    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()\n"

# (what the learner did, text in the reference, what they wrote instead, the check that must fail, words its message must hold)
MISTAKES = [
    (
        "len is the number of features",
        "        return len(self.X)\n",
        "        return self.X.shape[1]\n",
        "dataset_length",
        "number of samples",
    ),
    (
        "features left float64",
        X_INIT,
        "        self.X = torch.tensor(X)\n",
        "dataset_features",
        "numpy arrays are float64 by default",
    ),
    (
        "samples returned as numpy arrays",
        ITEM,
        "        return self.X[i].numpy(), self.y[i].numpy()\n",
        "dataset_features",
        "not numpy arrays",
    ),
    (
        "float labels",
        "torch.as_tensor(y, dtype=torch.int64)",
        "torch.as_tensor(y, dtype=torch.float32)",
        "dataset_labels",
        "int64 (Long) class labels",
    ),
    (
        "labels as a column",
        "torch.as_tensor(y, dtype=torch.int64)",
        "torch.as_tensor(y, dtype=torch.int64).reshape(-1, 1)",
        "dataset_labels",
        "Keep y one-dimensional",
    ),
    (
        "label as a Python int",
        ITEM,
        "        return self.X[i], int(self.y[i])\n",
        "dataset_labels",
        "Return the label as a tensor",
    ),
    (
        "torch.from_numpy on lists",
        X_INIT,
        "        self.X = torch.from_numpy(X).float()\n",
        "dataset_from_lists",
        "torch.from_numpy accepts only numpy arrays",
    ),
    (
        "numpy-only .astype",
        X_INIT,
        "        self.X = torch.tensor(X.astype('float32'))\n",
        "dataset_from_lists",
        "has no attribute 'astype'",
    ),
    (
        "drop_last=True",
        "        pin_memory=pin_memory,\n",
        "        pin_memory=pin_memory,\n        drop_last=True,\n",
        "loader_batches",
        "The last, smaller batch is missing",
    ),
    (
        "a generator of its own",
        "        pin_memory=pin_memory,\n",
        "        pin_memory=pin_memory,\n        generator=torch.Generator().manual_seed(0),\n",
        "loader_other_settings",
        "A generator of your own decides the shuffled order",
    ),
    ("batch size hard-coded", "batch_size=batch_size,", "batch_size=64,", "loader_batches", "batch_size=batch_size"),
    ("always shuffles", "shuffle=shuffle,", "shuffle=True,", "loader_no_shuffle", "shuffle=shuffle"),
    (
        "never shuffles",
        "shuffle=shuffle,",
        "shuffle=False,",
        "loader_shuffle",
        "even with shuffle=True passed explicitly",
    ),
    (
        "shuffle off by default",
        "    shuffle: bool = True,\n",
        "    shuffle: bool = False,\n",
        "loader_shuffle",
        "Keep shuffle=True as the default",
    ),
    ("num_workers ignored", "num_workers=num_workers,", "num_workers=0,", "loader_workers", "num_workers=num_workers"),
    (
        "always pins memory",
        PIN,
        "    pin_memory = True\n",
        "loader_no_pin_for_cpu",
        "pinned memory only helps copies to a GPU",
    ),
    # pinning when this machine has CUDA (torch.cuda.is_available()) looks the same on a machine without one
    (
        "never pins memory",
        PIN,
        "    pin_memory = False\n",
        "loader_pins_for_cuda",
        "needs no GPU",
    ),
    ("never pins memory (GPU batches)", PIN, "    pin_memory = False\n", "loader_pinned_batches", "pin_memory=True"),
    (
        'pins only for the string "cuda"',
        PIN,
        '    pin_memory = device == "cuda"\n',
        "loader_pins_for_cuda",
        "not the whole string",
    ),
    (
        "round instead of int",
        "    n_val = int(n * val_fraction)\n",
        "    n_val = round(n * val_fraction)\n",
        "split_sizes",
        "int() truncates",
    ),
    (
        "val and train swapped",
        "    return train, val\n",
        "    return val, train\n",
        "split_sizes",
        "validation subset first",
    ),
    (
        "overlapping slices",
        SPLIT,
        PERM + "    return Subset(dataset, perm[n_val:]), Subset(dataset, perm[-n_val:])\n",
        "split_disjoint",
        "in both train and val",
    ),
    # taking val from the front of one seeded permutation gives the same split as these swapped lengths
    (
        "lengths in the other order",
        "    train, val = random_split(dataset, [n - n_val, n_val], generator=generator)\n",
        "    val, train = random_split(dataset, [n_val, n - n_val], generator=generator)\n",
        "split_matches_random_split",
        "val holds the first n_val samples of the seeded permutation",
    ),
    (
        "seed hard-coded",
        "torch.Generator().manual_seed(seed)",
        "torch.Generator().manual_seed(0)",
        "split_matches_random_split",
        "That is the split seed 0 gives",
    ),
    (
        "random_split without a generator",
        ", generator=generator)",
        ")",
        "split_reproducible",
        "generator=torch.Generator().manual_seed(seed)",
    ),
    (
        "seeds the global generator",
        "    generator = torch.Generator().manual_seed(seed)\n",
        "    torch.manual_seed(seed)\n    generator = None\n",
        "split_global_rng",
        "global random state",
    ),
]
