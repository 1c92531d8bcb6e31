"""Say in a few words what a value is, for a message to a learner.

A check that expected one thing and got another names what it got: ``describe(value)``
for a value that came back from a scenario ("None", "a tensor of shape (3,) and dtype
torch.float32", "a list ([4, 2])", "a numpy.ndarray"), ``describe_type(name)`` for a type
name a scenario recorded instead of the value (a value that cannot come back, such as a
tensor on the meta device). Both read as the object of a sentence: f"returned
{describe(value)}, expected ...". ``name_differences(got, want)`` says which names are
missing or unexpected ("missing `fc1.bias`; unexpected `fc3.weight`").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch

from torchgrade.engine.wire import Foreign, type_name

_PLAIN = (bool, int, float, str, type(None))
_SHOWN = 60  # the longest repr shown in full


def article(name: str) -> str:
    """``name`` with its indefinite article: "a float", "an int"."""
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def describe_type(name: str) -> str:
    """What a value of the type called ``name`` is, in words: "None" for NoneType, else "a/an <name>"."""
    return "None" if name == "NoneType" else article(name)


def describe(value: Any) -> str:
    """What ``value`` is, in words: its type, and its value, shape or length where that helps."""
    if isinstance(value, Foreign):
        return article(value.type_name)
    if value is None:
        return "None"
    if isinstance(value, torch.Tensor):
        if value.numel() == 1 and not value.is_meta:
            item = value.item()
            shown = f"{item:.6g}" if isinstance(item, float) else repr(item)
            return f"a tensor holding {shown} (shape {tuple(value.shape)}, dtype {value.dtype})"
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, (bool, int, float, str)):
        return f"{article(type_name(value))} ({_short(value)})"
    if isinstance(value, (list, tuple, dict)):
        text = repr(value)
        if _plain(value) and len(text) <= _SHOWN:
            return f"{article(type_name(value))} ({text})"
        n = len(value)
        unit = ("entry" if n == 1 else "entries") if isinstance(value, dict) else ("element" if n == 1 else "elements")
        return f"{article(type_name(value))} of {n} {unit}"
    return article(type_name(value))


def name_differences(
    got: Iterable[Any],
    want: Iterable[Any],
    *,
    notes: Mapping[Any, str] | None = None,
    most: int | None = None,
    show: Callable[[Any], str] = lambda name: f"`{name}`",
) -> list[str]:
    """How the names ``got`` (dict keys, parameter names, ...) differ from ``want``, order aside.

    ``["missing `a`, `b`", "unexpected `c`"]``, each part only where it applies, so ``[]``
    means the same names; join the parts with "; " (after any of your own). ``notes``: a
    word after a name, e.g. ``{"0.bias": "(a frozen parameter: requires_grad=False)"}``;
    ``most``: name at most that many of each kind, then say how many more; ``show``: how
    a name is written (``repr`` for 'quotes').
    """
    got, want = list(got), list(want)
    notes = notes or {}

    def names(keys: list) -> str:
        shown = keys if most is None else keys[:most]
        text = ", ".join(show(k) + (f" {notes[k]}" if k in notes else "") for k in shown)
        return text + (f" and {len(keys) - len(shown)} more" if len(keys) > len(shown) else "")

    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    return ([f"missing {names(missing)}"] if missing else []) + ([f"unexpected {names(extra)}"] if extra else [])


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _plain(value: Any) -> bool:
    """Only numbers, strings and None, possibly nested in lists, tuples and dicts."""
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    return isinstance(value, _PLAIN)
