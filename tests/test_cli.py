"""The command line: its output contract and every error path (exit 2, one line, no traceback)."""

import io
import subprocess
import sys

import pandas as pd
import pytest

from core.__main__ import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, timeout=300)


def test_sweep_writes_one_row_per_run_per_epoch(tmp_path):
    path = tmp_path / "sweep.csv"
    done = run_cli(
        "train",
        "--lr",
        "0.001",
        "0.01",
        "5",
        "--dataset",
        "diabetes",
        "--model",
        "linear",
        "--optimizer",
        "sgd",
        "--batch-size",
        "full",
        "--epochs",
        "40",
        "--csv",
        str(path),
    )
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(path)
    assert {"run", "lr", "epoch", "train_loss", "val_loss", "val_accuracy", "diverged"} <= set(table.columns)
    verdicts = table.groupby("lr")["diverged"].agg(["all", "any"])
    assert verdicts.loc[5.0, "all"] and not verdicts.loc[0.001, "any"]
    assert (table[table["lr"] == 0.01]["epoch"] == list(range(41))).all()


def test_stdout_and_reference_engine_agree():
    args = ["train", "--lr", "0.01", "--epochs", "2", "--batch-size", "64"]
    fast = run_cli(*args)
    reference = run_cli(*args, "--engine", "reference")
    assert fast.returncode == reference.returncode == 0
    a, b = (pd.read_csv(io.StringIO(out.stdout)) for out in (fast, reference))
    pd.testing.assert_series_equal(a["train_loss"], b["train_loss"], rtol=1e-4)


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--lr", "-0.1"],
        ["train", "--lr", "abc"],
        ["train", "--lr", "0.1", "--batch-size", "0"],
        ["train", "--lr", "0.1", "--batch-size", "many"],
        ["train", "--lr", "0.1", "--dataset", "mnist"],
        ["train", "--lr", "0.1", "--optimizer", "lion"],
        ["train", "--lr", "0.1", "--epochs", "1000000"],
        ["train", "--lr", "0.1", "--epochs", "ten"],
        ["train", "--lr", "0.1", "--loss", "ce", "--dataset", "blood_pressure"],
        ["train", "--lr", "0.1", "--scheduler", "sometimes"],
        ["train", "--lr", "0.1", "--engine", "turbo"],
        ["train", "--lr", "0.1", "--hidden", "8,x"],
        ["train", "--lr", "0.1", "--epochs", "1", "--csv", "/no/such/folder/out.csv"],
        ["train", "--lr", "0.1", "--unknown-flag"],
        ["train", "--lr", "-inf"],
        ["train", "--lr", "0.1", "-1e3"],
        ["train", "--lr", "nan"],
        ["train", "--lr", "0.1", "--csv", ""],
        ["train", "--lr", "0.1", "--shuffle", "maybe"],
        ["train", "--lr", "0.1", "--momentum", "1"],
        ["train", "--lr", "0.1", "--epochs", "1", "--device", "gpu"],
        ["train", "--lr", "0.1", "--hidden", "8\n9"],
        ["train", "--lr", "0.1", "--eps", "3"],
        [],
    ],
)
def test_bad_input_exits_2_with_one_line(args, capsys):
    with pytest.raises(SystemExit) as info:
        sys.exit(main(args))
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "error" in err
