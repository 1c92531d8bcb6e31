"""A correct submission that monitors training: train_one_epoch also measures the training accuracy
with evaluate (an extra pass over the loader, under no_grad) and hands the model back in training
mode, and fit looks at one batch before training. How often the loaders are iterated is free."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader


def train_step(model, batch, criterion, optimizer, max_grad_norm: float = 1.0, device="cpu") -> float:
    """One optimisation step on ``batch = (inputs, targets)``; returns the loss as a float."""
    inputs, targets = (t.to(device) for t in batch)
    optimizer.zero_grad()  # gradients accumulate in .grad unless cleared
    loss = criterion(model(inputs), targets)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)  # after backward, before step
    optimizer.step()
    return loss.item()  # a Python float: keeping the tensor would keep its graph alive


def train_one_epoch(model, loader: DataLoader, criterion, optimizer, max_grad_norm: float = 1.0, device="cpu") -> float:
    """Train on every batch of ``loader`` once; returns the mean of the per-batch losses."""
    model.train()  # dropout and batch norm behave differently in training mode
    losses = [train_step(model, batch, criterion, optimizer, max_grad_norm, device) for batch in loader]
    model.last_train_accuracy = evaluate(model, loader, device)
    model.train()
    return sum(losses) / len(losses)


@torch.no_grad()  # no graph: evaluation needs no gradients
def evaluate(model, loader: DataLoader, device="cpu") -> float:
    """Accuracy of the argmax predictions over every sample of ``loader``."""
    model.eval()
    correct = total = 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        correct += (model(inputs).argmax(dim=1) == targets).sum().item()
        total += targets.numel()
    return correct / total


def fit(
    model, train_loader: DataLoader, val_loader: DataLoader, epochs: int, lr: float = 1e-3, device="cpu"
) -> list[float]:
    """Train for ``epochs`` epochs with AdamW and a cosine schedule; returns validation accuracies."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    criterion = nn.CrossEntropyLoss()
    history = []
    inputs, _ = next(iter(train_loader))  # a look at the data: its feature count
    assert inputs.dim() == 2
    for _ in range(epochs):
        train_one_epoch(model, train_loader, criterion, optimizer, max_grad_norm=1.0, device=device)
        scheduler.step()  # once per epoch: T_max counts epochs
        history.append(evaluate(model, val_loader, device))
    return history
