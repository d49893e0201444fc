"""One-parameter valleys: the ball's successive positions under w ← w − η·L'(w), stepped by torch.optim.SGD.

- A parabola L(w) = ½·a·(w − w*)² of curvature a. Each step multiplies the distance to the bottom by (1 − η·a), so
  the learning rate alone decides whether the ball crawls, glides in, bounces in, or flies off; the edge is η = 2/a.
- A bumpy valley with a shallow dip beside the deep one: a small rate settles in the nearer dip (a local minimum),
  a larger one jumps the ridge and reaches the deep valley, a rate too large for the deep valley's walls flies off.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from core.lessons.theory import gd_stability_bound

REGIMES = ("crawls", "glides", "bounces", "flies_off")

PARABOLA_CURVATURE = 1.0  # the edge of stability is then at η = 2
# Optimizers that step along the gradient itself, for which the edge 2/λmax holds; an adaptive one (Adam ...) rescales
# each step, so the page says the edge is only a rough guide there.
GRADIENT_STEPS = ("sgd", "momentum", "nesterov")
PARABOLA_START = -3.0
# The ball "crawls" when after the shown steps it has covered less than this share of the way to the bottom.
CRAWL_SHARE = 0.5
# A path more than this many start distances from the bottom has left for good: it is stopped there.
ESCAPE_FACTOR = 50.0


def parabola(w: torch.Tensor, curvature: float = PARABOLA_CURVATURE) -> torch.Tensor:
    """½·a·w²: the simplest valley, bottom at w = 0."""
    return 0.5 * curvature * w**2


# The bumpy valley, L(w) = w⁴/4 − 2w² + 0.8w: a shallow dip near w ≈ 1.9, a ridge near 0.2, the deep valley near
# −2.1. L'(w) = w³ − 4w + 0.8, so the start at w = 3 has a steep wall (slope 15.8) pointing across the ridge.
BUMPY_START = 3.0
BUMPY_VIEW = (-3.2, 3.2)


def bumpy(w: torch.Tensor) -> torch.Tensor:
    """A valley with a local minimum (the shallow dip, right) beside the global one (the deep valley, left)."""
    return w**4 / 4 - 2 * w**2 + 0.8 * w


def walk(
    loss: Callable[[torch.Tensor], torch.Tensor], lr: float, start: float, steps: int, escape: float
) -> pd.DataFrame:
    """Positions of plain SGD from `start`: one row per step (step 0 is the start) with w and L(w).

    `diverged` is True on the row where |w| passed `escape` (the walk stops there) or stopped being finite."""
    w = torch.tensor(float(start), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=lr)
    rows = [(0, start, float(loss(w.detach())), False)]
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        loss(w).backward()
        optimizer.step()
        position = w.item()
        value = float(loss(w.detach()))
        gone = not (abs(position) <= escape and abs(value) < float("inf"))
        rows.append((step, position, value, gone))
        if gone:
            break
    return pd.DataFrame(rows, columns=["step", "w", "loss", "diverged"])


def parabola_walk(
    lr: float, steps: int = 20, curvature: float = PARABOLA_CURVATURE, start: float = PARABOLA_START
) -> pd.DataFrame:
    """The ball on the parabola of curvature `curvature` at learning rate `lr`."""
    return walk(lambda w: parabola(w, curvature), lr, start, steps, ESCAPE_FACTOR * abs(start))


def bumpy_walk(lr: float, steps: int = 60, start: float = BUMPY_START) -> pd.DataFrame:
    """The ball on the bumpy valley at learning rate `lr`."""
    return walk(bumpy, lr, start, steps, ESCAPE_FACTOR * abs(start))


def edge_of_stability(curvature: float = PARABOLA_CURVATURE) -> float:
    """The largest learning rate at which the ball still comes to rest: 2 / curvature."""
    return gd_stability_bound(curvature)


def parabola_regime(lr: float, steps: int, curvature: float = PARABOLA_CURVATURE) -> str:
    """What the ball does on the parabola, read off the factor r = 1 − η·a that each step applies to the distance.

    |r| ≥ 1: flies off (at r = −1 it bounces between the walls for ever, never arriving); −1 < r < 0: overshoots
    the bottom every step but arrives (bounces); 0 ≤ r < 1: glides in from one side, unless after `steps` steps it
    has covered less than CRAWL_SHARE of the way (crawls).
    """
    factor = 1.0 - lr * curvature
    if abs(factor) >= 1.0:
        return "flies_off"
    if factor < 0:
        return "bounces"
    return "crawls" if factor**steps > 1.0 - CRAWL_SHARE else "glides"


def local_minima() -> tuple[float, float]:
    """Where the bumpy valley has its shallow dip and its deep bottom (real roots of L'(w) with L'' > 0)."""
    real = sorted(float(r.real) for r in np.roots([1.0, 0.0, -4.0, 0.8]) if abs(r.imag) < 1e-12)
    minima = [r for r in real if 3 * r**2 - 4 > 0]
    deep, shallow = min(minima), max(minima)
    return shallow, deep


def minima_marks() -> pd.DataFrame:
    """The bumpy valley's shallow dip and deep bottom, in that order, as points: w, loss."""
    w = torch.tensor(local_minima(), dtype=torch.float64)
    return pd.DataFrame({"w": w.numpy(), "loss": bumpy(w).numpy()})


def where_it_settles(path: pd.DataFrame, tolerance: float = 0.05) -> str:
    """'shallow' (the local minimum), 'deep' (the global one), 'flies_off' or 'moving' for a bumpy-valley path."""
    if path["diverged"].any():
        return "flies_off"
    shallow, deep = local_minima()
    last = float(path["w"].iloc[-1])
    if abs(last - shallow) < tolerance:
        return "shallow"
    if abs(last - deep) < tolerance:
        return "deep"
    return "moving"


def regime_edges(steps: int, curvature: float = PARABOLA_CURVATURE) -> dict[str, float]:
    """The learning rate at which each regime of `parabola_regime` ends: crawls until (1 − η·a)^steps falls to
    1 − CRAWL_SHARE, glides until η·a = 1 (one step lands on the bottom), bounces until the edge η·a = 2."""
    return {
        "crawls": (1.0 - (1.0 - CRAWL_SHARE) ** (1.0 / steps)) / curvature,
        "glides": 1.0 / curvature,
        "bounces": edge_of_stability(curvature),
    }
