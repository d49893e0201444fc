"""Sweeps: a grid file's product of settings, one table row per run, the same table whichever executor trained it."""

import errno
import importlib.util
import io
import json
import os
import socket
import sys
import tempfile
from collections.abc import Iterator

import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core.sweep
from core.config import RunConfig
from core.i18n import t
from core.sweep import COLUMNS, FIELDS, groups, read_table, sweep, write_table
from core.training import train
from tests.test_cli import COSTLY, SENSIBLE, assert_one_line_error, english, field_values, run_main  # noqa: F401

GRID = """
# learning rate x batch size x seed on the linear diabetes model: two groups of four runs
dataset = ["diabetes"]
model = ["linear"]
optimizer = ["sgd"]
lr = [0.01, "0.1"]
batch_size = ["full", 64]
seed = [0, 1]
epochs = ["3"]
"""


@pytest.fixture
def grid_file(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(GRID, encoding="utf-8")
    return str(path)


def sweep_cli(*args: str) -> tuple[int, str, str]:
    return run_main(["sweep", *args])


def test_one_row_per_combination_with_the_figures_of_the_article_loop(grid_file, tmp_path):
    """Each row: its settings, and the last epoch of that config trained alone by the reference loop."""
    code, out, err = sweep_cli(grid_file)
    assert code == 0, err
    assert err.count("\n") == 2  # progress: one line per group
    table = read_table(io.StringIO(out))
    assert list(table.columns) == COLUMNS and table["run"].tolist() == list(range(8))
    in_grid_order = [(lr, batch, seed) for lr in ("0.01", "0.1") for batch in ("full", "64") for seed in ("0", "1")]
    assert list(zip(table["lr"], table["batch_size"], table["seed"], strict=True)) == in_grid_order
    for _, row in table.iterrows():
        config = RunConfig.from_params(row[FIELDS].to_dict())
        alone = train([config], engine="reference").epochs.iloc[-1]
        assert row["last_epoch"] == alone["epoch"] == 3
        assert row[["train_loss", "val_loss"]].tolist() == pytest.approx([alone["train_loss"], alone["val_loss"]], 1e-4)
        assert not row["diverged"] and row["reason"] == ""


def test_runs_that_differ_only_in_lr_and_seed_train_as_one_group():
    configs = [
        RunConfig(lr=lr, seed=seed, batch_size=batch) for batch in (32, 64) for lr in (0.1, 0.01) for seed in (0, 1)
    ]
    assert groups(configs) == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_table_reads_back_into_the_same_runs(suffix, tmp_path):
    configs = [
        RunConfig(dataset="blood_pressure", hidden=(4, 2), lr=0.01, epochs=2, weight_decay=0.01),
        RunConfig(
            dataset="diabetes", model="linear", lr=5.0, epochs=6, optimizer="sgd", batch_size="full", val_fraction=0.0
        ),
    ]
    table = sweep(configs)
    assert table["diverged"].tolist() == [False, True] and table["reason"].iloc[1] != ""
    path = str(tmp_path / f"sweep{suffix}")
    write_table(table, path)
    again = read_table(path)
    pd.testing.assert_frame_equal(again, table, check_dtype=False)
    assert [RunConfig.from_params(row[FIELDS].to_dict()) for _, row in again.iterrows()] == [
        c.validated() for c in configs
    ]


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed (requirements-ray.txt)")
def test_a_local_ray_instance_gives_the_same_table(grid_file, tmp_path):
    path = tmp_path / "ray.parquet"
    code, _, err = sweep_cli(grid_file, "--ray", "--out", str(path))
    assert code == 0, err
    assert t("cli.sweep_progress", "en", done=2, total=2) in err  # progress: a line per finished task
    pd.testing.assert_frame_equal(pd.read_parquet(path), sweep_cli_table(grid_file), check_exact=False, rtol=1e-6)


def sweep_cli_table(grid_file: str) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "in_process.parquet")
        code, _, err = sweep_cli(grid_file, "--out", path)
        assert code == 0, err
        return pd.read_parquet(path)


