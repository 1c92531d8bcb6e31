"""Exercise 04: a custom Dataset, a DataLoader, and a reproducible train/validation split."""

import torch
from numpy.typing import ArrayLike
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Subset, random_split


class CustomDataset(Dataset):
    """Samples X[i] (a float32 vector) with labels y[i] (an int64 scalar), from numpy arrays or nested lists."""

    def __init__(self, X: ArrayLike, y: ArrayLike) -> None:
        """Store X as a float32 tensor and y as an int64 tensor. Hint: torch.as_tensor(..., dtype=...)."""
        # Models want float32 inputs (numpy defaults to float64), and nn.CrossEntropyLoss
        # wants int64 ("Long") class labels.
        self.X = torch.as_tensor(X, dtype=torch.float32)
        self.y = torch.as_tensor(y, dtype=torch.int64)

    def __len__(self) -> int:
        """The number of samples."""
        return len(self.X)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        """Sample `i` as the pair (X[i], y[i]) of tensors."""
        # The DataLoader stacks these pairs into (inputs, targets) batches.
        return self.X[i], self.y[i]


def make_loader(
    dataset: Dataset,
    batch_size: int = 64,
    shuffle: bool = True,
    num_workers: int = 0,
    device: str | torch.device = "cpu",
) -> DataLoader:
    """A DataLoader over `dataset` with these settings, every other setting at its default.

    Pin memory exactly when `device` is a CUDA device ("cuda", "cuda:0", torch.device("cuda")).
    Hint: torch.device(device).type.
    """
    # Pinned (page-locked) host memory makes copies to the GPU faster; it is pointless
    # when training on the CPU. torch.device() accepts a str or a device, and "cuda:0"
    # has type "cuda".
    pin_memory = torch.device(device).type == "cuda"
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        pin_memory=pin_memory,
    )


def split_dataset(dataset: Dataset, val_fraction: float = 0.2, seed: int = 0) -> tuple[Subset, Subset]:
    """Split `dataset` at random into (train, val) subsets, val holding int(len(dataset) * val_fraction) samples.

    The same split as random_split(dataset, [n - n_val, n_val],
    generator=torch.Generator().manual_seed(seed)); the global RNG is left untouched.
    """
    n = len(dataset)
    n_val = int(n * val_fraction)
    # A private, seeded generator: the same seed gives the same split every time, and
    # the global random state (used by shuffling, dropout, ...) is not consumed.
    generator = torch.Generator().manual_seed(seed)
    train, val = random_split(dataset, [n - n_val, n_val], generator=generator)
    return train, val
