"""The lab's plain logic: a run history in a short text form, knobs that differ, seed bands, grids, confusion."""

from __future__ import annotations

import dataclasses
import io
import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import torch

from core import sweep
from core.config import ConfigError, RunConfig, format_param
from core.data import Dataset, split_of
from core.optim import OPTIMIZERS
from core.reference import set_up, train_reference
from core.runlog import examples_per_batch
from core.training import check_size

MAX_RUNS = 12
SEEDS = 5
DEFAULT_TEXT = "default"  # the run that changes nothing: an empty text would vanish from a link
HIDDEN_MARK = "~"  # a hidden run keeps its place in the link with this mark in front
KNOB_NAMES = tuple(field.name for field in dataclasses.fields(RunConfig))
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


# Uploaded sweep tables. `python -m core sweep` writes about 200 bytes a run as CSV (194 measured on a four-run grid)
# and less as Parquet; a lecture's sweep has hundreds to a few thousand runs (the README's grid: 288). 10,000 runs
# hold a seed-by-seed sweep of a large grid; core.sweep.MAX_RUNS (100,000) is the command line's cap, for clusters,
# and a table that long is not one a class reads. Everything is checked before the data is decoded: Parquet's
# compression turns a 0.5 MB file into 5 million rows, and one cell into gigabytes.
SWEEP_MAX_BYTES = 3_000_000  # 10,000 CSV rows of up to 300 bytes
SWEEP_MAX_RUNS = 10_000
SWEEP_MAX_COLUMNS = 100  # a sweep table has 29; a wider header is refused before it is parsed
SWEEP_MAX_UNPACKED = 16_000_000  # Parquet: the columns' bytes once decompressed (10,000 runs need about 3 MB)
SWEEP_MAX_CELL = 200  # characters: a setting or a divergence reason is a few words
SWEEP_MAX_AXIS = 40  # learning rates, and rows (batch size × optimizer), of a heat map that can be read and clicked
NAMED = 8  # at most this many names from a file in one message
TEXT_KINDS = (pa.types.is_string, pa.types.is_large_string)
PLAIN_KINDS = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean, pa.types.is_null, *TEXT_KINDS)


