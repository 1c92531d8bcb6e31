"""What may cross from a child back to the grader: plain data only.

``encode`` runs in the child. It keeps tensors (detached, on the CPU), Python scalars,
strings, ``None`` and lists/tuples/dicts of them, and replaces anything else (numpy
arrays, tensor subclasses, objects with a custom ``__eq__``) by a marker naming its type,
so the grader can say "expected a tensor, got numpy.ndarray" instead of trusting it.
``decode`` runs in the grader and turns markers back into :class:`Foreign` values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

_FOREIGN = "__torchgrade_foreign__"
_TUPLE = "__torchgrade_tuple__"
_MAX_DEPTH = 20


@dataclass(frozen=True)
class Foreign:
    """A value of a type that cannot be returned as data; only its type name is kept."""

    type_name: str

    def __str__(self) -> str:
        return self.type_name


def type_name(value: Any) -> str:
    if isinstance(value, Foreign):
        return value.type_name
    cls = type(value)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def encode(value: Any, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        return {_FOREIGN: "a structure nested too deeply"}
    cls = type(value)
    if value is None or cls in (bool, int, float, str):
        return value
    if isinstance(value, (bool, int, float, str)):  # numpy.float64 and other subclasses
        return next(base(value) for base in (bool, int, float, str) if isinstance(value, base))
    if cls is torch.Tensor or cls is torch.nn.Parameter:
        return value.detach().cpu()
    if cls is list:
        return [encode(v, depth + 1) for v in value]
    if cls is tuple:
        return {_TUPLE: [encode(v, depth + 1) for v in value]}
    if cls is dict and all(type(k) in (str, int) for k in value):
        return {k: encode(v, depth + 1) for k, v in value.items()}
    if cls is torch.Size:
        return {_TUPLE: [int(v) for v in value]}
    if cls is torch.dtype or cls is torch.device:
        return str(value)
    if cls is Foreign:  # a value decoded before (e.g. a cached reference result)
        return {_FOREIGN: value.type_name}
    return {_FOREIGN: type_name(value)}


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1 and _FOREIGN in value and isinstance(value[_FOREIGN], str):
            return Foreign(value[_FOREIGN])
        if len(value) == 1 and _TUPLE in value and isinstance(value[_TUPLE], list):
            return tuple(decode(v) for v in value[_TUPLE])
        return {k: decode(v) for k, v in value.items()}
    return value
