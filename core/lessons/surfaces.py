"""Two-parameter loss surfaces and the paths real torch.optim optimizers take across them.

A network has millions of weights; with two we can draw the whole landscape and watch each optimizer walk it.
Every surface is a torch function of points shaped (..., 2), so one call evaluates a path or a whole grid.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from core.lessons.theory import gd_stability_bound, max_hessian_eigenvalue
from core.optim import make_optimizer

if TYPE_CHECKING:
    from core.config import WalkConfig

SURFACE_OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
MOMENTUM = 0.9  # torch's usual choice for momentum and Nesterov
MAX_STEPS = 1000  # the longest walk the page offers
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


# --- what the page says about two paths in a ravine, picked from their facts -----------------------------------


def adam_finding(sgd: PathFacts, adam: PathFacts) -> str:
    """ "holds" when Adam reaches the bottom first by the margin of the claim `sgd_vs_adam`, "neither" when neither
    gets there, else "fails"."""
    from core.claims import by_id  # the registry measures walks with this module: loaded on use

    if math.isinf(sgd.bottom) and math.isinf(adam.bottom):
        return "neither"
    return "holds" if by_id("sgd_vs_adam").holds({"a": adam.bottom, "b": sgd.bottom}) else "fails"


def momentum_finding(sgd: PathFacts, momentum: PathFacts) -> str:
    """ "holds" when momentum's swing across the ravine dies down first by the margin of the claim `momentum_ravine`,
    "neither" when neither dies down, "longer" when momentum's lasts longer than SGD's, else "fails"."""
    from core.claims import by_id

    if math.isinf(sgd.on_floor) and math.isinf(momentum.on_floor):
        return "neither"
    if by_id("momentum_ravine").holds({"a": momentum.on_floor, "b": sgd.on_floor}):
        return "holds"
    return "longer" if momentum.on_floor > sgd.on_floor else "fails"


Said = tuple[str, dict[str, object]]  # a text's locale key and its numbers; a number that is itself a Said is a text


def when(facts: PathFacts, moment: str, steps: int) -> Said:
    """When a path reached `moment` ("bottom" or "on_floor"): at a step, not within the walk, or never (flew off)."""
    if facts.flew_off is not None:
        return "optimizers.compare.when.flew_off", {"step": facts.flew_off}
    step = getattr(facts, moment)
    if math.isinf(step):
        return "optimizers.compare.when.never", {"steps": steps}
    return "optimizers.compare.when.at", {"step": int(step)}


# Per lesson, against plain SGD: the moment it reads, the claim its sentence follows, and how the sentence is picked.
LESSONS: dict[str, tuple[str, str, Callable[[PathFacts, PathFacts], str]]] = {
    "adam": ("bottom", "sgd_vs_adam", adam_finding),
    "momentum": ("on_floor", "momentum_ravine", momentum_finding),
}


def _numbers(lesson: str, sgd: PathFacts, other: PathFacts, config: WalkConfig) -> dict[str, object]:
    moment = LESSONS[lesson][0]
    return {
        "sgd": when(sgd, moment, config.steps),
        "other": when(other, moment, config.steps),
        "sgd_loss": f"{sgd.loss:.2g}",
        "other_loss": f"{other.loss:.2g}",
        "sgd_swing": f"{sgd.swing:.2g}",
        "other_swing": f"{other.swing:.2g}",
        "steps": config.steps,
        "lr": f"{config.lr:g}",
    }


def comparisons(
    facts: dict[str, PathFacts], config: WalkConfig, card: Callable[[str], dict[str, float]]
) -> list[list[Said]]:
    """On a ravine, a paragraph each for Adam and momentum beside SGD: what happened, why, and (where the article's
    claim does not hold here) what the card on its claim's own setting measures; `card(claim_id)` measures a claim."""
    if config.surface not in RAVINES:
        return []
    factors = shrink_factors(config.lr, config.scale)
    shown = {"across": f"{factors['across']:.3g}", "along": f"{factors['along']:.3g}"}
    shown["root"] = f"{factors['momentum']:.3f}"
    paragraphs = []
    for lesson, (_, claim_id, finding) in LESSONS.items():
        if not {"sgd", lesson} <= facts.keys():
            continue
        sgd = facts["sgd"]
        verdict = "flew_off" if sgd.flew_off is not None else finding(sgd, facts[lesson])
        numbers = {**_numbers(lesson, sgd, facts[lesson], config), **shown, "step": sgd.flew_off}
        said = [
            (f"optimizers.compare.{lesson}.verdict.{verdict}", numbers),
            (f"optimizers.compare.{lesson}.{'facts_neither' if verdict == 'neither' else 'facts'}", numbers),
            (f"optimizers.compare.{lesson}.why_{'shrinks' if factors['across'] < 1 else 'grows'}", numbers),
        ]
        if verdict not in ("holds", "flew_off"):
            from core.claims import by_id

            measured, arm = card(claim_id), by_id(claim_id).arms["a"]
            setting = {"lr": arm["lr"], "steps": arm["steps"], "other": int(measured["a"]), "sgd": int(measured["b"])}
            setting["card"] = (f"lecture.scenarios.{claim_id}.title", {})
            said.append((f"optimizers.compare.{lesson}.elsewhere", setting))
        paragraphs.append(said)
    return paragraphs


