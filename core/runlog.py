"""What both engines share: the run log, the stop bound, the divergence verdict, seeds, targets, accuracy, batches."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

from core.config import ConfigError, RunConfig
from core.data import Split, load_split
from core.i18n import keys, t

# A run is stopped only when it can no longer be followed: its loss is not a finite number, or it passed this many
# times its start (or this many loss units, whichever is larger). Why 10¹²: float32 ends at 3.4×10³⁸, and a run this
# far gone multiplies its loss by orders of magnitude per step (SGD at LR 1 on blood pressure: 4×10¹¹, then 3×10³⁴
# one step later), so it is a step or two from inf and NaN; and a log axis over more than 12 decades flattens every
# other curve of the chart.
STOP_FACTOR = 1e12

# Whether a run diverges is a verdict on its whole record (judge): it was stopped, or its loss ended END_FACTOR
# times above its start, or since its lowest point the loss rose by RISE_FACTOR or more over at least RISE_EPOCHS
# epochs, going up in at least RISE_STEADY of them, to above RISE_FLOOR of its start (a sustained geometric rise;
# a spike that recovers is none, nor is a wobble of a loss already near zero).
END_FACTOR = 10.0
RISE_FACTOR = 2.0
RISE_EPOCHS = 5
RISE_STEADY = 0.75
RISE_FLOOR = 0.1


def init_seed(seed: int) -> int:
    """Seed of the generator that draws the initial weights."""
    return 2 * seed


def order_seed(seed: int) -> int:
    """Seed of the generator that shuffles the training data (the DataLoader's generator)."""
    return 2 * seed + 1


def stop_limit(initial_loss: float) -> float:
    """The loss above which a run is stopped: past it, float32 and the charts can no longer follow it."""
    return STOP_FACTOR * max(1.0, initial_loss)


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


def steps_per_epoch(config: RunConfig) -> int:
    """Optimizer steps in one epoch: batches per pass over the training split."""
    n = len(load_split(config.dataset, config.val_fraction, order=config.order).x_train)
    return math.ceil(n / examples_per_batch(config, n))


@dataclass
class RunLog:
    """What one run recorded: per epoch, per step, where it was stopped (if it was), and its loss at the end."""

    # epoch, train loss, val loss, val accuracy, wall-clock seconds since the run (or its group) started training
    epochs: list[tuple[int, float, float, float, float]] = field(default_factory=list)
    steps: list[tuple[int, int, float, float, float]] = field(default_factory=list)  # step, epoch, loss, lr, |grad|
    stopped: tuple[int, int, float, float] | None = None  # step, epoch, loss, lr
    final_loss: float = math.nan  # training loss after the last update (a stopped run has none)


@dataclass(frozen=True)
class Divergence:
    """The verdict on one run; `reason` names its text `divergence.<reason>`, "" for a run that does not diverge."""

    diverged: bool = False
    reason: str = ""
    growth: float = math.nan  # loss factor per epoch during a sustained rise
    rise_epochs: int = 0
    end_ratio: float = math.nan  # loss after the last update / loss at the start


def judge(log: RunLog) -> Divergence:
    """Does the run diverge? Judged on its whole record, including the state after its last update."""
    if log.stopped is not None:
        return Divergence(True, "stopped_bound" if math.isfinite(log.stopped[2]) else "stopped_nan")
    if not math.isfinite(log.final_loss):
        return Divergence(True, "end_nan")
    losses = [row[1] for row in log.epochs]
    start = losses[0]
    end_ratio = log.final_loss / start if start > 0 else math.inf
    lowest = losses.index(min(losses))
    rise = losses[lowest:]
    epochs = len(rise) - 1
    ups = sum(b > a for a, b in zip(rise, rise[1:], strict=False))
    steady = epochs >= RISE_EPOCHS and ups >= RISE_STEADY * epochs
    if steady and rise[-1] >= RISE_FACTOR * rise[0] and rise[-1] > RISE_FLOOR * start:
        growth = (rise[-1] / rise[0]) ** (1 / epochs)
        return Divergence(True, "rising", growth=growth, rise_epochs=epochs, end_ratio=end_ratio)
    ended_above = end_ratio >= END_FACTOR
    return Divergence(ended_above, "ended_above" if ended_above else "", end_ratio=end_ratio)


def divergence_reason(run: Mapping[str, object], lang: str) -> str:
    """The reason a row of the runs frame gives for diverging, as a student reads it ("" when it does not)."""
    reason = run["reason"]
    if not reason:
        return ""
    return t(
        f"divergence.{reason}",
        lang,
        step=run["stopped_step"],
        loss=plain_number(run["stopped_loss"]),
        growth=f"{run['growth']:.3g}",
        epochs=run["rise_epochs"],
        ratio=plain_number(run["end_ratio"]),
        factor=plain_number(STOP_FACTOR),
    )


def reason_in_words(reason: str, lang: str) -> str:
    """A divergence code of a sweep table ("rising" ...) as a student reads it, without the run's figures.

    A code this app does not write (a table edited by hand) is kept as it is.
    """
    key = f"divergence.short.{reason}"
    return t(key, lang) if reason and key in keys(lang) else reason


def plain_number(value: float) -> str:
    """A number as people write it, with significant digits: 0.5, 700, 12,000, 1.9×10¹¹, 10¹², 3.4×10⁻⁵ (no 'e+11',
    and a small loss never reads 0.0000)."""
    if not math.isfinite(value) or (1e-3 <= abs(value) < 1e5) or value == 0:
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = f"{value / 10**exponent:.2g}"
    power = "10" + str(exponent).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return power if mantissa == "1" else f"{mantissa}×{power}"
