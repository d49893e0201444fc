"""Drawn files for both uploaders: the own-CSV table and the lab's sweep table. No traceback, ever.

Each drawn file goes through the pure readers the pages call (core.upload.read_table and prepare; core.lab.read_sweep,
sweep_cells, the labelled heat-map cells, sweep_base and the config a click on a cell adds), so an example costs
milliseconds. Files: random bytes, drawn tables (names and cells with markup, quotes, numbers that are not numbers,
unknown optimizers, learning rates of 1e9), tables written and then damaged (a stray quote, a column dropped or
added, a list or a record column, the file cut short), and huge-but-small-on-disk files (decompression bombs).
Every refusal is a translated message in both languages whose names from the file are shown as text.
A handful of page runs check the wiring: the same files through the uploaders on the lab page.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from functools import cache
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import streamlit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from core import sweep
from core.config import ConfigError, RunConfig, format_param
from core.i18n import LANGUAGES
from core.lab import (
    SWEEP_MAX_BYTES,
    SWEEP_MAX_CELL,
    SWEEP_MAX_RUNS,
    SweepTableError,
    cell_config,
    read_sweep,
    sweep_base,
    sweep_cells,
)
from core.optim import OPTIMIZERS
from core.runlog import reason_in_words
from core.ui.lab.views import labelled_cells
from core.ui.runs import show_config_error
from core.upload import MAX_BYTES, MAX_ROWS, TASKS, UploadError, prepare, read_table, text_features
from tests.test_lab_page import open_lab
from tests.test_lab_sweep import repeated_rows
from tests.test_lab_upload import upload

EXAMPLES = 200  # drawn files per uploader
EVIL = ("[x](http://evil.example)", "![i](http://evil.example/i.png)", "<b>bold</b>", "$\\int_0$", "`tick`", "a\nb")
FRAGMENTS = ("evil.example", "<b>bold", "\\int")  # what must never be left outside a code span
DEFAULTS = {name: format_param(getattr(RunConfig(), name)) for name in sweep.FIELDS}


def names() -> st.SearchStrategy[str]:
    """Column names, cells and file names as people and attackers write them."""
    return st.one_of(
        st.sampled_from(["age", "bmi", "event", "年齢", "転帰", "", " ", "NA", "1e9", "-0", "inf", "nan"]),
        st.sampled_from(EVIL),
        st.text(max_size=12),
    )


def cells() -> st.SearchStrategy[str]:
    """One CSV cell: mostly numbers, sometimes what spreadsheets and people put there."""
    numbers = st.floats(allow_nan=True, allow_infinity=True).map(repr) | st.integers(-(10**30), 10**30).map(str)
    return st.one_of(numbers, numbers, names(), st.sampled_from(['"', '""', 'a"b', "1,5", "1;5", "\t", "１２"]))


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A table drawn as text, written with a drawn separator and encoding, sometimes damaged afterwards.

    Half are tidy (distinct names, one cell per column, 20 to 40 rows of numbers but for one cell at most), so that
    many get as far as training data; the rest are anything."""
    sep = draw(st.sampled_from([",", ";", "\t"]))
    if draw(st.booleans()):
        plain = [name for name in ("age", "bmi", "event", "転帰", *EVIL) if sep not in name and "\n" not in name]
        header = draw(st.lists(st.sampled_from(plain), min_size=2, max_size=5, unique=True))
        number = st.one_of(st.integers(0, 3).map(str), st.floats(-1e3, 1e3).map(repr))
        row = st.lists(number, min_size=len(header), max_size=len(header))
        rows = draw(st.lists(row, min_size=20, max_size=40))
        if draw(st.booleans()):  # one cell that is not a number
            rows[draw(st.integers(0, len(rows) - 1))][draw(st.integers(0, len(header) - 1))] = draw(cells())
    else:
        header = draw(st.lists(names(), min_size=1, max_size=6))
        rows = draw(st.lists(st.lists(cells(), min_size=len(header) - 1, max_size=len(header) + 1), max_size=30))
    text = "\n".join(sep.join(line) for line in [header, *rows]) + draw(st.sampled_from(["", "\n", "\r\n"]))
    if draw(st.integers(0, 3)) == 0:  # a stray quote mark somewhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + '"' + text[at:]
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "cp932", "latin-1"]))
    return text.encode(encoding, errors="replace")


