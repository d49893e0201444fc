"""Two-parameter loss surfaces and the paths real torch.optim optimizers take across them.

A network has millions of weights; with two we can draw the whole landscape and watch each optimizer walk it.
Every surface is a torch function of points shaped (..., 2), so one call evaluates a path or a whole grid.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from core.config import KNOBS, ConfigError, check_choice, integer, number
from core.lessons.theory import gd_stability_bound, max_hessian_eigenvalue
from core.optim import OPTIMIZER_SPECS, make_optimizer

SURFACE_OPTIMIZERS = tuple(name for name, spec in OPTIMIZER_SPECS.items() if spec.surfaces)
MOMENTUM = 0.9  # torch's usual choice for momentum and Nesterov
MAX_STEPS = 1000  # the longest walk the page offers
MAX_WALK_LR = 10.0
MAX_LOSS_SCALE = 1000.0
SETTLED = 1e-6  # a walk whose loss stays this close to the minimum has settled
BOTTOM = 1e-3  # a walk whose loss stays this close to the minimum has reached the bottom (drawn on the loss chart)
ON_FLOOR = 0.01  # in a ravine, |p₂| below this for good: the swing across the ravine has died down
RAVINES = ("ravine", "noisy_ravine")  # the landscapes with a floor (along p₁) and walls (across, p₂)

# The ravine as a least-squares problem: two "cases" with no bias, so that
# mean((X·w)²) = ½(x² + 100·y²), whose Hessian 2/N·XᵀX = diag(1, 100).
RAVINE_CASES = torch.tensor([[1.0, 0.0], [0.0, 10.0]], dtype=torch.float64)
# Its two curvatures, along the floor (p₁) and across the walls (p₂): λmin = 1 and λmax = 100.
LAMBDA_MIN, LAMBDA_MAX = torch.linalg.eigvalsh(2 / len(RAVINE_CASES) * RAVINE_CASES.T @ RAVINE_CASES).tolist()

# A path that leaves the view by this many view-widths is called diverged and stopped.
ESCAPE_FACTOR = 10.0


def _ravine(points: torch.Tensor) -> torch.Tensor:
    return ((points @ RAVINE_CASES.T) ** 2).mean(-1)


def _rosenbrock(points: torch.Tensor) -> torch.Tensor:
    x, y = points[..., 0], points[..., 1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _saddle(points: torch.Tensor) -> torch.Tensor:
    # A saddle at the origin (curvature +2 across, −1 along y) between two valleys at y = ±1: bounded below,
    # so a path that escapes the saddle has somewhere to arrive.
    x, y = points[..., 0], points[..., 1]
    return x**2 + y**4 / 4 - y**2 / 2


@dataclass(frozen=True)
class Surface:
    """A loss landscape over two parameters, with the window we draw and where paths start."""

    name: str
    loss: Callable[[torch.Tensor], torch.Tensor]
    view: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max
    start: tuple[float, float]
    minimum: tuple[float, float]
    min_loss: float
    lr: float  # a learning rate at which the lesson of this surface shows
    log_colour: bool = True
    noise: float = 0.0  # spread of each mini-batch's targets; 0 means the full-batch gradient

    def minibatch_loss(self, point: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """The loss one mini-batch sees: the ravine's cases with freshly drawn noisy targets; else the true loss."""
        if self.noise == 0:
            return self.loss(point)
        targets = torch.randn(len(RAVINE_CASES), generator=generator, dtype=point.dtype) * self.noise
        return ((point @ RAVINE_CASES.T - targets) ** 2).mean(-1)


SURFACES: dict[str, Surface] = {
    "ravine": Surface("ravine", _ravine, (-2.5, 2.5, -1.0, 1.0), (-2.0, 0.8), (0.0, 0.0), 0.0, lr=0.018),
    # At 0.015 Adam holds the valley floor while SGD jitters across it (at 0.01 Adam is still on its way down).
    "noisy_ravine": Surface(
        "noisy_ravine", _ravine, (-2.5, 2.5, -1.0, 1.0), (-2.0, 0.8), (0.0, 0.0), 0.0, lr=0.015, noise=0.5
    ),
    "rosenbrock": Surface("rosenbrock", _rosenbrock, (-2.0, 2.0, -1.0, 3.0), (-1.2, 1.0), (1.0, 1.0), 0.0, lr=0.002),
    "saddle": Surface(
        "saddle", _saddle, (-2.0, 2.0, -1.5, 1.5), (-1.8, 0.01), (0.0, 1.0), -0.25, lr=0.05, log_colour=False
    ),
}


