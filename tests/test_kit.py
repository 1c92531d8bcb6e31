"""Unit tests of the check-author kit's helpers (``torchgrade.kit``): fast, no grading, no sandbox."""

from __future__ import annotations

import re
import warnings

import pytest
import torch
from torch import nn

import torchgrade.kit as kit
from torchgrade import seeds
from torchgrade.kit import (
    AmpSpy,
    AutocastLoss,
    AutogradTrace,
    CheckFailed,
    Foreign,
    ForwardProbe,
    ReferenceBatch,
    article,
    attempt,
    autocast_forward,
    blobs,
    changed,
    check,
    check_name,
    code_lines,
    deprecated_amp_in_source,
    deprecation_warnings,
    describe,
    describe_type,
    expect_mode,
    fail,
    fake_gpu,
    find_in_code,
    grad_differences,
    grad_snapshot,
    is_deprecated_amp,
    labelled,
    name_differences,
    passes,
    randn,
    same_memory,
    snapshot,
    stale_gradients,
    storage_address,
    working,
    write_into,
    wrote_through,
)


def test_the_kit_exports_every_name_it_lists():
    assert sorted(set(kit.__all__)) == sorted(kit.__all__)
    assert [name for name in kit.__all__ if not hasattr(kit, name)] == []


# --------------------------------------------------------------------------- describe


def test_article_picks_a_or_an():
    assert article("float") == "a float"
    assert article("int") == "an int"
    assert article("OrderedDict") == "an OrderedDict"


def test_describe_type_names_none_as_none():
    assert describe_type("NoneType") == "None"
    assert describe_type("list") == "a list"
    assert describe_type("torch.amp.grad_scaler.GradScaler") == "a torch.amp.grad_scaler.GradScaler"


@pytest.mark.parametrize(
    "value, text",
    [
        (None, "None"),
        (True, "a bool (True)"),
        (3, "an int (3)"),
        (2.5, "a float (2.5)"),
        ("float16", "a str ('float16')"),
        ([4, 2], "a list ([4, 2])"),
        ([], "a list ([])"),
        ((1, "a"), "a tuple ((1, 'a'))"),
        ({"a": 1}, "a dict ({'a': 1})"),
        ((torch.zeros(1), torch.zeros(1), torch.zeros(1)), "a tuple of 3 elements"),
        ([torch.zeros(1)], "a list of 1 element"),
        ({"w": torch.zeros(2)}, "a dict of 1 entry"),
        (list(range(100)), "a list of 100 elements"),
        (Foreign("numpy.ndarray"), "a numpy.ndarray"),
        (torch.zeros(2, 3), "a tensor of shape (2, 3) and dtype torch.float32"),
        (torch.tensor(91), "a tensor holding 91 (shape (), dtype torch.int64)"),
        (
            torch.tensor([0.123456789], dtype=torch.float64),
            "a tensor holding 0.123457 (shape (1,), dtype torch.float64)",
        ),
        (object(), "an object"),
    ],
)
def test_describe_says_what_a_value_is(value, text):
    assert describe(value) == text


def test_describe_shortens_long_strings():
    text = describe("x" * 500)
    assert text.startswith("a str ('xxx") and text.endswith("...)") and len(text) < 80


def test_describe_does_not_read_a_meta_tensor():
    assert describe(torch.empty(1, device="meta")) == "a tensor of shape (1,) and dtype torch.float32"


def test_name_differences_lists_missing_then_unexpected_names():
    assert name_differences(["a", "b"], ["b", "a"]) == []
    assert name_differences(["a", "x"], ["a", "b", "c"]) == ["missing `b`, `c`", "unexpected `x`"]
    notes = {"0.bias": "(a frozen parameter: requires_grad=False)"}
    assert name_differences({"0.bias": 1}, {}, notes=notes) == [
        "unexpected `0.bias` (a frozen parameter: requires_grad=False)"
    ]
    assert name_differences([], list("abcdef"), most=4) == ["missing `a`, `b`, `c`, `d` and 2 more"]
    assert name_differences(["c"], ["b"], show=repr) == ["missing 'b'", "unexpected 'c'"]


# --------------------------------------------------------------------------- state


def small_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def test_snapshot_is_a_detached_copy_of_parameters_and_buffers():
    model = small_model()
    before = snapshot(model)
    assert set(before) == set(model.state_dict())
    assert not any(t.requires_grad for t in before.values())
    with torch.no_grad():
        model[0].weight.add_(1.0)
    assert not torch.equal(before["0.weight"], model[0].weight)


