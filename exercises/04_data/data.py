"""Exercise 04: a custom Dataset, a DataLoader, and a reproducible train/validation split.

Replace each `raise NotImplementedError(...)` with your code. See README.md.
"""

import torch
from numpy.typing import ArrayLike
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Subset, random_split


class CustomDataset(Dataset):
    """Samples X[i] (a float32 vector) with labels y[i] (an int64 scalar), from numpy arrays or nested lists."""

    def __init__(self, X: ArrayLike, y: ArrayLike) -> None:
        """Store X as a float32 tensor and y as an int64 tensor. Hint: torch.as_tensor(..., dtype=...)."""
        raise NotImplementedError("TODO: convert X to float32 and y to int64 tensors and keep them")

    def __len__(self) -> int:
        """The number of samples."""
        raise NotImplementedError("TODO: return the number of samples")

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        """Sample `i` as the pair (X[i], y[i]) of tensors."""
        raise NotImplementedError("TODO: return (X[i], y[i])")


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
    raise NotImplementedError("TODO: build the DataLoader; pin_memory only for CUDA devices")


def split_dataset(dataset: Dataset, val_fraction: float = 0.2, seed: int = 0) -> tuple[Subset, Subset]:
    """Split `dataset` at random into (train, val) subsets, val holding int(len(dataset) * val_fraction) samples.

    The same split as random_split(dataset, [n - n_val, n_val],
    generator=torch.Generator().manual_seed(seed)); the global RNG is left untouched.
    """
    raise NotImplementedError("TODO: random_split with a seeded torch.Generator of its own")
