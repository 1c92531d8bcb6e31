"""What learner code may not change inside a sandbox child, and how a change is noticed.

- **Pinned defaults.** After the learner's module is loaded, torch's global defaults
  (default dtype and device, grad mode, deterministic algorithms, matmul precision,
  anomaly detection, thread count) and every seed are set again, so a module that calls
  ``torch.set_default_dtype(torch.float64)`` at import changes nothing the scenario builds.
- **Noticed replacements.** Before the module is loaded, :class:`Watch` records the
  identity of every function and class that scenarios, probes and judgements rely on:
  torch's comparison, random-state and grad-mode functions, ``Tensor``, ``nn.Module``,
  optimizer and ``GradScaler`` methods, ``torch.testing``, ``gradcheck``, Python's
  builtins, the grader's kit and wire modules, and the grader module that defines the
  scenario.
  After the scenario, anything replaced fails the check with a message that names it.
"""

from __future__ import annotations

import builtins
import math
import random
import sys
import types
from collections.abc import Callable

import torch
import torch.autograd
import torch.nn.functional
import torch.optim.optimizer as optimizer_module  # torch.optim does not keep it as an attribute
import torch.testing

# What scenarios, probes and the wire rely on inside the child. A curated list, not every
# attribute of torch: each object looked at in a forked child costs a copied memory page.
_WATCHED = {
    builtins: "isinstance issubclass type len sum min max abs float int bool str list dict tuple set round sorted "
    "any all zip map range repr hasattr getattr setattr iter next id hash callable enumerate",
    math: "isclose isfinite isnan isinf fsum",
    random: "random seed getstate setstate",
    torch: "equal allclose isclose eq ne all any abs max min sum mean norm isfinite isnan isinf isreal "
    "manual_seed seed initial_seed get_rng_state set_rng_state randn rand randint randperm zeros ones full "
    "tensor as_tensor from_numpy cat stack save load no_grad enable_grad set_grad_enabled is_grad_enabled "
    "inference_mode is_inference_mode_enabled autocast is_autocast_enabled get_autocast_dtype "
    "use_deterministic_algorithms are_deterministic_algorithms_enabled set_default_dtype get_default_dtype "
    "set_num_threads get_num_threads is_tensor is_floating_point",
    torch.Tensor: "__eq__ __ne__ __lt__ __le__ __gt__ __ge__ __bool__ __float__ __int__ __len__ __iter__ "
    "__getitem__ __setitem__ __repr__ equal allclose isclose eq ne all any item tolist numpy detach detach_ "
    "clone cpu to contiguous is_contiguous stride size dim numel data_ptr untyped_storage storage_offset "
    "backward register_hook retain_grad requires_grad_ sum abs max min norm isfinite isnan isinf float "
    "double long view reshape",
    torch.nn.Module: "__call__ _call_impl register_forward_pre_hook register_forward_hook "
    "register_full_backward_hook state_dict load_state_dict parameters named_parameters buffers "
    "named_buffers modules named_modules children train eval zero_grad to apply",
    torch.optim.Optimizer: "step zero_grad register_step_pre_hook register_step_post_hook state_dict",
    optimizer_module: "register_optimizer_step_pre_hook register_optimizer_step_post_hook",
    torch.autograd: "grad backward gradcheck gradgradcheck set_detect_anomaly",
    torch.autograd.Function: "apply",
    torch.amp.GradScaler: "scale step update unscale_ get_scale is_enabled",
    torch.testing: "assert_close",
    torch.random: "manual_seed seed initial_seed get_rng_state set_rng_state fork_rng",
    torch.nn.utils: "clip_grad_norm_ clip_grad_value_",
}


class Tampered(Exception):
    """The learner's code replaced something the grader relies on."""

    def __init__(self, replaced: list[str]):
        super().__init__(", ".join(replaced))
        self.replaced = replaced


_NAMES = [(owner, names.split()) for owner, names in _WATCHED.items()]


def _engine_modules(scenario: Callable | None) -> list[types.ModuleType]:
    """The grader module that defines the scenario, the kit and the wire."""
    names = ([scenario.__module__] if scenario else []) + ["torchgrade.engine.wire"]
    names += [n for n in sys.modules if n.startswith("torchgrade.kit")]
    return [sys.modules[n] for n in names if n in sys.modules]


def _lookup(owner: object, name: str) -> tuple[object, object]:
    """Where ``owner.name`` is stored (the owner, or a base class) and what is stored there."""
    for space in getattr(owner, "__mro__", (owner,)):
        if name in vars(space):
            return space, vars(space)[name]
    return owner, None


# label -> (owner, attribute name, where it was found, the object found)
_Entry = tuple[object, str, object, object]


def _identities(scenario: Callable | None) -> dict[str, _Entry]:
    found = {
        f"{getattr(owner, '__qualname__', owner.__name__)}.{name}": (owner, name, *_lookup(owner, name))
        for owner, names in _NAMES
        for name in names
    }
    for module in _engine_modules(scenario):
        for name, value in vars(module).items():
            if getattr(value, "__module__", None) == module.__name__:  # its own functions and classes
                found[f"{module.__name__}.{name}"] = (module, name, module, value)
                if isinstance(value, type):
                    found.update(
                        {f"{module.__name__}.{name}.{k}": (value, k, value, v) for k, v in vars(value).items()}
                    )
    return found


_BORN: dict[str, _Entry] = {}  # in a worker: the identities before any learner code ran in it


def remember() -> None:
    """Record the identities now, before any learner code runs in this process (a worker):
    every later :class:`Watch` compares with these, so a replacement that an earlier call
    left behind is noticed too."""
    _BORN.clear()
    _BORN.update(_identities(None))


class Watch:
    """Identities recorded now (or when the process was born), compared by :meth:`replaced`
    and put back by :meth:`restore`."""

    def __init__(self, scenario: Callable):
        self._scenario = scenario
        self._before = _identities(scenario) | _BORN

    def _changed(self) -> dict[str, _Entry]:
        after = _identities(self._scenario)
        return {label: entry for label, entry in self._before.items() if after.get(label, entry)[3] is not entry[3]}

    def replaced(self) -> list[str]:
        """The names whose object is no longer the one recorded (deleted ones included)."""
        return sorted(label.removeprefix("builtins.") for label in self._changed())

    def restore(self) -> None:
        """Put every replaced object back, so that the child can still report what happened."""
        for owner, name, space, obj in self._changed().values():
            try:
                if space is not owner and name in vars(owner):
                    delattr(owner, name)  # a shadow of what a base class defines
                if _lookup(owner, name)[1] is not obj:
                    setattr(space, name, obj)
            except (AttributeError, TypeError):  # immutable types: they could not be replaced either
                pass


def check(watch: Watch) -> None:
    """Raise :class:`Tampered` naming whatever was replaced, once it is put back."""
    replaced = watch.replaced()
    if replaced:
        watch.restore()
        raise Tampered(replaced)


def pin_defaults(device: str) -> None:
    """Set torch's global defaults and every seed as the sandbox set them before the module loaded."""
    from torchgrade.engine import sandbox

    torch.set_default_dtype(torch.float32)
    if hasattr(torch, "set_default_device"):
        torch.set_default_device(None)
    torch.set_grad_enabled(True)
    torch.autograd.set_detect_anomaly(False)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_float32_matmul_precision("highest")
    torch.set_num_threads(1)
    if device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    sandbox.seed_everything()
