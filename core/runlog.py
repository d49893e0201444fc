"""What both engines share: the run log, the explosion bound, seeds, targets, accuracy and the batch size."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from core.config import ConfigError, RunConfig
from core.data import Split

# A run whose loss grows past this many times its starting value (or past this many loss units, whichever is
# larger) has blown up: it is stopped and marked, as a non-finite loss is.
EXPLODE_FACTOR = 1e4


def init_seed(seed: int) -> int:
    """Seed of the generator that draws the initial weights."""
    return 2 * seed


def order_seed(seed: int) -> int:
    """Seed of the generator that shuffles the training data (the DataLoader's generator)."""
    return 2 * seed + 1


def explode_limit(initial_loss: float) -> float:
    """The loss above which a run counts as diverged."""
    return EXPLODE_FACTOR * max(1.0, initial_loss)


def targets(split: Split, loss: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Training and validation labels in the dtype the loss expects (class indices for cross-entropy)."""
    if loss == "ce":
        return split.y_train.long(), split.y_val.long()
    return split.y_train, split.y_val


def accuracy(outputs: torch.Tensor, labels: torch.Tensor, task: str) -> torch.Tensor:
    """Share of correct answers over the last-but-one axis: logit > 0 with one output, arg-max otherwise.

    Regression has no right or wrong answer, so its accuracy is NaN."""
    if task == "regression":
        return torch.full(outputs.shape[:-2], math.nan)
    if outputs.shape[-1] == 1:
        return ((outputs[..., 0] > 0) == (labels > 0.5)).float().mean(-1)
    return (outputs.argmax(-1) == labels).float().mean(-1)


def examples_per_batch(config: RunConfig, n: int) -> int:
    """The number of examples per batch: `n` for the full batch; a batch larger than the data is refused."""
    if config.batch_size == "full":
        return n
    if config.batch_size > n:
        raise ConfigError("batch_too_big", value=config.batch_size, n=n)
    return config.batch_size


@dataclass
class RunLog:
    """What one run recorded: per epoch, per step, and where it diverged (if it did)."""

    epochs: list[tuple[int, float, float, float]] = field(default_factory=list)  # epoch, train, val loss, val acc
    steps: list[tuple[int, int, float, float, float]] = field(default_factory=list)  # step, epoch, loss, lr, |grad|
    diverged: tuple[int, int, float, float] | None = None  # step, epoch, loss, lr
