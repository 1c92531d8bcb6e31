"""The check-author kit: everything a ``graders/NN_topic/test_*.py`` file needs.

``from torchgrade.kit import check, expect_tensor, fail, snapshot`` and so on; see
``graders/README.md`` for how scenarios and checks fit together.
"""

from torchgrade.engine.wire import Foreign, type_name
from torchgrade.kit.amp import (
    AmpSpy,
    AutocastLoss,
    autocast_forward,
    deprecated_amp_in_source,
    deprecation_warnings,
    fake_gpu,
    is_deprecated_amp,
)
from torchgrade.kit.autograd_trace import AutogradTrace
from torchgrade.kit.batch import ReferenceBatch
from torchgrade.kit.checks import check
from torchgrade.kit.compare import (
    CheckFailed,
    expect_equal,
    expect_float,
    expect_mode,
    expect_tensor,
    expect_tensors,
    explained,
    fail,
    tolerance,
)
from torchgrade.kit.data import blobs, generator, labelled, randn, seed
from torchgrade.kit.describe import article, describe, describe_type, name_differences
from torchgrade.kit.observe import same_memory, storage_address, write_into, wrote_through
from torchgrade.kit.probes import ForwardProbe, OpTrace, StepProbe, attempt, grad_norm
from torchgrade.kit.source import code_lines, find_in_code
from torchgrade.kit.state import changed, grad_differences, grad_snapshot, snapshot, stale_gradients
from torchgrade.kit.working import check_name, passes, working

__all__ = [
    "AmpSpy",
    "AutocastLoss",
    "AutogradTrace",
    "CheckFailed",
    "Foreign",
    "ForwardProbe",
    "OpTrace",
    "ReferenceBatch",
    "StepProbe",
    "article",
    "attempt",
    "autocast_forward",
    "blobs",
    "changed",
    "check",
    "check_name",
    "code_lines",
    "deprecated_amp_in_source",
    "deprecation_warnings",
    "describe",
    "describe_type",
    "expect_equal",
    "expect_float",
    "expect_mode",
    "expect_tensor",
    "expect_tensors",
    "explained",
    "fail",
    "fake_gpu",
    "generator",
    "find_in_code",
    "grad_differences",
    "grad_norm",
    "grad_snapshot",
    "is_deprecated_amp",
    "labelled",
    "name_differences",
    "passes",
    "randn",
    "same_memory",
    "seed",
    "snapshot",
    "stale_gradients",
    "storage_address",
    "tolerance",
    "type_name",
    "working",
    "write_into",
    "wrote_through",
]
