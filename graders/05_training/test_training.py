"""Checks for exercise 05_training.

Scenarios (plain functions of ``(module, device, ...)``) run in sandbox children on the
learner's and on the reference's module, with the same seeds and the same initial
weights; the ``test_*`` checks compare what came back.

A property that code doing nothing also has (no gradient tracking, nothing changed, norms
below a bound, the right mode) pays only once the function does its job: those checks
``require`` the function's main check (train_step's parameters, train_one_epoch's
parameters, evaluate's accuracy, fit's learning-rate schedule for its clipping).
"""

from __future__ import annotations

import contextlib
import math
import re
from itertools import pairwise

import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.data import DataLoader, TensorDataset

from torchgrade.kit import (
    CheckFailed,
    ForwardProbe,
    StepProbe,
    blobs,
    changed,
    check,
    expect_equal,
    expect_float,
    expect_mode,
    expect_tensors,
    fail,
    find_in_code,
    generator,
    labelled,
    seed,
    snapshot,
    stale_gradients,
)

# --------------------------------------------------------------------------- shared setup


def make_model(device: str, batchnorm: bool = False, dropout: float = 0.0) -> nn.Module:
    torch.manual_seed(seed(0))  # identical initial weights for learner and reference
    layers = (
        [nn.Linear(6, 16)]
        + ([nn.BatchNorm1d(16)] if batchnorm else [])
        + [nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 3)]
    )
    return nn.Sequential(*layers).to(device)


