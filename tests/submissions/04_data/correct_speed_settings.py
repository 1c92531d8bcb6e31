# A correct submission that tunes the loader for speed: persistent worker processes, a deeper
# prefetch queue, a timeout and a start method when there are workers. These settings change
# how fast batches come, not which batches come, so the task leaves them free.
import torch
from torch.utils.data import DataLoader, Dataset, random_split


class CustomDataset(Dataset):
    def __init__(self, X, y):
        self.X = torch.as_tensor(X, dtype=torch.float32)
        self.y = torch.as_tensor(y, dtype=torch.int64)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


def make_loader(dataset, batch_size=64, shuffle=True, num_workers=0, device="cpu"):
    workers = {}
    if num_workers > 0:
        workers = {"persistent_workers": True, "prefetch_factor": 4, "timeout": 120, "multiprocessing_context": "fork"}
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        pin_memory=torch.device(device).type == "cuda",
        **workers,
    )


def split_dataset(dataset, val_fraction=0.2, seed=0):
    n = len(dataset)
    n_val = int(n * val_fraction)
    return random_split(dataset, [n - n_val, n_val], generator=torch.Generator().manual_seed(seed))