def test_without_ray_the_sweep_says_how_to_install_it(grid_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if ray were not installed
    code, out, err = sweep_cli(grid_file, "--ray")
    assert_one_line_error(code, err)
    assert "requirements-ray.txt" in err and out == ""


BAD_GRIDS = {
    "grid.yaml": "lr: [0.1]",
    "empty.toml": "",
    "syntax.toml": "lr = [0.1",
    "syntax.json": '{"lr": [0.1]',
    "list.json": "[0.1, 0.2]",
    "unknown.toml": "lrr = [0.1]",
    "scalar.toml": "lr = 0.1",
    "empty_list.toml": "lr = []",
    "nested.toml": "lr = [[0.1]]",
    "table.toml": "[lr]\nvalue = 0.1",
    "bad_value.toml": 'lr = ["fast"]',
    "out_of_range.json": '{"lr": [0.1, 1000]}',
    "wrong_loss.toml": 'dataset = ["diabetes"]\nloss = ["ce"]',
    "batch_too_big.toml": 'dataset = ["diabetes"]\nbatch_size = [5000]',
    "too_many_runs.json": json.dumps({"seed": list(range(400)), "lr": [0.1] * 400}),
    "too_costly.toml": 'epochs = ["1000"]\nbatch_size = ["1"]\nhidden = ["512,512,512"]',
    "binary.toml": "\udcff",
    "huge.toml": "# " + "x" * 200_000,
    "huge_integer.json": '{"step_size": [' + "9" * 5000 + "]}",  # beyond Python's 4300 digits
    "huge_integer.toml": "step_size = [" + "9" * 5000 + "]",
}


@pytest.mark.parametrize("name", BAD_GRIDS)
def test_a_bad_grid_exits_2_with_one_line(name, tmp_path):
    path = tmp_path / name
    path.write_text(BAD_GRIDS[name], encoding="utf-8", errors="surrogateescape")
    code, out, err = sweep_cli(str(path))
    assert_one_line_error(code, err)
    assert out == ""


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_a_group_that_cannot_train_here_stops_the_sweep_before_any_training(tmp_path):
    path = tmp_path / "grid.json"
    path.write_text(json.dumps({"device": ["cpu", "cuda"], "epochs": ["1"]}), encoding="utf-8")
    code, out, err = sweep_cli(str(path))
    assert_one_line_error(code, err)  # no progress line: the CPU group did not train first


@pytest.mark.parametrize(
    "args",
    [
        ["sweep"],
        ["sweep", "/no/such/grid.toml"],
        ["sweep", "{grid}", "--out", ""],
        ["sweep", "{grid}", "--out", "/no/such/folder/sweep.csv"],
        ["sweep", "{grid}", "--out", "{dir}/sweep.xlsx"],
        ["sweep", "{grid}", "--lr", "0.1"],
    ],
)
def test_bad_sweep_command_lines_exit_2_with_one_line(args, grid_file, tmp_path):
    code, out, err = run_main([a.format(grid=grid_file, dir=tmp_path) for a in args])
    assert_one_line_error(code, err)
    assert out == ""


# Fuzz: grid files of any shape (settings and unknown keys, lists, scalars, garbage values, broken syntax) under a
# few suffixes. Every accepted grid is tiny: one epoch on the full batch unless it names those, then only cheap values.
SCALARS = st.integers(-(10**20), 10**20) | st.floats() | st.booleans()


def grid_values(name: str) -> st.SearchStrategy:
    value = field_values(name) if name in FIELDS else st.text(max_size=6)
    if name not in COSTLY:
        value = value | SCALARS
    if name in SENSIBLE:  # valid values as often as any other kind, so that many grids train
        value = SENSIBLE[name] | value
    lists = st.lists(value, min_size=1, max_size=2)
    return lists | lists | st.lists(value, max_size=2) | value | st.dictionaries(st.text(max_size=3), value, max_size=1)


GRIDS = st.dictionaries(
    st.sampled_from(FIELDS) | st.sampled_from(FIELDS) | st.text(max_size=8), st.just(None), max_size=4
).flatmap(lambda keys: st.fixed_dictionaries({key: grid_values(key) for key in keys}))


def as_toml(grid: dict) -> str:
    """JSON's strings, numbers and arrays are TOML's too; a table becomes an inline table."""
    lines = []
    for key, value in grid.items():
        text = json.dumps(value)
        if isinstance(value, dict):
            text = "{" + ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in value.items()) + "}"
        lines.append(f"{json.dumps(key)} = {text}")
    return "\n".join(lines)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    GRIDS,
    st.sampled_from([".toml", ".json", ".toml", ".json", ".txt"]),
    st.sampled_from(["grid", "grid", "grid", "text", "garbage"]),
    st.text(max_size=20),
    st.sampled_from([[], [], [], ["--out", "{dir}/t.csv"], ["--out", "{dir}/t.parquet"], ["--out", ""], ["-x"]]),
)
def test_any_grid_file_gives_a_table_or_exits_2_with_one_line(grid, suffix, form, garbage, flags):
    grid = {"epochs": ["1"], "batch_size": ["full"], **grid}
    if form == "grid":
        text = as_toml(grid) if suffix == ".toml" else json.dumps(grid)
    else:
        text = garbage if form == "garbage" else as_toml(grid) + "\n" + garbage
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "grid" + suffix)
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as file:
            file.write(text)
        flags = [flag.replace("{dir}", folder) for flag in flags]
        code, out, err = sweep_cli(path, *flags)
        if code != 0:
            assert_one_line_error(code, err)
            return
        table = read_table(flags[1] if flags else io.StringIO(out))
        assert list(table.columns) == COLUMNS and len(table) >= 1


