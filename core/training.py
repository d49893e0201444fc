"""train(): the one entry to training. Guards the request, groups runs, picks an engine and builds the frames.

The fast engine (`core.engine`) trains every group of runs that differ only in learning rate and seed as one
vectorised model; the reference engine (`core.reference`) is the article's plain loop, one run at a time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import torch

from core.config import ConfigError, RunConfig
from core.data import load_split
from core.engine import train_together
from core.models import layer_sizes, resolve_loss
from core.reference import train_reference
from core.runlog import RunLog, examples_per_batch, judge

ENGINE_VERSION = "4"  # part of every cache key: bump it when results change
ENGINES = ("fast", "reference")

# Compute guard, in estimated seconds on a 2-core laptop CPU (measured there): a fixed cost per optimizer step plus
# the arithmetic, per example and parameter, of forward and backward passes.
STEP_SECONDS = {"fast": 4.5e-4, "reference": 6e-4}
EXAMPLE_PARAMETER_SECONDS = 1.3e-10
MAX_SECONDS = 30.0

# `diverged` is the verdict on the run's whole record (core.runlog.judge), the same on every row of a run.
EPOCH_COLUMNS = ["run", "lr", "seed", "epoch", "train_loss", "val_loss", "val_accuracy", "diverged"]
STEP_COLUMNS = ["run", "lr", "seed", "step", "epoch", "loss", "lr_applied", "grad_norm"]
# Per run: the verdict and its reason (core.runlog.Divergence), the training loss after the last update, and where
# the run was stopped (empty for a run that was not).
RUN_COLUMNS = [
    "run",
    "lr",
    "seed",
    "diverged",
    "reason",
    "growth",
    "rise_epochs",
    "end_ratio",
    "final_loss",
    "stopped_step",
    "stopped_epoch",
    "stopped_loss",
    "stopped_lr",
]


@dataclass(frozen=True)
class Result:
    """Training records as long pandas frames (plain data: safe to cache and share between sessions)."""

    epochs: pd.DataFrame
    steps: pd.DataFrame
    runs: pd.DataFrame


def resolve_device(name: str) -> str:
    """'auto' means CUDA when available, otherwise the CPU."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("cuda")
    return name


def estimated_seconds(configs: Sequence[RunConfig], engine: str = "fast") -> float:
    """Rough training time of a request; the fast engine pays the per-step cost once for a whole group."""
    total = 0.0
    groups = {c.group_key() for c in configs} if engine == "fast" else configs
    for config in groups:
        split = load_split(config.dataset, config.val_fraction, order=config.order)
        sizes = layer_sizes(config, split, resolve_loss(config, split))
        n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        n = len(split.x_train)
        steps = math.ceil(n / examples_per_batch(config, n)) * config.epochs
        runs = sum(c.group_key() == config for c in configs) if engine == "fast" else 1
        total += steps * STEP_SECONDS[engine] + config.epochs * runs * n * n_params * EXAMPLE_PARAMETER_SECONDS
    return total


def train(
    configs: Sequence[RunConfig], engine: str = "fast", progress: Callable[[float], None] | None = None
) -> Result:
    """Train every config; run i of the result is configs[i]. Raises ConfigError for any bad request."""
    # Models here are tiny: one intra-op thread avoids thread hand-off costs that dwarf the arithmetic, and leaves
    # the other cores to other visitors of the app.
    torch.set_num_threads(1)
    if engine not in ENGINES:
        raise ConfigError("choice", name="engine", value=engine, options=", ".join(ENGINES))
    configs = [c.validated() for c in configs]
    seconds = estimated_seconds(configs, engine)
    if seconds > MAX_SECONDS:
        raise ConfigError("too_big", seconds=seconds, limit=MAX_SECONDS)
    devices = [resolve_device(c.device) for c in configs]
    groups: dict[tuple, list[int]] = {}
    for i, config in enumerate(configs):
        key = (config.group_key(), devices[i]) if engine == "fast" else (i,)
        groups.setdefault(key, []).append(i)
    logs: list[RunLog | None] = [None] * len(configs)
    done = 0.0
    for members in groups.values():
        share = len(members) / len(configs)

        def report(fraction: float, start: float = done, share: float = share) -> None:
            if progress is not None:
                progress(min(1.0, start + share * fraction))

        if engine == "fast":
            group_logs = train_together([configs[i] for i in members], devices[members[0]], report)
        else:
            group_logs = [train_reference(configs[members[0]], devices[members[0]], report)]
        for i, log in zip(members, group_logs, strict=True):
            logs[i] = log
        done += share
    return to_frames(configs, logs)


def to_frames(configs: Sequence[RunConfig], logs: Sequence[RunLog]) -> Result:
    """Long frames from the run logs; each epoch row carries its run's divergence verdict."""
    epoch_rows, step_rows, run_rows = [], [], []
    for run, (config, log) in enumerate(zip(configs, logs, strict=True)):
        head = (run, config.lr, config.seed)
        verdict = judge(log)
        epoch_rows += [(*head, *row, verdict.diverged) for row in log.epochs]
        step_rows += [(*head, *row) for row in log.steps]
        verdict_row = (verdict.diverged, verdict.reason, verdict.growth, verdict.rise_epochs, verdict.end_ratio)
        run_rows.append((*head, *verdict_row, log.final_loss, *(log.stopped or (None, None, None, None))))
    runs = pd.DataFrame(run_rows, columns=RUN_COLUMNS).astype(
        {"stopped_step": "Int64", "stopped_epoch": "Int64", "stopped_loss": float, "stopped_lr": float}
    )
    return Result(
        epochs=pd.DataFrame(epoch_rows, columns=EPOCH_COLUMNS),
        steps=pd.DataFrame(step_rows, columns=STEP_COLUMNS),
        runs=runs,
    )