@dataclass(frozen=True)
class WalkConfig:
    """The 2-D optimizer lesson: which landscape, which optimizers, and how far and how fast they walk it."""

    surface: str = "ravine"
    optimizers: tuple[str, ...] = ("sgd", "momentum", "adam")
    lr: float = 0.018
    start: tuple[float, float] = (-2.0, 0.8)
    steps: int = 100
    seed: int = 0
    scale: float = 1.0  # the factor the loss is multiplied by

    @classmethod
    def for_surface(cls, surface: str, **changes: object) -> WalkConfig:
        """The lesson on `surface`, starting from its own start point with its own telling learning rate."""
        check_choice("surface", surface, tuple(SURFACES))
        chosen = SURFACES[surface]
        return cls(surface=surface, lr=chosen.lr, start=chosen.start, **changes).validated()

    def replace(self, **changes: object) -> WalkConfig:
        """A copy with some fields changed, validated again."""
        return dataclasses.replace(self, **changes).validated()

    def validated(self) -> WalkConfig:
        """Check every field; raise ConfigError with a readable message for anything out of range."""
        check_choice("surface", self.surface, tuple(SURFACES))
        for name in self.optimizers:
            check_choice("optimizer", name, SURFACE_OPTIMIZERS)
        lr = number("lr", self.lr)
        if not 0 < lr <= MAX_WALK_LR:
            raise ConfigError("lr_range", value=self.lr, max=MAX_WALK_LR)
        steps = integer("steps", self.steps)
        if not 1 <= steps <= MAX_STEPS:
            raise ConfigError("steps", value=self.steps, max=MAX_STEPS)
        x, y = (number("start", value) for value in self.start)
        x_min, x_max, y_min, y_max = SURFACES[self.surface].view
        if not (x_min <= x <= x_max and y_min <= y <= y_max):
            raise ConfigError("start", x=x, y=y, x_min=x_min, x_max=x_max, y_min=y_min, y_max=y_max)
        seed = KNOBS["seed"].check(self.seed)
        scale = number("scale", self.scale)
        if not 0 < scale <= MAX_LOSS_SCALE:
            raise ConfigError("loss_scale", value=self.scale, max=MAX_LOSS_SCALE)
        return dataclasses.replace(
            self,
            optimizers=tuple(dict.fromkeys(self.optimizers)),
            lr=lr,
            start=(x, y),
            steps=steps,
            seed=seed,
            scale=scale,
        )


def _surface(surface: Surface | str) -> Surface:
    return SURFACES[surface] if isinstance(surface, str) else surface


def _escaped(surface: Surface, x: float, y: float) -> bool:
    """Non-finite, or so far outside the view that the path will not come back on its own."""
    if not (np.isfinite(x) and np.isfinite(y)):
        return True
    x_min, x_max, y_min, y_max = surface.view
    width, height = x_max - x_min, y_max - y_min
    return not (
        x_min - ESCAPE_FACTOR * width <= x <= x_max + ESCAPE_FACTOR * width
        and y_min - ESCAPE_FACTOR * height <= y <= y_max + ESCAPE_FACTOR * height
    )


