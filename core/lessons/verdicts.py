"""A plain-words verdict per learning rate of a sweep (pure pandas: no Streamlit, testable on its own)."""

from __future__ import annotations

import math

import pandas as pd

VERDICTS = ("too_small", "good", "too_large", "diverging")

# A run is "good" when it ends within this share of the way from the start to the best run's final loss.
CLOSE_TO_BEST = 0.1
# A run whose loss climbed back up by this share of what it had gained is oscillating rather than settling.
BUMPY = 0.15


def lr_verdicts(epochs: pd.DataFrame, runs: pd.DataFrame, metric: str = "train_loss") -> pd.DataFrame:
    """One row per run: run, lr, verdict (one of VERDICTS), start, end (loss) and the epoch reached.

    Judged against the other runs of the same sweep, as a lecturer would read the chart: the best final loss
    sets the bar; slower runs left of it are too small, worse or bumpy runs right of it are too large. Whether a run
    diverges is the verdict on its own whole record (the runs frame's `diverged`, from core.runlog.judge).
    """
    rows = []
    for run_id, curve in epochs.sort_values("epoch").groupby("run", sort=True):
        values = curve[metric].to_numpy(dtype=float)
        finite = values[[math.isfinite(v) for v in values]]
        diverged = bool(runs.loc[runs["run"] == run_id, "diverged"].any()) or len(finite) == 0
        start = float(finite[0]) if len(finite) else math.nan
        end = float(finite[-1]) if len(finite) else math.nan
        climbs = float(pd.Series(finite).diff().clip(lower=0).sum()) if len(finite) > 1 else 0.0
        gained = start - float(finite.min()) if len(finite) else 0.0
        rows.append(
            {
                "run": int(run_id),
                "lr": float(curve["lr"].iloc[0]),
                "diverged": diverged,
                "start": start,
                "end": end,
                "epoch": int(curve["epoch"].iloc[-1]),
                "bumpy": gained > 0 and climbs > BUMPY * gained,
            }
        )
    table = pd.DataFrame(rows, columns=["run", "lr", "diverged", "start", "end", "epoch", "bumpy"])
    healthy = table[~table["diverged"]]
    if healthy.empty:
        table["verdict"] = "diverging"
        return table.drop(columns=["diverged", "bumpy"])
    best = healthy.loc[healthy["end"].idxmin()]
    bar = best["end"] + CLOSE_TO_BEST * (best["start"] - best["end"])

    def verdict(row: pd.Series) -> str:
        if row["diverged"]:
            return "diverging"
        if row["lr"] > best["lr"] and (row["bumpy"] or row["end"] > bar):
            return "too_large"
        if row["end"] > bar:
            return "too_small"
        return "good"

    table["verdict"] = table.apply(verdict, axis=1)
    return table.drop(columns=["diverged", "bumpy"])


def judged_runs(epochs: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """`lr_verdicts` of the training loss with each run's own row of the runs frame (its reason, where it stopped)."""
    return lr_verdicts(epochs, runs).merge(runs.drop(columns=["lr"]), on="run")
