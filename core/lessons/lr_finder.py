"""The learning-rate range test (Smith 2017; fastai's `lr_find`, torch-lr-finder): one short run whose learning
rate grows exponentially at every step, the smoothed loss against the rate, and two suggestions read off the curve.

Why it works: while the rate is tiny the loss barely moves; as it grows the loss falls faster and faster; past the
stability edge it shoots up. The steepest fall marks a rate that learns quickly and is still stable. The rate at
the lowest point is NOT a good constant rate: it was reached a moment before the blow-up, after many smaller,
stabilising steps, so held constant from the start it is already too large (tests/test_lr_finder.py shows it).

The loop is the article's (DataLoader, zero_grad → forward → loss → backward → step) with the rate set before each
step, exactly as torch-lr-finder runs it, so the two give the same curve (checked in the tests).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from core.config import RunConfig
from core.reference import set_up

START_LR = 1e-5
END_LR = 10.0
STEPS = 100
SMOOTHING = 0.05  # weight of the newest batch loss in the running average (torch-lr-finder's smooth_f)
DIVERGE = 5.0  # the test stops once the smoothed loss passes this many times its best value
# The first steps are noise around the starting loss and the last ones are the blow-up: neither says where the
# loss falls fastest (torch-lr-finder's skip_start / skip_end).
SKIP_START, SKIP_END = 10, 5
SEEDS = (0, 1, 2)  # one test per seed (initial weights and batch order): the page draws their band


def rate_at(step: int, steps: int = STEPS, start_lr: float = START_LR, end_lr: float = END_LR) -> float:
    """The learning rate of `step` (0 … steps−1): from start_lr to end_lr in equal ratios."""
    return start_lr * (end_lr / start_lr) ** (step / (steps - 1))


def range_test(
    config: RunConfig,
    start_lr: float = START_LR,
    end_lr: float = END_LR,
    steps: int = STEPS,
    smoothing: float = SMOOTHING,
    diverge: float = DIVERGE,
) -> pd.DataFrame:
    """One range test of `config` (its own lr and schedule are ignored): step, lr, loss, smoothed.

    Stops early once the smoothed loss passes `diverge` × its best value or the loss is no longer a number."""
    article = set_up(config.validated().replace(lr=start_lr))
    model, criterion, optimizer = article.model, article.criterion, article.optimizer
    batches = _endless(article.loader)
    rows: list[tuple[int, float, float, float]] = []
    best = math.inf
    for step in range(steps):
        lr = rate_at(step, steps, start_lr, end_lr)
        for group in optimizer.param_groups:
            group["lr"] = lr
        inputs, labels = next(batches)
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step()
        value = loss.item()
        smoothed = value if not rows else smoothing * value + (1 - smoothing) * rows[-1][3]
        rows.append((step, lr, value, smoothed))
        best = min(best, smoothed)
        if not math.isfinite(smoothed) or smoothed > diverge * best:
            break
    return pd.DataFrame(rows, columns=["step", "lr", "loss", "smoothed"])


def _endless(loader: DataLoader) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Batches for ever: a new epoch (a new shuffle) whenever the last one is used up."""
    while True:
        yield from loader


def suggestions(test: pd.DataFrame, skip_start: int = SKIP_START, skip_end: int = SKIP_END) -> dict[str, float]:
    """Rates read off one range test: `steepest`, `minimum` (the rate at the lowest smoothed loss),
    `minimum_over_10` (fastai's rule of thumb) and `blowup` (where the test stopped, or its last rate).

    `steepest` is torch-lr-finder's rule (the rate where np.gradient of the smoothed loss, trimmed by skip_start and
    skip_end, is lowest) applied to the part of the curve up to the minimum: past the minimum the loss is already
    blowing up, and a fall there is noise of the blow-up, not a rate that learns fast."""
    finite = test[np.isfinite(test["smoothed"])].reset_index(drop=True)
    lowest = int(finite["smoothed"].idxmin())
    trimmed = finite.iloc[skip_start : len(finite) - skip_end]
    before = _steepest_before(trimmed, lowest)
    if before is None:  # too short a test to trim: the whole curve up to its minimum
        before = _steepest_before(finite.iloc[: lowest + 1], lowest)
    steepest = before if before is not None else float(finite["lr"].iloc[0])
    minimum = float(finite["lr"].iloc[lowest])
    return {
        "steepest": steepest,
        "minimum": minimum,
        "minimum_over_10": minimum / 10,
        "blowup": float(test["lr"].iloc[-1]),
    }


def _steepest_before(curve: pd.DataFrame, lowest: int) -> float | None:
    """The rate of the lowest np.gradient of `curve` (torch-lr-finder's values) among rows before row `lowest`."""
    if len(curve) < 2:
        return None
    gradient = np.gradient(curve["smoothed"].to_numpy())
    before = curve.index.to_numpy() < lowest
    if not before.any():
        return None
    return float(curve["lr"].to_numpy()[before][int(gradient[before].argmin())])


def range_tests(
    config: RunConfig,
    seeds: tuple[int, ...] = SEEDS,
    progress: Callable[[float], None] = lambda fraction: None,
    **test: float,
) -> pd.DataFrame:
    """The range test once per seed (initial weights and batch order): the `range_test` columns plus `seed`;
    `progress` hears the fraction of the seeds done."""
    tests = []
    for done, seed in enumerate(seeds, start=1):
        tests.append(range_test(config.replace(seed=seed), **test).assign(seed=seed))
        progress(done / len(seeds))
    return pd.concat(tests, ignore_index=True)


def band(tests: pd.DataFrame) -> pd.DataFrame:
    """Per step over the seeds: lr, the mean smoothed loss, its lowest and highest (steps every seed reached)."""
    reached = tests.groupby("step")["seed"].nunique() == tests["seed"].nunique()
    shared = tests[tests["step"].isin(reached[reached].index)]
    return (
        shared.groupby("step")
        .agg(lr=("lr", "first"), mean=("smoothed", "mean"), low=("smoothed", "min"), high=("smoothed", "max"))
        .reset_index()
    )


def suggested_rates(tests: pd.DataFrame) -> pd.DataFrame:
    """Each seed's suggestions, one row per seed (columns seed, steepest, minimum, minimum_over_10, blowup)."""
    rows = [{"seed": seed, **suggestions(test)} for seed, test in tests.groupby("seed")]
    return pd.DataFrame(rows, columns=["seed", "steepest", "minimum", "minimum_over_10", "blowup"])