# Ray addresses: none of these may start Ray. A well-formed one names a port that this test holds without listening,
# so the connection is refused at once; all others are refused before any connection.
needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed")


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


@pytest.fixture
def no_ray_trial(monkeypatch):
    """Fails the test if Ray's own connection is tried (the fuzz's addresses must fail before it)."""

    def refuse(*args, **kwargs):
        raise AssertionError("Ray was started")

    monkeypatch.setattr(core.sweep.subprocess, "run", refuse)


HOSTS = st.sampled_from(["127.0.0.1", "localhost", "[::1]", "::1", "", " ", "a b", "[::1", "ray://127.0.0.1", "h/x"])
BAD_PORTS = st.sampled_from(["", "0", "65536", "99999", "-1", "+80", "1e3", "0x50", "８０", " 80", "80 ", "80\n"])
ADDRESSES = st.one_of(
    st.tuples(HOSTS | st.text(max_size=8), BAD_PORTS | st.integers(65536, 10**30).map(str)).map(":".join),
    st.tuples(HOSTS, st.just("{closed}")).map(":".join),
    st.text(max_size=20),
).filter(lambda address: address not in ("", "auto"))  # "" starts Ray here, "auto" looks for a cluster


@needs_ray
@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(address=ADDRESSES)
def test_a_bad_ray_address_fails_at_once_with_one_line(address, grid_file, closed_port, no_ray_trial):
    address = address.replace("{closed}", str(closed_port))
    code, out, err = sweep_cli(grid_file, f"--ray={address}")
    assert_one_line_error(code, err)
    assert out == ""


@needs_ray
@pytest.mark.parametrize("address", ["127.0.0.1:{closed}", "127.0.0.1:99999", "127.0.0.1:0", "127.0.0.1", "x:80:"])
def test_the_addresses_of_the_issue_are_refused_without_ray(address, grid_file, closed_port, no_ray_trial):
    address = address.format(closed=closed_port)
    code, out, err = sweep_cli(grid_file, "--ray", address)
    assert_one_line_error(code, err)
    refused = os.strerror(errno.ECONNREFUSED)
    expected = (
        t("cli.sweep_errors.ray_unreachable", "en", address=address, reason=refused)
        if address.endswith(str(closed_port))
        else t("cli.sweep_errors.ray_address", "en", address=address)
    )
    assert err == f"python -m core: error: {expected}\n"


@needs_ray
def test_a_listener_that_is_no_ray_cluster_is_given_up_on(grid_file, monkeypatch):
    """A port that takes connections and never answers: Ray's own trial is stopped after RAY_TRIAL_SECONDS."""
    monkeypatch.setattr(core.sweep, "RAY_TRIAL_SECONDS", 1.0)  # 20 s in use; the stop is the same
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections complete in the backlog; nothing ever reads them
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        code, out, err = sweep_cli(grid_file, "--ray", address)
    assert_one_line_error(code, err)
    assert t("cli.sweep_errors.ray_silent", "en", address=address, seconds=1.0) in err


def test_rays_reason_is_its_last_logged_warning_or_its_exception():
    logged = (
        "[2026-12-02 16:09:04,610 W 13153 13153] rpc_client.h:153: Failed to connect to GCS at 192.0.2.2:1.\n"
        "[2026-12-02 16:09:39,627 W 13153 13153] gcs_client.cc:210: Failed to get cluster ID: TimedOut.\n"
        "Traceback (most recent call last):\n  File ...\nConnectionError: Failed to connect to Ray cluster\n"
    )
    assert core.sweep._ray_said(logged) == "Failed to get cluster ID: TimedOut"
    assert core.sweep._ray_said("Traceback:\nConnectionError: Could not find any running Ray instance.\n") == (
        "ConnectionError: Could not find any running Ray instance"
    )
    assert core.sweep._ray_said("") == ""
