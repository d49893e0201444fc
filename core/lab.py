"""The lab's plain logic: a run history in a short text form, knobs that differ, seed bands, grids, confusion."""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Sequence

import pandas as pd
import torch

from core import sweep
from core.config import KNOBS, ConfigError, RunConfig, format_param
from core.data import Dataset, split_of
from core.reference import set_up, train_reference
from core.runlog import examples_per_batch
from core.training import check_size

MAX_RUNS = 12
SEEDS = 5
DEFAULT_TEXT = "default"  # the run that changes nothing: an empty text would vanish from a link
HIDDEN_MARK = "~"  # a hidden run keeps its place in the link with this mark in front
KNOB_NAMES = tuple(KNOBS)
X_AXES = ("epoch", "updates", "examples", "seconds")
UPLOAD = "upload"  # the data set of a run on the user's own table, in the link: the table itself cannot travel


def run_text(config: RunConfig, upload: bool = False) -> str:
    """A run as its change from the defaults, `lr:0.1;batch_size:8` (`dataset:upload` on an upload): link-short."""
    params = {**config.to_params(), "dataset": UPLOAD} if upload else config.to_params()
    return ";".join(f"{name}:{value}" for name, value in params.items()) or DEFAULT_TEXT


def is_upload_text(text: str) -> bool:
    """Whether a run text names a run on an uploaded table."""
    return f"dataset:{UPLOAD}" in text.split(";")


def read_run(text: str) -> RunConfig:
    """The config a run text stands for; ValueError or ConfigError when it is not one."""
    if text == DEFAULT_TEXT:
        return RunConfig()
    pairs = [part.split(":", 1) for part in text.split(";") if part]
    if not pairs or any(len(pair) != 2 or pair[0] not in KNOB_NAMES for pair in pairs):
        raise ValueError(text)
    return RunConfig.from_params(dict(pairs))


def all_params(config: RunConfig) -> dict[str, str]:
    """Every knob of a config as the link writes it, defaults included."""
    return {name: format_param(getattr(config, name)) for name in KNOB_NAMES}


def differing(configs: Sequence[RunConfig]) -> list[set[str]]:
    """For each config, the knobs whose value differs from the first config's."""
    if not configs:
        return []
    first = all_params(configs[0])
    return [{name for name, value in all_params(config).items() if value != first[name]} for config in configs]


def finals(epochs: pd.DataFrame) -> pd.DataFrame:
    """Per run, its last recorded epoch: losses, accuracy and the divergence verdict."""
    last = epochs.sort_values("epoch").groupby("run").tail(1).set_index("run").sort_index()
    return last[["epoch", "train_loss", "val_loss", "val_accuracy", "diverged"]]


def with_x_axes(
    epochs: pd.DataFrame, configs: Sequence[RunConfig], data: Sequence[Dataset | None] | None = None
) -> pd.DataFrame:
    """The epochs frame with the updates and the training examples seen by the end of each epoch.

    `data[i]` is the upload run i trained on (None: the bundled set its config names)."""
    data = data or [None] * len(configs)
    examples = {run: len(split_of(config, data[run]).x_train) for run, config in enumerate(configs)}
    steps = {run: math.ceil(n / examples_per_batch(configs[run], n)) for run, n in examples.items()}
    return epochs.assign(
        updates=epochs["epoch"] * epochs["run"].map(steps), examples=epochs["epoch"] * epochs["run"].map(examples)
    )


def seed_configs(config: RunConfig, seeds: int = SEEDS) -> list[RunConfig]:
    """The same config over `seeds` seeds, from its own seed on (they train together as one vectorised model)."""
    return [config.replace(seed=config.seed + i) for i in range(seeds)]


def seed_band(epochs: pd.DataFrame, metric: str = "val_loss") -> pd.DataFrame:
    """Per epoch, the mean, the lowest and the highest `metric` over the runs (finite values only)."""
    values = epochs[["epoch", metric]].replace([math.inf, -math.inf], math.nan).dropna()
    band = values.groupby("epoch")[metric].agg(mean="mean", low="min", high="max", runs="count")
    return band.reset_index()


def grid_configs(
    base: RunConfig, lrs: Sequence[float], batch_sizes: Sequence[int | str], optimizers: Sequence[str]
) -> list[RunConfig]:
    """Every combination of learning rate, batch size and optimizer on top of `base`."""
    return [
        base.replace(lr=lr, batch_size=batch, optimizer=optimizer)
        for optimizer, batch, lr in itertools.product(optimizers, batch_sizes, lrs)
    ]


