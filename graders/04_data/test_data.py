"""Checks for exercise 04_data.

Scenarios (plain functions of ``(module, device, ...)``) run in sandbox children on the
learner's and on the reference's module. ``make_loader`` and ``split_dataset`` are judged
on a ``TensorDataset`` built here whose label is each sample's index, so that they do not
depend on ``CustomDataset`` and every batch or subset says which samples it holds.
Scenarios only record (batches, settings, the global random state before and after);
every comparison is made in the checks.

A check on a property of a function (the order of the samples, the loader's settings,
the global random state) is judged once that function's results are right: code that
does nothing, or returns the dataset it was given, has some of these properties.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import TensorDataset

from torchgrade.kit import CheckFailed, Foreign, check, describe, expect_tensor, fail, seed, type_name

# --------------------------------------------------------------------------- shared setup

N_SAMPLES, N_FEATURES = 7, 3


def numpy_data() -> tuple[np.ndarray, np.ndarray]:
    """float64 features (numpy's default) and int32 labels: both need converting."""
    rng = np.random.default_rng(seed(0))
    return rng.normal(size=(N_SAMPLES, N_FEATURES)), rng.integers(0, 3, size=N_SAMPLES).astype(np.int32)


def list_data() -> tuple[list, list]:
    """Nested Python lists of ints: torch.tensor() alone would make int64 features."""
    return [[3 * i + j for j in range(N_FEATURES)] for i in range(N_SAMPLES)], [i % 3 for i in range(N_SAMPLES)]


def indexed(n: int) -> TensorDataset:
    """Sample i is (features of sample i, i): the label names the sample."""
    x = torch.arange(n, dtype=torch.float32).unsqueeze(1) + torch.tensor([0.0, 0.25, 0.5])
    return TensorDataset(x, torch.arange(n))


def _ids(batches) -> list[int]:
    """The sample ids (labels) of an epoch's batches, in the order they came."""
    return [int(i) for batch in batches for i in batch[1].reshape(-1).tolist()]


def _sizes(batches) -> list[int]:
    return [int(batch[1].shape[0]) if batch[1].dim() else 1 for batch in batches]


# --------------------------------------------------------------------------- CustomDataset


def dataset_length(m, device):
    return len(m.CustomDataset(*numpy_data()))


def dataset_items(m, device, source: str):
    X, y = numpy_data() if source == "numpy" else list_data()
    dataset = m.CustomDataset(X, y)
    return [dataset[i] for i in range(N_SAMPLES)]


def _pairs(items) -> list:
    if not isinstance(items, list):
        fail(f"The samples could not be read back ({describe(items)}).")
    for i, item in enumerate(items):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            fail(
                f"dataset[{i}] is {describe(item)}, expected a pair (features, label).",
                "Return the pair self.X[i], self.y[i] from __getitem__.",
            )
    return items


def _expect_features(items, want, prefix: str = "") -> None:
    for i, (item, expected) in enumerate(zip(_pairs(items), want, strict=True)):
        x = item[0]
        if isinstance(x, Foreign) and x.type_name.startswith("numpy"):
            hint = "Return tensors, not numpy arrays: convert X to a tensor once in __init__ and index that tensor in __getitem__."
        elif isinstance(x, torch.Tensor) and x.dtype != expected[0].dtype:
            hint = (
                "Store X as float32, e.g. torch.as_tensor(X, dtype=torch.float32): numpy arrays are float64 by default, "
                "lists of ints become int64, and models want float32 inputs."
            )
        elif isinstance(x, torch.Tensor) and x.shape != expected[0].shape:
            hint = f"dataset[i][0] is row i of X: a vector of the {N_FEATURES} features of sample i."
        else:
            hint = "dataset[i][0] must hold the values of row i of X."
        expect_tensor(x, expected[0], f"{prefix}dataset[{i}][0] (the features of sample {i})", hint=hint)


def _expect_labels(items, want, prefix: str = "") -> None:
    for i, (item, expected) in enumerate(zip(_pairs(items), want, strict=True)):
        y = item[1]
        if isinstance(y, (Foreign, int, float)):
            hint = "Return the label as a tensor (self.y[i] of an int64 tensor), not as a Python or numpy number."
        elif isinstance(y, torch.Tensor) and y.dtype != expected[1].dtype:
            hint = "Store y as int64, e.g. torch.as_tensor(y, dtype=torch.int64): nn.CrossEntropyLoss wants int64 (Long) class labels."
        elif isinstance(y, torch.Tensor) and y.shape != expected[1].shape:
            hint = "Keep y one-dimensional, shape (N,), so that self.y[i] is a scalar (a tensor of shape ()), and the batches of labels have shape (B,)."
        else:
            hint = "dataset[i][1] must be label i."
        expect_tensor(y, expected[1], f"{prefix}dataset[{i}][1] (the label of sample {i})", hint=hint)


@check(5, "CustomDataset: len() is the number of samples")
def test_dataset_length(run):
    got, want = run(dataset_length)
    if type(got) is not int or got != want:
        fail(
            f"For X of shape ({N_SAMPLES}, {N_FEATURES}), len(dataset) is {describe(got) if type(got) is not int else got}, expected {want}.",
            "__len__ returns the number of samples, len(self.X) (the first dimension of X), as an int.",
        )


@check(10, "CustomDataset: features are float32 tensors (from numpy arrays)")
def test_dataset_features(run):
    got, want = run(dataset_items, "numpy")
    _expect_features(got, want)


@check(10, "CustomDataset: labels are int64 scalar tensors (from numpy arrays)")
def test_dataset_labels(run):
    got, want = run(dataset_items, "numpy")
    _expect_labels(got, want)


@check(5, "CustomDataset: works with nested Python lists")
def test_dataset_from_lists(run):
    prefix = "Built from nested Python lists, "
    try:
        got = run.learner(dataset_items, "lists")
    except CheckFailed as exc:
        hint = (
            ""
            if "not implemented yet" in str(exc)
            else " Convert with torch.as_tensor(X, dtype=torch.float32), which accepts numpy arrays and nested lists alike (and the same for y)."
        )
        text = str(exc) if str(exc).endswith(".") else f"{exc}."
        if "expected np.ndarray" in text:
            hint = (
                " torch.from_numpy accepts only numpy arrays: convert with torch.as_tensor(X, dtype=torch.float32), "
                "which accepts numpy arrays and nested lists alike (and the same for y)."
            )
        raise CheckFailed(f"{prefix}{text}{hint}", exc.details) from None
    want = run.reference(dataset_items, "lists")
    _expect_features(got, want, prefix)
    _expect_labels(got, want, prefix)


# --------------------------------------------------------------------------- make_loader


def loading(m, device):
    dataset = indexed(10)
    plain = m.make_loader(dataset, batch_size=4, shuffle=False)
    shuffled = m.make_loader(dataset, batch_size=4)  # shuffle=True by default
    default = m.make_loader(dataset)  # batch_size=64 by default
    explicit = m.make_loader(dataset, batch_size=4, shuffle=True)
    return {
        "plain": [list(plain), list(plain)],
        "shuffled": [list(shuffled), list(shuffled)],
        "default": list(default),
        "explicit": [list(explicit), list(explicit)],
    }


@check(10, "make_loader: batches of batch_size, the last partial batch kept")
def test_loader_batches(run):
    got, want = run(loading)
    cases = (
        ("make_loader(dataset, batch_size=4, shuffle=False)", got["plain"][0], want["plain"][0]),
        ("make_loader(dataset, batch_size=4)", got["shuffled"][0], want["shuffled"][0]),
        ("make_loader(dataset)", got["default"], want["default"]),
    )
    for call, batches, expected in cases:
        sizes, wanted = _sizes(batches), _sizes(expected)
        if sizes != wanted:
            if sizes == wanted[:-1]:
                hint = "The last, smaller batch is missing: leave drop_last at its default, False."
            elif call == "make_loader(dataset)":
                hint = "The default batch size is 64: keep batch_size=64 as the default in the signature."
            else:
                hint = "Pass batch_size=batch_size to the DataLoader."
            fail(f"For a dataset of 10 samples, {call} gave batches of sizes {sizes}, expected {wanted}.", hint)
    # what the first batch holds: the samples its labels name, stacked (their order is the next check's business)
    xb, yb = got["plain"][0][0]
    want_x, want_y = want["plain"][0][0]
    rows = {i: x for xs, ys in want["plain"][0] for x, i in zip(xs, ys.tolist(), strict=True)}
    if isinstance(yb, torch.Tensor) and yb.shape == want_y.shape and yb.dtype == want_y.dtype:
        if all(i in rows for i in yb.tolist()):
            want_x, want_y = torch.stack([rows[i] for i in yb.tolist()]), yb
    hint = "Leave collate_fn at its default: it stacks the samples into one tensor."
    expect_tensor(xb, want_x, "With shuffle=False, the first batch of inputs", hint=hint)
    expect_tensor(yb, want_y, "With shuffle=False, the first batch of labels", hint=hint)


DROP_LAST_HINT = (
    "The last, smaller batch was dropped (10 samples in batches of 4 leave 2 over): leave drop_last at its default, "
    "False, so that every sample is loaded in every epoch."
)


def _dropped_last(order: list[int], n: int = 10, batch_size: int = 4) -> bool:
    """Did an epoch lose exactly the samples of the last, partial batch (drop_last=True)?"""
    return len(order) == n - n % batch_size and len(set(order)) == len(order) and set(order) <= set(range(n))


# Iterating the dataset itself gives its samples in order, one at a time: the order, the loader's
# settings and its pinned memory are judged once make_loader's batches are right.
LOADER = ("loader_batches",)


@check(5, "make_loader: shuffle=False keeps the dataset's order", requires=LOADER)
def test_loader_no_shuffle(run):
    got, want = run(loading)
    for epoch, (batches, expected) in enumerate(zip(got["plain"], want["plain"], strict=True), 1):
        if _ids(batches) != _ids(expected):
            fail(
                f"With shuffle=False, epoch {epoch} gave the samples in the order {_ids(batches)}, expected {_ids(expected)}.",
                "Pass shuffle=shuffle to the DataLoader rather than a fixed value.",
            )


@check(10, "make_loader: shuffle=True gives every sample once per epoch, in a new order each epoch", requires=LOADER)
def test_loader_shuffle(run):
    got, want = run(loading)
    orders = [_ids(batches) for batches in got["shuffled"]]
    for epoch, order in enumerate(orders, 1):
        if sorted(order) != list(range(10)):
            fail(
                f"With shuffle=True, epoch {epoch} gave the samples {order}; every one of the 10 samples must come exactly once.",
                "Let the DataLoader shuffle (shuffle=True) instead of sampling with replacement.",
            )
    if all(order == list(range(10)) for order in orders):
        if any(_ids(batches) != list(range(10)) for batches in got["explicit"]):
            fail(
                "With shuffle left at its default, the samples came in the dataset's order in both epochs; "
                "make_loader(dataset, batch_size=4, shuffle=True) does shuffle.",
                "Keep shuffle=True as the default in the signature of make_loader.",
            )
        fail(
            "The samples came in the dataset's order in both epochs, even with shuffle=True passed explicitly.",
            "Pass shuffle=shuffle to the DataLoader rather than a fixed value.",
        )
    if orders[0] == orders[1]:
        fail(
            f"With shuffle=True, both epochs gave the samples in the same order {orders[0]}.",
            "A shuffling DataLoader draws a new order every epoch: do not fix the order once when the loader is built.",
        )


def workers(m, device):
    loader = m.make_loader(indexed(10), batch_size=4, shuffle=False, num_workers=2)
    return {"num_workers": loader.num_workers, "batches": list(loader)}


@check(5, "make_loader: loads with num_workers worker processes", requires=LOADER)
def test_loader_workers(run):
    got = run.learner(workers)  # the expected result is plain: starting workers for the reference too would cost time
    if got["num_workers"] != 2:
        fail(
            f"make_loader(dataset, batch_size=4, shuffle=False, num_workers=2) built a loader with num_workers={got['num_workers']!r}.",
            "Pass num_workers=num_workers to the DataLoader.",
        )
    if _ids(got["batches"]) != list(range(10)):
        hint = None
        if _dropped_last(_ids(got["batches"])):
            hint = DROP_LAST_HINT
        elif sorted(_ids(got["batches"])) == list(range(10)):
            hint = (
                "The samples came shuffled although shuffle=False was passed: pass shuffle=shuffle to the DataLoader."
            )
        fail(
            f"With two worker processes and shuffle=False, the loader gave the samples {_ids(got['batches'])}, expected {list(range(10))}.",
            hint,
        )


SETTINGS_CALLS = (
    ("make_loader(dataset, batch_size=4, shuffle=False)", {"batch_size": 4, "shuffle": False}),
    ("make_loader(dataset, batch_size=4)", {"batch_size": 4}),
    (
        "make_loader(dataset, batch_size=4, shuffle=False, num_workers=2)",
        {"batch_size": 4, "shuffle": False, "num_workers": 2},
    ),
    ('make_loader(dataset, device="cuda")', {"device": "cuda"}),
)

ORDER_SAMPLERS = {"SequentialSampler", "RandomSampler"}  # which of the two is shuffle's business, judged above


def _setting(value) -> object:
    """A DataLoader setting as plain data: numbers, strings and None as they are, anything else by its type or name."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    name = getattr(value, "__qualname__", None)
    if callable(value) and name:
        return f"{getattr(value, '__module__', '')}.{name}"
    return type_name(value)


def loader_settings(m, device):
    """The settings of the loaders make_loader builds (never iterated: no worker starts), as plain data."""
    dataset = indexed(10)
    result = []
    for _, kwargs in SETTINGS_CALLS:
        loader = m.make_loader(dataset, **kwargs)
        settings = {
            name: _setting(getattr(loader, name, None))
            # the settings that change which batches come out (or their order); the ones that only change
            # speed (persistent_workers, prefetch_factor, timeout, multiprocessing_context) are the learner's to choose
            for name in ("drop_last", "generator", "collate_fn", "in_order")
        }
        settings["sampler"] = type_name(loader.sampler)
        settings["batch_sampler"] = _setting(None if loader.batch_sampler is None else type_name(loader.batch_sampler))
        settings["dataset"] = [id(loader.dataset), id(dataset)]  # compared in the check
        result.append(settings)
    return result


SETTING_HINTS = {
    "drop_last": "drop_last=True throws away the last, smaller batch of every epoch.",
    "generator": (
        "A generator of your own decides the shuffled order instead of torch's global random state, so seeding "
        "the program (torch.manual_seed) no longer decides it."
    ),
    "collate_fn": "The default collate_fn stacks the samples of a batch into tensors.",
    "in_order": "in_order=False lets worker processes hand over batches out of order.",
}


@check(5, "make_loader: every setting that changes the batches at its default", requires=LOADER)
def test_loader_other_settings(run):
    got, want = run(loader_settings)
    for (call, _), mine, expected in zip(SETTINGS_CALLS, got, want, strict=True):
        given, used = mine["dataset"]
        if given != used:
            fail(
                f"{call} built a loader over another dataset than the one it was given.",
                "Pass the dataset itself as the DataLoader's first argument.",
            )
        for name, value in expected.items():
            if name == "dataset":
                continue
            if (
                name == "sampler"
                and {str(mine.get(name)).rsplit(".", 1)[-1], str(value).rsplit(".", 1)[-1]} <= ORDER_SAMPLERS
            ):
                continue
            if mine.get(name) != value:
                fail(
                    f"{call} built a loader with {name}={mine.get(name)!r}, where the DataLoader's default gives {value!r}.",
                    (
                        SETTING_HINTS.get(name, "")
                        + " Leave every setting that changes which batches come out (drop_last, sampler, batch_sampler, "
                        "collate_fn, generator) at its default; settings that only change speed are yours to choose."
                    ).strip(),
                )


PIN_DEVICES = (
    ('"cpu"', "cpu"),
    ('torch.device("cpu")', torch.device("cpu")),
    ('"cuda"', "cuda"),
    ('"cuda:0"', "cuda:0"),
    ('"cuda:1"', "cuda:1"),
    ('torch.device("cuda")', torch.device("cuda")),
    ('torch.device("cuda", 0)', torch.device("cuda", 0)),
)


def pinning(m, device):
    """loader.pin_memory for each device argument; the loaders are built, never iterated (no GPU needed)."""
    dataset = indexed(10)
    return {label: bool(m.make_loader(dataset, batch_size=4, device=spec).pin_memory) for label, spec in PIN_DEVICES}


@check(5, "make_loader: pins memory for CUDA devices", requires=LOADER)
def test_loader_pins_for_cuda(run):
    got, want = run(pinning)
    wrong = [label for label in got if want[label] and not got[label]]
    if wrong:
        hint = 'Set pin_memory=True when device is a CUDA device: torch.device(device).type == "cuda" (building such a loader needs no GPU).'
        if got['"cuda"']:
            hint = (
                'Compare the device type, not the whole string: torch.device(device).type == "cuda" holds for '
                '"cuda", "cuda:0" and torch.device("cuda") alike.'
            )
        fail(
            f"With {' or '.join(f'device={label}' for label in wrong)}, make_loader built a loader with pin_memory=False; a CUDA device should get pinned memory, "
            "which speeds up copies to the GPU.",
            hint,
        )


@check(5, "make_loader: no pinned memory for the CPU", requires=LOADER)
def test_loader_no_pin_for_cpu(run):
    got, want = run(pinning)
    wrong = [label for label in got if not want[label] and got[label]]
    if wrong:
        fail(
            f"With {' or '.join(f'device={label}' for label in wrong)}, make_loader built a loader with pin_memory=True; pinned memory only helps copies to a GPU.",
            'Set pin_memory only when the device is a CUDA device: pin_memory=(torch.device(device).type == "cuda").',
        )


def pinned_batches(m, device):
    loader = m.make_loader(indexed(10), batch_size=4, shuffle=False, device=device)
    return [bool(batch[0].is_pinned()) for batch in loader]


@check(5, "make_loader: batches arrive in pinned memory for the GPU", cuda=True, requires=LOADER)
def test_loader_pinned_batches(run):
    got = run.learner(pinned_batches)
    if not got or not all(got):
        fail(
            f"With device={run.device!r}, the loader's batches were not in pinned (page-locked) memory.",
            "Build the DataLoader with pin_memory=True when the device is a CUDA device.",
        )


# --------------------------------------------------------------------------- split_dataset

N_SPLIT = 23  # int(23 * 0.2) = 4 but round() gives 5; int(23 * 0.3) = 6 but round() gives 7
SPLIT_SEED = seed(7)  # the seed argument of the seeded calls


def _parts(result) -> dict:
    """The sample ids in each returned subset, in their order, or what came back instead."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return {"error": describe(result)}
    parts = []
    for part in result:
        try:
            parts.append([int(part[j][1]) for j in range(len(part))])
        except Exception:  # anything that is not a subset of the dataset
            return {"error": f"a pair of {type_name(result[0])} and {type_name(result[1])}"}
    return {"train": parts[0], "val": parts[1]}


def splitting(m, device):
    dataset = indexed(N_SPLIT)
    torch.manual_seed(seed(1))
    rng = [torch.get_rng_state()]  # the global random state before and after each of the first two calls
    default = m.split_dataset(dataset)
    rng.append(torch.get_rng_state())
    seeded = m.split_dataset(dataset, val_fraction=0.3, seed=SPLIT_SEED)
    rng.append(torch.get_rng_state())
    torch.manual_seed(seed(2))  # a different global random state: the split must not depend on it
    again = m.split_dataset(dataset, val_fraction=0.3, seed=SPLIT_SEED)
    return {"default": _parts(default), "seeded": _parts(seeded), "again": _parts(again), "rng": rng}


SPLIT_CALLS = (
    ("default", f"split_dataset(dataset of {N_SPLIT})"),
    ("seeded", f"split_dataset(dataset of {N_SPLIT}, val_fraction=0.3, seed={SPLIT_SEED})"),
)


def _split(got, key: str, call: str) -> tuple[list[int], list[int]]:
    parts = got[key]
    if "error" in parts:
        fail(
            f"{call} returned {parts['error']}, expected (train, val): two Subsets of the dataset.",
            "Return the two subsets that random_split returns, as a tuple (train, val).",
        )
    return parts["train"], parts["val"]


@check(5, "split_dataset: sizes n - n_val and n_val, with n_val = int(n * val_fraction)")
def test_split_sizes(run):
    got, want = run(splitting)
    for key, call in SPLIT_CALLS:
        train, val = _split(got, key, call)
        expected = tuple(map(len, _split(want, key, call)))
        sizes = (len(train), len(val))
        if sizes == expected:
            continue
        n_val = expected[1]
        if sizes == expected[::-1]:
            hint = "You returned the validation subset first: return (train, val)."
        elif sizes[1] == n_val + 1:
            hint = "n_val = int(len(dataset) * val_fraction): int() truncates; round() or math.ceil() give one more."
        else:
            hint = "val holds n_val = int(len(dataset) * val_fraction) samples and train the other n - n_val."
        fail(f"{call} gave subsets of sizes (train, val) = {sizes}, expected {expected}.", hint)


# Returning two fixed subsets of the right sizes is disjoint and reproducible, and leaves the
# global random state alone: these properties are judged once the split's sizes (and, for the
# random state, the split itself) are right.
@check(5, "split_dataset: train and val are disjoint and cover the dataset", requires=("split_sizes",))
def test_split_disjoint(run):
    got = run.learner(splitting)
    for key, call in SPLIT_CALLS:
        train, val = _split(got, key, call)
        both = sorted(set(train) & set(val))
        if both:
            fail(
                f"{call}: samples {both} are in both train and val.",
                "Each sample belongs to exactly one subset: split one permutation of the indices at n - n_val (random_split does this).",
            )
        repeated = sorted({i for part in (train, val) for i in part if part.count(i) > 1})
        if repeated:
            fail(
                f"{call}: samples {repeated} appear more than once in a subset.",
                "Split a permutation of the indices, without drawing with replacement.",
            )
        left_out = sorted(set(range(N_SPLIT)) - set(train) - set(val))
        if left_out:
            fail(
                f"{call}: samples {left_out} are in neither subset.",
                "train and val together must hold every sample of the dataset.",
            )


def _val_ids(n: int, fraction: float, seed: int, val_first: bool = False) -> set[int]:
    """The samples random_split puts in val, with its lengths as the task gives them or the other way round."""
    n_val = int(n * fraction)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return set(perm[:n_val]) if val_first else set(perm[n - n_val :])


SPLIT_ARGS = {"default": (0.2, 0), "seeded": (0.3, SPLIT_SEED)}  # (val_fraction, seed): 0 is split_dataset's default


@check(5, "split_dataset: the same split as random_split with a generator seeded by seed")
def test_split_matches_random_split(run):
    got, want = run(splitting)
    for key, call in SPLIT_CALLS:
        train, val = _split(got, key, call)
        train_want, val_want = _split(want, key, call)
        if set(train) != set(train_want) or set(val) != set(val_want):
            fraction, split_seed = SPLIT_ARGS[key]
            if set(val) == _val_ids(N_SPLIT, fraction, split_seed, val_first=True):
                hint = (
                    "val holds the first n_val samples of the seeded permutation, where "
                    "random_split(dataset, [n - n_val, n_val], generator=...) puts the last n_val: pass the lengths "
                    "in this order, train first."
                )
            elif split_seed != 0 and set(val) == _val_ids(N_SPLIT, fraction, 0):
                hint = (
                    f"That is the split seed 0 gives, not seed {split_seed}: seed the generator with the seed argument, "
                    "torch.Generator().manual_seed(seed)."
                )
            else:
                hint = (
                    "Use random_split(dataset, [n - n_val, n_val], generator=torch.Generator().manual_seed(seed)), "
                    "which draws one permutation from that generator."
                )
            fail(f"{call} put the samples {sorted(val)} in val, expected {sorted(val_want)}.", hint)


@check(
    5, "split_dataset: the same seed gives the same split, whatever the global random state", requires=("split_sizes",)
)
def test_split_reproducible(run):
    got = run.learner(splitting)
    call = SPLIT_CALLS[1][1]
    train, val = _split(got, "seeded", call)
    train_again, val_again = _split(got, "again", call)
    if set(train) != set(train_again) or set(val) != set(val_again):
        fail(
            f"Calling {call} twice, with different global random states (torch.manual_seed) before each call, "
            f"gave different splits (val {sorted(val)}, then {sorted(val_again)}).",
            "Give random_split a generator of its own, seeded with the seed argument: generator=torch.Generator().manual_seed(seed).",
        )


@check(5, "split_dataset: leaves the global random state untouched", requires=("split_matches_random_split",))
def test_split_global_rng(run):
    rng = run.learner(splitting)["rng"]
    if not all(torch.equal(after, before) for before, after in zip(rng, rng[1:])):
        fail(
            "split_dataset changed torch's global random state (the one torch.manual_seed sets and shuffling and dropout draw from).",
            "Do not call torch.manual_seed or draw from the global generator: pass generator=torch.Generator().manual_seed(seed) to random_split.",
        )
