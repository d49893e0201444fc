"""Optimizer and LR-schedule registry: thin builders over torch.optim and torch.optim.lr_scheduler."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import torch
from torch.optim import lr_scheduler


@dataclass(frozen=True)
class OptimizerSpec:
    """One offered optimizer, declared once: the engines, the code export, the 2-D lessons and the charts read it.

    Every optimizer offered here must update linearly in the learning rate, with a state (momentum, squared-gradient
    averages) that never depends on it: the fast engine steps all runs at LR 1 and scales each run's update by its
    own LR (core/engine.py), and tests/test_engine.py checks it against the reference loop for every row.
    """

    torch_class: str  # the class in torch.optim
    colour: str  # its colour on every chart
    arguments: Mapping[str, object] = field(default_factory=dict)  # fixed arguments besides lr (nesterov=True)
    momentum: bool = False  # takes RunConfig's momentum (and, with nesterov, needs it above 0)
    fused: bool = False  # torch 2.13 has a single-kernel `fused=True` form of it (Adamax, NAdam, RAdam, RMSprop do not)
    surfaces: bool = True  # offered on the 2-D landscapes of the optimizer lesson

    def keywords(self, momentum: float, weight_decay: float | None) -> dict[str, object]:
        """Its arguments besides the parameters and lr; a weight decay of None keeps torch's own default."""
        decay = {} if weight_decay is None else {"weight_decay": weight_decay}
        return {**({"momentum": momentum} if self.momentum else {}), **self.arguments, **decay}

    def code(self, lr: float, momentum: float, weight_decay: float | None) -> str:
        """The line of the exported script that builds it for `model`."""
        knobs = {"lr": lr, **self.keywords(momentum, weight_decay)}
        shown = ", ".join(f"{name}={value!r}" for name, value in knobs.items())
        return f"optimizer = torch.optim.{self.torch_class}(model.parameters(), {shown})"


OPTIMIZER_SPECS: dict[str, OptimizerSpec] = {
    "sgd": OptimizerSpec("SGD", "#e4572e", fused=True),
    "momentum": OptimizerSpec("SGD", "#2e86ab", momentum=True, fused=True),
    "nesterov": OptimizerSpec("SGD", "#6a4c93", {"nesterov": True}, momentum=True, fused=True),
    "rmsprop": OptimizerSpec("RMSprop", "#8c510a"),
    "adagrad": OptimizerSpec("Adagrad", "#8d99ae", fused=True, surfaces=False),
    "adam": OptimizerSpec("Adam", "#17a34a", fused=True),
    "adamw": OptimizerSpec("AdamW", "#b5179e", fused=True),
    "adamax": OptimizerSpec("Adamax", "#d4a017"),
    "nadam": OptimizerSpec("NAdam", "#0f766e"),
}
OPTIMIZERS = tuple(OPTIMIZER_SPECS)
SCHEDULERS = ("none", "step", "exponential", "cosine", "onecycle", "warmup-cosine", "plateau")

# Schedules that torch documents as stepped after every batch; the rest step once per epoch.
PER_BATCH_SCHEDULERS = ("onecycle", "warmup-cosine")
WARMUP_START_FACTOR = 0.01
# A warmup takes at most this share of all steps, so that the cosine decay after it always has room to act.
WARMUP_MAX_SHARE = 0.3


class ScheduleSettings(Protocol):
    """What a schedule reads of a run's settings (a RunConfig has all of it)."""

    scheduler: str
    epochs: int
    step_size: int
    gamma: float
    warmup_epochs: int
    patience: int


def make_optimizer(
    name: str,
    params: Iterable[torch.Tensor],
    lr: float,
    momentum: float = 0.9,
    weight_decay: float | None = None,
    fused: bool = False,
) -> torch.optim.Optimizer:
    """Build one of the offered torch.optim optimizers by its short name, as its row of OPTIMIZER_SPECS says.

    `weight_decay=None` keeps torch's own default (0, or 0.01 for AdamW). `fused=True` asks for torch's
    single-kernel implementation where one exists: same update, fewer operations.
    """
    spec = OPTIMIZER_SPECS.get(name)
    if spec is None:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    fast = {"fused": True} if fused and spec.fused else {}
    return getattr(torch.optim, spec.torch_class)(params, lr=lr, **spec.keywords(momentum, weight_decay), **fast)


