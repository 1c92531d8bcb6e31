"""05_training: realistic mistakes, each failing the check that concerns it with a message naming the concept."""

from __future__ import annotations

STEP = "    nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)  # after backward, before step\n"
ZERO = "    optimizer.zero_grad()  # gradients accumulate in .grad unless cleared\n"
EVAL_HEAD = '''@torch.no_grad()  # no graph: evaluation needs no gradients
def evaluate(model, loader: DataLoader, device="cpu") -> float:
    """Accuracy of the argmax predictions over every sample of ``loader``."""
    model.eval()
'''
EVAL_LOOP = """    model.eval()
    correct = total = 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
"""
EVAL_LOOP_FLOAT64 = """    model.eval()
    model.double()  # "exact" evaluation in float64
    correct = total = 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device, torch.float64), targets.to(device)
"""
FIT_LOOP = """    for _ in range(epochs):
        train_one_epoch(model, train_loader, criterion, optimizer, max_grad_norm=1.0, device=device)
        scheduler.step()  # once per epoch: T_max counts epochs
"""
PER_BATCH = """    for _ in range(epochs):
        model.train()
        for batch in train_loader:
            train_step(model, batch, criterion, optimizer, 1.0, device)
            scheduler.step()
"""

# (what the learner did, text in the reference, what they wrote instead, the check that must fail, words its message must hold)
MISTAKES = [
    ("no zero_grad", ZERO, "", "train_step_clears_gradients", "optimizer.zero_grad() before loss.backward()"),
    (
        "zero_grad between backward and step",
        ZERO + "    loss = criterion(model(inputs), targets)\n    loss.backward()\n",
        "    loss = criterion(model(inputs), targets)\n    loss.backward()\n" + ZERO,
        "train_step_updates_parameters",
        "not between backward() and step()",
    ),
    (
        "no optimizer.step",
        "    optimizer.step()\n    return loss.item()",
        "    return loss.item()",
        "train_step_updates_parameters",
        "optimizer.step() was never called",
    ),
    (
        "no clipping",
        STEP,
        "",
        "train_step_clips_gradients",
        "Call nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm) between",
    ),
    (
        "clipping hard-coded at 1.0",
        STEP,
        "    nn.utils.clip_grad_norm_(model.parameters(), 1.0)\n",
        "train_step_clips_gradients",
        "use the max_grad_norm argument",
    ),
    (
        "clip before backward",
        "    loss.backward()\n" + STEP,
        STEP + "    loss.backward()\n",
        "train_step_clips_gradients",
        "clip_grad_norm_ appears in your code",
    ),
    (
        "returns the loss tensor",
        "    return loss.item()  #",
        "    return loss  #",
        "train_step_returns_loss",
        "Python float",
    ),
    (
        "batch left on the CPU",
        "    inputs, targets = (t.to(device) for t in batch)",
        "    inputs, targets = batch",
        "train_step_moves_batch",
        ".to(device)",
    ),
    (
        "no model.train()",
        "    model.train()  # dropout",
        "    # dropout",
        "train_one_epoch_training_mode",
        "model.train()",
    ),
    (
        "skips the last batch",
        "for batch in loader]",
        "for batch in list(loader)[:-1]]",
        "train_one_epoch_every_batch",
        "the last (smaller) batch included",
    ),
    (
        "mean weighted by batch size",
        "    return sum(losses) / len(losses)",
        "    sizes = [len(b[1]) for b in loader]\n    return sum(l * n for l, n in zip(losses, sizes)) / sum(sizes)",
        "train_one_epoch_mean_loss",
        "weighted each batch by its size",
    ),
    (
        "sum instead of mean",
        "    return sum(losses) / len(losses)",
        "    return sum(losses)",
        "train_one_epoch_mean_loss",
        "sum of the batch losses",
    ),
    (
        "own optimizer in train_one_epoch",
        "    model.train()  # dropout",
        "    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n    model.train()  # dropout",
        "train_one_epoch_parameters",
        "with the given optimizer",
    ),
    (
        "criterion ignored in train_one_epoch",
        "train_step(model, batch, criterion, optimizer, max_grad_norm, device)",
        "train_step(model, batch, nn.CrossEntropyLoss(), optimizer, max_grad_norm, device)",
        "train_one_epoch_parameters",
        "was never called",
    ),
    (
        "max_grad_norm not passed on",
        "train_step(model, batch, criterion, optimizer, max_grad_norm, device)",
        "train_step(model, batch, criterion, optimizer, device=device)",
        "train_one_epoch_parameters",
        "Pass max_grad_norm on",
    ),
    (
        "evaluate switches to training mode at the end",
        "    return correct / total",
        "    model.train()\n    return correct / total",
        "evaluate_eval_mode",
        "do not call model.train() unconditionally",
    ),
    (
        "evaluate leaves gradient tracking off",
        EVAL_HEAD,
        EVAL_HEAD.replace("@torch.no_grad()  # no graph: evaluation needs no gradients\n", "").replace(
            "    model.eval()", "    torch.set_grad_enabled(False)\n    model.eval()"
        ),
        "evaluate_no_grad",
        "still off after evaluate returned",
    ),
    (
        "scheduler stepped before the epoch",
        FIT_LOOP,
        "    for _ in range(epochs):\n        scheduler.step()\n        train_one_epoch(model, train_loader, criterion, optimizer, max_grad_norm=1.0, device=device)\n",
        "fit_optimizer",
        "after each epoch's training, not before it",
    ),
    # evaluate_eval_mode and evaluate_changes_nothing wait for evaluate_accuracy, which reports a missing model.eval()
    (
        "no model.eval()",
        "    model.eval()\n",
        "",
        "evaluate_accuracy",
        "batch norm used batch statistics and updated its running statistics",
    ),
    (
        "model converted to float64 for evaluation",
        EVAL_LOOP,
        EVAL_LOOP_FLOAT64,
        "evaluate_changes_nothing",
        "changed the dtype",
    ),
    (
        "no torch.no_grad()",
        "@torch.no_grad()  # no graph: evaluation needs no gradients\n",
        "",
        "evaluate_no_grad",
        "built a graph for nothing",
    ),
    (
        "accuracy as a percentage",
        "    return correct / total",
        "    return 100 * correct / total",
        "evaluate_accuracy",
        "not a percentage",
    ),
    (
        "mean of per-batch accuracies",
        "        correct += (model(inputs).argmax(dim=1) == targets).sum().item()\n        total += targets.numel()\n    return correct / total",
        "        correct += (model(inputs).argmax(dim=1) == targets).float().mean().item()\n        total += 1\n    return correct / total",
        "evaluate_accuracy",
        "divide by the number of samples",
    ),
    (
        "validation accuracy taken before each epoch's training",
        FIT_LOOP + "        history.append(evaluate(model, val_loader, device))\n",
        FIT_LOOP.replace(":\n", ":\n        history.append(evaluate(model, val_loader, device))\n", 1),
        "fit_history",
        "The trained weights match the reference's, so the accuracies are computed differently",
    ),
    (
        "history appended once",
        "        history.append(evaluate(model, val_loader, device))\n",
        "    history.append(evaluate(model, val_loader, device))\n",
        "fit_history",
        "once at the end of each epoch",
    ),
    (
        "Adam instead of AdamW",
        "torch.optim.AdamW(model.parameters(), lr=lr)",
        "torch.optim.Adam(model.parameters(), lr=lr)",
        "fit_optimizer",
        "asks for AdamW",
    ),
    (
        "hard-coded learning rate",
        "torch.optim.AdamW(model.parameters(), lr=lr)",
        "torch.optim.AdamW(model.parameters(), lr=1e-3)",
        "fit_optimizer",
        "Use the lr argument",
    ),
    (
        "no scheduler step",
        "        scheduler.step()  # once per epoch: T_max counts epochs\n",
        "",
        "fit_schedule",
        "never changed",
    ),
    ("scheduler stepped per batch", FIT_LOOP, PER_BATCH, "fit_schedule", "once per epoch, after the batches"),
    ("wrong T_max", "T_max=epochs)", "T_max=10)", "fit_schedule", "takes 10 epochs to reach its minimum"),
    (
        "no clipping in fit",
        "max_grad_norm=1.0, device=device)",
        "max_grad_norm=1e9, device=device)",
        "fit_clipping",
        "clip_grad_norm_",
    ),
    (
        "softmax before the loss",
        "    criterion = nn.CrossEntropyLoss()",
        "    criterion = lambda out, y: nn.functional.cross_entropy(out.softmax(dim=1), y)",
        "fit_parameters",
        "expects raw logits",
    ),
    (
        "trains on a loader of its own, without shuffling",
        "        train_one_epoch(model, train_loader, criterion,",
        "        train_one_epoch(model, DataLoader(train_loader.dataset, batch_size=32), criterion,",
        "fit_parameters",
        "step 1 trained on another batch than the reference's",
    ),
    (
        "never trains",
        "        train_one_epoch(model, train_loader, criterion, optimizer, max_grad_norm=1.0, device=device)\n",
        "",
        "fit_converges",
        "final validation accuracy",
    ),
]
