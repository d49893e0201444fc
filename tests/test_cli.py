"""The command line: its output contract and every error path (exit 2, one line, no traceback)."""

import contextlib
import dataclasses
import errno
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.__main__ import flag, main, parser
from core.config import CHOICES, RunConfig, format_param
from core.i18n import t
from core.training import ENGINES, EPOCH_COLUMNS
from core.warm import Warmed, scenario_ids, warm_list

TINY = ["--epochs", "1", "--batch-size", "full"]


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """English messages whatever the machine's locale (the Japanese test sets its own)."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def run_cli(*args: str, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "core", *args]
    return subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=300)


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """main(argv) in this process: exit code, standard output, standard error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(code: int, err: str) -> None:
    assert code == 2
    assert err.count("\n") == 1 and err.endswith("\n") and err.startswith("python -m core"), err
    assert "Traceback" not in err


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
def test_bad_input_exits_2_with_one_line(args):
    code, out, err = run_main(args)
    assert_one_line_error(code, err)
    assert out == ""


@pytest.mark.parametrize("value", ["-inf", "-nan", "-1e3", "-0.5"])
def test_a_negative_number_is_a_value_not_an_option(value):
    code, _, err = run_main(["train", "--lr", "0.1", value])
    assert_one_line_error(code, err)
    key = "number" if value in ("-inf", "-nan") else "lr_range"
    assert t(f"errors.{key}", "en", name="lr", value=value, max=100.0) in err


def test_help_lists_every_flag_choice_and_default():
    code, out, _ = run_main(["train", "--help"])
    assert code == 0
    text = " ".join(out.split())
    for field in dataclasses.fields(RunConfig):
        assert flag(field.name) in text
        if field.default is not None:
            assert f"{flag(field.name)} " in text and f"(default: {format_param(field.default)})" in text
    for options in [*CHOICES.values(), ENGINES]:
        assert "{" + ",".join(options) + "}" in text  # every choice, in the flag's metavar
    assert " ".join(t("cli.flags.order", "en").split()) in text


def test_japanese_locale_gives_japanese_help_and_messages(monkeypatch):
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    code, _, err = run_main(["train", "--lr", "abc"])
    assert_one_line_error(code, err)
    assert err == f"python -m core: error: {t('errors.number', 'ja', name='lr', value='abc')}\n"
    assert t("cli.flags.val_fraction", "ja") in run_main(["train", "--help"])[1]


def test_sorted_order_with_shuffling_is_accepted_and_still_shuffled():
    """--help says: with --shuffle 1 the DataLoader still shuffles the sorted rows, so the run differs from 0."""
    losses = {}
    for shuffle in ("0", "1"):
        argv = ["train", "--order", "sorted", "--shuffle", shuffle, "--epochs", "1", "--batch-size", "64"]
        code, out, err = run_main(argv)
        assert code == 0, err
        losses[shuffle] = pd.read_csv(io.StringIO(out))["train_loss"].iloc[-1]
    assert losses["0"] != pytest.approx(losses["1"], rel=1e-3)


def test_a_closed_pipe_gives_one_line_and_exit_2():
    command = [sys.executable, "-m", "core", "train", *TINY]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        process.stdout.close()  # the reader is gone long before the table is written, like `| head -0`
        err = process.stderr.read()
    assert_one_line_error(process.returncode, err)
    assert t("errors.stdout", "en") in err and "Broken pipe" in err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_a_full_disk_gives_one_line_and_exit_2():
    with open("/dev/full", "w") as full:
        done = run_cli("train", *TINY, stdout=full)
    assert_one_line_error(done.returncode, done.stderr)
    assert t("errors.stdout", "en") in done.stderr and "No space left on device" in done.stderr
    code, _, err = run_main(["train", *TINY, "--csv", "/dev/full"])
    assert_one_line_error(code, err)
    assert "/dev/full" in err and "No space left on device" in err


def test_a_closed_standard_output_gives_one_line_and_exit_2():
    done = subprocess.run(
        ["sh", "-c", 'exec "$0" -m core train --epochs 1 --batch-size full >&-', sys.executable],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert_one_line_error(done.returncode, done.stderr)


# Values for the fuzz: numbers of every kind, garbage text, and for the flags that set the cost of a run only small
# valid values (so that every accepted command trains a tiny config).
NUMBERS = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.integers(-(10**400), 10**400).map(str),  # whole numbers beyond a float's digits and range
    st.floats().map(repr),
    st.sampled_from(["nan", "-inf", "1e309", "-0", "0x10", "1_000", " 3 ", "None", "full", "", "-", "--"]),
)
# Text a link or a pasted command line may carry: markup, formulas, bidi and zero-width marks, full-width digits.
NASTY = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[Log in](https://example.org/login)",
        "![](http://host/track.png)",
        "$\\int_0^1 x\\,dx$",
        "**bold** _it_ `code`",
        "\u202e1.0\u202c",
        "0.\u200b1",
        "\ufeff0.1",
        "０.１",
        "１",
        "🚀",
        "NaN",
        "Infinity",
        "-0.0",
        "1e-400",
        "9" * 400,
        "9" * 5000,  # beyond the 4300 digits Python turns into an int
        "x" * 10_000,
        "0.1\n0.2",
        "a\x00b",
    ]
)
VALUES = NUMBERS | NASTY | st.text(max_size=12)
COSTLY = {
    "epochs": ["1", "2", "0", "-3", "1001", "1e9", "2.5", "nan", "inf", "", "x"],
    "batch_size": ["full", "64", "200", "0", "-1", "2.5", "1e12", "Full", "", "x", "nan"],
    "hidden": ["4", "8,4", "2,2,2", "0", "513", "1,2,3,4", "x", "", "-8", "nan", "1e999", "4,,4"],
}


