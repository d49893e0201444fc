"""The lab's other views of the current settings: seed bands, the grid, classes and the code."""

from __future__ import annotations

import functools
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from core.charts.lab import GRID_SELECTION, band_chart, confusion_chart, grid_chart, grid_height
from core.codegen import script
from core.config import ConfigError, RunConfig
from core.data import TASKS, Dataset
from core.i18n import t
from core.lab import (
    SWEEP_MAX_BYTES,
    SWEEP_MAX_RUNS,
    SweepTableError,
    cell_config,
    confusion,
    grid_configs,
    grid_table,
    read_sweep,
    seed_band,
    seed_configs,
    sweep_base,
    sweep_cells,
)
from core.runlog import divergence_reason, reason_in_words
from core.ui.cache import cached_lesson
from core.ui.charts import chart_spec, own_chart_spec
from core.ui.lab.charts import chart_titles, current_curve, downloads, show_lab_chart, train_runs
from core.ui.lab.history import add_run
from core.ui.runs import show_config_error
from core.ui.widgets import FULL_BATCH_LABEL, knob_widget

# Rows of an uploaded sweep table shown: enough to recognise it. Never the whole table: st.dataframe keeps a table
# of over 150,000 rows on the server, for the session, to page through it.
PREVIEW_RUNS = 50


def band_section(lang: str, config: RunConfig, data: Dataset | None) -> None:
    """The current settings over several seeds: the mean and the range from the lowest to the highest."""
    configs = seed_configs(config)
    result = train_runs(configs, data, lang)
    if result is None:
        return
    band = seed_band(result.epochs)
    chart = functools.partial(band_chart, band, chart_titles(lang))
    show_lab_chart(chart, uploaded=data is not None)
    st.caption(t("lab.band_caption", lang, seeds=len(configs), first=config.seed, last=configs[-1].seed))
    downloads(lang, band, result.epochs, chart, "lab_seeds")


def grid_section(lang: str, config: RunConfig, data: Dataset | None) -> None:
    """Final validation loss over learning rate × batch size (× optimizer); a click adds the cell as a run."""
    rates = knob_widget("lr", "lab.grid_lr", lang, param="grid_lr", default=(1e-3, 1e-2, 0.1, 1.0), several=True)
    sizes = knob_widget(
        "batch_size", "lab.grid_batch_size", lang, param="grid_batch_size", default=(8, 32, "full"), several=True
    )
    optimizers = knob_widget(
        "optimizer",
        "lab.grid_optimizer",
        lang,
        param="grid_optimizer",
        default=(config.optimizer,),
        several=True,
        label=t("lab.grid_optimizers", lang),
    )
    if not (rates and sizes and optimizers):
        st.info(t("lab.grid_empty", lang))
        return
    configs = grid_configs(config, rates, sizes, optimizers)
    result = train_runs(configs, data, lang)
    if result is None:
        st.caption(t("lab.grid_reduce", lang))
        return
    table = grid_table(configs, result.epochs, result.runs)
    why = [divergence_reason(run, lang) for run in result.runs.to_dict("records")]
    cells = labelled_cells(table, why, lang)
    chart = functools.partial(grid_chart, cells, chart_titles(lang))
    clickable_grid(lang, chart, cells["row"].nunique(), "lab.grid_chart", config, data, uploaded=data is not None)
    best = cells[cells["best"]]
    if len(best):
        row = best.iloc[0]
        st.caption(t("lab.grid_best", lang, lr=row["lr"], batch=row["batch_text"], loss=row["val_loss"]))
    st.caption(t("lab.grid_caption", lang))
    downloads(lang, table, result.epochs, chart, "lab_grid")
    sweep_section(lang)


def labelled_cells(table: pd.DataFrame, why: list[str] | pd.Series, lang: str) -> pd.DataFrame:
    """Grid cells with what the heat map shows in words: the batch size and optimizer as the widgets name them, the
    row label (the batch size, after the optimizer's name when there are several) and the divergence reason `why`."""
    batches = table["batch_size"].replace("full", FULL_BATCH_LABEL)
    optimizers = table["optimizer"].map(lambda name: t(f"common.optimizers.{name}", lang))
    rows = batches if table["optimizer"].nunique() == 1 else optimizers + " · " + batches
    return table.assign(row=rows, batch_text=batches, optimizer_text=optimizers, why=list(why))


