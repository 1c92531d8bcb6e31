"""The check-author kit: everything a ``graders/NN_topic/test_*.py`` file needs.

``from torchgrade.kit import check, expect_tensor, fail, snapshot`` and so on; see
``graders/README.md`` for how scenarios and checks fit together.
"""

from torchgrade.engine.plugin import check
from torchgrade.kit.compare import (
    CheckFailed,
    expect_equal,
    expect_float,
    expect_tensor,
    expect_tensors,
    explained,
    fail,
    tolerance,
)
from torchgrade.kit.probes import ForwardProbe, OpTrace, StepProbe, grad_norm, snapshot

__all__ = [
    "CheckFailed",
    "ForwardProbe",
    "OpTrace",
    "StepProbe",
    "check",
    "expect_equal",
    "expect_float",
    "expect_tensor",
    "expect_tensors",
    "explained",
    "fail",
    "grad_norm",
    "snapshot",
    "tolerance",
]