def test_changed_names_what_differs_in_order():
    model = small_model()
    before = snapshot(model)
    assert changed(before, snapshot(model)) == []
    with torch.no_grad():
        model[2].bias.add_(1.0)
        model[0].weight.mul_(2.0)
    model.train()
    model(torch.randn(5, 3))  # batch norm updates its running statistics
    assert changed(before, snapshot(model)) == [
        "0.weight",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
        "2.bias",
    ]


def test_changed_counts_a_missing_or_retyped_tensor_and_treats_nan_as_itself():
    before = {"a": torch.tensor([1.0, float("nan")]), "b": torch.ones(2), "c": torch.ones(2)}
    after = {"a": torch.tensor([1.0, float("nan")]), "b": torch.ones(2, dtype=torch.float64)}
    assert changed(before, after) == ["b", "c"]


def test_stale_gradients_fill_every_grad():
    model = small_model()
    stale_gradients(model, 3.0)
    assert all(torch.equal(p.grad, torch.full_like(p, 3.0)) for p in model.parameters())
    stale_gradients(model)
    assert float(model[0].weight.grad[0, 0]) == 5.0


def test_grad_differences_say_what_happened_to_each_grad():
    model = small_model()
    stale_gradients(model)
    model[2].bias.grad = None
    model[0].bias.grad[0] = float("nan")
    before = grad_snapshot(model)
    assert before["2.bias"] is None and before["0.weight"] is not model[0].weight.grad
    assert grad_differences(before, grad_snapshot(model)) == []  # NaN compares equal to itself
    model[2].bias.grad = torch.ones(2)
    model[0].weight.grad.zero_()
    model[1].weight.grad = None
    model[1].bias.grad.add_(1.0)
    assert grad_differences(before, grad_snapshot(model)) == [
        ["0.weight", "zeroed"],
        ["1.weight", "set to None"],
        ["1.bias", "changed"],
        ["2.bias", "created"],
    ]


def test_observed_memory_tells_views_from_copies():
    x = torch.arange(6.0).reshape(2, 3)
    assert same_memory(storage_address(x[0]), storage_address(x))
    assert not same_memory(storage_address(x[0].clone()), storage_address(x))
    assert not same_memory(storage_address(torch.empty(0)), storage_address(torch.empty(0)))
    assert not same_memory(storage_address([1.0]), storage_address(x))
    f = torch.arange(6.0).reshape(2, 3)
    assert wrote_through(write_into(f[:, 1:], f)) is True
    f = torch.arange(6.0).reshape(2, 3)
    assert wrote_through(write_into(f[:, 1:].contiguous(), f)) is False
    assert write_into(None, f) is None and wrote_through(None) is None


# --------------------------------------------------------------------------- batch


