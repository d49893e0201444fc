"""The lab draws a sweep table written by `python -m core sweep`, with no training, and refuses other files clearly."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from core import sweep
from core.i18n import LANGUAGES, t
from core.lab import SweepTableError, read_sweep, sweep_cells
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