def make_scheduler(
    name: str,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    steps_per_epoch: int,
    step_size: int = 10,
    gamma: float = 0.5,
    warmup_epochs: int = 2,
    patience: int = 3,
) -> lr_scheduler.LRScheduler | lr_scheduler.ReduceLROnPlateau | None:
    """Build one of the offered schedules for `optimizer`; None for a constant learning rate."""
    total_steps = max(1, epochs * steps_per_epoch)
    if name == "none":
        return None
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma)
    if name == "exponential":
        return lr_scheduler.ExponentialLR(optimizer, gamma=gamma)
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs))
    if name == "onecycle":
        # Momentum cycling is off so that the schedule changes the learning rate and nothing else.
        lr = optimizer.param_groups[0]["lr"]
        return lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=total_steps, cycle_momentum=False)
    if name == "warmup-cosine":
        warm = warmup_steps(warmup_epochs, steps_per_epoch, total_steps)
        if warm == 0:
            return lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
        return lr_scheduler.SequentialLR(
            optimizer,
            [
                lr_scheduler.LinearLR(optimizer, start_factor=WARMUP_START_FACTOR, total_iters=warm),
                lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps - warm),
            ],
            milestones=[warm],
        )
    if name == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, factor=gamma, patience=patience)
    raise ValueError(f"unknown scheduler {name!r}; choose one of {', '.join(SCHEDULERS)}")


def warmup_steps(warmup_epochs: int, steps_per_epoch: int, total_steps: int) -> int:
    """Steps of linear warmup: the epochs asked for, capped at WARMUP_MAX_SHARE of all steps."""
    return min(warmup_epochs * steps_per_epoch, int(WARMUP_MAX_SHARE * total_steps))


def lr_table(config: ScheduleSettings, steps_per_epoch: int) -> torch.Tensor:
    """The learning rate of every optimizer step [epochs × steps_per_epoch] for `config`'s schedule at base LR 1.

    A real torch scheduler is driven once on a one-parameter stand-in, stepped where torch documents it (after every
    batch for PER_BATCH_SCHEDULERS, after every epoch otherwise). Every schedule but plateau is linear in the base
    LR, so a run at learning rate `lr` applies `lr * table[step]`. Plateau follows the validation loss of a run in
    training, so it has no table: ValueError.
    """
    if config.scheduler == "plateau":
        raise ValueError("the plateau schedule follows the validation loss during training; it has no table")
    stand_in = make_optimizer("sgd", [torch.zeros(1, requires_grad=True)], 1.0)
    scheduler = make_scheduler(
        config.scheduler,
        stand_in,
        config.epochs,
        steps_per_epoch,
        config.step_size,
        config.gamma,
        config.warmup_epochs,
        config.patience,
    )
    per_batch = config.scheduler in PER_BATCH_SCHEDULERS
    table = torch.empty(config.epochs * steps_per_epoch, dtype=torch.float64)
    for step in range(len(table)):
        table[step] = stand_in.param_groups[0]["lr"]
        if scheduler is not None and (per_batch or (step + 1) % steps_per_epoch == 0):
            stand_in.step()  # a no-op (no gradient) that keeps the scheduler's call-order check satisfied
            scheduler.step()
    return table


def schedule_notes(config: ScheduleSettings, steps_per_epoch: int) -> list[tuple[str, dict[str, object]]]:
    """Where the schedule differs from what `config` asks for, as (translation key, params) pairs; [] if nowhere."""
    total = config.epochs * steps_per_epoch
    asked = config.warmup_epochs * steps_per_epoch
    used = warmup_steps(config.warmup_epochs, steps_per_epoch, total)
    if config.scheduler == "warmup-cosine" and used < asked:
        share = f"{WARMUP_MAX_SHARE:.0%}"
        return [("notes.warmup_shortened", {"asked": asked, "used": used, "total": total, "share": share})]
    return []
