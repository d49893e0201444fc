"""Batch size, epochs and the DataLoader: the counters, each batch's class mix, and the first epoch batch by batch.

- One epoch = one pass over the N training cases in batches of B: ⌈N / B⌉ updates per epoch (the last batch may be
  smaller), ⌈N / B⌉ × epochs updates in all.
- Class-sorted data without shuffling hands the model one class after another (label 0 first): most batches hold one
  class, a few straddle the boundary between two, and every batch pulls the model toward the class it just saw.
  Shuffling mixes every batch. `first_epoch` replays that epoch with the article's loop and scores the validation
  cases after every single update.
- What the page says about its runs is picked here from their numbers (`*_findings`, `talking_point`), so that a
  sentence never asserts what the chart does not show.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from core.config import RunConfig
from core.data import load_split
from core.engine import shuffle_orders
from core.reference import set_up
from core.runlog import examples_per_batch
from core.training import Result as Training

# The page's default batch comparison; the shuffling section's runs (digits stored sorted by label, a linear model and
# plain SGD: nothing smooths the pull of the last class seen); the over-fitting section's run and where it ends.
PAGE = RunConfig(dataset="breast_cancer", optimizer="sgd", lr=0.03, epochs=10)
SORTED = RunConfig(
    dataset="digits", model="linear", optimizer="sgd", lr=0.1, batch_size=32, epochs=5, order="sorted"
).validated()  # validated: a linear model has no hidden layers
OVERFIT = RunConfig(dataset="breast_cancer", optimizer="adam", lr=0.01, batch_size=32)
OVERFIT_EPOCHS = 200  # the over-fitting card's length
EARLY_EPOCHS = 5  # about where its validation loss is lowest (epochs 2 to 6 over seeds 0-19)
SPREAD_EPOCH = 2  # the epoch whose batch losses the shuffling section compares: after the first epoch's steep fall
SAME_SPREAD = 1.15  # spreads closer than this factor are "about the same"
CLOSE = 0.03  # accuracies this close are called close
FEW_CASES = 3  # an accuracy change of at most this many validation cases is "a few"


def updates_per_epoch(n: int, batch_size: int) -> int:
    """⌈N / B⌉: the optimizer steps in one pass over N cases in batches of B."""
    return math.ceil(n / batch_size)


def total_updates(n: int, batch_size: int, epochs: int) -> int:
    """⌈N / B⌉ × epochs: the optimizer steps of a whole training run."""
    return updates_per_epoch(n, batch_size) * epochs


def class_mix(config: RunConfig, epochs: int = 1) -> pd.DataFrame:
    """How many cases of each class every batch of the first `epochs` holds: step, epoch, label, count.

    The batches are the ones the DataLoader hands over (same shuffle order as training); a regression target has
    no classes, so it gives an empty frame."""
    config = config.validated()
    split = load_split(config.dataset, config.val_fraction, order=config.order)
    if split.task == "regression":
        return pd.DataFrame(columns=["step", "epoch", "label", "count"])
    n = len(split.y_train)
    size = examples_per_batch(config, n)
    orders = shuffle_orders(n, config.seed, config.shuffle)
    labels = split.y_train.long()
    rows = []
    for epoch in range(epochs):
        order = next(orders)
        for batch, start in enumerate(range(0, n, size)):
            counts = torch.bincount(labels[order[start : start + size]], minlength=split.n_classes)
            step = epoch * updates_per_epoch(n, size) + batch
            rows += [(step, epoch + 1, label, int(count)) for label, count in enumerate(counts.tolist()) if count]
    return pd.DataFrame(rows, columns=["step", "epoch", "label", "count"])


def first_epoch(config: RunConfig) -> pd.DataFrame:
    """The first epoch of `config` one update at a time (the article's loop), scored on the validation cases after
    every update: step, batch_loss, majority (the commonest class in the batch), val_accuracy, and
    predicted_majority (the share of validation cases the model now assigns to that class)."""
    article = set_up(config.validated())
    split, model, criterion, optimizer = article.split, article.model, article.criterion, article.optimizer
    rows = []
    for step, (inputs, labels) in enumerate(article.loader):
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step()
        majority = int(torch.mode(labels.long()).values) if split.task != "regression" else -1
        with torch.no_grad():
            predicted = _predicted_classes(model(split.x_val), split.task)
        accuracy = float((predicted == article.y_val.long()).float().mean()) if predicted is not None else math.nan
        share = float((predicted == majority).float().mean()) if predicted is not None else math.nan
        rows.append((step, loss.item(), majority, accuracy, share))
    return pd.DataFrame(rows, columns=["step", "batch_loss", "majority", "val_accuracy", "predicted_majority"])


def _predicted_classes(outputs: torch.Tensor, task: str) -> torch.Tensor | None:
    """Class picked for each case: logit > 0 with one output, arg-max otherwise; None for regression."""
    if task == "regression":
        return None
    return (outputs[:, 0] > 0).long() if outputs.shape[1] == 1 else outputs.argmax(1)


def loss_spread(steps: pd.DataFrame, epoch: int) -> float:
    """How much the batch loss varies within one epoch: the standard deviation of its step losses."""
    return float(np.std(steps.loc[steps["epoch"] == epoch, "loss"].to_numpy()))


def scaled_lr(lr: float, batch_size: int, new_batch_size: int) -> float:
    """The linear scaling rule (Goyal et al. 2017): k times the batch, k times the learning rate."""
    return lr * new_batch_size / batch_size


# The validation loss must end this share above its lowest value before the turn counts as over-fitting, so that
# the last wobble of a curve that is still flattening out is not called one.
OVERFIT_RISE = 0.05


def overfitting_start(epochs: pd.DataFrame) -> int | None:
    """The epoch of the lowest validation loss, if the validation loss has risen clearly since (else None).

    `epochs` is one run's per-epoch frame (epoch, val_loss). From that epoch on the network fits the quirks of its
    training cases: the training loss keeps falling while the loss on unseen cases rises."""
    curve = epochs.dropna(subset=["val_loss"]).sort_values("epoch")
    if curve.empty:
        return None
    best = curve.loc[curve["val_loss"].idxmin()]
    if curve["val_loss"].iloc[-1] > (1 + OVERFIT_RISE) * best["val_loss"]:
        return int(best["epoch"])
    return None


def batch_configs(base: RunConfig, sizes: list[int | str], n: int, reference: int | None = None) -> list[RunConfig]:
    """`base` once per batch size ("full" = all n cases); with a `reference` batch size, each rate scaled from it."""
    configs = []
    for size in sizes:
        rate = scaled_lr(base.lr, reference, n if size == "full" else size) if reference else base.lr
        configs.append(base.replace(batch_size=size, lr=rate))
    return configs


def progress_frame(epochs: pd.DataFrame, configs: list[RunConfig], n: int) -> pd.DataFrame:
    """The per-epoch frame of runs that differ in batch size, with `updates` and `examples` (cases seen) so far and
    `loss` (the training loss): one row per run and epoch, ready for any of the four x-axes (the frame's own
    `seconds`, wall-clock time since training started, is the fourth)."""
    per_epoch = {run: updates_per_epoch(n, examples_per_batch(config, n)) for run, config in enumerate(configs)}
    return epochs.assign(
        updates=epochs["epoch"] * epochs["run"].map(per_epoch),
        examples=epochs["epoch"] * n,
        loss=epochs["train_loss"],
    )


def last_epochs(curves: pd.DataFrame) -> pd.DataFrame:
    """The last epoch of every run, in run order."""
    return curves.sort_values("epoch").groupby("run").tail(1).sort_values("run")


def halfway_accuracy(trace: pd.DataFrame) -> float:
    """The validation accuracy of a `first_epoch` trace after the update halfway through the epoch."""
    return float(trace["val_accuracy"].iloc[len(trace) // 2])


def classes_met(mix: pd.DataFrame, steps: int) -> int:
    """How many classes the first `steps` batches of a `class_mix` frame held between them."""
    return int(mix.loc[mix["step"] < steps, "label"].nunique())


def batch_classes(mix: pd.DataFrame) -> dict[str, int]:
    """How many classes each batch of one epoch holds: batches, single (one class), fewest and most."""
    per_batch = mix.groupby("step")["label"].nunique()
    return {
        "batches": len(per_batch),
        "single": int((per_batch == 1).sum()),
        "fewest": int(per_batch.min()),
        "most": int(per_batch.max()),
    }


def classes_finding(unshuffled: pd.DataFrame, shuffled: pd.DataFrame) -> tuple[str, dict[str, int]]:
    """How many classes the batches of the two `class_mix` frames hold, as (sentence, its numbers): `classes_single`
    when every unshuffled batch holds one class, `classes` when some straddle a boundary."""
    alone, mixed = batch_classes(unshuffled), batch_classes(shuffled)
    numbers = alone | {
        "mixed": alone["batches"] - alone["single"],
        "shuffled_fewest": mixed["fewest"],
        "shuffled_most": mixed["most"],
    }
    return ("classes_single" if alone["most"] == 1 else "classes"), numbers


def shuffle_facts(result: Training, traces: list[pd.DataFrame], mix: pd.DataFrame) -> dict[str, float]:
    """Sorted-unshuffled (run 0) against shuffled (run 1): the batch-loss spread in SPREAD_EPOCH, the validation
    accuracy halfway through the first epoch (from `first_epoch` traces) and at the end of training, and how many
    classes the unshuffled run had met by halfway (`mix`: its `class_mix`)."""
    spread = [loss_spread(result.steps[result.steps["run"] == run], SPREAD_EPOCH) for run in (0, 1)]
    half = [halfway_accuracy(trace) for trace in traces]
    final = result.epochs.groupby("run")["val_accuracy"].last()
    return {
        "spread_sorted": spread[0],
        "spread_shuffled": spread[1],
        "half_sorted": half[0],
        "half_shuffled": half[1],
        "final_sorted": float(final[0]),
        "final_shuffled": float(final[1]),
        "met": classes_met(mix, len(traces[0]) // 2 + 1),
        "classes": int(mix["label"].nunique()),
    }


def shuffle_findings(facts: dict[str, float]) -> list[tuple[str, dict[str, float]]]:
    """What `shuffle_facts` shows, as (finding, its numbers): the batch-loss spread, halfway, and the end.

    A spread or accuracy named larger is larger in the numbers, and every factor is at least 1."""
    spread = {"sorted": facts["spread_sorted"], "shuffled": facts["spread_shuffled"]}
    ratio = spread["sorted"] / spread["shuffled"] if spread["shuffled"] > 0 else math.inf
    if ratio >= SAME_SPREAD:
        found = [("spread_more", spread | {"ratio": ratio})]
    elif ratio * SAME_SPREAD <= 1:
        found = [("spread_less", spread | {"ratio": 1 / ratio})]
    else:
        found = [("spread_same", spread)]
    half = {"sorted": facts["half_sorted"], "shuffled": facts["half_shuffled"]}
    met = {"met": facts["met"], "classes": facts["classes"]}
    gap = half["shuffled"] - half["sorted"]
    behind = "halfway_behind" if gap > CLOSE else "halfway_ahead" if gap < -CLOSE else "halfway_close"
    partly = "_partly" if met["met"] < met["classes"] else ""
    found.append((behind + partly, half | met))
    ends = {"sorted": facts["final_sorted"], "shuffled": facts["final_shuffled"]}
    found.append(("final" if abs(ends["sorted"] - ends["shuffled"]) < CLOSE else "final_apart", ends))
    return found


def epoch_finding(last: pd.DataFrame, sizes: list[int]) -> tuple[str, dict[str, object]]:
    """Per epoch (the same cases seen), which batch size ended lowest, as (finding, its numbers): `small_ahead` when
    it is the smallest batch, else `small_behind`. `last` is `last_epochs` of the runs, `sizes` their batch sizes
    in run order (the full batch as its number of cases)."""
    finite = last[last["loss"].map(math.isfinite)]
    if finite.empty:
        return "all_stopped", {}
    best = int(finite.loc[finite["loss"].idxmin(), "run"])
    smallest = min(range(len(sizes)), key=lambda run: sizes[run])
    small = last.loc[last["run"] == smallest].iloc[0]
    numbers = {"best": best, "loss": float(finite["loss"].min()), "smallest": smallest, "small_loss": small["loss"]}
    return ("small_ahead" if best == smallest else "small_behind"), numbers


def seconds_per_update(last: pd.DataFrame) -> pd.Series:
    """Wall-clock seconds per optimizer step of each run (its seconds over its updates), by run."""
    return (last["seconds"] / last["updates"]).set_axis(last["run"])


def seconds_finding(last: pd.DataFrame, sizes: list[int]) -> dict[str, object] | None:
    """The measured cost of one update of the largest batch against one of the smallest: run numbers, batch sizes,
    milliseconds per update and their ratio; None with fewer than two sizes or no usable time."""
    if len(set(sizes)) < 2:
        return None
    per_update = seconds_per_update(last)
    small = min(range(len(sizes)), key=lambda run: sizes[run])
    large = max(range(len(sizes)), key=lambda run: sizes[run])
    fast, slow = per_update.get(small, math.nan), per_update.get(large, math.nan)
    if not (math.isfinite(fast) and math.isfinite(slow)) or fast <= 0:
        return None
    return {
        "small": small,
        "large": large,
        "cases": sizes[large] / sizes[small],
        "small_ms": 1000 * fast,
        "large_ms": 1000 * slow,
        "ratio": slow / fast,
    }


def overfit_finding(epochs: pd.DataFrame, n_val: int) -> tuple[str, dict[str, float]] | None:
    """Where over-fitting started and what it did, as (finding, its numbers), or None when it has not started:
    the validation loss at its lowest and at the end (and their ratio), the training loss at the end, and the
    correct validation cases at both epochs. `overconfident` when the accuracy moved by at most FEW_CASES cases while
    the loss rose: the network is not wrong much more often, it is wrong with more confidence."""
    best = overfitting_start(epochs)
    if best is None:
        return None
    curve = epochs.dropna(subset=["val_loss"]).sort_values("epoch")
    low, end = curve.loc[curve["epoch"] == best].iloc[0], curve.iloc[-1]
    right_low, right_end = round(low["val_accuracy"] * n_val), round(end["val_accuracy"] * n_val)
    numbers = {
        "best": best,
        "low": low["val_loss"],
        "last": int(end["epoch"]),
        "end": end["val_loss"],
        "ratio": end["val_loss"] / low["val_loss"],
        "train": end["train_loss"],
        "right_low": right_low,
        "right_end": right_end,
        "cases": abs(right_end - right_low),
        "n": n_val,
    }
    if numbers["cases"] <= FEW_CASES:
        return "overconfident", numbers
    return ("wrong_more" if right_end < right_low else "right_more"), numbers


def talking_point(last: pd.DataFrame, sizes: list[int]) -> tuple[str, dict[str, object]] | None:
    """The lecturer's one sentence about the batch comparison: the smallest and the largest batch after the same
    epochs, their updates and final losses, as (sentence, its numbers); None with a single batch size."""
    if len(set(sizes)) < 2:
        return None
    small = min(range(len(sizes)), key=lambda run: sizes[run])
    large = max(range(len(sizes)), key=lambda run: sizes[run])
    rows = last.set_index("run")
    numbers = {
        "small": small,
        "large": large,
        "small_updates": int(rows.loc[small, "updates"]),
        "large_updates": int(rows.loc[large, "updates"]),
        "small_loss": float(rows.loc[small, "loss"]),
        "large_loss": float(rows.loc[large, "loss"]),
    }
    lower = numbers["small_loss"] < numbers["large_loss"]
    return ("fewer_lower" if not lower else "more_lower"), numbers
