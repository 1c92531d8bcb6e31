"""Checks for exercise 01_tensors.

One scenario, ``results(module, device, name)``, calls one function of the module on a
list of inputs (``CASES[name]``) built inside the sandbox child, and records for each
call the result, its device, the input before and after the call and, for the functions
that must return views, where the result's and the input's memory lie and what writing
into the result did to the input. Every check on a function reuses that function's
cached results; ``noise`` does the same for ``seeded_noise`` and the global random state.
Scenarios only record: every comparison is made in the checks. The reference runs every
scenario in one child (``REFERENCE``), the learner's code one child per function.

A check on a property of a function (its input left as it was, a view, the global random
state) is judged once that function's results are right: code that does nothing has
most of these properties.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from torchgrade.kit import (
    ReferenceBatch,
    attempt,
    check,
    describe,
    describe_type,
    expect_equal,
    expect_tensor,
    fail,
    randn,
    same_memory,
    seed,
    storage_address,
    type_name,
    working,
    write_into,
    wrote_through,
)

# --------------------------------------------------------------------------- inputs


def ints(*shape: int, device: str = "cpu") -> torch.Tensor:
    return torch.arange(math.prod(shape), device=device).reshape(shape)


Case = tuple[str, Callable[[str], tuple]]  # (how the call reads in a message, device -> arguments)


def _x(
    shape: tuple[int, ...], build: Callable[[str], torch.Tensor], note: str = ""
) -> tuple[str, Callable[[str], tuple]]:
    return f"x of shape {shape}{note}", lambda device: (build(device),)


def _calls(name: str, cases: list[tuple[str, Callable[[str], tuple]]]) -> list[Case]:
    return [(f"{name}(x) for {label}", build) for label, build in cases]


CASES: dict[str, list[Case]] = {
    "evens": [(f"evens({n})", lambda device, n=n: (n,)) for n in (0, 1, 2, 7, 10)],
    "identity_plus": [
        (f"identity_plus({n}, {v})", lambda device, n=n, v=v: (n, v))
        for n, v in ((1, 0.5), (3, 0.5), (4, -2.0), (2, 0.0))
    ],
    "flatten_features": _calls(
        "flatten_features",
        [
            _x((2, 3, 4), lambda d: randn(2, 3, 4, seed=1, device=d)),
            _x((5, 2), lambda d: randn(5, 2, seed=2, device=d), ", already 2-D"),
            _x((1, 2, 3, 4), lambda d: ints(1, 2, 3, 4, device=d), ", int64, batch of one"),
            _x((3, 1, 5), lambda d: randn(3, 1, 5, seed=3, dtype=torch.float64, device=d), ", float64"),
        ],
    ),
    "flatten_features:non_contiguous": _calls(
        "flatten_features",
        [
            _x((2, 4, 3), lambda d: ints(2, 3, 4, device=d).permute(0, 2, 1), ", made by permute(0, 2, 1)"),
            _x((4, 5, 3), lambda d: randn(4, 3, 5, seed=4, device=d).transpose(1, 2), ", made by transpose(1, 2)"),
            _x((2, 3, 4), lambda d: randn(2, 6, 4, seed=5, device=d)[:, ::2], ", made by slicing x[:, ::2]"),
            _x((2, 4, 5, 3), lambda d: randn(2, 3, 4, 5, seed=6, device=d).permute(0, 2, 3, 1), ", channels last"),
        ],
    ),
    "add_batch_dim": _calls(
        "add_batch_dim",
        [
            _x((3,), lambda d: randn(3, seed=7, device=d)),
            _x((2, 3), lambda d: ints(2, 3, device=d), ", int64"),
            _x((1, 2, 3), lambda d: randn(1, 2, 3, seed=8, device=d)),
            _x((), lambda d: torch.tensor(5.0, device=d), ", a scalar"),
        ],
    ),
    "drop_singleton_dims": _calls(
        "drop_singleton_dims",
        [
            _x((1, 3, 1, 2), lambda d: randn(1, 3, 1, 2, seed=9, device=d)),
            _x((1, 1, 4, 1), lambda d: ints(1, 1, 4, 1, device=d), ", int64"),
            _x((2, 3), lambda d: randn(2, 3, seed=10, device=d), ", no axis of size 1"),
            _x((3, 1, 1, 2, 1), lambda d: randn(3, 1, 1, 2, 1, seed=11, device=d)),
            _x((1, 1), lambda d: torch.tensor([[4.0]], device=d)),
        ],
    ),
    "channels_first": _calls(
        "channels_first",
        [
            _x((2, 4, 5, 3), lambda d: randn(2, 4, 5, 3, seed=12, device=d)),
            _x((1, 3, 3, 2), lambda d: ints(1, 3, 3, 2, device=d), ", square images"),
            _x((3, 2, 4, 1), lambda d: randn(3, 2, 4, 1, seed=13, device=d), ", one channel"),
        ],
    ),
    "swap_batch_and_time": _calls(
        "swap_batch_and_time",
        [
            _x((2, 3, 4), lambda d: randn(2, 3, 4, seed=14, device=d)),
            _x((4, 5), lambda d: ints(4, 5, device=d), ", 2-D"),
            _x((2, 3, 4, 5), lambda d: randn(2, 3, 4, 5, seed=15, device=d), ", 4-D"),
            _x((1, 3, 2), lambda d: randn(1, 3, 2, seed=16, device=d)),
        ],
    ),
    "first_sample": _calls(
        "first_sample",
        [
            _x((3, 2, 2), lambda d: randn(3, 2, 2, seed=17, device=d)),
            _x((4,), lambda d: ints(4, device=d), ", 1-D"),
            _x((2, 5), lambda d: randn(2, 5, seed=18, dtype=torch.float64, device=d)),
        ],
    ),
    "drop_first_step": _calls(
        "drop_first_step",
        [
            _x((2, 3, 2), lambda d: randn(2, 3, 2, seed=19, device=d)),
            _x((3, 4), lambda d: ints(3, 4, device=d), ", 2-D"),
            _x((2, 4, 3, 2), lambda d: randn(2, 4, 3, 2, seed=20, device=d), ", 4-D"),
            _x((2, 1, 3), lambda d: randn(2, 1, 3, seed=21, device=d), ", one time step"),
        ],
    ),
    "to_device": [
        (
            f"to_device(x, {how}) for x of shape {shape}, {dtype}",
            lambda device, shape=shape, dtype=dtype, wrap=wrap: (
                randn(*shape, seed=22, dtype=dtype) if dtype.is_floating_point else ints(*shape).to(dtype),
                wrap(device),
            ),
        )
        for shape, dtype in (((2, 3), torch.float32), ((5,), torch.int64), ((3, 2), torch.float64))
        for how, wrap in (("device", str), ("torch.device(device)", torch.device))
    ],
    "to_device:gpu": [
        ('to_device(x, "cuda") for x on the CPU', lambda device: (randn(2, 3, seed=23), "cuda")),
        ("to_device(x, torch.device(device)) for x on the CPU", lambda device: (ints(4), torch.device(device))),
        (
            'to_device(x, "cpu") for x on the GPU',
            lambda device: (randn(3, seed=24, dtype=torch.float64, device=device), "cpu"),
        ),
    ],
}

VIEWS = {"first_sample", "drop_first_step"}

# the functions that take a tensor, by the scenario names that call them
TENSOR_INPUTS = [
    "flatten_features",
    "flatten_features:non_contiguous",
    "add_batch_dim",
    "drop_singleton_dims",
    "channels_first",
    "swap_batch_and_time",
    "first_sample",
    "drop_first_step",
    "to_device",
]


# --------------------------------------------------------------------------- scenarios


def results(m, device, name: str) -> list[dict]:
    """Call the function ``name`` names on every input of ``CASES[name]`` and record each call."""
    fn = getattr(m, name.split(":")[0])
    calls = []
    for _, build in CASES[name]:
        args = build(device)
        x = args[0] if isinstance(args[0], torch.Tensor) else None
        before = x.clone() if x is not None else None
        y = fn(*args)
        call: dict[str, Any] = {"out": y, "device": str(y.device) if isinstance(y, torch.Tensor) else None}
        if x is not None:
            call["input_before"], call["input_after"] = before, x
        if name in VIEWS:
            call["storage"] = [storage_address(y), storage_address(x)]  # both alive: equal means shared
            fresh = build(device)[0]  # written into: the result of a call of its own
            call["write"] = write_into(fn(fresh), fresh)
        calls.append(call)
    return calls


# distinct seeds: each is the first draw with its seed (the reproducibility calls follow)
NOISE = [(shape, seed(n)) for shape, n in (((2, 3), 0), ((4,), 1), ((2, 3, 4), 123), ((1,), 7), ((3, 2), 5))]
SAME_SEED, OTHER_SEED = seed(3), seed(4)  # the same seed twice in a row, then another


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(a, b)


def noise(m, device) -> dict:
    """seeded_noise's values; the same seed twice in a row, then another seed; the global random
    state before and after."""
    before = torch.get_rng_state()
    values = [m.seeded_noise(shape, s) for shape, s in NOISE]
    first = m.seeded_noise((3, 4), SAME_SEED)
    again = m.seeded_noise((3, 4), SAME_SEED)
    other = m.seeded_noise((3, 4), OTHER_SEED)
    return {"values": values, "first": first, "again": again, "other": other, "rng": [before, torch.get_rng_state()]}


META = [
    (f"to_device(x, {how}) for x of shape {shape}, {dtype}", shape, dtype, target)
    for shape, dtype in (((2, 3), torch.float32), ((4,), torch.int64))
    for how, target in (('"meta"', "meta"), ('torch.device("meta")', torch.device("meta")))
]


def meta_device(m, device) -> list[dict]:
    """to_device to the "meta" device, which exists without a GPU: where the result lives, its dtype
    and shape (a meta tensor has no values and cannot come back to the CPU); the error's type name
    where to_device refuses it."""
    calls = []
    for _, shape, dtype, target in META:
        x = randn(*shape, seed=25) if dtype.is_floating_point else ints(*shape).to(dtype)
        call = attempt(m.to_device, x, target)
        if call["raised"]:  # a device it was never meant to handle: nothing to judge
            calls.append({"error": call["raised"]})
            continue
        y = call["returned"]
        if isinstance(y, torch.Tensor):
            calls.append({"device": str(y.device), "dtype": str(y.dtype), "shape": tuple(y.shape)})
        else:
            calls.append({"type": type_name(y)})
    return calls


# --------------------------------------------------------------------------- judging helpers

# PyTorch errors a learner's code is likely to hit here, and what to do about each
KNOWN_ERRORS = [
    (
        "view size is not compatible with input tensor's size and stride",
        "view() only reinterprets memory and needs the elements laid out contiguously; a permuted, transposed or "
        "strided-sliced tensor is not. Use x.reshape(x.shape[0], -1) or x.flatten(1), which copy only when they must.",
    ),
    (
        "number of dimensions in the tensor input does not match the length of the desired ordering",
        "permute needs one index per axis, and the input may have any number of axes: to swap only the first two, use x.transpose(0, 1).",
    ),
]


# every scenario the checks on the CPU use: the reference runs them all in one child
REFERENCE = ReferenceBatch(
    [(noise, ()), (meta_device, ())] + [(results, (name,)) for name in CASES if name != "to_device:gpu"],
    known=KNOWN_ERRORS,
)


def compare_calls(run, name: str, hint: str | Callable[[Any, Any], str]) -> tuple[list, list]:
    """Every call's result must have the reference's shape, dtype, values and device."""
    got, want = REFERENCE.both(run, results, name)
    for (label, _), g, w in zip(CASES[name], got, want, strict=True):
        h = hint(g["out"], w["out"]) if callable(hint) else hint
        expect_tensor(g["out"], w["out"], label, hint=h)
        if g["device"] != w["device"]:
            fail(f"{label} is on {g['device']}, expected {w['device']} (the device of x).", h)
    return got, want


def expect_view(run, name: str) -> None:
    got = REFERENCE.learner(run, results, name)
    for (label, _), g in zip(CASES[name], got, strict=True):
        if not isinstance(g["out"], torch.Tensor):
            fail(f"{label} returned {describe(g['out'])}, not a tensor.")
        if not same_memory(*g["storage"]) or wrote_through(g["write"]) is False:
            fail(
                f"{label} returned a copy, not a view: it does not share x's storage, so writing into the result would not change x.",
                "Use basic indexing with integers and slices (x[0], x[:, 1:]) or narrow/select, which return views. "
                ".clone(), .contiguous() on a non-contiguous result, indexing with a list or tensor of indices, and "
                "torch.tensor(...) all copy.",
            )


# --------------------------------------------------------------------------- creating tensors


@check(8, "evens: values, shape and dtype")
def test_evens(run):
    outs = [c["out"] for c in REFERENCE.learner(run, results, "evens")]
    # floats only where the result is empty: an empty list became the tensor, not a float argument
    floats_when_full = any(isinstance(y, torch.Tensor) and y.numel() and y.dtype != torch.int64 for y in outs)

    def hint(got, want):
        if isinstance(got, torch.Tensor) and got.dtype != torch.int64 and not floats_when_full:
            return (
                f"The empty result is {got.dtype}, not int64: an empty Python list, torch.tensor([]), makes a float32 "
                "tensor. Pass dtype=torch.int64, or use torch.arange(0, n, 2), which gives int64 for int arguments."
            )
        if isinstance(got, torch.Tensor) and got.dtype != torch.int64:
            return (
                f"The result is {got.dtype}, not int64 (torch.arange with a float argument such as 0.0 gives floats): "
                "use int arguments, torch.arange(0, n, 2), or pass dtype=torch.int64."
            )
        return "torch.arange(0, n, 2) gives the int64 values 0, 2, 4, ... up to, but not including, n."

    compare_calls(run, "evens", hint)


@check(8, "identity_plus: values, shape and dtype")
def test_identity_plus(run):
    def hint(got, want):
        if isinstance(got, torch.Tensor) and got.dtype != torch.float32:
            return "The result must be float32, PyTorch's default float dtype: torch.eye(n) without a dtype, or dtype=torch.float32."
        return "Add value to every entry, not only the diagonal: torch.eye(n) + value broadcasts the float to all n×n entries."

    compare_calls(run, "identity_plus", hint)


NOT_REPRODUCIBLE = (
    f"Two calls of seeded_noise((3, 4), seed={SAME_SEED}) in a row returned different values, so the noise is not reproducible.",
    "Seed a generator of its own with seed on every call, torch.Generator().manual_seed(seed), and pass it to "
    "torch.randn(shape, generator=...): a generator, the global one included, moves on with every draw.",
)
SEED_UNUSED = (
    f"seeded_noise((3, 4), seed={SAME_SEED}) and seeded_noise((3, 4), seed={OTHER_SEED}) returned the same values: "
    "the seed argument is not used.",
    "Seed the generator with the seed argument: torch.Generator().manual_seed(seed).",
)


def _reproducibility(got: dict) -> tuple[str, str] | None:
    """What is wrong with the same seed twice and another seed, as (message, hint); None if nothing is."""
    if not _same(got["first"], got["again"]):
        return NOT_REPRODUCIBLE
    if _same(got["first"], got["other"]):
        return SEED_UNUSED
    return None


@check(7, "seeded_noise: equals torch.randn with a generator seeded with seed")
def test_seeded_noise_values(run):
    got, want = REFERENCE.both(run, noise)
    tensors = all(isinstance(got[k], torch.Tensor) for k in ("first", "again", "other"))
    why = " ".join(_reproducibility(got) or ()) if tensors else ""
    for (shape, s), g, w in zip(NOISE, got["values"], want["values"], strict=True):
        hint = why or "Draw with torch.randn(shape, generator=torch.Generator().manual_seed(seed))."
        if isinstance(g, torch.Tensor) and g.is_floating_point() and g.numel() and bool(((g >= 0) & (g < 1)).all()):
            hint = "torch.rand draws uniform values in [0, 1); standard-normal noise comes from torch.randn. " + hint
        expect_tensor(g, w, f"seeded_noise({shape}, seed={s})", hint=hint)


# Any function that returns the same tensor every time, or draws nothing, has the next two
# properties: they are judged once the values are right.
@check(4, "seeded_noise: same seed, same noise; another seed, other noise", requires=("seeded_noise_values",))
def test_seeded_noise_reproducible(run):
    problem = _reproducibility(run.learner(noise))
    if problem:
        fail(*problem)


@check(6, "seeded_noise: leaves the global random state untouched", requires=("seeded_noise_values",))
def test_seeded_noise_global_rng(run):
    before, after = run.learner(noise)["rng"]
    if not torch.equal(after, before):
        fail(
            "After seeded_noise, the global random state (torch.get_rng_state()) was not what it was before: "
            "the rest of the program would now draw different random numbers.",
            "Do not call torch.manual_seed, which reseeds the generator the whole program shares, and do not draw "
            "without generator=: use torch.randn(shape, generator=torch.Generator().manual_seed(seed)).",
        )


# --------------------------------------------------------------------------- reshaping and reordering


@check(6, "flatten_features: shape, values and dtype")
def test_flatten_features(run):
    def hint(got, want):
        how = "flatten all the axes after the first into one, (B, d1, d2, ...) -> (B, d1*d2*...): x.flatten(1) or x.reshape(x.shape[0], -1)."
        if isinstance(got, torch.Tensor) and got.dim() == 1:
            return "The batch axis was flattened too, into one long vector: keep it, and " + how
        if isinstance(got, torch.Tensor) and got.dim() == 2 and got.shape[0] != want.shape[0]:
            return (
                f"The result has {got.shape[0]} rows, not one per sample ({want.shape[0]}): the first axis must stay "
                "the batch axis; " + how
            )
        return "Keep the batch axis and " + how

    compare_calls(run, "flatten_features", hint)


@check(7, "flatten_features: works on non-contiguous inputs")
def test_flatten_features_non_contiguous(run):
    compare_calls(
        run,
        "flatten_features:non_contiguous",
        "Flatten in the order of x's axes as they are (row-major over the permuted shape): x.reshape(x.shape[0], -1) or x.flatten(1).",
    )


@check(5, "add_batch_dim: shape, values and dtype")
def test_add_batch_dim(run):
    compare_calls(
        run,
        "add_batch_dim",
        "Add a new axis of size 1 in front of all the others, (...) -> (1, ...): x.unsqueeze(0) or x[None].",
    )


@check(6, "drop_singleton_dims: shape, values and dtype")
def test_drop_singleton_dims(run):
    compare_calls(
        run,
        "drop_singleton_dims",
        "Remove every axis of size 1, wherever it is: x.squeeze() with no argument "
        "(squeeze(0) removes only the first).",
    )


@check(6, "channels_first: shape, values and dtype")
def test_channels_first(run):
    def hint(got, want):
        if isinstance(got, torch.Tensor) and got.shape == want.shape:
            return (
                "The shape is right but the values are not where they belong: reshape and view keep the elements in "
                "memory order and only regroup them, which scrambles pixels and channels. Move the axes with "
                "x.permute(0, 3, 1, 2)."
            )
        if isinstance(got, torch.Tensor) and got.shape == (*want.shape[:2], want.shape[3], want.shape[2]):
            return (
                "Height and width came out swapped, (B, C, W, H): the axes of x are (B, H, W, C) = (0, 1, 2, 3), "
                "so (B, C, H, W) is x.permute(0, 3, 1, 2)."
            )
        return "Move the axes with x.permute(0, 3, 1, 2): (B, H, W, C) -> (B, C, H, W)."

    compare_calls(run, "channels_first", hint)


@check(6, "swap_batch_and_time: shape, values and dtype")
def test_swap_batch_and_time(run):
    compare_calls(
        run,
        "swap_batch_and_time",
        "Swap only the first two axes, whatever follows them: x.transpose(0, 1). "
        "reshape would regroup the elements instead of moving them.",
    )


# --------------------------------------------------------------------------- views
# Returning x itself passes for a view: whether the result is a view is judged once its values are right.


@check(4, "first_sample: shape, values and dtype")
def test_first_sample(run):
    compare_calls(run, "first_sample", "Return the first sample x[0]: its shape is x's shape without the first axis.")


@check(6, "first_sample: returns a view that shares x's storage", requires=("first_sample",))
def test_first_sample_view(run):
    expect_view(run, "first_sample")


@check(4, "drop_first_step: shape, values and dtype")
def test_drop_first_step(run):
    compare_calls(
        run, "drop_first_step", "Drop the first step of the time axis (axis 1), keeping every sample: x[:, 1:]."
    )


@check(6, "drop_first_step: returns a view that shares x's storage", requires=("drop_first_step",))
def test_drop_first_step_view(run):
    expect_view(run, "drop_first_step")


# --------------------------------------------------------------------------- devices


@check(5, "to_device: honours the device, keeps dtype and values")
def test_to_device(run):
    hint = "Return x.to(device): the same dtype and values, on the device given (a str or a torch.device)."
    compare_calls(run, "to_device", hint)
    # on the CPU, "cpu" is where x already is: the meta device shows whether the device argument is honoured
    got, want = REFERENCE.both(run, meta_device)
    for (label, *_), g, w in zip(META, got, want, strict=True):
        if "error" in g:
            fail(
                f'{label} raised {g["error"]}: to_device must work for any device PyTorch names, "meta" included.',
                "Return x.to(device), which accepts every device PyTorch knows, as a str or a torch.device.",
            )
        if "type" in g:
            fail(f"{label} returned {describe_type(g['type'])}, not a tensor.", hint)
        if g["device"] != w["device"]:
            fail(
                f"{label} returned a tensor on {g['device']}: asked for the {w['device']} device, got {g['device']}.",
                "Move to exactly the device given, e.g. x.to(device): choosing between x.cuda() and x.cpu(), or "
                "returning x as it is, handles only some devices.",
            )
        expect_equal(g["dtype"], w["dtype"], f"The dtype of {label}", hint=hint)
        expect_equal(g["shape"], w["shape"], f"The shape of {label}", hint=hint)


@check(5, "to_device: moves tensors to the GPU and back", cuda=True)
def test_to_device_gpu(run):
    got, want = run(results, "to_device:gpu")
    for (label, _), g, w in zip(CASES["to_device:gpu"], got, want, strict=True):
        expect_equal(
            g["device"],
            w["device"],
            f"The device of {label}",
            hint='Use x.to(device), which accepts "cuda", "cuda:0", "cpu" and torch.device objects.',
        )
        expect_tensor(g["out"], w["out"], label, hint="Moving between devices keeps dtype and values: x.to(device).")


# --------------------------------------------------------------------------- inputs left alone

# The functions that take a tensor, and the checks that show each one does its job
RESULTS_CHECKS = {
    "flatten_features": (test_flatten_features, test_flatten_features_non_contiguous),
    "add_batch_dim": (test_add_batch_dim,),
    "drop_singleton_dims": (test_drop_singleton_dims,),
    "channels_first": (test_channels_first,),
    "swap_batch_and_time": (test_swap_batch_and_time,),
    "first_sample": (test_first_sample,),
    "drop_first_step": (test_drop_first_step,),
    "to_device": (test_to_device,),
}


def _input_change(before: torch.Tensor, after: torch.Tensor) -> str | None:
    """How x changed during a call, in words; None if it did not."""
    if after.shape != before.shape:
        return f"changed the shape of x from {tuple(before.shape)} to {tuple(after.shape)}"
    if after.dtype != before.dtype:
        return f"changed the dtype of x from {before.dtype} to {after.dtype}"
    if not torch.equal(after, before):
        return "changed the values of x"
    return None


# Returning x, or nothing, leaves x as it was: each function's calls are judged once its results are right.
@check(6, "every function leaves its input unchanged (judged for each function whose results are right)")
def test_inputs_unchanged(run):
    functions = working(run, RESULTS_CHECKS)
    problems = []
    for name in TENSOR_INPUTS:
        if name.split(":")[0] not in functions:
            continue
        for (label, _), c in zip(CASES[name], REFERENCE.learner(run, results, name), strict=True):
            change = _input_change(c["input_before"], c["input_after"])
            if change:
                problems.append(f"{label} {change}")
    if problems:
        fail(
            problems[0]
            + (
                f" (and {len(problems) - 1} more call{'s' if len(problems) > 2 else ''} changed their input)"
                if len(problems) > 1
                else ""
            )
            + ".",
            "Methods whose name ends in an underscore (unsqueeze_, squeeze_, transpose_, add_, ...) work in place on x; "
            "use the versions without it, which return a new tensor or a view and leave x as it was.",
        )
