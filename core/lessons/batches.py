"""Batch size, epochs and the DataLoader: the counters, each batch's class mix, and the first epoch batch by batch.

- One epoch = one pass over the N training cases in batches of B: ⌈N / B⌉ updates per epoch (the last batch may be
  smaller), ⌈N / B⌉ × epochs updates in all.
- Class-sorted data without shuffling hands the model one class after another: every batch pulls the model toward
  the class it just saw, so the batch loss jumps at each class boundary and the validation accuracy during the first
  epoch swings toward the class just seen. Shuffling mixes every batch. `first_epoch` replays that epoch with the
  article's loop and scores the validation cases after every single update.
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


def shuffle_facts(result: Training, traces: list[pd.DataFrame]) -> dict[str, float]:
    """Sorted-unshuffled (run 0) against shuffled (run 1): the batch-loss spread in epoch 2, the validation
    accuracy halfway through the first epoch (from `first_epoch` traces) and at the end of training."""
    spread = [loss_spread(result.steps[result.steps["run"] == run], epoch=2) for run in (0, 1)]
    half = [float(trace["val_accuracy"].iloc[len(trace) // 2]) for trace in traces]
    final = result.epochs.groupby("run")["val_accuracy"].last()
    return {
        "spread_sorted": spread[0],
        "spread_shuffled": spread[1],
        "half_sorted": half[0],
        "half_shuffled": half[1],
        "final_sorted": float(final[0]),
        "final_shuffled": float(final[1]),
    }


CLOSE = 0.03  # final accuracies this close are called close


def shuffle_findings(facts: dict[str, float]) -> list[tuple[str, dict[str, float]]]:
    """What `shuffle_facts` shows, as (finding, its numbers): the batch-loss spread, halfway, and the end."""
    spread = {"sorted": facts["spread_sorted"], "shuffled": facts["spread_shuffled"]}
    ratio = spread["sorted"] / spread["shuffled"]
    ends = {"sorted": facts["final_sorted"], "shuffled": facts["final_shuffled"]}
    return [
        ("spread_more" if ratio > 1 else "spread_less", spread | {"ratio": ratio}),
        ("halfway", {"sorted": facts["half_sorted"], "shuffled": facts["half_shuffled"]}),
        ("final" if abs(ends["sorted"] - ends["shuffled"]) < CLOSE else "final_apart", ends),
    ]