def field_values(name: str) -> st.SearchStrategy[str]:
    if name in COSTLY:
        return st.sampled_from(COSTLY[name])
    if name in CHOICES:
        return st.sampled_from(CHOICES[name]) | VALUES
    if name == "shuffle":
        return st.sampled_from(["0", "1", "true", "FALSE"]) | VALUES
    return VALUES


FLAG_PARTS = st.one_of(
    *(st.tuples(st.just(flag(f.name)), field_values(f.name)) for f in dataclasses.fields(RunConfig)),
    st.lists(VALUES, min_size=1, max_size=3).map(lambda rates: ("--lr", *rates)),
    st.tuples(st.just("--engine"), st.sampled_from(ENGINES) | VALUES),
    st.tuples(st.just("--csv"), st.sampled_from(["", "{missing}/out.csv", "/dev/full", "{dir}/out.csv"])),
    st.just(("--no-shuffle",)),
    st.from_regex(r"--[a-z][a-z-]{0,10}", fullmatch=True)
    .filter(lambda f: f not in ("--help", "--csv"))
    .map(lambda f: (f,)),
    st.text(max_size=12).map(lambda text: (text,)),
)


@settings(max_examples=250, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FLAG_PARTS, max_size=6))
def test_any_command_line_exits_0_with_a_table_or_2_with_one_line(parts):
    with tempfile.TemporaryDirectory() as folder:
        argv = [
            "train",
            *TINY,
            *(p.replace("{dir}", folder).replace("{missing}", folder + "/no") for part in parts for p in part),
        ]
        code, out, err = run_main(argv)
        if code == 0 and {"-h", "--help"} & set(argv):
            assert out.startswith("usage:")
        elif code == 0:
            csv = argv[len(argv) - argv[::-1].index("--csv")] if "--csv" in argv else io.StringIO(out)
            assert list(pd.read_csv(csv).columns) == EPOCH_COLUMNS
        else:
            assert_one_line_error(code, err)


# Valid values only, so that most commands train: every optimizer, schedule, loss and data set meets the others.
SENSIBLE = {
    **{name: st.sampled_from(options) for name, options in CHOICES.items()},
    "hidden": st.sampled_from(["4", "8,4", "2,2,2"]),
    "momentum": st.sampled_from(["0", "0.5", "0.99"]),
    "weight_decay": st.sampled_from(["0", "0.01", "1"]),
    "epochs": st.sampled_from(["1", "2"]),
    "batch_size": st.sampled_from(["full", "64", "300"]),
    "step_size": st.sampled_from(["1", "5"]),
    "gamma": st.sampled_from(["0.1", "0.9"]),
    "warmup_epochs": st.sampled_from(["0", "1", "50"]),
    "patience": st.sampled_from(["0", "2"]),
    "shuffle": st.sampled_from(["0", "1"]),
    "seed": st.sampled_from(["0", "7", "2147483647"]),
    "val_fraction": st.sampled_from(["0", "0.1", "0.5"]),
}


@settings(max_examples=100, deadline=None, database=None)
@given(
    st.fixed_dictionaries({}, optional=SENSIBLE),
    st.lists(st.floats(1e-6, 100).map(str), min_size=1, max_size=3),
    st.sampled_from(ENGINES),
)
def test_sensible_command_lines_train_one_run_per_rate(chosen, rates, engine):
    argv = ["train", *TINY, *(part for name, value in chosen.items() for part in (flag(name), value))]
    code, out, err = run_main([*argv, "--lr", *rates, "--engine", engine])
    if code == 2:  # a loss that does not fit the task, a batch larger than the data, CUDA where there is none
        assert_one_line_error(code, err)
        return
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert table.groupby("run")["lr"].first().tolist() == [float(rate) for rate in rates]


