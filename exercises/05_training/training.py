"""Exercise 05: a training loop in plain PyTorch.

Fill in each function below, then run ``grade exercises/05_training`` from the course root.
Loaders yield ``(inputs, targets)`` batches; every function moves each batch to ``device``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader


def train_step(model, batch, criterion, optimizer, max_grad_norm: float = 1.0, device="cpu") -> float:
    """One optimisation step on ``batch = (inputs, targets)``.

    Clear old gradients, forward, loss, backward, clip the gradient norm to
    ``max_grad_norm`` (``nn.utils.clip_grad_norm_``), step. Return the loss as a Python float.
    """
    raise NotImplementedError("TODO: one optimisation step")


def train_one_epoch(model, loader: DataLoader, criterion, optimizer, max_grad_norm: float = 1.0, device="cpu") -> float:
    """Put the model in training mode, do a ``train_step`` for every batch of ``loader``,
    and return the plain mean of the per-batch losses (every batch weighs the same)."""
    raise NotImplementedError("TODO: one pass over the loader")


def evaluate(model, loader: DataLoader, device="cpu") -> float:
    """Accuracy of ``argmax`` predictions: correct predictions / number of samples.

    Use evaluation mode and no gradient tracking (``torch.no_grad()``); change nothing.
    """
    raise NotImplementedError("TODO: accuracy over the loader")


def fit(
    model, train_loader: DataLoader, val_loader: DataLoader, epochs: int, lr: float = 1e-3, device="cpu"
) -> list[float]:
    """Train for ``epochs`` epochs and return the validation accuracy after each one.

    Use ``torch.optim.AdamW(model.parameters(), lr=lr)``, ``nn.CrossEntropyLoss()``,
    gradient clipping at norm 1.0, and ``CosineAnnealingLR(optimizer, T_max=epochs)``
    stepped once at the end of each epoch.
    """
    raise NotImplementedError("TODO: the full training loop")
