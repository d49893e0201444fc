"""Sweeps: a grid file of RunConfig knobs -> one table row per run, trained in this process or as Ray tasks.

A grid names RunConfig fields (the one vocabulary of URLs and flags) with a list of values each, in the same string
form (`batch_size = ["1", "32", "full"]`; TOML or JSON numbers and booleans are accepted too); the product of the
lists is the set of runs. Runs that differ only in lr and seed form a group and train as one vectorised model; a
group is the unit of work, and shares nothing with another, so on Ray each group is one task.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import math
import os
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

import pandas as pd

from core.config import ConfigError, RunConfig, format_param
from core.training import check_size, resolve_device, train

FIELDS = [f.name for f in dataclasses.fields(RunConfig)]
# Per run: its settings in the flat string form (RunConfig.from_params reads them back), then its figures at the
# last epoch it completed, the training loss after its last update, and the divergence verdict with its reason.
RESULT_COLUMNS = ["last_epoch", "train_loss", "val_loss", "val_accuracy", "final_loss", "diverged", "reason"]
COLUMNS = ["run", *FIELDS, *RESULT_COLUMNS]
TEXT_COLUMNS = [*FIELDS, "reason"]
GRID_SUFFIXES = (".toml", ".json")
TABLE_SUFFIXES = (".csv", ".parquet")
MAX_RUNS = 100_000
MAX_GRID_BYTES = 100_000
# A Ray address is tried before Ray starts here: a TCP connection, then Ray's own connection in a child process that
# is stopped when it takes too long (Ray itself retries an unreachable cluster for many minutes, warning all along).
CONNECT_SECONDS = 5.0
RAY_TRIAL_SECONDS = 20.0
RAY_TRIAL = (
    "import logging, sys, ray\n"
    "ray.init(address=sys.argv[1], include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)\n"
    "ray.shutdown()\n"
)
# Ray's own waits, cut for the trial: one attempt, with connections given a few seconds (names of Ray 2.60).
RAY_TRIAL_ENV = {
    "RAY_gcs_server_port_wait_time_s": "1",
    "RAY_gcs_rpc_server_connect_timeout_s": "3",
    "RAY_py_gcs_connect_timeout_s": "5",
}


class SweepError(ConfigError):
    """A grid file that cannot be read as a grid, or a sweep that Ray could not run."""

    topic = "cli.sweep_errors"


def read_grid(path: str) -> dict[str, list[str]]:
    """The lists of a TOML or JSON grid file, each value in the flat string form; SweepError for a bad file."""
    suffix = Path(path).suffix.lower()
    if suffix not in GRID_SUFFIXES:
        raise SweepError("suffix", path=path, suffixes=GRID_SUFFIXES)
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_GRID_BYTES + 1)
    except OSError as err:
        raise SweepError("unreadable", path=path, reason=err.strerror or err) from None
    if len(data) > MAX_GRID_BYTES:
        raise SweepError("too_large", path=path, limit=MAX_GRID_BYTES)
    try:
        text = data.decode("utf-8")
        grid = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
    # ValueError: not UTF-8, not TOML or JSON, or an integer beyond Python's 4300 digits (which both parsers raise).
    except (ValueError, RecursionError) as err:
        raise SweepError("syntax", path=path, reason=_first_line(err)) from None
    if not isinstance(grid, dict) or not grid:
        raise SweepError("not_a_table", path=path)
    return {name: _values(name, values) for name, values in grid.items()}


def _values(name: object, values: object) -> list[str]:
    if name not in FIELDS:
        raise SweepError("unknown_key", name=name, keys=tuple(FIELDS))
    if not isinstance(values, list) or not values:
        raise SweepError("not_a_list", name=name)
    if not all(isinstance(value, str | int | float) for value in values):  # bool is an int
        raise SweepError("bad_value", name=name)
    return [format_param(value) if isinstance(value, bool) else str(value) for value in values]


def grid_configs(grid: dict[str, list[str]]) -> list[RunConfig]:
    """Every combination of the grid's values, as validated RunConfigs, in the order of the lists."""
    size = math.prod(len(values) for values in grid.values())
    if size > MAX_RUNS:
        raise SweepError("too_many_runs", runs=size, limit=MAX_RUNS)
    return [
        RunConfig.from_params(dict(zip(grid, combination, strict=True)))
        for combination in itertools.product(*grid.values())
    ]


