"""The lab draws a sweep table written by `python -m core sweep`, with no training, and refuses other files clearly."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import streamlit

from core import sweep
from core.charts.lab import GRID_SELECTION
from core.config import ConfigError, RunConfig
from core.i18n import LANGUAGES, t
from core.lab import SWEEP_MAX_CELL, SWEEP_MAX_RUNS, SweepTableError, read_sweep, sweep_cells
from core.ui.lab.views import PREVIEW_RUNS, add_cell, labelled_cells
from tests.test_app_pages import chart_frames, charts
from tests.test_lab_page import open_lab

GRID = {"lr": ["0.01", "0.3"], "batch_size": ["32", "full"], "epochs": ["2"]}


@pytest.fixture(scope="module")
def table() -> sweep.pd.DataFrame:
    """A four-run sweep, trained in this process by core.sweep."""
    return sweep.sweep(sweep.grid_configs(GRID))


def csv_bytes(table: sweep.pd.DataFrame) -> bytes:
    text = io.StringIO()
    sweep.write_table(table, text)
    return text.getvalue().encode()


def test_csv_and_parquet_give_the_same_cells_and_the_best_is_the_lowest_loss(table, tmp_path: Path) -> None:
    sweep.write_table(table, str(tmp_path / "t.parquet"))
    from_csv = sweep_cells(read_sweep(csv_bytes(table), "t.csv"))
    from_parquet = sweep_cells(read_sweep((tmp_path / "t.parquet").read_bytes(), "t.parquet"))
    sweep.pd.testing.assert_frame_equal(from_csv, from_parquet)
    assert sorted(zip(from_csv["lr"], from_csv["batch_size"], strict=True)) == [
        (0.01, "32"),
        (0.01, "full"),
        (0.3, "32"),
        (0.3, "full"),
    ]
    calm = table[~table["diverged"]]
    best = calm.loc[calm["val_loss"].idxmin()]
    (picked,) = from_csv[from_csv["best"]].itertuples()
    assert (picked.lr, picked.batch_size) == (float(best["lr"]), best["batch_size"])


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "unreadable"),
        (b"age,bmi,event\n1,2,0\n", "missing_columns"),
    ],
    ids=["png", "clinical table"],
)
def test_a_file_that_is_not_a_sweep_table_says_why(data: bytes, key: str) -> None:
    with pytest.raises(SweepTableError) as caught:
        read_sweep(data, "t.csv")
    assert caught.value.key == key
    assert all("{" not in caught.value.message(lang) for lang in LANGUAGES)


def test_several_seeds_per_cell_are_named_not_averaged(table) -> None:
    seeds = sweep.pd.concat([table, table.assign(seed="1")], ignore_index=True)
    with pytest.raises(SweepTableError) as caught:
        sweep_cells(seeds)
    assert caught.value.params["knobs"] == ("seed",)


def test_the_grid_view_draws_an_uploaded_sweep_table_without_training(table) -> None:
    at = open_lab("ja", view="grid")
    drawn = len(charts(at))
    at.file_uploader(key="lab.sweep_file").set_value(("bad.csv", b"age,bmi\n1,2\n", "text/csv")).run()
    assert not at.exception and "age" not in at.error[0].value and "lr" in at.error[0].value
    at.file_uploader(key="lab.sweep_file").set_value(("sweep.csv", csv_bytes(table), "text/csv")).run()
    assert not at.exception and not at.error and len(charts(at)) == drawn + 1
    cells = next(frame for frame in chart_frames(charts(at)[-1]) if len(frame) == 4)
    assert sorted(cells["lr"]) == [0.01, 0.01, 0.3, 0.3]


def test_a_sweep_tables_divergence_codes_are_told_in_words(table) -> None:
    marked = table.assign(diverged=[True, False, True, False], reason=["rising", "", "made_up_by_hand", ""])
    at = open_lab("ja", view="grid")
    at.file_uploader(key="lab.sweep_file").set_value(("sweep.csv", csv_bytes(marked), "text/csv")).run()
    cells = next(frame for frame in chart_frames(charts(at)[-1]) if len(frame) == 4)
    assert sorted(cells["why"]) == sorted(["", "", t("divergence.short.rising", "ja"), "made_up_by_hand"])
    assert sorted(set(cells["batch_text"])) == ["32", "N"]  # as the batch-size widgets name the full batch
    assert set(cells["optimizer_text"]) == {t("common.optimizers.adam", "ja")}


def repeated_rows(rows: int, reason: str = "1", row_groups: int = 1) -> bytes:
    """Parquet of `rows` identical runs (every cell "1", the reason `reason`), dictionary-encoded: a few kB for any
    number of rows. Without the Arrow schema in the file, as other writers leave it: a reader decodes every cell
    unless told to keep the dictionaries."""
    indices = pa.array(np.zeros(rows // row_groups, dtype=np.int32))
    group = pa.table(
        {
            c: pa.DictionaryArray.from_arrays(indices, pa.array([reason if c == "reason" else "1"]))
            for c in sweep.COLUMNS
        }
    )
    out = io.BytesIO()
    with pq.ParquetWriter(out, group.schema, store_schema=False) as writer:
        for _ in range(row_groups):
            writer.write_table(group)
    return out.getvalue()


def parquet_bytes(table: pa.Table) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def refusal(data: bytes, name: str) -> SweepTableError:
    """The error a file meets on its way to the heat map: reading it, or cutting it into cells."""
    with pytest.raises(SweepTableError) as caught:
        cells = sweep_cells(read_sweep(data, name))
        labelled_cells(cells, cells["reason"], "en")
    return caught.value


def test_many_identical_runs_are_refused_from_the_footer_and_csv_stops_reading_past_the_limit(table) -> None:
    assert refusal(repeated_rows(200_000), "bomb.parquet").key == "too_many_runs"  # 15 kB
    many = sweep.pd.concat([table] * (SWEEP_MAX_RUNS // 4 + 1), ignore_index=True)
    assert refusal(csv_bytes(many), "t.csv").params == {"limit": SWEEP_MAX_RUNS}
    assert len(read_sweep(csv_bytes(many.head(SWEEP_MAX_RUNS)), "t.csv")) == SWEEP_MAX_RUNS


def test_a_cell_repeated_by_its_dictionary_is_measured_before_it_is_decoded() -> None:
    err = refusal(repeated_rows(SWEEP_MAX_RUNS, "y" * 1000), "bomb.parquet")  # 10 MB of reasons in 2 kB
    assert err.key == "long_cells" and err.params["limit"] == SWEEP_MAX_CELL


@pytest.mark.parametrize(
    ("column", "values", "key"),
    [("lr", [[0.1, 0.3]], "column_types"), ("optimizer", [{"name": "adam"}], "column_types")],
    ids=["list", "record"],
)
def test_nested_columns_are_named(table, column: str, values: list, key: str) -> None:
    first = pa.Table.from_pandas(table.head(1), preserve_index=False)
    nested = first.set_column(first.schema.get_field_index(column), column, pa.array(values))
    err = refusal(parquet_bytes(nested), "t.parquet")
    assert err.key == key and err.params["columns"] == (column,)


def test_an_unknown_optimizer_is_named_not_a_traceback(table) -> None:
    err = refusal(csv_bytes(table.assign(optimizer=["adam", "lion", "adam", "`x`"])), "t.csv")
    assert err.key == "unknown_optimizers" and err.params["names"] == ("`x`", "lion")


def test_a_heat_map_too_large_to_read_is_refused(table) -> None:
    rates = sweep.pd.concat([table.head(1)] * 41, ignore_index=True).assign(lr=[f"{i + 1}e-3" for i in range(41)])
    err = refusal(csv_bytes(rates), "t.csv")
    assert err.key == "too_many_cells" and err.params == {"lrs": 41, "rows": 1, "limit": 40}
    assert len(sweep_cells(rates.head(40))) == 40


def test_a_click_on_a_cell_that_cannot_be_trained_leaves_its_reason_not_a_traceback(monkeypatch) -> None:
    clicked = [
        {"lr": 1e9, "batch_size": "32", "optimizer": "adam"},  # a cell of an uploaded sweep table
        {"lr": 0.1, "batch_size": "32", "optimizer": "sgd"},
    ]
    state = {
        "lab.history": [],
        "lab.sweep_chart.base": (RunConfig(epochs=2), None),
        "lab.sweep_chart": {"selection": {GRID_SELECTION: clicked}},
    }
    monkeypatch.setattr(streamlit, "session_state", state)
    add_cell("lab.sweep_chart")
    assert state["lab.sweep_chart.refused"].key == "lr_range"
    assert [run["config"] for run in state["lab.history"]] == [RunConfig(epochs=2, lr=0.1, optimizer="sgd")]


def test_a_long_table_is_previewed_and_a_refused_click_is_told(table) -> None:
    seeds = sweep.pd.concat([table.assign(seed=str(seed)) for seed in range(20)], ignore_index=True)  # 80 runs
    at = open_lab("en", view="grid")
    at.file_uploader(key="lab.sweep_file").set_value(("sweep.csv", csv_bytes(seeds), "text/csv")).run()
    assert len(at.dataframe[-1].value) == PREVIEW_RUNS
    assert t("lab.sweep.preview", "en", shown=PREVIEW_RUNS, runs=80) in [caption.value for caption in at.caption]
    at.session_state["lab.grid_chart.refused"] = ConfigError("lr_range", value=1e9, max=100)  # what add_cell leaves
    at.run()
    assert not at.exception
    assert ConfigError("lr_range", value=1e9, max=100).message("en") in [error.value for error in at.error]
