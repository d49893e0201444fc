"""Batch counters against len(DataLoader), class mix against the DataLoader's own batches, shuffle effects measured."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from core.config import RunConfig
from core.data import load_split
from core.lessons.batches import (
    class_mix,
    first_epoch,
    loss_spread,
    overfitting_start,
    scaled_lr,
    total_updates,
    updates_per_epoch,
)
from core.runlog import order_seed
from core.training import train

SORTED_DIGITS = RunConfig(dataset="digits", model="linear", optimizer="sgd", lr=0.1, batch_size=32, order="sorted")


@pytest.mark.parametrize("n", [1, 31, 32, 33, 455, 1438])
@pytest.mark.parametrize("batch", [1, 8, 32, 128])
def test_updates_per_epoch_is_the_number_of_batches_the_dataloader_hands_over(n: int, batch: int) -> None:
    loader = DataLoader(TensorDataset(torch.zeros(n)), batch_size=batch)
    assert updates_per_epoch(n, batch) == len(loader) == len(list(loader))
    assert total_updates(n, batch, 7) == 7 * len(loader)


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("dataset", ["digits", "breast_cancer"])
def test_class_mix_counts_the_dataloaders_batches(dataset: str, shuffle: bool) -> None:
    config = RunConfig(dataset=dataset, batch_size=32, order="sorted", shuffle=shuffle, seed=3)
    split = load_split(dataset, order="sorted")
    labels = split.y_train.long()
    loader = DataLoader(
        TensorDataset(labels), batch_size=32, shuffle=shuffle, generator=torch.Generator().manual_seed(order_seed(3))
    )
    mix = class_mix(config, epochs=2)
    for epoch in (1, 2):
        for batch, (batch_labels,) in enumerate(loader):
            step = (epoch - 1) * len(loader) + batch
            counts = mix[mix["step"] == step].set_index("label")["count"].to_dict()
            assert counts == {label: int((batch_labels == label).sum()) for label in batch_labels.unique().tolist()}


def test_regression_has_no_class_mix() -> None:
    assert class_mix(RunConfig(dataset="diabetes")).empty


def test_sorted_unshuffled_batches_hold_one_class_at_a_time() -> None:
    mix = class_mix(SORTED_DIGITS.replace(shuffle=False))
    classes_per_batch = mix.groupby("step")["label"].nunique()
    assert classes_per_batch.max() <= 2  # at most a boundary between two classes
    assert class_mix(SORTED_DIGITS).groupby("step")["label"].nunique().min() >= 5  # shuffled: mixed


def test_without_shuffling_the_first_epoch_learns_one_class_at_a_time() -> None:
    unshuffled, shuffled = first_epoch(SORTED_DIGITS.replace(shuffle=False)), first_epoch(SORTED_DIGITS)
    half = len(shuffled) // 2
    # Halfway through the epoch the unshuffled model has seen only half the digits; the shuffled one has seen all.
    assert shuffled["val_accuracy"].iloc[half] > unshuffled["val_accuracy"].iloc[half] + 0.25
    # It leans toward the class it has just seen far more often than chance (1 in 10) would.
    assert unshuffled["predicted_majority"].mean() > shuffled["predicted_majority"].mean() + 0.04


def test_batch_loss_jumps_more_within_an_epoch_without_shuffling_but_the_end_differs_little() -> None:
    result = train([SORTED_DIGITS.replace(shuffle=False, epochs=5), SORTED_DIGITS.replace(epochs=5)])
    steps = {run: frame for run, frame in result.steps.groupby("run")}
    assert loss_spread(steps[0], epoch=2) > 2 * loss_spread(steps[1], epoch=2)
    final = result.epochs.groupby("run").tail(1).set_index("run")["val_accuracy"]
    assert abs(final[0] - final[1]) < 0.03  # on this easy data set the finished models end up close


def test_linear_scaling_restores_a_larger_batch_until_the_stability_limit() -> None:
    """Digits, MLP, SGD, 3 epochs: 16 → 256 cases per batch at the same rate learns far less; 16× the rate restores
    it; the same 16× applied to a rate that is already large breaks the run."""
    base = RunConfig(dataset="digits", model="mlp", optimizer="sgd", epochs=3)
    small, large = 16, 256
    configs = [
        base.replace(batch_size=small, lr=0.01),
        base.replace(batch_size=large, lr=0.01),
        base.replace(batch_size=large, lr=scaled_lr(0.01, small, large)),
        base.replace(batch_size=small, lr=0.2),
        base.replace(batch_size=large, lr=scaled_lr(0.2, small, large)),
    ]
    final = train(configs).epochs.groupby("run").tail(1).set_index("run")["val_loss"]
    assert final[1] > final[0] + 0.5  # same rate, 16× the batch: 16× fewer updates, far less learned
    assert final[2] == pytest.approx(final[0], abs=0.15)  # the scaled rate catches up
    assert final[4] > 10 * final[3]  # 3.2 is past the stability limit: scaling no longer helps


def test_over_fitting_starts_where_the_validation_loss_turns_up() -> None:
    result = train([RunConfig(dataset="breast_cancer", optimizer="adam", lr=0.01, epochs=60)])
    epochs = result.epochs
    start = overfitting_start(epochs)
    assert start is not None and start < 30
    after = epochs[epochs["epoch"] >= start]
    # From there on the training loss keeps falling while the validation loss ends higher than at the turn.
    assert after["train_loss"].iloc[-1] < after["train_loss"].iloc[0]
    assert after["val_loss"].iloc[-1] > after["val_loss"].iloc[0]
    calm = train([RunConfig(dataset="breast_cancer", optimizer="sgd", lr=0.001, epochs=10)]).epochs
    assert overfitting_start(calm) is None  # still learning: the validation loss is still falling