def talking(facts: dict[str, PathFacts], config: WalkConfig, adam_shift: float | None = None) -> Said:
    """One sentence for the lecturer about this walk: the loss scale (given Adam's shift), Adam or momentum against
    SGD on a ravine, or else how low the paths that stayed on the map end."""
    if config.scale != 1 and adam_shift is not None:
        return "optimizers.talk.scaled", {"scale": f"{config.scale:g}", "shift": f"{adam_shift:.1g}"}
    for lesson, (_, _, finding) in LESSONS.items():
        if config.surface in RAVINES and {"sgd", lesson} <= facts.keys():
            sgd = facts["sgd"]
            verdict = "flew_off" if sgd.flew_off is not None else finding(sgd, facts[lesson])
            return f"optimizers.talk.{lesson}.{verdict}", _numbers(lesson, sgd, facts[lesson], config)
    stayed = {name: fact for name, fact in facts.items() if fact.flew_off is None}
    if not stayed:
        return "optimizers.talk.all_flew_off", {}
    best = min(stayed, key=lambda name: stayed[name].loss)
    numbers = {"steps": config.steps, "name": (f"common.optimizers.{best}", {}), "loss": f"{stayed[best].loss:.2g}"}
    return f"optimizers.talk.{'one' if len(facts) == 1 else 'lowest'}", numbers


def scale_comparisons(paths: pd.DataFrame, plain: pd.DataFrame, config: WalkConfig) -> tuple[list[Said], float | None]:
    """With the loss scaled: whether Adam's path (against `plain`, the same walks at × 1) stayed put and whether SGD
    flew off, each said as its claim (`loss_times_1000.*`) picks; and how far Adam's path moved (None: no Adam)."""
    from core.claims import by_id

    said: list[Said] = []
    shift = None
    chosen = set(paths["optimizer"])
    if "adam" in chosen:
        adam, reference = paths[paths["optimizer"] == "adam"], plain[plain["optimizer"] == "adam"]
        shift = largest_shift(adam, reference)
        values = {"a": shift, "b": path_length(reference)}
        said.append((by_id("loss_times_1000.adam").sentence(values), {"shift": f"{shift:.1g}"}))
    if "sgd" in chosen:
        sgd = paths[paths["optimizer"] == "sgd"]
        numbers = {"lr": f"{config.lr:g}", "step": int(sgd["step"].iloc[-1]), "rate": f"{config.lr * config.scale:g}"}
        said.append((by_id("loss_times_1000.sgd").sentence({"a": float(sgd["diverged"].iloc[-1])}), numbers))
    return said, shift
