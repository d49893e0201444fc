"""The LR-schedule lesson: the applied rate of every step before any training, and what each schedule ended at.

The preview needs no training: every schedule but plateau is a fixed table of factors (core.optim.lr_table, a real
torch scheduler driven once at LR 1) times the peak rate. Plateau halves the rate when the validation loss stops
improving, so its curve exists only once the run has trained.
"""

from __future__ import annotations

import pandas as pd

from core.config import RunConfig
from core.optim import lr_table
from core.runlog import steps_per_epoch


def schedule_preview(configs: list[RunConfig]) -> pd.DataFrame:
    """The learning rate of every step of each config, from its schedule's table: run, step, epoch, lr.

    Plateau runs are left out (their rate depends on training)."""
    frames = []
    for run, config in enumerate(configs):
        if config.scheduler == "plateau":
            continue
        per_epoch = steps_per_epoch(config)
        rates = (config.lr * lr_table(config, per_epoch)).tolist()
        steps = range(len(rates))
        frames.append(
            pd.DataFrame({"run": run, "step": steps, "epoch": [s // per_epoch + 1 for s in steps], "lr": rates})
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["run", "step", "epoch", "lr"])


def schedule_summary(epochs: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """Per run: final training and validation loss, and the spread (std) of the step losses in its last epoch."""
    last = epochs.sort_values(["run", "epoch"]).groupby("run").tail(1).set_index("run")
    final_epoch = steps.groupby("run")["epoch"].transform("max")
    spread = steps[steps["epoch"] == final_epoch].groupby("run")["loss"].std()
    return pd.DataFrame(
        {"train_loss": last["train_loss"], "val_loss": last["val_loss"], "spread": spread.reindex(last.index)}
    ).reset_index()
