"""Which device learner and reference code run on.

The grader forks its sandboxes, and a process that initialised CUDA cannot fork usable
children, so availability is asked through NVML (PYTORCH_NVML_BASED_CUDA_CHECK), which
leaves CUDA uninitialised in the grader process.
"""

from __future__ import annotations

import os
import re

os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")

import torch  # noqa: E402

from torchgrade.course import UsageError  # noqa: E402


def cuda_count() -> int:
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def resolve(spec: str) -> str:
    """'auto' | 'cpu' | 'cuda' | 'cuda:N' → a concrete device string, or UsageError."""
    spec = spec.strip().lower()
    if spec == "auto":
        return "cuda:0" if cuda_count() else "cpu"
    if spec == "cpu":
        return "cpu"
    match = re.fullmatch(r"cuda(?::(\d+))?", spec)
    if not match:
        raise UsageError(f"--device {spec}: expected auto, cpu, cuda or cuda:N")
    index = int(match.group(1) or 0)
    count = cuda_count()
    if count == 0:
        raise UsageError(
            f"--device {spec}: CUDA is not available on this machine (torch {torch.__version__}); use --device cpu"
        )
    if index >= count:
        raise UsageError(f"--device {spec}: this machine has {count} CUDA device(s)")
    return f"cuda:{index}"


def prepare_child(device: str) -> None:
    """Deterministic settings for a sandbox child, before it touches the device."""
    torch.use_deterministic_algorithms(True, warn_only=True)
    if device.startswith("cuda"):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.cuda.set_device(torch.device(device))
