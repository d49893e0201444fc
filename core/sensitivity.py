"""Is a run reproducible, or chaotic? Near the stability edge, rounding differences of one unit in the last place grow
step after step until the curve is a different one: another engine, machine or library version, or a student's
exported script, then matches the page only for the first epochs. This module measures for how many.
"""

from __future__ import annotations

import math

import torch

from core.config import RunConfig
from core.data import Dataset
from core.engine import train_together
from core.reference import set_up, train_reference
from core.runlog import RunLog

# Two curves "part" at the first epoch where their training or validation losses differ by more than this share.
PARTING_TOLERANCE = 0.01


def parting_epoch(
    config: RunConfig, tolerance: float = PARTING_TOLERANCE, data: Dataset | None = None, script: RunLog | None = None
) -> int | None:
    """The first epoch at which `config`'s curve as the pages draw it (the fast engine) parts from the article's loop
    (the reference engine, which an exported script runs), or None when the two agree to the last epoch.

    The two engines compute the same run with rounding differences of the order of one float32 ulp; a stable run
    keeps them that small, a chaotic one grows them until the curves are different ones. They part at the first
    recorded epoch where the training or the validation loss differs by more than `tolerance` (relative to the
    larger), or where only one of the two was stopped. In the rare case that both engines round exactly alike, the
    reference run is compared with itself started from initial weights one float32 ulp away instead. An integer N
    means that an exported script (or another machine) reproduces the page's curve for the first N − 1 epochs only.
    Costs one fast and one reference run (two reference runs in the fallback); cache it (core.ui.cache.cached_lesson).
    `script`: the reference run's log, where the caller has trained it already.
    """
    config = config.validated()
    torch.set_num_threads(1)  # as core.training.train: tiny models train faster on one thread
    page = train_together([config], "cpu", data=data)[0]
    script = script or train_reference(config, "cpu", data=data)
    if _losses(page) != _losses(script):
        return first_parting(page, script, tolerance)
    nudged = set_up(config, "cpu", data)
    with torch.no_grad():
        for weight in nudged.model.parameters():
            weight.copy_(torch.nextafter(weight, torch.full_like(weight, math.inf)))
    return first_parting(script, train_reference(config, "cpu", article=nudged), tolerance)


def first_parting(one: RunLog, other: RunLog, tolerance: float = PARTING_TOLERANCE) -> int | None:
    """The first epoch at which two run logs of one config differ by more than `tolerance` (None: never)."""
    for mine, theirs in zip(one.epochs, other.epochs, strict=False):
        if not all(_close(a, b, tolerance) for a, b in zip(mine[1:3], theirs[1:3], strict=True)):
            return int(mine[0])
    if len(one.epochs) != len(other.epochs):  # one was stopped before the other
        return int(min(len(one.epochs), len(other.epochs)))
    return None


def _losses(log: RunLog) -> list[tuple[float, ...]]:
    """Every recorded loss and accuracy of a run (not its wall-clock seconds), and its loss after the last update."""
    return [row[1:4] for row in log.epochs] + [(log.final_loss,)]


def _close(a: float, b: float, tolerance: float) -> bool:
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.isnan(a) and math.isnan(b)  # no validation split: both NaN
    return abs(a - b) <= tolerance * max(abs(a), abs(b))