def make_batch(scale: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    return labelled(8, seed=1, scale=scale)  # on the CPU: train_step moves it


class RecordingLoss(nn.Module):
    """Cross-entropy with label smoothing (so that it differs from the default loss) that
    remembers every loss value it returned."""

    def __init__(self):
        super().__init__()
        self.values: list[float] = []

    def forward(self, logits, targets):
        loss = nn.functional.cross_entropy(logits, targets, label_smoothing=0.1)
        self.values.append(loss.item())
        return loss


# --------------------------------------------------------------------------- train_step


def step_once(m, device, stale_grads: bool = False, max_grad_norm: float = 100.0, scale: float = 1.0):
    model = make_model(device)
    before = snapshot(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    if stale_grads:  # leftovers from an earlier step that must not leak into this one
        stale_gradients(model)
    steps = StepProbe()
    with steps.watching():
        loss = m.train_step(
            model, make_batch(scale), nn.CrossEntropyLoss(), optimizer, max_grad_norm=max_grad_norm, device=device
        )
    return {"loss": loss, "params": snapshot(model), "before": before, "norms": steps.field("grad_norm")}


@check(10, "train_step: parameters after one step match the reference")
def test_train_step_updates_parameters(run):
    got, want = run(step_once)
    if not changed(got["before"], got["params"]):
        if not got["norms"]:
            fail(
                "The parameters did not change: optimizer.step() was never called.",
                "Call optimizer.step() after loss.backward() (and the clipping): backward() only computes gradients.",
            )
        if not any(got["norms"]):
            fail(
                "The parameters did not change: optimizer.step() ran, but with no gradients in .grad.",
                "Clear gradients before backward(), not between backward() and step(): zero_grad() after backward() "
                "throws away the gradients the step needs.",
            )
        fail(
            "The parameters did not change.",
            "Call loss.backward() and then optimizer.step(), with the optimizer of the model you were given.",
        )
    if len(got["norms"]) != 1:
        fail(f"optimizer.step() was called {len(got['norms'])} times; one train_step makes exactly one step.")
    expect_tensors(
        got["params"],
        want["params"],
        "After one train_step, parameter",
        hint="Check the order: zero_grad(), forward, loss = criterion(outputs, targets), loss.backward(), clip, optimizer.step().",
    )


@check(5, "train_step: returns the loss as a Python float")
def test_train_step_returns_loss(run):
    got, want = run(step_once)
    expect_float(
        got["loss"],
        want["loss"],
        "The value train_step returns",
        hint="Return loss.item(), the loss of this batch computed before the step.",
    )


@check(10, "train_step: clears old gradients before backward", requires=("train_step_updates_parameters",))
def test_train_step_clears_gradients(run):
    got, want = run(step_once, True)
    expect_tensors(
        got["params"],
        want["params"],
        "With gradients left over from before the call, parameter",
        hint="Gradients accumulate in .grad across backward() calls: call optimizer.zero_grad() before loss.backward().",
    )


@check(10, "train_step: clips the gradient norm to max_grad_norm", requires=("train_step_updates_parameters",))
def test_train_step_clips_gradients(run):
    got, want = run(step_once, False, 0.5, 10.0)
    norms = got["norms"]
    if not norms:
        fail("optimizer.step() was never called.")
    if not changed(got["before"], got["params"]):
        fail(
            "The parameters did not change, so clipping cannot be judged.",
            "Clear gradients before backward(), not between backward() and step().",
        )
    if norms[0] > 0.5 * (1 + 1e-4):
        message = f"The gradient norm at optimizer.step() was {norms[0]:.4g}, above max_grad_norm=0.5."
        if abs(norms[0] - 1.0) < 1e-3:
            fail(
                message + " It is about 1.0: use the max_grad_norm argument rather than a fixed value.",
                "Pass max_grad_norm itself to nn.utils.clip_grad_norm_, not 1.0.",
            )
        if find_in_code(run.learner_source, re.compile(r"clip_grad_norm_\s*\(")):
            fail(
                message + " clip_grad_norm_ appears in your code, but the gradients that reached optimizer.step() "
                "were not clipped.",
                "Clip after loss.backward() and before optimizer.step(): before backward() there are no gradients yet "
                "to clip, and after step() it is too late.",
            )
        fail(
            message,
            "Call nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm) between loss.backward() and optimizer.step().",
        )
    expect_tensors(
        got["params"],
        want["params"],
        "After a clipped step, parameter",
        hint="Clip the total norm of all gradients together with nn.utils.clip_grad_norm_ (clip_grad_value_ clips each value separately).",
    )


def step_device(m, device):
    model = make_model(device)
    probe = ForwardProbe(model)
    m.train_step(model, make_batch(), nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), device=device)
    return probe.field("device")


@check(5, "train_step: moves the batch to the device", cuda=True)
def test_train_step_moves_batch(run):
    got, want = run(step_device)
    expect_equal(
        got,
        want,
        "The device of the inputs the model saw",
        hint="Move inputs and targets with .to(device) before the forward pass.",
    )


# --------------------------------------------------------------------------- train_one_epoch

EPOCH_MAX_NORM = 0.3  # not the default, and below the gradient norms of this problem


def one_epoch(m, device):
    # No batch norm or dropout: both modes compute the same, so the parameters check judges the
    # arithmetic of the epoch and the training-mode check (the probe) judges model.train().
    model = make_model(device)
    model.eval()  # handed over in evaluation mode: train_one_epoch must switch it
    probe = ForwardProbe(model)
    criterion = RecordingLoss()
    loader = DataLoader(TensorDataset(*labelled(50, seed=2, scale=3.0)), batch_size=16)  # batches of 16, 16, 16 and 2
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    steps = StepProbe()
    with steps.watching():
        mean = m.train_one_epoch(model, loader, criterion, optimizer, max_grad_norm=EPOCH_MAX_NORM, device=device)
    # the training forward passes: those with gradient tracking on (an extra pass under no_grad, to watch
    # the training accuracy, is the learner's business)
    training = [c for c in probe.calls if c["grad_enabled"]]
    return {
        "mean": mean,
        "losses": criterion.values,
        "training": [c["training"] for c in training],
        "batches": [c["batch"] for c in training],
        "params": snapshot(model),
        "norms": steps.field("grad_norm"),
    }


@check(5, "train_one_epoch: every batch is used once")
def test_train_one_epoch_every_batch(run):
    got, want = run(one_epoch)
    expect_equal(
        got["batches"],
        want["batches"],
        "The list of batch sizes the model saw",
        hint="Loop over every batch of the loader exactly once, the last (smaller) batch included.",
    )


@check(5, "train_one_epoch: returns the mean of the batch losses")
def test_train_one_epoch_mean_loss(run):
    got, want = run(one_epoch)
    losses, value = got["losses"], got["mean"]
    hint = "Return the plain mean of the per-batch losses: every batch weighs the same, the last partial one too."
    if isinstance(value, float) and losses:
        sizes = got["batches"]
        if len(sizes) == len(losses) and math.isclose(
            value, sum(loss * n for loss, n in zip(losses, sizes, strict=True)) / sum(sizes), rel_tol=1e-5
        ):
            hint = "You weighted each batch by its size; the task asks for the plain mean of the per-batch losses."
        elif math.isclose(value, sum(losses), rel_tol=1e-5):
            hint = "You returned the sum of the batch losses; divide by the number of batches."
        elif math.isclose(value, losses[-1], rel_tol=1e-5):
            hint = "You returned the last batch's loss; return the mean over all batches."
    expect_float(value, want["mean"], "The value train_one_epoch returns", hint=hint)


@check(5, "train_one_epoch: parameters after one epoch match the reference")
def test_train_one_epoch_parameters(run):
    got, want = run(one_epoch)
    if got["batches"] and not got["losses"]:
        fail(
            "The criterion train_one_epoch was given was never called.",
            "Compute each loss with the criterion argument, not a loss of your own.",
        )
    if max(got["norms"], default=0.0) > EPOCH_MAX_NORM * (1 + 1e-4):
        fail(
            f"A gradient norm of {max(got['norms']):.4g} reached optimizer.step(), above max_grad_norm={EPOCH_MAX_NORM}.",
            "Pass max_grad_norm on to train_step (or clip with it) instead of relying on the default 1.0.",
        )
    expect_tensors(
        got["params"],
        want["params"],
        "After one epoch, parameter",
        hint="Do exactly what train_step does for each batch, in the order the loader yields them, with the given optimizer and max_grad_norm.",
    )


@check(5, "train_one_epoch: the model is in training mode", requires=("train_one_epoch_parameters",))
def test_train_one_epoch_training_mode(run):
    got = run.learner(one_epoch)
    expect_mode(
        got["training"],
        True,
        "The model was in evaluation mode during training forward passes (it was handed over in evaluation mode).",
        "Call model.train() at the start of train_one_epoch: dropout and batch norm behave differently in the two modes.",
    )


# --------------------------------------------------------------------------- evaluate


def evaluation(m, device, training: bool = True):
    model = make_model(device, batchnorm=True, dropout=0.5)
    model.train(training)  # handed over in training mode, evaluate must switch it
    before = snapshot(model)
    probe = ForwardProbe(model)
    loader = DataLoader(TensorDataset(*labelled(50, seed=3)), batch_size=16)
    accuracy = m.evaluate(model, loader, device=device)
    return {
        "accuracy": accuracy,
        "training": probe.field("training"),
        "grad": probe.field("grad_enabled"),
        "before": before,
        "after": snapshot(model),
        "training_after": model.training,
        "grad_after": torch.is_grad_enabled(),
    }


@check(5, "evaluate: accuracy matches the reference")
def test_evaluate_accuracy(run):
    got, want = run(evaluation)
    value = got["accuracy"]
    hint = "Count correct argmax predictions over all batches and divide by the number of samples."
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 1:
        hint = "Return a fraction in [0, 1], not a percentage."
    elif any(got["training"]):
        stats = [k for k in changed(got["before"], got["after"]) if "running_" in k]
        hint = (
            "The forward passes ran in training mode (the model was handed over in training mode), so dropout was active "
            "and batch norm used batch statistics"
            + (" and updated its running statistics" if stats else "")
            + ": call model.eval() before the forward passes."
        )
    expect_float(value, want["accuracy"], "The accuracy evaluate returns", hint=hint)


@check(5, "evaluate: the model is in evaluation mode", requires=("evaluate_accuracy",))
def test_evaluate_eval_mode(run):
    got = run.learner(evaluation)
    expect_mode(
        got["training"],
        False,
        "The model was in training mode during evaluation (it was handed over in training mode), so dropout was active and batch norm used batch statistics.",
        "Call model.eval() before the forward passes.",
    )
    if run.learner(evaluation, False)["training_after"]:
        fail(
            "evaluate switched a model handed over in evaluation mode to training mode.",
            "Leave the model in evaluation mode, or restore the mode it had (model.train(was_training)); do not call model.train() unconditionally.",
        )


@check(5, "evaluate: no gradient tracking", requires=("evaluate_accuracy",))
def test_evaluate_no_grad(run):
    got = run.learner(evaluation)
    if any(got["grad"]):
        fail(
            "Gradient tracking was on during evaluation, so every forward pass built a graph for nothing.",
            "Wrap the loop in `with torch.no_grad():` (or torch.inference_mode()).",
        )
    if not got["grad_after"]:
        fail(
            "Gradient tracking was still off after evaluate returned, so the caller's next training step cannot compute gradients.",
            "Use `with torch.no_grad():`, which turns tracking back on when the block ends, instead of torch.set_grad_enabled(False).",
        )


@check(5, "evaluate: changes no parameter or buffer", requires=("evaluate_accuracy",))
def test_evaluate_changes_nothing(run):
    got = run.learner(evaluation)
    before, after = got["before"], got["after"]
    names = changed(before, after)
    if not names:
        return
    retyped = [k for k in names if isinstance(after.get(k), torch.Tensor) and after[k].dtype != before[k].dtype]
    if retyped:
        fail(
            f"Evaluation changed the dtype of {', '.join(retyped)} ({before[retyped[0]].dtype} → {after[retyped[0]].dtype}).",
            "Hand the model back as it came: do not convert it in evaluate (model.double(), model.half(), model.to(dtype)); "
            "the training that follows expects its parameters as they were.",
        )
    stats = [k for k in names if "running_" in k or "num_batches" in k]
    hint = (
        "Batch norm updated its running statistics, which happens in training mode: call model.eval() first."
        if stats
        else "Evaluation must not train the model."
    )
    fail(f"Evaluation changed {', '.join(names)}.", hint)


# --------------------------------------------------------------------------- fit

EPOCHS, LR = 4, 0.01


def clusters(n: int, seed: int) -> TensorDataset:
    """Three well-separated clusters in 6-D: a small problem fit must solve in a few epochs."""
    return TensorDataset(*blobs(n, seed, distance=6.0))


class EpochSampler(torch.utils.data.Sampler):
    """A shuffling sampler whose order depends only on how many optimizer steps fit has taken when an
    iteration starts: training epoch k (begun after k epochs of steps) always gets order k, however
    often fit iterates the loader besides (to evaluate on the training data, to peek at a batch). A
    DataLoader's own shuffling would draw a new order on every pass, evaluation passes included."""

    def __init__(self, n: int, steps: list, per_epoch: int):
        self.n, self.steps, self.per_epoch = n, steps, per_epoch

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        epoch = len(self.steps) // self.per_epoch
        yield from torch.randperm(self.n, generator=generator(1000 + epoch)).tolist()


class BatchTrace:
    """The batch each optimizer step trained on: a fingerprint of the inputs of the last forward pass
    in training mode with gradient tracking on before the step."""

    def __init__(self, model: nn.Module):
        self.last: float | None = None
        self.stepped: list[float | None] = []
        model.register_forward_pre_hook(self._forward)

    def _forward(self, module, args) -> None:
        if module.training and torch.is_grad_enabled() and args and isinstance(args[0], torch.Tensor):
            self.last = round(float(args[0].detach().cpu().double().sum()), 6)

    def _step(self, optimizer, args, kwargs) -> None:
        self.stepped.append(self.last)

    @contextlib.contextmanager
    def watching(self):
        handle = register_optimizer_step_pre_hook(self._step)
        try:
            yield self
        finally:
            handle.remove()


class GradSoftmax(TorchDispatchMode):
    """Counts the softmax operations that run with gradient tracking on: a softmax before the loss, not one in
    an evaluation under no_grad (where softmax before argmax is harmless)."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func.overloadpacket.__name__ == "_softmax" and torch.is_grad_enabled():
            self.count += 1
        return func(*args, **(kwargs or {}))


TRAIN_SAMPLES, TRAIN_BATCH = 256, 32


def fitting(m, device):
    model = make_model(device)
    steps = StepProbe()
    batches = BatchTrace(model)
    per_epoch = TRAIN_SAMPLES // TRAIN_BATCH
    train = DataLoader(
        clusters(TRAIN_SAMPLES, seed=4),
        batch_size=TRAIN_BATCH,
        sampler=EpochSampler(TRAIN_SAMPLES, steps.steps, per_epoch),
    )
    val = DataLoader(clusters(64, seed=5), batch_size=32)
    with steps.watching(), batches.watching(), GradSoftmax() as softmax:
        history = m.fit(model, train, val, epochs=EPOCHS, lr=LR, device=device)
    return {
        "history": history,
        "steps": steps.steps,
        "batches": batches.stepped,
        "params": snapshot(model),
        "softmax": softmax.count,
    }


def _same_params(got: dict, want: dict) -> bool:
    try:
        expect_tensors(got, want, "parameter", rtol=1e-4, atol=1e-5)
    except CheckFailed:
        return False
    return True


@check(2, "fit: returns one validation accuracy per epoch")
def test_fit_history(run):
    got, want = run(fitting)
    history = got["history"]
    if not isinstance(history, (list, tuple)):
        fail(f"fit returned {type(history).__name__}, expected a list of {EPOCHS} floats.")
    if len(history) != EPOCHS:
        fail(
            f"fit returned {len(history)} value{'s' if len(history) != 1 else ''} for epochs={EPOCHS}.",
            "Append the validation accuracy once at the end of each epoch.",
        )
    if _same_params(got["params"], want["params"]):
        hint = (
            "The trained weights match the reference's, so the accuracies are computed differently: after each "
            "epoch's training (and the scheduler step), append evaluate(model, val_loader, device)."
        )
    else:
        hint = (
            "The trained weights differ from the reference's as well, so these accuracies follow from the training: "
            "fix what “fit: trained weights match the reference” reports first."
        )
    for i, (a, b) in enumerate(zip(history, want["history"], strict=True)):
        expect_float(
            a,
            b,
            f"The validation accuracy after epoch {i + 1}",
            rtol=1e-4,
            atol=1e-4,
            hint=hint,
        )


@check(4, "fit: AdamW with the given learning rate")
def test_fit_optimizer(run):
    got, want = run(fitting)
    steps, ref = got["steps"], want["steps"][0]
    if not steps:
        fail("No optimizer step was taken during fit.")
    first = steps[0]
    if first["optimizer"] != ref["optimizer"]:
        fail(
            f"fit used {first['optimizer']}, the task asks for AdamW.",
            "Create torch.optim.AdamW(model.parameters(), lr=lr).",
        )
    if first["n_params"] != ref["n_params"]:
        fail(
            f"The optimizer holds {first['n_params']} parameter tensors, the model has {ref['n_params']}.",
            "Pass model.parameters().",
        )
    if not math.isclose(first["lr"], ref["lr"], rel_tol=1e-6):
        later = {round(s["lr"], 12) for s in want["steps"][1:]}
        hint = (
            "That is the schedule's value for a later epoch: call scheduler.step() after each epoch's training, not before it."
            if round(first["lr"], 12) in later
            else "Use the lr argument instead of a fixed value."
        )
        fail(f"The first step used lr={first['lr']:g}, but fit was called with lr={LR:g}.", hint)
    if not math.isclose(first["weight_decay"], ref["weight_decay"], rel_tol=1e-6):
        fail(
            f"AdamW was built with weight_decay={first['weight_decay']:g}; leave it at its default ({ref['weight_decay']:g})."
        )


@check(5, "fit: cosine learning-rate schedule stepped once per epoch")
def test_fit_schedule(run):
    got, want = run(fitting)
    lrs, ref = [s["lr"] for s in got["steps"]], [s["lr"] for s in want["steps"]]
    if len(lrs) != len(ref):
        fail(f"fit made {len(lrs)} optimizer steps; {EPOCHS} epochs of {len(ref) // EPOCHS} batches make {len(ref)}.")
    if all(math.isclose(x, ref[i], rel_tol=1e-6) for i, x in enumerate(lrs)):
        return
    per_epoch = len(ref) // EPOCHS
    changes = sum(1 for a, b in pairwise(lrs) if a != b)
    ratio = lrs[per_epoch] / lrs[0] if len(lrs) > per_epoch and lrs[0] > 0 else None
    periods = math.pi / math.acos(2 * ratio - 1) if ratio is not None and -1 < 2 * ratio - 1 < 1 else None
    if changes == 0:
        hint = "The learning rate never changed: create CosineAnnealingLR(optimizer, T_max=epochs) and call scheduler.step() at the end of each epoch."
    elif any(lrs[i] != lrs[i + 1] for i in range(len(lrs) - 1) if (i + 1) % per_epoch):
        hint = "The learning rate changed within an epoch: call scheduler.step() once per epoch, after the batches, not once per batch."
    elif any(math.isclose(lrs[0], x, rel_tol=1e-9) for x in ref[per_epoch:]):
        hint = "The schedule runs one epoch ahead: call scheduler.step() after each epoch's training, not before it."
    elif math.isclose(lrs[0], ref[0], rel_tol=1e-6) and periods is not None and abs(periods - EPOCHS) > 0.05:
        hint = (
            f"The learning rate changes once per epoch, but along a cosine that takes {periods:.3g} epochs to reach its "
            f"minimum: pass T_max=epochs (here {EPOCHS}), so that it reaches it after the last epoch."
        )
    else:
        hint = "Use CosineAnnealingLR(optimizer, T_max=epochs), stepped once at the end of each epoch."
    trail = ", ".join(f"{lrs[i]:.3g}" for i in range(0, len(lrs), per_epoch))
    expected = ", ".join(f"{ref[i]:.3g}" for i in range(0, len(ref), per_epoch))
    fail(f"The learning rate at the start of each epoch was [{trail}], expected [{expected}].", hint)


@check(4, "fit: clips gradients at norm 1.0", requires=("fit_schedule",))
def test_fit_clipping(run):
    got = run.learner(fitting)
    norms = [s["grad_norm"] for s in got["steps"]]
    if not any(norm > 0 for norm in norms):
        fail(
            f"None of the {len(norms)} optimizer steps during fit had a gradient, so clipping cannot be judged.",
            "Call loss.backward() before each optimizer.step() (train_one_epoch does it for you).",
        )
    worst = max(norms)
    if worst > 1.0 + 1e-4:
        fail(
            f"A gradient norm of {worst:.4g} reached optimizer.step() during fit.",
            "Clip with nn.utils.clip_grad_norm_(model.parameters(), 1.0) between backward() and step() (train_one_epoch does it for you).",
        )


@check(5, "fit: trained weights match the reference")
def test_fit_parameters(run):
    got, want = run(fitting)
    mine, ref = got["steps"], want["steps"]
    if got["softmax"] > want["softmax"]:
        hint = "Your code applies softmax before the loss: nn.CrossEntropyLoss expects raw logits and applies log-softmax itself."
    elif max((s["grad_norm"] for s in mine), default=0.0) > 1.0 + 1e-4:
        hint = "Gradient norms above 1.0 reached optimizer.step(): clip with nn.utils.clip_grad_norm_(model.parameters(), 1.0) between backward() and step()."
    elif got["batches"] != want["batches"]:
        first = next(
            (i for i, (a, b) in enumerate(zip(got["batches"], want["batches"], strict=False)) if a != b),
            min(len(got["batches"]), len(want["batches"])),
        )
        hint = (
            f"fit took {len(mine)} optimizer steps, and step {first + 1} trained on another batch than the reference's "
            f"({len(ref)} steps: {EPOCHS} epochs of {len(ref) // EPOCHS} batches): in each epoch, train on every batch "
            "of train_loader once, in the order it yields them (not on val_loader, not on a loader of your own)."
        )
    elif [s["optimizer"] for s in mine] != [s["optimizer"] for s in ref] or not all(
        math.isclose(a["lr"], b["lr"], rel_tol=1e-6) for a, b in zip(mine, ref, strict=True)
    ):
        hint = "The optimizer or its learning rates differ from the reference's: see the AdamW and schedule checks."
    else:
        hint = (
            "The batches, learning rates and gradient clipping all match the reference's, so each step computed another "
            "loss or update: use nn.CrossEntropyLoss() with its defaults on the model's raw outputs, and AdamW with its defaults."
        )
    expect_tensors(got["params"], want["params"], "After fit, parameter", rtol=1e-4, atol=1e-5, hint=hint)


@check(5, "fit: converges on a small problem", timeout_s=20)
def test_fit_converges(run):
    got, want = run(fitting)
    history = got["history"]
    if not isinstance(history, (list, tuple)) or not history or not isinstance(history[-1], (int, float)):
        fail("fit did not return a list of accuracies, so convergence cannot be judged.")
    run.plot("Validation accuracy", {"your code": history, "reference": want["history"]}, y_label="accuracy")
    final, target = float(history[-1]), min(0.9, want["history"][-1] - 0.05)
    if final < target:
        fail(
            f"The final validation accuracy was {final:.3f}; the reference reaches {want['history'][-1]:.3f} and at least {target:.3f} is expected.",
            "Check that every epoch trains on every batch with a decreasing loss.",
        )
