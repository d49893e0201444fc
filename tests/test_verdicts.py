"""Plain-words verdicts of a learning-rate sweep, read off whole records: hand-made curves, the issue's cases, a
property over random curves (the sentence agrees with the numbers shown) and runs continued past their last epoch."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import RunConfig
from core.lessons.verdicts import BUMPY, CLOSE_TO_BEST, MIN_FALL, SPIKE, lr_verdicts, trend
from core.training import train


def frames(
    curves: dict[float, list[float]], diverged: tuple[float, ...] = (), val: dict[float, list[float]] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Epoch and run frames as the engines return them, one run per rate (validation = training unless given)."""
    val = val or {}
    rows = [
        {"run": run, "lr": lr, "epoch": epoch, "train_loss": loss, "val_loss": val.get(lr, losses)[epoch]}
        for run, (lr, losses) in enumerate(curves.items())
        for epoch, loss in enumerate(losses)
    ]
    runs = pd.DataFrame({"run": range(len(curves)), "lr": list(curves), "diverged": [lr in diverged for lr in curves]})
    return pd.DataFrame(rows), runs


def judged(curves: dict[float, list[float]], **options: object) -> dict[float, tuple[str, str]]:
    table = lr_verdicts(*frames(curves, **options))
    return {row.lr: (row.verdict, row.sign) for row in table.itertuples()}


def geometric(start: float, rate: float, epochs: int, floor: float = 0.0) -> list[float]:
    return [floor + (start - floor) * (1 - rate) ** epoch for epoch in range(epochs + 1)]


def test_hand_made_curves() -> None:
    verdicts = judged(
        {
            0.001: geometric(1.0, 0.05, 10),  # steady fall, far from the best: too small, still falling
            0.01: [1.0, 0.5, 0.3, 0.2, 0.12, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],  # the best, settled
            0.1: [1.0, 0.3, 0.6, 0.2, 0.5, 0.25, 0.45, 0.3, 0.4, 0.3, 0.35],  # jumps up and down: too large
            1.0: [1.0, 5.0],  # blew up
        },
        diverged=(1.0,),
    )
    assert verdicts == {
        0.001: ("too_small", "falling"),
        0.01: ("good", ""),
        0.1: ("too_large", "bumpy"),
        1.0: ("diverging", ""),
    }


def test_a_flat_or_noisy_slow_run_is_not_called_still_falling() -> None:
    noisy = [1.0, 0.8, *(0.7 + 0.02 * (-1) ** epoch for epoch in range(2, 21))]
    verdicts = judged({0.001: noisy, 0.01: geometric(1.0, 0.3, 20, floor=0.1)})
    assert verdicts[0.001] == ("too_small", "stalled")
    assert verdicts[0.01][0] == "good"


def test_a_spike_or_a_worse_validation_loss_is_too_large_even_for_the_best_run() -> None:
    """The issue's case by hand: a loss of 5,370 in epoch 1 from 0.71, ending low but with validation loss 1,891."""
    spiked = [0.71, 5370.0, 40.0, 2.0, 0.4, 0.3, 0.3]
    assert judged({10.0: spiked}) == {10.0: ("too_large", "spiked")}
    calm = [0.71, 0.5, 0.4, 0.35, 0.3, 0.3, 0.3]
    soaring = judged({10.0: calm}, val={10.0: [0.71, 0.9, 1.5, 20.0, 400.0, 1200.0, 1891.0]})
    assert soaring == {10.0: ("too_large", "val_spiked")}
    worse = judged({10.0: calm}, val={10.0: [0.71, 0.5, 0.55, 0.6, 0.7, 0.75, 0.8]})
    assert worse == {10.0: ("too_large", "val_worse")}


def test_adam_at_rate_10_on_breast_cancer_is_not_about_right() -> None:
    """The issue's run: Adam, breast cancer, batch 128, 60 epochs, lr 10."""
    config = RunConfig(dataset="breast_cancer", optimizer="adam", batch_size=128, epochs=60, lr=10.0)
    result = train([config])
    table = lr_verdicts(result.epochs, result.runs)
    assert table["verdict"].iloc[0] in ("too_large", "diverging")
    row = table.iloc[0]
    assert row["peak"] > 1000 * row["start"] or row["val_end"] > row["val_start"]


