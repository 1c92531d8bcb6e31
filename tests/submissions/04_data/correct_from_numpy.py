# A correct submission in another style: torch.from_numpy(...).float() / .long() after
# np.asarray, a list-built pair turned into a tuple, pin_memory from torch.device(device).type,
# and random_split with the global generator seeded inside torch.random.fork_rng (which
# restores the global random state afterwards).
import math

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, random_split


class CustomDataset(Dataset):
    def __init__(self, X, y):
        self.X = torch.from_numpy(np.asarray(X)).float()
        self.y = torch.from_numpy(np.asarray(y)).long()

    def __len__(self):
        return int(self.y.numel())

    def __getitem__(self, i):
        pair = [self.X[i], self.y[i]]
        return tuple(pair)


def make_loader(dataset, batch_size=64, shuffle=True, num_workers=0, device="cpu"):
    on_gpu = torch.device(device).type == "cuda"
    return DataLoader(dataset, batch_size, shuffle, num_workers=num_workers, pin_memory=on_gpu)


def split_dataset(dataset, val_fraction=0.2, seed=0):
    n = len(dataset)
    n_val = math.floor(n * val_fraction)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        train, val = random_split(dataset, [n - n_val, n_val])
    return train, val
