"""Units of the engine: comparisons and their messages, the wire format, exact sums."""

from __future__ import annotations

import pytest
import torch

from torchgrade.engine import sandbox, wire
from torchgrade.kit.compare import CheckFailed, expect_equal, expect_float, expect_tensor, expect_tensors
from torchgrade.results import CheckResult, ExerciseResult, Report, exact_sum


def message(fn, *args, **kw) -> str:
    with pytest.raises(CheckFailed) as info:
        fn(*args, **kw)
    return str(info.value)


def test_expect_tensor_explains_each_kind_of_difference():
    want = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert "should be a tensor, but is a numpy.ndarray" in message(
        expect_tensor, wire.Foreign("numpy.ndarray"), want, "x"
    )
    assert "has shape (4,), expected (2, 2)" in message(expect_tensor, want.flatten(), want, "x")
    assert "has dtype torch.float64, expected torch.float32" in message(expect_tensor, want.double(), want, "x")
    nan = want.clone()
    nan[0, 1] = float("nan")
    assert "contains 1 NaN value where the expected values are finite" in message(expect_tensor, nan, want, "x")
    off = want.clone()
    off[1, 1] = 5.0
    text = message(expect_tensor, off, want, "x", hint="Try again.")
    assert "at 1 of 4 positions; largest difference 1 at [1, 1] (yours 5, expected 4). Try again." in text
    expect_tensor(want + 1e-7, want, "x")  # within float32 tolerance


def test_expect_tensors_names_missing_and_extra_keys():
    want = {"a": torch.zeros(2), "b": torch.ones(2)}
    assert "missing 'b'; unexpected 'c'" in message(
        expect_tensors, {"a": torch.zeros(2), "c": torch.ones(2)}, want, "state"
    )
    assert "state `b` differs" in message(expect_tensors, {"a": torch.zeros(2), "b": torch.zeros(2)}, want, "state")


def test_expect_float_rejects_tensors_and_bools():
    assert "Return a Python number, e.g. with `.item()`" in message(expect_float, torch.tensor(1.0), 1.0, "loss")
    assert "should be a Python float, but is a bool" in message(expect_float, True, 1.0, "loss")
    assert "is 2, expected 1" in message(expect_float, 2.0, 1.0, "loss")
    expect_float(1, 1.0, "loss")


def test_expect_equal_is_strict_about_types():
    assert "expected [1, 2]" in message(expect_equal, (1, 2), [1, 2], "sizes")
    expect_equal({"a": (1, 2)}, {"a": (1, 2)}, "shapes")


def test_wire_keeps_plain_data_and_names_everything_else():
    import numpy as np

    class Liar:
        def __eq__(self, other):
            return True

    data = {
        "t": torch.nn.Parameter(torch.ones(2)),
        "tup": (1, 2.5, "s", None),
        "size": torch.Size([2, 3]),
        "np": np.zeros(2),
        "np_float": np.float64(0.5),
        "liar": Liar(),
        "dtype": torch.float16,
    }
    back = wire.decode(wire.encode(data))
    assert type(back["t"]) is torch.Tensor and not back["t"].requires_grad
    assert back["tup"] == (1, 2.5, "s", None) and back["size"] == (2, 3)
    assert back["np"] == wire.Foreign("numpy.ndarray") and back["np_float"] == 0.5 and type(back["np_float"]) is float
    assert isinstance(back["liar"], wire.Foreign) and back["dtype"] == "torch.float16"


def test_exact_sums():
    assert exact_sum([0.1, 0.2]) == 0.3 and exact_sum([5, 5]) == 10 and isinstance(exact_sum([2.5, 2.5]), int)
    checks = [
        CheckResult("a", "a", "passed", 0.1),
        CheckResult("b", "b", "passed", 0.2),
        CheckResult("c", "c", "skipped", 5),
        CheckResult("d", "d", "failed", 3),
    ]
    ex = ExerciseResult("01_x", "X", "p", checks)
    report = Report([ex, ExerciseResult("02_y", "Y", "q", [CheckResult("e", "e", "failed", 0)])], "cpu", "2")
    assert (ex.score, ex.max_score) == (0.3, 3.3)
    assert report.to_dict()["score"] == 0.3 and report.to_dict()["max_score"] == 3.3
    assert ex.to_dict()["checks"][2]["max_score"] == 0  # skipped: counts for nothing


def test_sandbox_returns_data_and_reports_failures_in_learner_terms():
    limits = sandbox.Limits(timeout_s=2)
    assert sandbox.run(lambda: {"x": torch.arange(3)}, limits=limits).value["x"].tolist() == [0, 1, 2]
    slow = sandbox.run(lambda: __import__("time").sleep(10), limits=sandbox.Limits(timeout_s=0.3))
    assert slow.failure.kind == "timeout" and "timed out after 0.3 s" in slow.failure.message
    chatty = sandbox.run(lambda: print("hello"), limits=limits)
    assert chatty.ok and chatty.output == "hello\n"


def test_sandbox_children_are_seeded_identically():
    limits = sandbox.Limits(timeout_s=5)
    a = sandbox.run(lambda: torch.randn(3), limits=limits).value
    b = sandbox.run(lambda: torch.randn(3), limits=limits).value
    assert torch.equal(a, b)
