"""train(): the one entry to training. Guards the request, groups runs, picks an engine and builds the frames.

The fast engine (`core.engine`) trains every group of runs that differ only in learning rate and seed as one
vectorised model; the reference engine (`core.reference`) is the article's plain loop, one run at a time.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import torch

from core.config import ConfigError, RunConfig
from core.data import Dataset, split_of
from core.engine import train_together
from core.models import layer_sizes, resolve_loss
from core.optim import PER_BATCH_SCHEDULERS
from core.reference import train_reference
from core.runlog import RunLog, examples_per_batch, judge

ENGINE_VERSION = "5"  # part of every cache key: bump it when results change
ENGINES = ("fast", "reference")

# Compute guard: an upper bound of a request's training time and memory, so that no click can freeze the app or
# exhaust the machine. The cost model, per group of runs trained together (one run per group in the reference):
#   seconds = steps x (STEP + layers x LAYER_STEP)   one optimizer step's fixed cost (tensor dispatch, Python)
#           + steps x runs x RUN_STEP                what each run adds to a step (its step record)
#           + epochs x runs x RUN_EPOCH              what each run adds to an epoch (shuffle, evaluation, records)
#           + examples x runs x parameters x EXAMPLE  forward and backward arithmetic, evaluation included
#           + steps x runs x parameters x PARAMETER  the optimizer's and the update's work on every parameter
#           + steps x runs x SCHEDULE                per-batch schedules (one scheduler object per run)
# where examples = epochs x (training + validation examples). Constants are thread CPU seconds (one torch thread)
# fitted on the 2-core development machine under the load of other work, then raised to bound every measured
# config of benchmarks/guard_fit.py; tests/test_engine.py checks measured <= estimate on a spread of configs.
COSTS = {
    "fast": {
        "STEP": 3e-4,
        "LAYER_STEP": 5e-4,
        "RUN_STEP": 3e-6,
        "RUN_EPOCH": 1.2e-4,
        "EXAMPLE": 3e-10,
        "PARAMETER": 8e-9,
        "SCHEDULE": 8e-5,
    },
    "reference": {
        "STEP": 0,
        "LAYER_STEP": 0,
        "RUN_STEP": 2e-3,
        "RUN_EPOCH": 8e-3,
        "EXAMPLE": 2.5e-9,
        "PARAMETER": 1.5e-8,
        "SCHEDULE": 5e-5,
    },
}
MAX_SECONDS = 30.0
# Memory: per run, its parameters in 6 copies (weights, gradient, update, two optimizer states, the initial draw),
# 3 copies of every layer's values for the largest pass (a batch in training, a whole split in evaluation), 3 index
# copies of the shuffle order, and RECORD_BYTES per recorded step or epoch of each run (Python tuples, then the
# frames: ~450 bytes measured at the peak, 100 runs x 1,000 full-batch epochs).
MAX_BYTES = 1e9
RECORD_BYTES = 600

# `diverged` is the verdict on the run's whole record (core.runlog.judge), the same on every row of a run.
# `seconds` is wall-clock time since the run started training; runs trained together share it.
EPOCH_COLUMNS = ["run", "lr", "seed", "epoch", "train_loss", "val_loss", "val_accuracy", "seconds", "diverged"]
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


@dataclass(frozen=True)
class Workload:
    """What one group of runs trained together costs, in the counts of the cost model."""

    runs: int
    layers: int
    epochs: int
    steps: int
    examples: int
    parameters: int
    widest_pass: int  # examples x layer widths of the largest forward pass, per run
    shuffled: int  # training examples (the length of one shuffle order)
    per_batch_schedule: bool


def workloads(configs: Sequence[RunConfig], engine: str = "fast", data: Dataset | None = None) -> list[Workload]:
    """One workload per group (the fast engine trains runs that differ only in lr and seed together)."""
    configs = [c.validated() for c in configs]
    groups = Counter(c.group_key() for c in configs).items() if engine == "fast" else [(c, 1) for c in configs]
    out = []
    for config, runs in groups:
        split = split_of(config, data)
        sizes = layer_sizes(config, split, resolve_loss(config, split))
        n, n_val = len(split.x_train), len(split.x_val)
        batch = examples_per_batch(config, n)
        out.append(
            Workload(
                runs=runs,
                layers=len(sizes) - 1,
                epochs=config.epochs,
                steps=math.ceil(n / batch) * config.epochs,
                examples=config.epochs * (n + n_val),
                parameters=sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True)),
                widest_pass=max(batch, n, n_val) * sum(sizes),
                shuffled=n,
                per_batch_schedule=config.scheduler in PER_BATCH_SCHEDULERS,
            )
        )
    return out


def cost_counts(w: Workload) -> dict[str, float]:
    """How many times a workload pays each constant of the cost model."""
    run_steps = w.steps * w.runs
    return {
        "STEP": w.steps,
        "LAYER_STEP": w.steps * w.layers,
        "RUN_STEP": run_steps,
        "RUN_EPOCH": w.epochs * w.runs,
        "EXAMPLE": w.examples * w.runs * w.parameters,
        "PARAMETER": run_steps * w.parameters,
        "SCHEDULE": run_steps * w.per_batch_schedule,
    }


def estimated_seconds(configs: Sequence[RunConfig], engine: str = "fast", data: Dataset | None = None) -> float:
    """An upper bound of the training time (thread CPU seconds on the development machine) of a request."""
    cost = COSTS[engine]
    return sum(count * cost[name] for w in workloads(configs, engine, data) for name, count in cost_counts(w).items())


def estimated_bytes(configs: Sequence[RunConfig], engine: str = "fast", data: Dataset | None = None) -> float:
    """An upper bound of the memory a request needs while it trains and for its records."""
    total, peak = 0.0, 0.0
    for w in workloads(configs, engine, data):
        total += w.runs * (w.steps + w.epochs + 1) * RECORD_BYTES  # records accumulate over all groups
        peak = max(peak, w.runs * (4 * (6 * w.parameters + 3 * w.widest_pass) + 8 * 3 * w.shuffled))
    return total + peak


def check_size(configs: Sequence[RunConfig], engine: str = "fast", data: Dataset | None = None) -> None:
    """Refuse a request beyond the guard's time or memory limit, saying what to reduce."""
    seconds = estimated_seconds(configs, engine, data)
    if seconds > MAX_SECONDS:
        raise ConfigError("too_big", seconds=seconds, limit=MAX_SECONDS)
    megabytes = estimated_bytes(configs, engine, data) / 1e6
    if megabytes > MAX_BYTES / 1e6:
        raise ConfigError("too_much_memory", megabytes=megabytes, limit=MAX_BYTES / 1e6)


def train(
    configs: Sequence[RunConfig],
    engine: str = "fast",
    progress: Callable[[float], None] | None = None,
    data: Dataset | None = None,
) -> Result:
    """Train every config; run i of the result is configs[i]. Raises ConfigError for any bad request.

    With `data` (an upload) every run trains on it instead of the bundled set its `dataset` field names."""
    # Models here are tiny: one intra-op thread avoids thread hand-off costs that dwarf the arithmetic, and leaves
    # the other cores to other visitors of the app.
    torch.set_num_threads(1)
    if engine not in ENGINES:
        raise ConfigError("choice", name="engine", value=engine, options=", ".join(ENGINES))
    configs = [c.validated() for c in configs]
    check_size(configs, engine, data)
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
            group_logs = train_together([configs[i] for i in members], devices[members[0]], report, data)
        else:
            group_logs = [train_reference(configs[members[0]], devices[members[0]], report, data)]
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