def groups(configs: Sequence[RunConfig]) -> list[list[int]]:
    """Indices of the runs that differ only in lr and seed, together: each group trains as one vectorised model."""
    together: dict[RunConfig, list[int]] = {}
    for i, config in enumerate(configs):
        together.setdefault(config.group_key(), []).append(i)
    return list(together.values())


def train_group(configs: Sequence[RunConfig]) -> pd.DataFrame:
    """Train one group and summarise each run as one row of the sweep table (what a Ray task runs)."""
    result = train(configs)
    last = result.epochs.groupby("run").last()
    rows = []
    for run, config in enumerate(configs):
        at_end, verdict = last.loc[run], result.runs.loc[run]
        settings = [format_param(getattr(config, name)) for name in FIELDS]
        figures = [at_end["epoch"], at_end["train_loss"], at_end["val_loss"], at_end["val_accuracy"]]
        rows.append([run, *settings, *figures, verdict["final_loss"], verdict["diverged"], verdict["reason"]])
    return pd.DataFrame(rows, columns=COLUMNS)


def sweep(
    configs: Sequence[RunConfig],
    ray_address: str | None = None,
    on_ray: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """The sweep table of `configs`: one row per run, in their order, whichever executor trains the groups.

    In this process by default; `on_ray` runs one Ray task per group, on the cluster at `ray_address` (host:port or
    "auto", tried first: SweepError within about half a minute when no cluster answers) or on a Ray instance started
    here when it is None. `progress(done, total)` counts finished groups.
    """
    address = checked_ray_address(ray_address) if on_ray else None
    if address is not None:  # before the guard reads any data: a cluster that is not there fails first
        check_ray_cluster(address)
    members = groups(configs)
    work = [[configs[i] for i in group] for group in members]
    for group in work:  # refuse the sweep before any training: a group beyond the guard, its data or this machine
        check_size(group)
        resolve_device(group[0].device)
    tables = _on_ray(work, address, progress) if on_ray else _in_process(work, progress)
    table = pd.concat(tables, ignore_index=True)
    table["run"] = [i for group in members for i in group]  # from the place in its group to the place in the grid
    return table.sort_values("run").reset_index(drop=True)


def _in_process(work: list[list[RunConfig]], progress: Callable[[int, int], None] | None) -> list[pd.DataFrame]:
    tables = []
    for group in work:
        tables.append(train_group(group))
        if progress is not None:
            progress(len(tables), len(work))
    return tables


def checked_ray_address(text: str | None) -> str | None:
    """The address of `--ray`, checked before Ray starts: None (start Ray here), "auto", or host:port; else SweepError.

    The port is 1 to 65535; the host is a name or an address, an IPv6 one in brackets."""
    if not text:
        return None
    if text == "auto":
        return text
    host, _, port = text.rpartition(":")
    name = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    port_ok = port.isascii() and port.isdigit() and 1 <= int(port) <= 65535
    if not (port_ok and name and name.isprintable() and not any(c.isspace() or c in "[]/@" for c in name)):
        raise SweepError("ray_address", address=text)
    return text


def check_ray_cluster(address: str) -> None:
    """SweepError unless a Ray cluster answers at `address` ("auto" or host:port) within about half a minute."""
    if address != "auto":
        _check_connection(address)
    command = [sys.executable, "-c", RAY_TRIAL, address]
    try:
        trial = subprocess.run(
            command, env={**os.environ, **RAY_TRIAL_ENV}, capture_output=True, text=True, timeout=RAY_TRIAL_SECONDS
        )
    except subprocess.TimeoutExpired:
        raise SweepError("ray_silent", address=address, seconds=RAY_TRIAL_SECONDS) from None
    if trial.returncode != 0:
        raise SweepError("ray_unreachable", address=address, reason=_ray_said(trial.stderr) or trial.returncode)


def _ray_said(stderr: str) -> str:
    """Ray's reason in a failed trial's standard error: its core's last warning, else the exception's line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    logged = [line.split("] ", 1)[1] for line in lines if line.startswith("[") and "] " in line]
    said = logged[-1].split(": ", 1)[-1] if logged else lines[-1] if lines else ""
    return said[:300].rstrip(".")


def _check_connection(address: str) -> None:
    """SweepError unless a TCP connection to host:port opens within CONNECT_SECONDS."""
    host, _, port = address.rpartition(":")
    opened: list[bool] = []
    failed: list[Exception] = []

    def connect() -> None:
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS).close()
            opened.append(True)
        except (OSError, UnicodeError, ValueError) as err:  # refused, unreachable, unknown name, a name IDNA refuses
            failed.append(err)

    # In a thread: a name lookup has no timeout of its own, and an offline laptop may wait long for its answer.
    attempt = threading.Thread(target=connect, daemon=True)
    attempt.start()
    attempt.join(CONNECT_SECONDS)
    if failed:
        reason = getattr(failed[0], "strerror", None) or _first_line(failed[0])
        raise SweepError("ray_unreachable", address=address, reason=reason)
    if not opened:
        raise SweepError("ray_silent", address=address, seconds=CONNECT_SECONDS)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Standard error (file descriptor 2, where Ray's C++ core writes) sent to the null device meanwhile."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _on_ray(
    work: list[list[RunConfig]], address: str | None, progress: Callable[[int, int], None] | None
) -> list[pd.DataFrame]:
    """One Ray task per group; the `core` package travels with the job, so a cluster needs only its requirements."""
    import logging

    import ray

    import core

    try:
        with _quiet_stderr():  # Ray's warnings while it starts or connects: a failure is the one line below
            ray.init(
                address=address or "local",  # without an address, a new instance: never a cluster left from before
                runtime_env={"py_modules": [core]},
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.ERROR,
            )
        task = ray.remote(train_group)
        # Ray hides the GPUs from a task that asks for none: a group that trains on CUDA here asks for one.
        gpus = [int(resolve_device(group[0].device) == "cuda") for group in work]
        futures = [task.options(num_gpus=n).remote(group) for n, group in zip(gpus, work, strict=True)]
        pending = list(futures)
        while pending:
            _, pending = ray.wait(pending)
            if progress is not None:
                progress(len(futures) - len(pending), len(futures))
        return ray.get(futures)
    except (ConnectionError, ValueError, ray.exceptions.RayError) as err:  # no cluster there, or a task failed
        raise SweepError("ray", reason=_first_line(err)) from None
    finally:
        ray.shutdown()


def _first_line(err: Exception) -> str:
    """An exception's first line of text, or its name when it has none."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def write_table(table: pd.DataFrame, path: str | TextIO) -> None:
    """Write the sweep table as CSV or Parquet, by the file's suffix (CSV to an open text stream)."""
    if isinstance(path, str) and Path(path).suffix.lower() == ".parquet":
        table.to_parquet(path, index=False)
    else:
        table.to_csv(path, index=False)


def read_table(path: str | TextIO, rows: int | None = None) -> pd.DataFrame:
    """A sweep table written by write_table, settings as strings again (`RunConfig.from_params` reads a row).

    `rows`: read at most that many runs of a CSV (the rest of the file is not parsed)."""
    if isinstance(path, str) and Path(path).suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    numbers = {name: ["", "nan", "NaN"] for name in COLUMNS if name not in TEXT_COLUMNS}
    return pd.read_csv(
        path, dtype={name: str for name in TEXT_COLUMNS}, keep_default_na=False, na_values=numbers, nrows=rows
    )
