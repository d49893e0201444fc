"""A plain-words verdict per learning rate of a sweep, read off each run's whole record (pure pandas: no Streamlit).

A lecturer reads a loss chart as a whole: did the curve blow up on the way, did it end worse on unseen patients than
it started, does it still fall at the end, does it end near the best curve? Each of these is measured here and kept
beside the verdict (the run's `sign`), so the page says what it saw for each rate, with the numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

VERDICTS = ("too_small", "good", "too_large", "diverging")
# The evidence behind a verdict, one per run: what the page names beside the rate ("" for none beyond the numbers).
SIGNS = ("spiked", "val_spiked", "val_worse", "bumpy", "above_best", "falling", "stalled", "")

# A run is "good" when it ends within this share of the way from the start to the best run's final loss.
CLOSE_TO_BEST = 0.1
# A run whose loss climbed back up by this share of what it had gained is oscillating rather than settling.
BUMPY = 0.15
# An epoch's training loss above this many times the starting loss: the loss rose where it should fall, so the steps
# overshot, even if the run came back. Not less: an epoch's loss is the mean of its batch losses, and a last batch of
# one outlier patient (diabetes in batches of 32: 353 = 11 x 32 + 1) lifts a healthy epoch to 1.2 x its start.
SPIKE = 1.5
# "Still falling": over the last TREND_SHARE of the epochs (at least TREND_POINTS of them), the least-squares slope of
# the log loss is negative by more than TREND_T standard errors, and the fitted fall is at least MIN_FALL per epoch.
TREND_SHARE = 1 / 3
TREND_POINTS = 5
TREND_T = 3.0
MIN_FALL = 0.002

COLUMNS = [
    "run", "lr", "verdict", "sign", "start", "end", "peak", "peak_epoch", "val_start", "val_end", "val_peak",
    "val_peak_epoch", "fall", "falling", "trend_epochs", "climbed", "epoch",
]  # fmt: skip


def trend(losses: np.ndarray) -> tuple[float, bool, int]:
    """The fall per epoch over the last epochs (0.01 = 1 % per epoch), whether it is real, and how many epochs.

    A least-squares line through the log losses of the last TREND_SHARE of the record; the fall is real when the
    slope is negative by more than TREND_T of its standard errors (noise around a flat line gives |t| ≈ 1) and at least
    MIN_FALL per epoch. Too short a record (fewer than TREND_POINTS epochs) has no trend: (nan, False, 0)."""
    count = max(TREND_POINTS, math.ceil(TREND_SHARE * (len(losses) - 1)) + 1)
    if len(losses) < count or not np.all(losses[-count:] > 0):
        return math.nan, False, 0
    y = np.log(losses[-count:])
    x = np.arange(count, dtype=float) - (count - 1) / 2
    slope = float(x @ y / (x @ x))
    residuals = y - y.mean() - slope * x
    spread = math.sqrt(float(residuals @ residuals) / (count - 2) / float(x @ x))
    fall = -math.expm1(slope)
    real = slope < 0 and (spread == 0 or -slope / spread > TREND_T) and fall >= MIN_FALL
    return fall, real, count - 1


def run_signs(curve: pd.DataFrame, metric: str = "train_loss") -> dict[str, object]:
    """What one run's record shows (its epochs in order): start, end, peak, validation, trend, climbing back."""
    values = curve[metric].to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    val = curve["val_loss"].to_numpy(dtype=float) if "val_loss" in curve else np.full(len(values), math.nan)
    start = float(finite[0]) if len(finite) else math.nan
    at, val_at = _peak(values), _peak(val)
    gained = start - float(finite.min()) if len(finite) else 0.0
    climbs = float(np.clip(np.diff(finite), 0, None).sum()) if len(finite) > 1 else 0.0
    fall, falling, epochs = trend(finite)
    return {
        "start": start,
        "end": float(finite[-1]) if len(finite) else math.nan,
        "peak": float(values[at]) if at else math.nan,
        "peak_epoch": int(curve["epoch"].iloc[at]) if at else 0,
        "val_start": float(val[0]),
        "val_end": float(val[-1]),
        "val_peak": float(val[val_at]) if val_at else math.nan,
        "val_peak_epoch": int(curve["epoch"].iloc[val_at]) if val_at else 0,
        "fall": fall,
        "falling": falling,
        "trend_epochs": epochs,
        "climbed": climbs / gained if gained > 0 else 0.0,
        "epoch": int(curve["epoch"].iloc[-1]),
    }