def test_the_learning_rate_pages_default_sweep() -> None:
    base = RunConfig(dataset="blood_pressure", optimizer="sgd", batch_size=32, epochs=30)
    result = train([base.replace(lr=lr) for lr in (0.001, 0.01, 0.03, 0.4, 1.0)])
    table = lr_verdicts(result.epochs, result.runs).set_index("lr")
    assert dict(table["verdict"]) == {
        0.001: "too_small",
        0.01: "good",
        0.03: "good",
        0.4: "too_large",
        1.0: "diverging",
    }
    assert table.loc[0.001, "sign"] == "falling"


def test_trend_is_real_only_beyond_the_noise() -> None:
    rng = np.random.default_rng(0)
    flat = 0.5 * np.exp(rng.normal(0, 0.05, 30))
    fall, real, _ = trend(flat)
    assert not real
    falling = 0.5 * 0.97 ** np.arange(30) * np.exp(rng.normal(0, 0.005, 30))
    fall, real, epochs = trend(falling)
    assert real and fall == pytest.approx(0.03, rel=0.3) and epochs >= 4
    assert trend(np.array([1.0, 0.5, 0.4]))[1:] == (False, 0)  # too short to tell


curve = st.lists(st.floats(0.01, 10.0), min_size=2, max_size=25)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(curve, st.booleans()), min_size=1, max_size=5))
def test_each_verdict_agrees_with_the_numbers_shown(runs: list[tuple[list[float], bool]]) -> None:
    """Over random records: what the page says of each rate follows from the numbers it prints beside it."""
    curves = {10.0 ** (i - 3): losses for i, (losses, _) in enumerate(runs)}
    diverged = tuple(lr for lr, (_, flag) in zip(curves, runs, strict=True) if flag)
    table = lr_verdicts(*frames(curves, diverged=diverged))
    healthy = table[(table["verdict"] != "diverging") & ~table["sign"].isin(["spiked", "val_spiked", "val_worse"])]
    for row in table.itertuples():
        if row.lr in diverged:
            assert row.verdict == "diverging"
            continue
        assert row.verdict != "diverging"
        if row.sign == "spiked":
            assert row.verdict == "too_large" and row.peak > SPIKE * row.start
        if row.verdict == "good":
            best = healthy["end"].min()
            best_row = healthy.loc[healthy["end"].idxmin()]
            assert row.end <= best + CLOSE_TO_BEST * (best_row["start"] - best) + 1e-12
            assert row.peak <= SPIKE * row.start and row.val_end <= row.val_start and row.end < row.start
        if row.verdict == "too_small":
            assert row.end > healthy["end"].min() or row.end >= row.start  # another rate got further, or no fall
        if row.sign == "bumpy":
            assert row.climbed > BUMPY
        if row.sign == "falling":
            assert row.fall >= MIN_FALL and curves[row.lr][-1] < max(curves[row.lr][-1 - row.trend_epochs :])
        assert math.isfinite(row.start)


def test_still_falling_runs_fall_further_when_trained_on() -> None:
    """Independent of the trend fit: a run called 'still falling' at 10 epochs is lower after 20 (same seed)."""
    bases = [
        RunConfig(dataset="blood_pressure", optimizer="sgd", epochs=10),
        RunConfig(dataset="breast_cancer", optimizer="sgd", epochs=10),
    ]
    called = 0
    for base in bases:
        rates = (0.0003, 0.001, 0.003)
        short = train([base.replace(lr=lr) for lr in rates])
        long = train([base.replace(lr=lr, epochs=20) for lr in rates])
        table = lr_verdicts(short.epochs, short.runs).set_index("lr")
        later = long.epochs[long.epochs["epoch"] == 20].set_index("lr")["train_loss"]
        for lr in table.index[table["sign"] == "falling"]:
            called += 1
            assert later[lr] < table.loc[lr, "end"] * (1 - MIN_FALL) ** 10
    assert called >= 3