class FakeRun:
    """Stands in for the ``run`` fixture: calls scenarios in-process and counts the calls per side."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    def reference(self, scenario, *args):
        self.calls.append(("reference", scenario.__name__))
        return scenario("reference-module", "cpu", *args)

    def learner(self, scenario, *args):
        self.calls.append(("learner", scenario.__name__))
        return scenario("learner-module", "cpu", *args)


def twice(m, device, x):
    return f"{m} {2 * x}"


def fails(m, device):
    raise CheckFailed("view size is not compatible with input tensor's size and stride")


def test_reference_batch_runs_the_reference_together_and_the_learner_alone():
    batch = ReferenceBatch([(twice, (1,)), (twice, (2,))], known=[("view size", "Use reshape.")])
    run = FakeRun()
    assert batch.both(run, twice, 2) == ("learner-module 4", "reference-module 4")
    assert run.calls == [("reference", "_run_all"), ("learner", "twice")]
    assert repr(batch) == "ReferenceBatch(twice(1,), twice(2,))"
    with pytest.raises(CheckFailed, match=r"stride\. Use reshape\.$"):
        batch.learner(run, fails)
    with pytest.raises(KeyError, match=r"twice\(3,\) is not a call"):
        batch.reference(FakeRun(), twice, 3)


# --------------------------------------------------------------------------- data


def test_randn_draws_float32_from_its_own_seed_then_casts():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a = randn(2, 3, seed=4)
    assert torch.equal(torch.get_rng_state(), state)  # the global generator is untouched
    assert torch.equal(a, torch.randn(2, 3, generator=torch.Generator().manual_seed(4)))
    b = randn(2, 3, seed=4, dtype=torch.float64)
    assert b.dtype == torch.float64 and torch.equal(b, a.double())
    assert not torch.equal(randn(2, 3, seed=5), a)


def test_a_run_seed_other_than_0_changes_what_every_seed_draws():
    """grade --seed 5 draws other inputs than the default run seed, 0, which uses each seed as written."""
    at_0 = randn(3, seed=1)
    assert kit.seed(1) == 1 and torch.equal(at_0, torch.randn(3, generator=torch.Generator().manual_seed(1)))
    try:
        seeds.use_run_seed(5)
        at_5 = randn(3, seed=1)
        assert kit.seed(1) != 1 and torch.equal(randn(3, seed=1), at_5)  # still one value per seed
        assert not torch.equal(at_5, at_0)
    finally:
        seeds.use_run_seed(0)
    assert torch.equal(randn(3, seed=1), at_0)


def test_labelled_is_reproducible_and_a_shared_generator_gives_new_batches():
    x, y = labelled(8, seed=1)
    assert x.shape == (8, 6) and x.dtype == torch.float32
    assert y.shape == (8,) and y.dtype == torch.int64 and set(y.tolist()) <= {0, 1, 2}
    x2, y2 = labelled(8, seed=1)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert torch.equal(labelled(8, seed=1, scale=3.0)[0], x * 3.0)
    g = torch.Generator().manual_seed(7)
    first, second = labelled(5, g, features=4), labelled(5, g, features=4)
    assert first[0].shape == (5, 4) and not torch.equal(first[0], second[0])


def test_blobs_are_separable_clusters():
    x, y = blobs(300, seed=4, distance=6.0)
    assert x.shape == (300, 6) and y.shape == (300,)
    assert torch.equal((x[:, :3]).argmax(dim=1), y)  # each sample is nearest its own centre's axis
    assert torch.equal(blobs(300, seed=4, distance=6.0)[0], x)
    centres = torch.stack([x[y == c].mean(dim=0) for c in range(3)])
    assert torch.allclose(centres[:, :3], 6.0 * torch.eye(3), atol=0.5)


# --------------------------------------------------------------------------- probes and compare


def test_attempt_records_return_or_error_and_lets_not_implemented_through():
    assert attempt(lambda a, b: a + b, 1, 2) == {"returned": 3, "raised": None}

    def bad(loss):
        raise FloatingPointError(f"loss is {loss}")

    assert attempt(bad, "nan") == {"raised": "FloatingPointError", "fpe": True, "message": "loss is nan"}
    assert attempt(int, "x")["fpe"] is False

    def unfinished():
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        attempt(unfinished)


def test_expect_mode_judges_forward_passes_recorded_by_a_probe():
    model = small_model()
    probe = ForwardProbe(model)
    with pytest.raises(CheckFailed, match="^predict never ran"):
        expect_mode(probe.field("training"), False, "wrong mode", never="predict never ran.")
    model.eval()
    model(torch.randn(2, 3))
    expect_mode(probe.field("training"), False, "wrong mode")
    with pytest.raises(CheckFailed) as exc:
        expect_mode(probe.field("training"), True, "It ran in evaluation mode.", "Call model.train().")
    assert str(exc.value) == "It ran in evaluation mode. Call model.train()."


# --------------------------------------------------------------------------- source


SOURCE = '''"""torch.cuda.amp in a docstring does not count."""
import torch  # torch.cuda.amp in a comment neither

def f(x):
    s = "torch.cpu.amp.autocast in a string"
    return torch.cuda.amp.GradScaler(
    )
'''


def test_code_lines_blanks_comments_and_strings_in_place():
    lines = code_lines(SOURCE)
    assert len(lines) == len(SOURCE.splitlines())
    assert "amp" not in lines[0] + lines[1] + lines[4]
    assert lines[1].rstrip() == "import torch" and lines[5] == "    return torch.cuda.amp.GradScaler("
    assert len(lines[4]) == len(SOURCE.splitlines()[4])  # columns stay where they were


def test_code_lines_of_broken_code_drops_only_comment_lines():
    assert code_lines("def f(:\n    # torch.cuda.amp\n    x = 1\n") == ["def f(:", "    x = 1"]


def test_find_in_code_reports_line_numbers_and_original_lines():
    found = find_in_code(SOURCE, re.compile(r"torch\.\w+\.amp"))
    assert [(line, text) for line, text, _ in found] == [(6, "return torch.cuda.amp.GradScaler(")]
    assert found[0][2].group(0) == "torch.cuda.amp"


# --------------------------------------------------------------------------- amp


def test_deprecated_amp_in_source_finds_every_spelling():
    text = (
        "import torch\n"
        "from torch.cuda import amp\n"
        "from torch.cpu.amp import autocast\n"
        "import torch.cuda.amp\n"
        "s = torch.cuda.amp.GradScaler()  # and torch.cpu.amp in a comment\n"
        "from torch.cuda import (GradScaler,\n    amp as a)\n"
    )
    found = [(u["line"], u["dev"], u["what"]) for u in deprecated_amp_in_source(text)]
    assert found == [(2, "cuda", ""), (3, "cpu", ""), (4, "cuda", ""), (5, "cuda", "GradScaler"), (6, "cuda", "")]
    assert deprecated_amp_in_source("with torch.autocast('cpu'):\n    pass\n") == []


def test_is_deprecated_amp_by_qualified_class_name():
    assert is_deprecated_amp("torch.cuda.amp.grad_scaler.GradScaler")
    assert is_deprecated_amp("torch.cpu.amp.autocast_mode.autocast")
    assert not is_deprecated_amp("torch.amp.grad_scaler.GradScaler")


def test_deprecation_warnings_keeps_distinct_amp_deprecations():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for text in ("`torch.cuda.amp.X` is deprecated.", "`torch.cuda.amp.X` is deprecated.", "something deprecated"):
            warnings.warn(text, FutureWarning, stacklevel=1)
        warnings.warn("amp is deprecated, but only a hint", UserWarning, stacklevel=1)
    assert deprecation_warnings(caught) == ["`torch.cuda.amp.X` is deprecated."]


def test_fake_gpu_answers_true_records_what_was_asked_and_restores():
    real = torch.cuda.is_available, torch.cuda.is_bf16_supported
    asked: list[str] = []
    with fake_gpu(asked):
        assert torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    assert asked == ["is_available", "is_bf16_supported"]
    assert (torch.cuda.is_available, torch.cuda.is_bf16_supported) == real
    with fake_gpu(functions=("is_available",)):
        assert torch.cuda.is_available() and torch.cuda.is_bf16_supported is real[1]


def amp_model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))


def test_amp_spy_records_the_scaler_calls_in_order_and_restores_the_class():
    model, criterion = amp_model(), AutocastLoss("cpu")
    forward = autocast_forward(model, "cpu")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=8.0)
    x, y = labelled(4, seed=1)
    spy = AmpSpy()
    with spy.watching():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = criterion(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.step()
    assert spy.events == ["scale", "backward", "step", "update", "optimizer.step"]
    assert spy.scales == [8.0] and spy.scalers == [id(scaler)] * 3 and spy.errors == []
    assert spy.autocast == [{"class": "torch.amp.autocast_mode.autocast", "device": "cpu", "dtype": "torch.bfloat16"}]
    assert forward == [{"autocast": True, "dtype": "torch.bfloat16"}] * 2
    assert criterion.calls[0]["autocast"] is True and criterion.calls[0]["dtype"] == "torch.float32"
    assert "scale" not in vars(AmpSpy) and torch.amp.GradScaler.scale.__qualname__ == "GradScaler.scale"


def test_amp_spy_turns_an_out_of_order_update_into_an_error_entry():
    spy = AmpSpy()
    with spy.watching():
        torch.amp.GradScaler("cpu").update()
    assert spy.events == ["update"] and spy.errors and spy.errors[0].startswith("scaler.update:")


# --------------------------------------------------------------------------- working


def test_working_judges_only_the_functions_whose_main_checks_pass():
    @check(1, "a: right values")
    def right(run):
        pass

    @check(1, "b: right values")
    def wrong(run):
        fail("b is wrong")

    assert check_name(right) == "a: right values" and passes(None, right) and not passes(None, wrong)
    assert working(None, {"a": (right,), "b": (wrong,)}) == ["a"]
    with pytest.raises(CheckFailed, match="^Not judged yet: .*b once “b: right values” passes"):
        working(None, {"b": (wrong,)})


# --------------------------------------------------------------------------- autograd


def test_autograd_trace_sees_backward_passes_of_every_style():
    def traced(fn):
        x = torch.tensor(2.0, requires_grad=True)
        with AutogradTrace() as trace:
            fn(x)
        return trace.record()

    assert traced(lambda x: (x**3).backward())["backward_passes"] == 1
    assert traced(lambda x: torch.autograd.grad(x**3, x))["backward_passes"] == 1
    assert traced(lambda x: torch.func.grad(lambda t: t**3)(x.detach()))["backward_ops"] > 0
    formula = traced(lambda x: 3 * x.detach() ** 2)
    assert formula["backward_ops"] == 0 and formula["backward_passes"] == 0 and formula["forward_ad_ops"] == 0