def _peak(values: np.ndarray) -> int:
    """The epoch (index, from 1) of the largest finite value after the start; 0 when there is none."""
    later = np.where(np.isfinite(values[1:]), values[1:], -math.inf) if len(values) > 1 else np.array([])
    return int(later.argmax()) + 1 if len(later) and np.isfinite(later.max()) else 0


def overshot(row: pd.Series) -> str:
    """The sign that a run overshot on its own record, whatever the other runs did: "spiked" (training loss),
    "val_spiked" (validation loss: evaluated on the whole split, it has no batch noise), "val_worse" or ""."""
    if row["peak"] > SPIKE * row["start"]:
        return "spiked"
    if row["val_peak"] > SPIKE * row["val_start"]:
        return "val_spiked"
    if row["val_end"] > row["val_start"]:  # ends worse on the validation patients than where it started
        return "val_worse"
    return ""


def lr_verdicts(epochs: pd.DataFrame, runs: pd.DataFrame, metric: str = "train_loss") -> pd.DataFrame:
    """One row per run (COLUMNS): its verdict (one of VERDICTS), the sign it rests on (one of SIGNS) and the numbers.

    - diverging: the run's own whole-record verdict (the runs frame's `diverged`, from core.runlog.judge);
    - too_large, whatever the others did: an epoch's training or validation loss above SPIKE × its start, or a
      final validation loss above its start;
    - among the rest, the lowest final loss sets the bar (CLOSE_TO_BEST of the way from its start): a larger rate
      that climbs back (BUMPY) or ends above the bar is too large, a smaller one that ends above it too small, and
      so is a run whose loss did not fall at all;
    - good otherwise. "Still falling" is said only where the trend over the last epochs is real (`trend`).
    """
    rows = []
    for run_id, curve in epochs.sort_values("epoch").groupby("run", sort=True):
        signs = run_signs(curve, metric)
        diverged = bool(runs.loc[runs["run"] == run_id, "diverged"].any()) or not math.isfinite(signs["start"])
        rows.append({"run": int(run_id), "lr": float(curve["lr"].iloc[0]), "diverged": diverged, **signs})
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=COLUMNS)
    table["overshot"] = table.apply(overshot, axis=1)
    healthy = table[~table["diverged"] & (table["overshot"] == "")]
    best = healthy.loc[healthy["end"].idxmin()] if not healthy.empty else None

    def judge(row: pd.Series) -> tuple[str, str]:
        if row["diverged"]:
            return "diverging", ""
        if row["overshot"]:
            return "too_large", row["overshot"]
        bar = best["end"] + CLOSE_TO_BEST * (best["start"] - best["end"])
        if row["lr"] > best["lr"] and row["climbed"] > BUMPY:
            return "too_large", "bumpy"
        if row["lr"] > best["lr"] and row["end"] > bar:
            return "too_large", "above_best"
        trend_sign = "falling" if row["falling"] else ("stalled" if row["trend_epochs"] else "")
        if row["end"] > bar or row["end"] >= row["start"]:  # far behind the best, or (the best itself) no fall at all
            return "too_small", trend_sign
        return "good", "falling" if row["falling"] else ""

    table[["verdict", "sign"]] = table.apply(judge, axis=1, result_type="expand")
    return table[COLUMNS]


def judged_runs(epochs: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """`lr_verdicts` of the training loss with each run's own row of the runs frame (its reason, where it stopped)."""
    return lr_verdicts(epochs, runs).merge(runs.drop(columns=["lr"]), on="run")


def largest_trained(judged: pd.DataFrame) -> float | None:
    """The largest rate of a judged sweep (`lr_verdicts`) whose run did not diverge; None if every run diverged."""
    trained = judged.loc[judged["verdict"] != "diverging", "lr"]
    return None if trained.empty else float(trained.max())