def sweep_section(lang: str) -> None:
    """A sweep table from `python -m core sweep`, uploaded: its runs and their heat map, with no training here."""
    with st.expander(t("lab.sweep.title", lang), icon=":material/table_view:"):
        megabytes = SWEEP_MAX_BYTES // 1_000_000
        uploaded = st.file_uploader(
            t("lab.sweep.file", lang),
            type=["csv", "parquet"],
            max_upload_size=megabytes,  # the browser's check; read_sweep checks again here
            help=t("lab.sweep.help", lang, megabytes=megabytes, runs=SWEEP_MAX_RUNS),
            key="lab.sweep_file",
        )
        if uploaded is None:
            return
        try:
            table = read_sweep(uploaded.getvalue(), uploaded.name)
        except SweepTableError as err:
            show_config_error(err, lang)
            return
        st.dataframe(table.head(PREVIEW_RUNS), hide_index=True)
        if len(table) > PREVIEW_RUNS:
            st.caption(t("lab.sweep.preview", lang, shown=PREVIEW_RUNS, runs=len(table)))
        try:
            cells = sweep_cells(table)
        except SweepTableError as err:
            show_config_error(err, lang)
            return
        cells = labelled_cells(cells, cells["reason"].map(lambda code: reason_in_words(code, lang)), lang)
        chart = functools.partial(grid_chart, cells, chart_titles(lang))
        try:
            base = sweep_base(table)
        except ConfigError:  # runs on the user's own CSV, or settings this version cannot train: drawn, not added
            show_lab_chart(chart, uploaded=True)
            return
        clickable_grid(lang, chart, cells["row"].nunique(), "lab.sweep_chart", base, None, uploaded=True)
        st.caption(t("lab.sweep.click", lang))


def clickable_grid(
    lang: str,
    chart: Callable[[], alt.LayerChart],
    rows: int,
    key: str,
    base: RunConfig,
    data: Dataset | None,
    uploaded: bool,
) -> None:
    """Draw the grid heat map `chart()` whose click adds that cell, on `base` (and the upload `data`), to the
    history; `uploaded`: it shows a visitor's upload, so its spec is made for this view alone."""
    st.session_state[_base_key(key)] = (base, data)  # add_cell, run before the next run of the page, builds on it
    st.vega_lite_chart(
        (own_chart_spec if uploaded else chart_spec)(chart),
        width="stretch",
        height=grid_height(rows) + 90,  # the axes and their titles below the cells
        key=key,
        on_select=functools.partial(add_cell, key),
        selection_mode=GRID_SELECTION,
    )
    refused = st.session_state.pop(_refused_key(key), None)
    if refused is not None:  # a cell whose settings cannot be trained (a sweep table's lr of 1e9)
        show_config_error(refused, lang)


def _base_key(chart_key: str) -> str:
    """Where the settings that the grid chart `chart_key` was drawn on are kept."""
    return f"{chart_key}.base"


def _refused_key(chart_key: str) -> str:
    """Where a click on the grid chart `chart_key` leaves the reason its cell could not be added."""
    return f"{chart_key}.refused"


def add_cell(key: str) -> None:
    """Add the cell just clicked on chart `key`, on that grid's settings, to the history (the chart's callback).

    A cell that cannot be trained (its values come from an uploaded table) leaves its reason for the next run."""
    base, data = st.session_state[_base_key(key)]
    for cell in st.session_state[key]["selection"].get(GRID_SELECTION, []):
        try:
            config = cell_config(base, cell)
        except ConfigError as err:
            st.session_state[_refused_key(key)] = err
            continue
        add_run(config, data)


def classes_section(lang: str, config: RunConfig, data: Dataset | None) -> None:
    """Accuracy over the epochs and the validation set's confusion matrix at the end (classification only)."""
    if (TASKS[config.dataset] if data is None else data.task) == "regression":
        st.info(t("lab.regression", lang))
        return
    try:  # an upload stays out of the shared cache: its matrix is counted again on each run of the page
        counts = cached_lesson(confusion, config) if data is None else confusion(config, data)
    except ConfigError as err:
        show_config_error(err, lang)
        return
    current_curve(lang, config, "val_accuracy", data)
    chart = functools.partial(confusion_chart, counts, chart_titles(lang))
    show_lab_chart(chart, uploaded=data is not None)
    right = counts.loc[counts["true"] == counts["predicted"], "count"].sum()
    st.caption(t("lab.confusion_caption", lang, right=right, total=counts["count"].sum()))
    downloads(lang, counts, counts, chart, "lab_confusion")


def code_section(lang: str, config: RunConfig, data: Dataset | None) -> None:
    """The current settings as a standalone PyTorch script in the article's loop (`python -m core code`, same text)."""
    st.markdown(t("lab.code.intro", lang))
    if data is not None:  # the script cannot carry the user's table
        st.info(t("lab.code.upload", lang, dataset=config.dataset), icon=":material/info:")
    text = script(config, lang)
    st.download_button(
        t("lab.code.download", lang),
        data=text,
        file_name="train.py",
        mime="text/x-python",
        key="lab.download.code",
        icon=":material/download:",
        on_click="ignore",
    )
    st.code(text, language="python", line_numbers=True)
