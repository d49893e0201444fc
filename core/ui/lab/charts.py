"""What every lab view shares: chart titles, the current settings' curve and the downloads."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from core.charts.lab import history_chart, image_bytes, run_color
from core.config import ConfigError, RunConfig
from core.data import Dataset
from core.i18n import t
from core.lab import X_AXES
from core.training import Result
from core.ui.charts import show_chart, show_own_chart
from core.ui.runs import cached_train, show_config_error
from core.ui.upload import train_uploaded

METRICS = ("train_loss", "val_loss", "val_accuracy")


def chart_titles(lang: str) -> dict[str, str]:
    """Axis and legend titles of every lab chart."""
    names = (
        "run",
        "diverged",
        "row",
        "why",
        "mean",
        "low",
        "high",
        "true",
        "predicted",
        "lr",
        "batch_size",
        "optimizer",
    )
    return {name: t(f"lab.axes.{name}", lang) for name in (*X_AXES, *METRICS, *names)}


def train_runs(configs: Sequence[RunConfig], data: Dataset | None, lang: str) -> Result | None:
    """Train `configs` (on an upload: in this session only); None, with the reason shown, for a bad request."""
    try:
        return cached_train(tuple(configs)) if data is None else train_uploaded(configs, data)
    except ConfigError as err:
        show_config_error(err, lang)
        return None


def current_curve(lang: str, config: RunConfig, metric: str, data: Dataset | None = None) -> None:
    """One measure of the current settings over the epochs."""
    result = train_runs([config], data, lang)
    if result is None:
        return
    label = t("lab.current", lang)
    frame = result.epochs.assign(label=label)
    colors = {label: run_color(1)}
    chart = functools.partial(history_chart, frame, "epoch", metric, chart_titles(lang), colors, log_y=False)
    show_lab_chart(chart, uploaded=data is not None)


def show_lab_chart(chart: Callable[[], alt.TopLevelMixin], uploaded: bool) -> None:
    """Draw `chart()` from the shared cache; made for this view alone when it shows a visitor's upload, which never
    enters the shared cache."""
    (show_own_chart if uploaded else show_chart)(chart)


def downloads(
    lang: str, table: pd.DataFrame, epochs: pd.DataFrame, chart: Callable[[], alt.TopLevelMixin], name: str
) -> None:
    """CSV of the run table and the per-epoch records; the chart (built by `chart()`) as PNG and SVG, made only when
    clicked."""
    columns = st.columns(4)
    files = (
        ("csv_runs", lambda: table.to_csv(index=False), f"{name}_runs.csv", "text/csv"),
        ("csv_epochs", lambda: epochs.to_csv(index=False), f"{name}_epochs.csv", "text/csv"),
        ("png", lambda: image_bytes(chart(), "png"), f"{name}.png", "image/png"),
        ("svg", lambda: image_bytes(chart(), "svg"), f"{name}.svg", "image/svg+xml"),
    )
    for column, (kind, data, file_name, mime) in zip(columns, files, strict=True):
        column.download_button(
            t(f"lab.download.{kind}", lang),
            data=data,
            file_name=file_name,
            mime=mime,
            key=f"lab.download.{name}.{kind}",
            icon=":material/download:",
            on_click="ignore",
        )
