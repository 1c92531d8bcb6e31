"""Small seeded inputs and data sets for scenarios.

Each draws from a ``torch.Generator`` of its own, never from the global random state, so
learner and reference get the same values whatever either of them draws, and learner
code that reseeds or draws from the global generator changes nothing here. Everything is
built on the CPU; move it with ``.to(device)`` where the code under test expects that.

Every seed a grader names goes through :func:`seed`, which mixes in the grading run's seed
(``grade --seed N``). With the default run seed, 0, a grader's seed is used as written; with
another, every input changes, so outputs recorded or copied from one run say nothing about
another. Graders call :func:`seed` where they seed torch themselves
(``torch.manual_seed(seed(5))``) and :func:`generator` for a generator of their own.
"""

from __future__ import annotations

import torch

from torchgrade.seeds import seed

Seed = int | torch.Generator  # a seed, or a generator to go on drawing from


def generator(s: Seed) -> torch.Generator:
    """A CPU generator seeded with ``seed(s)``; a generator passed in is used as it is."""
    return s if isinstance(s, torch.Generator) else torch.Generator().manual_seed(seed(s))


def randn(*shape: int, seed: Seed = 0, dtype: torch.dtype = torch.float32, device: str = "cpu") -> torch.Tensor:
    """Standard-normal values of ``shape``, drawn in float32 from ``seed``, then cast to ``dtype`` on ``device``."""
    return torch.randn(shape, generator=generator(seed)).to(dtype=dtype, device=device)


def labelled(
    n: int, seed: Seed, *, features: int = 6, classes: int = 3, scale: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` samples of standard-normal features (times ``scale``) with random labels in ``range(classes)``.

    Returns ``(x, y)``: float32 ``x`` of shape ``(n, features)`` and int64 ``y`` of shape
    ``(n,)``, drawn in that order. Nothing to learn here: for exact comparisons of a step, a
    loss or gradients. Pass one generator to several calls for batches that differ.
    """
    g = generator(seed)
    x = torch.randn(n, features, generator=g) * scale
    return x, torch.randint(0, classes, (n,), generator=g)


def blobs(
    n: int, seed: Seed, *, features: int = 6, classes: int = 3, distance: float = 4.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` samples from ``classes`` well-separated clusters: a small problem that training must solve.

    Cluster ``c`` is centred at ``distance`` along axis ``c`` and has unit spread. Returns
    ``(x, y)`` as :func:`labelled` does; use it to check that training converges.
    """
    g = generator(seed)
    centres = torch.eye(classes, features) * distance
    y = torch.randint(0, classes, (n,), generator=g)
    return centres[y] + torch.randn(n, features, generator=g), y