def read_sweep(data: bytes, name: str) -> pd.DataFrame:
    """A sweep table (`python -m core sweep` output) from an uploaded CSV or Parquet file; SweepTableError if not."""
    if len(data) > SWEEP_MAX_BYTES:
        raise SweepTableError("too_many_bytes", size=f"{len(data) / 1e6:.1f}", limit=SWEEP_MAX_BYTES // 1_000_000)
    table = _read_parquet(data) if name.lower().endswith(".parquet") else _read_csv(data)
    if table.empty:
        raise SweepTableError("no_runs")
    return table


def _read_csv(data: bytes) -> pd.DataFrame:
    """A sweep table's CSV, its width checked on the header line and at most SWEEP_MAX_RUNS + 1 rows parsed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SweepTableError("unreadable") from None
    if text.split("\n", 1)[0].count(",") >= SWEEP_MAX_COLUMNS:  # pandas would build every column first
        raise SweepTableError("too_many_columns", limit=SWEEP_MAX_COLUMNS)
    try:
        table = sweep.read_table(io.StringIO(text), rows=SWEEP_MAX_RUNS + 1)
    except ValueError:  # not CSV, or no header (pandas' parser errors are ValueErrors)
        raise SweepTableError("unreadable") from None
    _check_columns([str(column) for column in table.columns])
    if len(table) > SWEEP_MAX_RUNS:
        raise SweepTableError("too_many_runs", limit=SWEEP_MAX_RUNS)
    texts = table.select_dtypes(exclude=["number", "bool"])  # what pandas did not read as numbers
    _check_cells({column: max(map(len, map(str, texts[column].dropna())), default=0) for column in texts})
    return table


def _read_parquet(data: bytes) -> pd.DataFrame:
    """A sweep table's Parquet file: its footer checked (columns, types, runs, unpacked size) before any data is read,
    its text read as dictionaries so that the longest cell is known before a single one is decoded."""
    try:
        footer = pq.ParquetFile(pa.BufferReader(data))
        schema = footer.schema_arrow
    except (pa.ArrowException, OSError, ValueError):  # not Parquet; pyarrow raises these for a broken footer
        raise SweepTableError("unreadable") from None
    if len(schema) > SWEEP_MAX_COLUMNS:
        raise SweepTableError("too_many_columns", limit=SWEEP_MAX_COLUMNS)
    _check_columns(schema.names)
    kinds = {
        field.name: field.type.value_type if pa.types.is_dictionary(field.type) else field.type for field in schema
    }
    odd = [name for name, kind in kinds.items() if not any(test(kind) for test in PLAIN_KINDS)]
    if odd:
        raise SweepTableError("column_types", count=len(odd), columns=tuple(odd[:NAMED]))
    meta = footer.metadata
    if meta.num_rows > SWEEP_MAX_RUNS:
        raise SweepTableError("too_many_runs", limit=SWEEP_MAX_RUNS)
    if sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)) > SWEEP_MAX_UNPACKED:
        raise SweepTableError("unpacks_too_large", limit=SWEEP_MAX_UNPACKED // 1_000_000)
    texts = [name for name, kind in kinds.items() if any(test(kind) for test in TEXT_KINDS)]
    try:
        arrow = pq.ParquetFile(pa.BufferReader(data), read_dictionary=texts).read()
    except (pa.ArrowException, OSError, ValueError):  # pages that do not match the footer
        raise SweepTableError("unreadable") from None
    _check_cells({name: _longest(arrow.column(name)) for name in texts})
    plain = [
        pc.cast(column, column.type.value_type) if pa.types.is_dictionary(column.type) else column
        for column in arrow.columns
    ]
    return pa.table(plain, names=arrow.column_names).to_pandas()


def _longest(column: pa.ChunkedArray) -> int:
    """The most characters in one cell of a text column read as dictionaries (only the dictionaries are measured)."""
    return max((pc.max(pc.utf8_length(chunk.dictionary)).as_py() or 0 for chunk in column.chunks), default=0)


def _check_columns(names: list[str]) -> None:
    """Refuse a table without every column of a sweep table, with others, or with one twice."""
    doubled = tuple(sorted({name for name in names if names.count(name) > 1}))
    if doubled:
        raise SweepTableError("duplicate_columns", columns=doubled[:NAMED])
    missing = tuple(name for name in sweep.COLUMNS if name not in names)
    if missing:
        raise SweepTableError("missing_columns", count=len(missing), columns=missing[:NAMED])
    unknown = tuple(name for name in names if name not in sweep.COLUMNS)
    if unknown:
        raise SweepTableError("unknown_columns", count=len(unknown), columns=unknown[:NAMED])


def _check_cells(longest: dict[str, int]) -> None:
    """Refuse a table whose text columns hold a cell longer than SWEEP_MAX_CELL (`longest`: characters by column)."""
    long = tuple(name for name, size in longest.items() if size > SWEEP_MAX_CELL)
    if long:
        raise SweepTableError("long_cells", columns=long, limit=SWEEP_MAX_CELL)


def sweep_cells(table: pd.DataFrame) -> pd.DataFrame:
    """A sweep table as grid cells (learning rate × batch size × optimizer), when it holds one run per cell.

    SweepTableError names the other knobs that vary (seeds, schedules ...): a cell would hold several runs; and
    what a heat map cannot draw: learning rates that are not positive numbers, optimizers this version does not know,
    more rates or rows than can be read.
    """
    cells = ["lr", "batch_size", "optimizer"]
    varying = tuple(name for name in KNOB_NAMES if name not in cells and table[name].nunique() > 1)
    if varying:
        raise SweepTableError("several_per_cell", knobs=varying)
    lrs = pd.to_numeric(table["lr"], errors="coerce")
    if not (np.isfinite(lrs) & (lrs > 0)).all():
        raise SweepTableError("bad_lr")
    optimizers = table["optimizer"].astype(str)
    unknown = tuple(sorted(set(optimizers) - set(OPTIMIZERS)))
    if unknown:
        raise SweepTableError("unknown_optimizers", count=len(unknown), names=unknown[:NAMED], known=OPTIMIZERS)
    batches = table["batch_size"].astype(str)
    rates, rows = lrs.nunique(), len(set(zip(batches, optimizers, strict=True)))
    if rates > SWEEP_MAX_AXIS or rows > SWEEP_MAX_AXIS:
        raise SweepTableError("too_many_cells", lrs=rates, rows=rows, limit=SWEEP_MAX_AXIS)
    finished = pd.to_numeric(table["last_epoch"], errors="coerce") == pd.to_numeric(table["epochs"], errors="coerce")
    grid = pd.DataFrame(
        {
            "lr": lrs,
            "batch_size": batches,
            "optimizer": optimizers,
            "val_loss": pd.to_numeric(table["val_loss"], errors="coerce").where(finished),  # a stopped run: no loss
            "diverged": table["diverged"].astype(str).str.lower().isin(["true", "1"]),
            "reason": table["reason"].astype(str).where(table["reason"].notna(), ""),
        }
    )
    return with_best(grid)


def sweep_base(table: pd.DataFrame) -> RunConfig:
    """The settings a sweep table's runs share, read from its first row (the grid cells vary lr, batch and optimizer).

    ConfigError when they cannot be trained here (runs on the user's own CSV, a value this version does not know).
    """
    return RunConfig.from_params({name: str(table[name].iloc[0]) for name in sweep.FIELDS}).validated()


def cell_config(base: RunConfig, cell: dict) -> RunConfig:
    """The run a click on a grid cell stands for: `base` with the cell's lr, batch size and optimizer.

    ConfigError when it cannot be trained (a sweep table's cell can hold any value, such as an lr of 1e9)."""
    picked = RunConfig.from_params({name: str(cell.get(name)) for name in ("lr", "batch_size", "optimizer")})
    return base.replace(lr=picked.lr, batch_size=picked.batch_size, optimizer=picked.optimizer)


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