def trajectory(
    surface: Surface | str,
    optimizer: str,
    lr: float,
    start: tuple[float, float] | None = None,
    steps: int = 100,
    seed: int = 0,
    loss_scale: float = 1.0,
    momentum: float = MOMENTUM,
) -> pd.DataFrame:
    """The path of a torch.optim optimizer on a surface: one row per step (step 0 is the start).

    Columns: optimizer, step, x, y, loss (the true, unscaled loss at that point), diverged (True on the row
    where the path left for good; the walk stops there). `loss_scale` multiplies the loss the optimizer sees.
    """
    surface = _surface(surface)
    point = torch.tensor(start or surface.start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(optimizer, [point], lr=lr, momentum=momentum)
    generator = torch.Generator().manual_seed(seed)  # the order of the noisy mini-batches
    with torch.no_grad():
        rows = [(0, *point.tolist(), float(surface.loss(point)), False)]
    for step in range(1, steps + 1):
        opt.zero_grad()
        (loss_scale * surface.minibatch_loss(point, generator)).backward()
        opt.step()
        with torch.no_grad():
            x, y = point.tolist()
            loss = float(surface.loss(point))
        diverged = _escaped(surface, x, y) or not np.isfinite(loss)
        rows.append((step, x, y, loss, diverged))
        if diverged:
            break
    frame = pd.DataFrame(rows, columns=["step", "x", "y", "loss", "diverged"])
    frame.insert(0, "optimizer", optimizer)
    return frame


def walks(config: WalkConfig) -> pd.DataFrame:
    """Every chosen optimizer's path for one setting of the lesson, one after the other."""
    paths = [
        trajectory(config.surface, name, config.lr, config.start, config.steps, config.seed, config.scale)
        for name in config.optimizers
    ]
    return pd.concat(paths, ignore_index=True)


def grid(surface: Surface | str, resolution: int = 80) -> pd.DataFrame:
    """The loss on a resolution × resolution grid of cells covering the view: x, x2, y, y2 (cell edges), loss."""
    surface = _surface(surface)
    x_min, x_max, y_min, y_max = surface.view
    x_edges = torch.linspace(x_min, x_max, resolution + 1, dtype=torch.float64)
    y_edges = torch.linspace(y_min, y_max, resolution + 1, dtype=torch.float64)
    # Cell centres never sit exactly on a minimum of value 0, so a log colour scale stays finite.
    xc, yc = (x_edges[:-1] + x_edges[1:]) / 2, (y_edges[:-1] + y_edges[1:]) / 2
    gx, gy = torch.meshgrid(xc, yc, indexing="ij")
    loss = surface.loss(torch.stack([gx, gy], dim=-1))
    i, j = torch.meshgrid(torch.arange(resolution), torch.arange(resolution), indexing="ij")
    return pd.DataFrame(
        {
            "x": x_edges[i.reshape(-1)].numpy(),
            "x2": x_edges[i.reshape(-1) + 1].numpy(),
            "y": y_edges[j.reshape(-1)].numpy(),
            "y2": y_edges[j.reshape(-1) + 1].numpy(),
            "loss": loss.reshape(-1).numpy(),
        }
    )


def curvature_at_minimum(surface: Surface | str) -> float:
    """λmax of the surface's Hessian at its minimum (power iteration on Hessian-vector products)."""
    surface = _surface(surface)
    point = torch.tensor(surface.minimum, dtype=torch.float64, requires_grad=True)
    return max_hessian_eigenvalue(lambda: surface.loss(point), [point])


def edge_rates(surface: Surface | str, scale: float = 1.0) -> tuple[float, float]:
    """Two learning rates to try with SGD, rounded as the page shows them: 1 % below 2/λmax and 5 % above it.

    `scale` multiplies the loss, and with it every curvature: the rates shrink by the same factor.
    """
    bound = gd_stability_bound(scale * curvature_at_minimum(surface))
    return float(f"{0.99 * bound:.3g}"), float(f"{1.05 * bound:.3g}")


@dataclass(frozen=True)
class EdgeWalk:
    """What SGD did at one learning rate: settles, flies_off or wanders (neither, within the steps walked)."""

    lr: float
    outcome: str
    step: int  # the step where it left the map (flies_off), else the number of steps walked
    gap: float  # loss above the minimum over the last tenth of the walk (median), or where it left the map


def walk_outcome(surface: Surface | str, path: pd.DataFrame, lr: float) -> EdgeWalk:
    """Classify one path of `trajectory` by how it ends."""
    surface = _surface(surface)
    gaps = path["loss"] - surface.min_loss
    last = int(path["step"].iloc[-1])
    if path["diverged"].iloc[-1]:
        return EdgeWalk(lr, "flies_off", last, float(gaps.iloc[-1]))
    gap = float(gaps.iloc[-max(1, len(path) // 10) :].median())
    return EdgeWalk(lr, "settles" if gap < SETTLED else "wanders", last, gap)


def sgd_at_the_limit(
    surface: Surface | str, seed: int = 0, steps: int = MAX_STEPS, scale: float = 1.0
) -> tuple[EdgeWalk, EdgeWalk]:
    """SGD just below and just above 2/λmax (the rates of `edge_rates`), walked from the surface's start."""
    return tuple(
        walk_outcome(surface, trajectory(surface, "sgd", lr, steps=steps, seed=seed, loss_scale=scale), lr)
        for lr in edge_rates(surface, scale)
    )


# --- what one path did, read off the walk the charts draw ------------------------------------------------------


def stays_below(values: np.ndarray | pd.Series, level: float, hold: int = 1) -> float:
    """The first step from which `values` (one per step, from step 0) stay below `level` to the end, for at least
    `hold` steps after it (a noisy walk that dips below by chance at its end has not settled); inf if none does."""
    above = np.flatnonzero(~(np.asarray(values, dtype=float) < level))  # NaN counts as above
    step = 0 if len(above) == 0 else above[-1] + 1
    return float(step) if len(values) - 1 - step >= hold else math.inf


@dataclass(frozen=True)
class PathFacts:
    """What one optimizer's path did: when it reached the bottom, when its swing across a ravine died down."""

    # For good: to the end of the walk, and at least over its last tenth.
    bottom: float  # first step from which the loss stays within BOTTOM of the minimum; inf if it never does
    on_floor: float  # first step from which |p₂| stays below ON_FLOOR (a ravine's floor); inf if it never does
    loss: float  # loss above the minimum over the last tenth of the walk (median)
    swing: float  # largest |p₂| over the last tenth of the walk
    flew_off: int | None  # the step where it left the map for good, if it did


def path_facts(surface: Surface | str, path: pd.DataFrame) -> PathFacts:
    """The facts of one path of `trajectory` (a path that flew off reaches neither the bottom nor the floor)."""
    surface = _surface(surface)
    gaps = (path["loss"] - surface.min_loss).to_numpy()
    swing = path["y"].abs().to_numpy()
    tail = max(1, len(path) // 10)
    flew_off = int(path["step"].iloc[-1]) if path["diverged"].iloc[-1] else None
    return PathFacts(
        bottom=math.inf if flew_off is not None else stays_below(gaps, BOTTOM, tail),
        on_floor=math.inf if flew_off is not None else stays_below(swing, ON_FLOOR, tail),
        loss=float(np.median(gaps[-tail:])),
        swing=float(swing[-tail:].max()),
        flew_off=flew_off,
    )


def walk_facts(surface: Surface | str, paths: pd.DataFrame) -> dict[str, PathFacts]:
    """The facts of every path of `walks`, by optimizer in the order drawn."""
    return {name: path_facts(surface, path) for name, path in paths.groupby("optimizer", sort=False)}


def largest_shift(path: pd.DataFrame, other: pd.DataFrame) -> float:
    """The largest distance between two paths at the same step; inf if only one of them flew off."""
    if path["diverged"].iloc[-1] or other["diverged"].iloc[-1]:
        return 0.0 if path.equals(other) else math.inf
    gap = path[["x", "y"]].to_numpy() - other[["x", "y"]].to_numpy()
    return float(np.hypot(gap[:, 0], gap[:, 1]).max())


def path_length(path: pd.DataFrame) -> float:
    """How far a path walks, step after step."""
    return float(np.hypot(np.diff(path["x"]), np.diff(path["y"])).sum())


def shrink_factors(lr: float, scale: float = 1.0, momentum: float = MOMENTUM) -> dict[str, float]:
    """Per step on the ravine (its curvatures times `scale`): the factor by which plain SGD shrinks the distance
    across (|1 − lr·λmax|) and along the floor (|1 − lr·λmin|), and √μ, the factor by which heavy-ball momentum
    shrinks a swing wherever it oscillates (the roots of r² − (1 + μ − lr·λ)·r + μ are then complex, of size √μ)."""
    return {
        "across": abs(1 - lr * scale * LAMBDA_MAX),
        "along": abs(1 - lr * scale * LAMBDA_MIN),
        "momentum": math.sqrt(momentum),
    }


def final_epochs(epochs: pd.DataFrame) -> pd.DataFrame:
    """The last epoch of every run, in run order (the table under the real-data charts)."""
    return epochs.sort_values("epoch").groupby("run").tail(1).sort_values("run").reset_index(drop=True)