RUN_FLAGS = st.one_of(
    *(st.tuples(st.just(flag(f.name)), field_values(f.name)) for f in dataclasses.fields(RunConfig)),
    st.lists(VALUES, min_size=1, max_size=3).map(lambda rates: ("--lr", *rates)),
    st.from_regex(r"--[a-z][a-z-]{0,10}", fullmatch=True).filter(lambda f: f != "--help").map(lambda f: (f,)),
    st.text(max_size=12).map(lambda text: (text,)),
)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(RUN_FLAGS, max_size=6), st.sampled_from([None, "", "{missing}/run.py", "{dir}/run.py"]))
def test_any_code_command_line_prints_a_script_or_exits_2_with_one_line(parts, out_path):
    with tempfile.TemporaryDirectory() as folder:
        argv = ["code", *(p for part in parts for p in part)]
        if out_path is not None:
            argv += ["--out", out_path.replace("{dir}", folder).replace("{missing}", folder + "/no")]
        code, out, err = run_main(argv)
        if code == 0 and {"-h", "--help"} & set(argv):
            assert out.startswith("usage:")
        elif code == 0:
            text = out if out_path is None else Path(argv[-1]).read_text(encoding="utf-8")
            compile(text, "run.py", "exec")  # a valid draw gives a Python script
        else:
            assert_one_line_error(code, err)


GRID_VALUES = st.one_of(
    st.lists(VALUES | st.integers(-5, 5) | st.floats(allow_nan=True), min_size=0, max_size=2),
    VALUES,
    st.none(),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
GRID_KEYS = st.sampled_from([f.name for f in dataclasses.fields(RunConfig)]) | st.text(max_size=8)


def grid_text(grid: dict, suffix: str) -> str:
    """The grid as a JSON or TOML file would hold it (TOML without nulls, JSON's NaN as the parser reads it)."""

    if suffix == ".json":
        return json.dumps(grid)
    lines = []
    for name, values in grid.items():
        if values is None or isinstance(values, dict):
            continue
        items = values if isinstance(values, list) else [values]
        lines.append(f"{json.dumps(name)} = [{', '.join(json.dumps(str(item)) for item in items)}]")
    return "\n".join(lines)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(GRID_KEYS, GRID_VALUES, max_size=4),
    st.sampled_from([".json", ".toml", ".yaml", ""]),
    st.one_of(st.none(), st.binary(max_size=40)),
    st.sampled_from([None, "", "{dir}/out.csv", "{dir}/out.txt", "{missing}/out.csv"]),
)
def test_any_sweep_grid_writes_a_table_or_exits_2_with_one_line(grid, suffix, raw, out_path):
    # Every drawn grid trains for one epoch on the full batch unless it overrides them (kept cheap to train).
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "grid" + suffix)
        content = {"epochs": ["1"], "batch_size": ["full"], **grid}
        with open(path, "wb") as file:
            file.write(raw if raw is not None else grid_text(content, suffix).encode())
        argv = ["sweep", path]
        if out_path is not None:
            argv += ["--out", out_path.replace("{dir}", folder).replace("{missing}", folder + "/no")]
        code, out, err = run_main(argv)
        if code == 0:
            table = pd.read_csv(io.StringIO(out) if out_path is None else argv[-1])
            assert len(table) >= 1
        else:
            assert err.count(": error: ") == 1 and "Traceback" not in err, err
            assert_one_line_error(code, err.splitlines(keepends=True)[-1])


# What the pages do while warming: all is well, a page raises, or the disk is full when an entry is written.
OUTCOMES = st.sampled_from(["fine", "fine", "page error", "full disk"])


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("--scenario"), st.sampled_from(scenario_ids()) | VALUES),
            st.from_regex(r"--[a-z][a-z-]{0,10}", fullmatch=True).filter(lambda f: f != "--help").map(lambda f: (f,)),
            st.text(max_size=12).map(lambda text: (text,)),
        ),
        max_size=4,
    ),
    OUTCOMES,
)
def test_any_warm_command_line_warms_its_scenarios_or_exits_2_with_one_line(parts, outcome):
    # The pages themselves are opened by test_warm's own tests; here only what the command line asks for is checked.
    argv = ["warm", *(p for part in parts for p in part)]
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/store/entry.warm")

    def pages(todo):
        for path, scenario, _ in todo:
            errors = ["ValueError: boom\nsecond line"] if outcome == "page error" else []
            yield Warmed(path, scenario, 0.0, errors, full if outcome == "full disk" else None)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("core.__main__.warm", pages)
        code, out, err = run_main(argv)
    if code == 0 and {"-h", "--help"} & set(argv):
        assert out.startswith("usage:")
    elif code == 0:
        asked = [argv[i + 1] for i, part in enumerate(argv[:-1]) if part == "--scenario"]
        assert set(asked) <= set(scenario_ids()) and outcome == "fine"
        warmed = [line for line in err.splitlines() if line.startswith("python -m core: note:")]
        assert len(warmed) == len(warm_list(tuple(asked))) + 1  # one line per page or scenario, then the summary
    else:
        assert_one_line_error(code, err)
        if outcome == "full disk" and parses(argv):  # (a bad command line fails before any page)
            assert "/store/entry.warm" in err and os.strerror(errno.ENOSPC) in err


def parses(argv: list[str]) -> bool:
    """Whether argparse takes the command line (its own error otherwise)."""
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            parser().parse_args(argv)
        except SystemExit:
            return False
    return True
