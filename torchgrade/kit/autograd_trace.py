"""Whether autograd computed derivatives while learner code ran: an observation for scenarios.

``with AutogradTrace() as trace: ...`` (in a scenario, around the learner's call), then
``trace.record()`` gives plain data for the check to judge:

- ``backward_ops``: operators that autograd's engine ran while evaluating a backward node,
  whichever way the backward pass was started (``y.backward()``, ``torch.autograd.grad``,
  ``torch.func.grad`` / ``vjp`` / ``jacrev``, ``torch.autograd.functional``);
- ``backward_passes``: how many separate backward passes (engine runs) those belong to: a
  backward pass started inside another one (a custom ``backward`` that calls autograd) is a
  pass of its own;
- ``forward_ad_ops``: operators that ran with forward-mode AD active (``torch.func.jvp`` /
  ``jacfwd``, ``torch.autograd.forward_ad.dual_level``).

Every operator reaches the trace through a ``TorchDispatchMode``, which sees the operators
the engine runs on its own threads too; the trace counts and keeps no tensor.
"""

from __future__ import annotations

import threading

import torch
import torch.autograd.forward_ad as forward_ad
from torch.utils._python_dispatch import TorchDispatchMode


class AutogradTrace(TorchDispatchMode):
    """Counts the operators autograd runs to compute derivatives while the trace is active."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.backward_ops = 0
        self.forward_ad_ops = 0
        self._passes: set[int] = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        task = torch._C._current_graph_task_id()
        in_backward = task != -1 or torch._C._current_autograd_node() is not None
        forward_mode = getattr(forward_ad, "_current_level", -1) >= 0
        if in_backward or forward_mode:
            with self._lock:
                if in_backward:
                    self.backward_ops += 1
                    self._passes.add(task)
                if forward_mode:
                    self.forward_ad_ops += 1
        return func(*args, **(kwargs or {}))

    def record(self) -> dict:
        """``{"backward_ops": n, "backward_passes": n, "forward_ad_ops": n}``, plain data for a check."""
        return {
            "backward_ops": self.backward_ops,
            "backward_passes": len(self._passes),
            "forward_ad_ops": self.forward_ad_ops,
        }
