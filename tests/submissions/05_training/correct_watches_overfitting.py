# A correct submission that watches for overfitting: after each epoch, fit evaluates on the
# training loader as well as on the validation loader, so it iterates train_loader twice per
# epoch. The contract leaves how often fit uses its loaders free. evaluate takes the softmax
# before argmax, which changes no prediction.
import torch
from torch import nn


def train_step(model, batch, criterion, optimizer, max_grad_norm=1.0, device="cpu"):
    inputs, targets = (t.to(device) for t in batch)
    optimizer.zero_grad()
    loss = criterion(model(inputs), targets)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


def train_one_epoch(model, loader, criterion, optimizer, max_grad_norm=1.0, device="cpu"):
    model.train()
    losses = [train_step(model, batch, criterion, optimizer, max_grad_norm, device) for batch in loader]
    return sum(losses) / len(losses)


@torch.no_grad()
def evaluate(model, loader, device="cpu"):
    model.eval()
    correct = total = 0
    for inputs, targets in loader:
        probabilities = model(inputs.to(device)).softmax(dim=1)  # harmless before argmax
        predictions = probabilities.argmax(dim=1)
        correct += (predictions == targets.to(device)).sum().item()
        total += targets.numel()
    return correct / total


def fit(model, train_loader, val_loader, epochs, lr=1e-3, device="cpu"):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    criterion = nn.CrossEntropyLoss()
    history, train_accuracy = [], []
    for _ in range(epochs):
        train_one_epoch(model, train_loader, criterion, optimizer, 1.0, device)
        scheduler.step()
        train_accuracy.append(evaluate(model, train_loader, device))  # a gap to val accuracy means overfitting
        history.append(evaluate(model, val_loader, device))
    return history
