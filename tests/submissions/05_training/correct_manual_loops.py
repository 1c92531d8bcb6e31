# A correct submission in another style: explicit loops, functional loss, inference_mode,
# zero_grad(set_to_none=False), fit without the helper functions.
import torch
import torch.nn.functional as F


def train_step(model, batch, criterion, optimizer, max_grad_norm=1.0, device="cpu"):
    x, y = batch
    x = x.to(device)
    y = y.to(device)
    for p in model.parameters():
        p.grad = None
    out = model(x)
    loss = criterion(out, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(list(model.parameters()), max_norm=max_grad_norm)
    optimizer.step()
    return float(loss.detach().cpu())


def train_one_epoch(model, loader, criterion, optimizer, max_grad_norm=1.0, device="cpu"):
    model.train(True)
    total, n = 0.0, 0
    for batch in loader:
        total += train_step(model, batch, criterion, optimizer, max_grad_norm, device)
        n += 1
    return total / n


def evaluate(model, loader, device="cpu"):
    was_training = model.training
    model.eval()
    correct, seen = 0, 0
    with torch.inference_mode():
        for x, y in loader:
            pred = model(x.to(device)).argmax(-1)
            correct += int((pred.cpu() == y).sum())
            seen += len(y)
    model.train(was_training)
    return correct / seen


def fit(model, train_loader, val_loader, epochs, lr=1e-3, device="cpu"):
    opt = torch.optim.AdamW(params=model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    accs = []
    for _ in range(epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            opt.zero_grad(set_to_none=False)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        sched.step()
        accs.append(evaluate(model, val_loader, device))
    return accs