def grid_table(configs: Sequence[RunConfig], epochs: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per grid cell: its knobs, final validation loss, verdict and reason; `best` marks the lowest loss.

    A run that was stopped has no final loss; a diverging run cannot be the best.
    """
    last = finals(epochs)
    table = pd.DataFrame(
        {
            "lr": [config.lr for config in configs],
            "batch_size": [format_param(config.batch_size) for config in configs],
            "optimizer": [config.optimizer for config in configs],
            "val_loss": [
                last.loc[run, "val_loss"] if last.loc[run, "epoch"] == config.epochs else math.nan
                for run, config in enumerate(configs)
            ],
            "diverged": runs["diverged"].to_numpy(dtype=bool),
            "reason": runs["reason"].to_numpy(),
        }
    )
    return with_best(table)


def with_best(table: pd.DataFrame) -> pd.DataFrame:
    """The grid table with `best` marking the lowest final validation loss; a diverging run cannot be the best."""
    candidates = table["val_loss"].where(~table["diverged"])
    table["best"] = False
    if candidates.notna().any():
        table.loc[candidates.idxmin(), "best"] = True
    return table


class SweepTableError(ConfigError):
    """A file that is not a sweep table, with what is wrong."""

    topic = "lab.sweep_errors"


def read_sweep(data: bytes, name: str) -> pd.DataFrame:
    """A sweep table (`python -m core sweep` output) from an uploaded CSV or Parquet file; SweepTableError if not."""
    try:
        if name.lower().endswith(".parquet"):
            table = pd.read_parquet(io.BytesIO(data))
        else:
            table = sweep.read_table(io.StringIO(data.decode("utf-8-sig")))
    except (ValueError, OSError):  # undecodable, not CSV, not Parquet (pandas and pyarrow raise ValueErrors)
        raise SweepTableError("unreadable") from None
    missing = tuple(name for name in sweep.COLUMNS if name not in table.columns)
    if missing:
        raise SweepTableError("missing_columns", columns=missing)
    if table.empty:
        raise SweepTableError("no_runs")
    return table


def sweep_cells(table: pd.DataFrame) -> pd.DataFrame:
    """A sweep table as grid cells (learning rate × batch size × optimizer), when it holds one run per cell.

    SweepTableError names the other knobs that vary (seeds, schedules ...): a cell would hold several runs.
    """
    cells = ["lr", "batch_size", "optimizer"]
    varying = tuple(name for name in KNOB_NAMES if name not in cells and table[name].nunique() > 1)
    if varying:
        raise SweepTableError("several_per_cell", knobs=varying)
    lrs = pd.to_numeric(table["lr"], errors="coerce")
    finished = pd.to_numeric(table["last_epoch"], errors="coerce") == pd.to_numeric(table["epochs"], errors="coerce")
    grid = pd.DataFrame(
        {
            "lr": lrs,
            "batch_size": table["batch_size"].astype(str),
            "optimizer": table["optimizer"].astype(str),
            "val_loss": pd.to_numeric(table["val_loss"], errors="coerce").where(finished),  # a stopped run: no loss
            "diverged": table["diverged"].astype(str).str.lower().isin(["true", "1"]),
            "reason": table["reason"].fillna("").astype(str),
        }
    )
    if grid["lr"].isna().any():
        raise SweepTableError("bad_lr")
    return with_best(grid)


def sweep_base(table: pd.DataFrame) -> RunConfig:
    """The settings a sweep table's runs share, read from its first row (the grid cells vary lr, batch and optimizer).

    ConfigError when they cannot be trained here (runs on the user's own CSV, a value this version does not know).
    """
    return RunConfig.from_params({name: str(table[name].iloc[0]) for name in sweep.FIELDS}).validated()


def confusion(config: RunConfig, data: Dataset | None = None) -> pd.DataFrame:
    """Train the one run with the article's loop (on `data` when given); count validation cases by class."""
    config = config.validated()
    check_size([config], "reference", data)
    article = set_up(config, data=data)
    train_reference(config, data=data, article=article)
    with torch.no_grad():
        outputs = article.model(article.x_val)
    predicted = (outputs[:, 0] > 0).long() if outputs.shape[1] == 1 else outputs.argmax(1)
    truth = article.y_val.long()
    classes = range(article.split.n_classes)
    counts = [
        {"true": a, "predicted": b, "count": int(((truth == a) & (predicted == b)).sum())}
        for a in classes
        for b in classes
    ]
    return pd.DataFrame(counts)


def run_table(configs: Sequence[RunConfig], labels: Sequence[str], epochs: pd.DataFrame) -> pd.DataFrame:
    """One row per run: its label, the knobs that are not all at their defaults, and its final numbers."""
    knobs = pd.DataFrame([all_params(config) for config in configs])
    defaults = all_params(RunConfig())
    kept = [name for name in KNOB_NAMES if knobs[name].nunique() > 1 or knobs[name].iloc[0] != defaults[name]]
    last = finals(epochs).reset_index(drop=True)[["train_loss", "val_loss", "val_accuracy", "diverged"]]
    return pd.concat([pd.DataFrame({"run": list(labels)}), knobs[kept], last], axis=1)