@cache
def csv_bombs() -> tuple[bytes, ...]:
    """Own-CSV files at and past every limit, in few bytes or at the byte limit."""
    numbers = "age,bmi,event\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(MAX_ROWS))
    return (
        b"a,b\n" + b"1,2\n" * (MAX_BYTES // 4 - 1),  # half a million rows: reading stops past the limit
        b"a,b\n" + b"1,2\n" * (MAX_BYTES // 4),  # one byte over
        numbers.encode(),  # exactly the row limit
        (numbers + "5000,1,0\n").encode(),  # one row more
        (numbers + '5001,"3,1\n' + "7,7,0\n" * 30_000).encode(),  # a stray quote opens a cell over 128 KB
        b"a,b\n1," + b"x" * (MAX_BYTES - 10) + b"\n",  # one cell of 2 MB
        (",".join(f"c{i}" for i in range(200_000)) + "\n").encode()[: MAX_BYTES - 1],  # a header of 200,000 names
        "\n".join(["a\tb"] + ["1\t2"] * 20).encode("utf-16"),
        b"\xef\xbb\xbf" + b"\n" * (MAX_BYTES - 4),
    )


@st.composite
def sweep_tables(draw: st.DrawFn) -> dict[str, list]:
    """A sweep table (column: cells) as `python -m core sweep` writes it; some cells out of range or unknown."""
    runs = draw(st.integers(1, 12))
    lrs = ["0.001", "0.1", "1", "100"]
    batches = ["1", "32", "full"]
    optimizers = list(OPTIMIZERS)
    if draw(st.booleans()):  # the other half: cells from a hand-edited table
        lrs += ["1e9", "0", "-1", "nan", "inf", "abc", "1e-300", ""]
        batches += ["0", "-3", "x", "1e3"]
        optimizers += ["sgdx", *EVIL]
    lrs, batches, optimizers = st.sampled_from(lrs), st.sampled_from(batches), st.sampled_from(optimizers)
    reasons = draw(st.lists(st.sampled_from(["", "rising", "non_finite", *EVIL]), min_size=runs, max_size=runs))
    floats = st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=runs, max_size=runs)
    table = {name: [value] * runs for name, value in DEFAULTS.items()}
    table.update(
        run=list(range(runs)),
        lr=draw(st.lists(lrs, min_size=runs, max_size=runs)),
        batch_size=draw(st.lists(batches, min_size=runs, max_size=runs)),
        optimizer=draw(st.lists(optimizers, min_size=runs, max_size=runs)),
        last_epoch=draw(st.lists(st.integers(0, 5), min_size=runs, max_size=runs)),
        **{name: draw(floats) for name in ("train_loss", "val_loss", "val_accuracy", "final_loss")},
        diverged=[bool(reason) for reason in reasons],
        reason=reasons,
    )
    if draw(st.integers(0, 9)) == 0:  # another knob that varies, or a setting this version cannot train
        table[draw(st.sampled_from(sweep.FIELDS))][-1] = draw(names())
    return {name: table[name] for name in sweep.COLUMNS}


@st.composite
def sweep_files(draw: st.DrawFn) -> tuple[bytes, str]:
    """A drawn sweep table, changed (a column dropped, added or of lists), written as CSV or Parquet, maybe cut."""
    table = draw(sweep_tables())
    runs = len(table["run"])
    change = draw(st.sampled_from(["none", "none", "drop", "add", "lists", "records", "numbers", "repeat"]))
    if change == "drop":
        del table[draw(st.sampled_from(sweep.COLUMNS))]
    elif change == "add":
        table[draw(names())] = ["1"] * runs
    elif change == "lists":
        table["lr"] = [[0.1, 0.2]] * runs
    elif change == "records":
        table["optimizer"] = [{"name": "adam"}] * runs
    elif change == "numbers":
        table["lr"] = pd.to_numeric(pd.Series(table["lr"]), errors="coerce").tolist()
    elif change == "repeat":
        times = draw(st.integers(2, 20))
        table = {name: values * times for name, values in table.items()}
    if draw(st.booleans()):
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows([list(table), *zip(*table.values(), strict=True)])
        data, name = text.getvalue().encode(), draw(st.sampled_from(["t.csv", "<b>t</b>.CSV"]))
    else:
        out = io.BytesIO()
        compression = draw(st.sampled_from(["snappy", "zstd", "none"]))
        pq.write_table(pa.table(table), out, compression=compression)
        data, name = out.getvalue(), "t.parquet"
    if draw(st.integers(0, 5)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return data, name


@cache
def sweep_bombs() -> tuple[tuple[bytes, str], ...]:
    """Sweep files that unpack to far more than they weigh, or sit at a limit."""
    huge = pa.table({c: pa.array(["y" * 17_000_000 if c == "reason" else "1"]) for c in sweep.COLUMNS})
    out = io.BytesIO()
    pq.write_table(huge, out, compression="zstd", use_dictionary=False, write_statistics=False)
    wide = pa.table({f"c{i}": pa.array([1]) for i in range(300)})
    wide_out = io.BytesIO()
    pq.write_table(wide, wide_out)
    header = ",".join(sweep.COLUMNS)
    return (
        (repeated_rows(200_000, row_groups=4), "rows.parquet"),  # 200,000 runs in 15 kB
        (repeated_rows(SWEEP_MAX_RUNS, "y" * 100_000), "cell.parquet"),  # 1 GB of reasons: one dictionary value
        (out.getvalue(), "unpacks.parquet"),  # one cell of 17 MB in 6 kB
        (wide_out.getvalue(), "wide.parquet"),
        ((header + "\n" + "1," * 28 + "x" * (SWEEP_MAX_BYTES - 700) + "\n").encode(), "long.csv"),
        ((header + "\n" + ("," * 28 + "\n") * 100_000).encode(), "rows.csv"),
        ((",".join(f"c{i}" for i in range(400_000))).encode()[:SWEEP_MAX_BYTES], "wide.csv"),
        (b"\x00" * (SWEEP_MAX_BYTES + 1), "big.parquet"),
    )


def bombs(files: Callable[[], tuple]) -> st.SearchStrategy:
    """One of the files that `files()` builds, built on the first draw (not when the tests are collected)."""
    return st.deferred(lambda: st.sampled_from(files()))


def check_message(err: ConfigError) -> None:
    """A refusal: its message in both languages, every value from the file shown as text (never markup)."""
    messages = {lang: err.message(lang) for lang in LANGUAGES}
    assert messages["ja"] != messages["en"] and all(len(m) > 10 for m in messages.values())
    for value in err.params.values():  # names from the file arrive as text, numbers as numbers
        assert isinstance(value, str | int | float) or all(isinstance(v, str) for v in value), err.params
    for lang in LANGUAGES:
        html = re.sub(r"<code>.*?</code>", "", MarkdownIt("commonmark").render(shown(err, lang)), flags=re.DOTALL)
        assert not any(fragment in html for fragment in FRAGMENTS), html


def shown(err: ConfigError, lang: str) -> str:
    """What show_config_error puts on the page."""
    with mock.patch.object(streamlit, "error") as error:
        show_config_error(err, lang)
    return error.call_args.args[0]


def try_csv(data: bytes, target: int, task: str) -> None:
    """The own-CSV uploader's steps on one file: read, choose a target and a task, prepare."""
    try:
        table = read_table(data, "t.csv")
        column = table.columns[target % len(table.columns)]
        table.suggest_task(column)
        text_features(table, column)
        dataset = prepare(table, column, task)
    except UploadError as err:
        check_message(err)
        return
    assert np.isfinite(dataset.x).all() and len(dataset.y) == table.rows <= MAX_ROWS


def try_sweep(data: bytes, name: str) -> None:
    """The sweep uploader's steps on one file: read, cells, the heat map's words, the base settings, a click."""
    try:
        table = read_sweep(data, name)
        assert len(table) <= SWEEP_MAX_RUNS
        cells = sweep_cells(table)
    except SweepTableError as err:
        check_message(err)
        return
    for lang in LANGUAGES:
        labelled_cells(cells, cells["reason"].map(lambda code, lang=lang: reason_in_words(code, lang)), lang)
    assert all(len(str(value)) <= SWEEP_MAX_CELL for value in table.select_dtypes(exclude="number").to_numpy().flat)
    try:
        base = sweep_base(table)
    except ConfigError as err:
        check_message(err)
        return
    for cell in cells.head(3).to_dict("records"):
        try:
            cell_config(base, cell)
        except ConfigError as err:
            check_message(err)


FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    st.one_of(csv_files(), csv_files(), st.binary(max_size=3000), bombs(csv_bombs)),
    st.integers(0, 10),
    st.sampled_from([*TASKS, "<b>task</b>"]),
)
def test_drawn_own_csv_files_never_end_in_a_traceback(data: bytes, target: int, task: str) -> None:
    try_csv(data, target, task)


@FUZZ
@given(
    st.one_of(
        sweep_files(),
        sweep_files(),
        st.tuples(st.binary(max_size=3000), st.sampled_from(["t.csv", "t.parquet"])),
        bombs(sweep_bombs),
    )
)
def test_drawn_sweep_files_never_end_in_a_traceback(file: tuple[bytes, str]) -> None:
    try_sweep(*file)


def test_a_batch_size_of_zero_in_every_run_is_refused_in_words() -> None:
    """Found by the fuzz above: the batch-size message was handed the bounds the knob does not have (None)."""
    table = {name: [value] for name, value in DEFAULTS.items()}
    table.update(run=[0], batch_size=["0"], last_epoch=[1], diverged=[False], reason=[""])
    table.update({name: [0.5] for name in ("train_loss", "val_loss", "val_accuracy", "final_loss")})
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([list(table), *zip(*table.values(), strict=True)])
    with pytest.raises(ConfigError) as refused:
        sweep_base(read_sweep(text.getvalue().encode(), "t.csv"))
    check_message(refused.value)


def test_every_bomb_is_refused_with_its_own_reason() -> None:
    keys = []
    for data, name in sweep_bombs():
        with pytest.raises(SweepTableError) as caught:
            read_sweep(data, name)
        keys.append(caught.value.key)
    assert keys == [
        "too_many_runs",
        "long_cells",
        "unpacks_too_large",
        "too_many_columns",
        "long_cells",
        "too_many_runs",
        "too_many_columns",
        "too_many_bytes",
    ]


def list_column() -> bytes:
    """A one-run sweep table whose learning rate is a list."""
    out = io.BytesIO()
    pq.write_table(pa.table({c: pa.array([[0.1]] if c == "lr" else ["1"]) for c in sweep.COLUMNS}), out)
    return out.getvalue()


WIRING: dict[str, tuple[str, Callable[[], tuple[bytes, str]]]] = {
    "sweep rows bomb": ("lab.sweep_file", lambda: sweep_bombs()[0]),
    "sweep cell bomb": ("lab.sweep_file", lambda: sweep_bombs()[1]),
    "sweep of lists": ("lab.sweep_file", lambda: (list_column(), "<b>t</b>.parquet")),
    "csv stray quote": ("lab.upload_file", lambda: (csv_bombs()[3], "[x](http://evil.example).csv")),
    "csv rows": ("lab.upload_file", lambda: (csv_bombs()[0], "t.csv")),
}


@pytest.mark.parametrize("case", WIRING, ids=list(WIRING))
def test_bad_files_through_the_lab_page_give_one_message(case: str) -> None:
    key, file = WIRING[case]
    data, name = file()
    at = open_lab("ja", view="grid")
    if key == "lab.upload_file":
        at = upload(at, name, data)
    else:
        at.file_uploader(key=key).set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    assert len(at.error) == 1, [e.value for e in at.error]
    html = re.sub(r"<code>.*?</code>", "", MarkdownIt("commonmark").render(at.error[0].value), flags=re.DOTALL)
    assert not any(fragment in html for fragment in FRAGMENTS)
