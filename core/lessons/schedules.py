"""The LR-schedule lesson: the applied rate of every step before any training, what each schedule ended at, and
what the page says about it, picked from those numbers.

The preview needs no training: every schedule but plateau is a fixed table of factors (core.optim.lr_table, a real
torch scheduler driven once at LR 1) times the peak rate. Plateau lowers the rate when the validation loss stops
improving, so its curve exists only once the run has trained.
"""

from __future__ import annotations

import math

import pandas as pd

from core.config import RunConfig
from core.optim import lr_table
from core.runlog import steps_per_epoch

# The page's default: blood pressure, a 64-32 network, plain SGD at a high constant rate that keeps the loss bouncing
# above its floor. Here the fast engine, the reference loop and the exported script agree to 1e-6 on every epoch
# (tests/test_schedule_lessons.py), and a decaying rate ends lower on every seed measured (core.claims.SCHEDULES).
PAGE = RunConfig(
    dataset="blood_pressure",
    hidden=(64, 32),
    optimizer="sgd",
    lr=0.3,
    epochs=10,
    step_size=3,
    gamma=0.5,
    warmup_epochs=1,
    patience=2,
)
PAGE_SCHEDULES = ("none", "step", "cosine", "warmup-cosine")
# Final losses closer than this factor are "about the same"; batch-loss spreads closer than SAME_SPREAD likewise.
SAME_LOSS = 1.02
SAME_SPREAD = 1.1


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


def plateau_cut_after(patience: int) -> int:
    """How many epochs in a row without a new best validation loss make ReduceLROnPlateau lower the rate: torch counts
    such epochs and cuts once the count exceeds `patience`, so patience + 1 (then the count starts again)."""
    return patience + 1


def ratio_word(value: float, other: float, same: float) -> tuple[str, float]:
    """How `value` compares with `other`: ("lower" | "higher" | "same", the factor between them, never below 1)."""
    if value * same < other:
        return "lower", other / value if value > 0 else math.inf
    if value > other * same:
        return "higher", value / other if other > 0 else math.inf
    return "same", 1.0


def against_constant(row: pd.Series, constant: pd.Series) -> list[tuple[str, dict[str, float]]]:
    """What one schedule's final training loss and last-epoch spread say against the constant rate's, as
    (sentence, its numbers): the loss sentence, then the spread sentence when both spreads were measured."""
    loss, factor = ratio_word(row["train_loss"], constant["train_loss"], SAME_LOSS)
    found = [(f"loss_{loss}", {"loss": row["train_loss"], "constant": constant["train_loss"], "factor": factor})]
    if row["spread"] > 0 and constant["spread"] > 0:
        spread, factor = ratio_word(row["spread"], constant["spread"], SAME_SPREAD)
        found.append((f"spread_{spread}", {"factor": factor}))
    return found


def talking_point(summary: pd.DataFrame, codes: list[str]) -> tuple[str, dict[str, object]]:
    """The lecturer's one sentence about this run, as (sentence, its numbers): the schedule that ended lowest, and
    by what factor against the constant rate when the constant rate ran too."""
    finite = summary[summary["train_loss"].map(math.isfinite)]
    if finite.empty:
        return "all_stopped", {}
    best = finite.loc[finite["train_loss"].idxmin()]
    numbers: dict[str, object] = {"best": codes[int(best["run"])], "loss": float(best["train_loss"])}
    if "none" not in codes:
        return "lowest", numbers
    constant = summary.loc[summary["run"] == codes.index("none")].iloc[0]
    if not math.isfinite(constant["train_loss"]):
        return "constant_stopped", numbers
    word, factor = ratio_word(float(best["train_loss"]), float(constant["train_loss"]), SAME_LOSS)
    if word != "lower":  # the constant rate itself, or a schedule within SAME_LOSS of it
        return "constant_lowest", {"loss": float(constant["train_loss"])}
    return "beats_constant", {**numbers, "constant": float(constant["train_loss"]), "factor": factor}
