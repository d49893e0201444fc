"""Altair chart builders: a pandas frame in, an alt.Chart out (no Streamlit here).

Topic-specific charts live in `core/charts/<topic>.py`; this module holds the shared pieces and the loss curves.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from core.i18n import t
from core.runlog import divergence_reason

# Ordered from cool to hot, so a larger learning rate reads as a "hotter" line; dark enough for a projector.
ORDERED_COLORS = ("#1f4e9c", "#1b8a8f", "#3d8b37", "#8a8a12", "#d08c00", "#e0591f", "#c0282d", "#7a1533")
LOG_SPAN = 100.0  # use a log axis when the largest value is this many times the smallest
FONT_SIZES = {"label": 15, "title": 17}
# On a projector, read from the back of a hall: every text of a chart a third larger, and legends on top.
PROJECTOR_FONT_SIZES = {"label": 20, "title": 23}
PROJECTOR_SCALE = PROJECTOR_FONT_SIZES["label"] / FONT_SIZES["label"]


def format_lr(lr: float) -> str:
    """A learning rate as people write it: 0.001, 0.3, 10."""
    return f"{lr:g}"


def ordered_colors(n: int) -> list[str]:
    """`n` colors spread evenly over ORDERED_COLORS, from cool (first) to hot (last)."""
    if n <= 1:
        return [ORDERED_COLORS[0]] * max(n, 0)
    picks = np.linspace(0, len(ORDERED_COLORS) - 1, n).round().astype(int)
    return [ORDERED_COLORS[i] for i in picks]


def finite(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Rows whose `columns` are all finite numbers (NaN and ±inf never reach a chart), renumbered from 0."""
    values = frame[list(columns)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    return frame[np.isfinite(values).all(axis=1)].reset_index(drop=True)


def needs_log_scale(values: pd.Series) -> bool:
    """True when the positive values span at least two decades."""
    positive = values[values > 0]
    return len(positive) > 1 and positive.max() / positive.min() >= LOG_SPAN


SMOOTHING_WINDOWS = (0, 5, 20, 50)  # batches in a rolling mean of a per-batch loss; 0 draws the raw line alone
FAINT = 0.25  # opacity of the raw line under its rolling mean


def smoothed(lines: alt.Chart, field: str, window: int, group: str, order: str) -> alt.Chart | alt.LayerChart:
    """`lines` (one line per `group` along `order`) faint, under the rolling mean of `field` over the last `window`
    points, computed in the chart: the same data, the same axes and tooltips. `window` ≤ 1 returns `lines` as is."""
    if window <= 1:
        return lines
    colour = lines.encoding.color.to_dict()
    if colour.get("legend", {}) is not None:  # the legend's symbols keep full colour, under the faint line's opacity
        legend = {**colour.get("legend", {}), "symbolOpacity": 1}
        lines = lines.encode(color=alt.Color.from_dict({**colour, "legend": legend}))
    mean = lines.transform_calculate(raw=f"datum['{field}']").transform_window(
        **{field: "mean(raw)"}, frame=[1 - window, 0], groupby=[group], sort=[alt.SortField(order)]
    )
    return alt.layer(lines.encode(opacity=alt.value(FAINT)), mean)


def style(chart: alt.TopLevelMixin, projector: bool = False) -> alt.TopLevelMixin:
    """Large axis and legend text, readable from the back of a lecture hall; larger still for a projector."""
    sizes = PROJECTOR_FONT_SIZES if projector else FONT_SIZES
    legend = {"orient": "top", "symbolSize": 400} if projector else {}  # only for legends that name no place
    return (
        chart.configure_axis(labelFontSize=sizes["label"], titleFontSize=sizes["title"])
        .configure_legend(labelFontSize=sizes["label"], titleFontSize=sizes["title"], symbolStrokeWidth=4, **legend)
        .configure_title(fontSize=sizes["title"])
    )


def for_projector(spec: dict) -> dict:
    """A finished spec made for a projector: every legend on top of its chart, so it is on the first screen with the
    chart and leaves the plot its width, with the projector's sizes (a size a builder set is dropped); text marks a
    third larger. Returns a new spec; data sets are shared, not copied."""

    def adapt(node: object, key: str = "") -> object:
        if isinstance(node, list):
            return [adapt(item) for item in node]
        if not isinstance(node, dict) or key in ("datasets", "config"):  # the data, and the sizes style() set
            return node
        node = {name: adapt(value, name) for name, value in node.items()}
        if key == "legend":
            sized = ("labelFontSize", "titleFontSize", "symbolSize")
            return {name: value for name, value in node.items() if name not in sized} | {"orient": "top"}
        if key == "mark" and isinstance(node.get("fontSize"), (int, float)):
            node["fontSize"] = round(node["fontSize"] * PROJECTOR_SCALE)
        return node

    return adapt(spec)


def _number_text(value: float) -> str:
    if value is None or pd.isna(value):
        return "–"
    if math.isinf(value):
        return "∞"
    return f"{value:.3g}"


def loss_curves(
    epochs: pd.DataFrame,
    lang: str,
    metric: str = "train_loss",
    runs: pd.DataFrame | None = None,
    log_y: bool | None = None,
    height: int = 420,
) -> alt.LayerChart:
    """Loss per epoch, one line per learning rate; a diverging run gets a ✖ and a dashed rule where it stops.

    `epochs` and `runs` are the frames of core.training.Result; `log_y=None` picks a log axis when values span
    two decades. Click a learning rate in the legend to highlight its line.
    """
    data = finite(epochs[["run", "lr", "epoch", metric]].rename(columns={metric: "loss"}), "loss")
    log = needs_log_scale(data["loss"]) if log_y is None else log_y
    if log:
        data = data[data["loss"] > 0]
    data = data.assign(lr_label=data["lr"].map(format_lr))
    rates = sorted(epochs["lr"].unique())
    domain = [format_lr(lr) for lr in rates]

    lr_title = t("charts.lr", lang)
    loss_title = t(f"charts.{metric}", lang) if metric in ("train_loss", "val_loss") else t("charts.loss", lang)
    epoch_title = t("charts.epoch", lang)
    pick = alt.selection_point(fields=["lr_label"], bind="legend")
    color = alt.Color(
        "lr_label:N",
        title=lr_title,
        scale=alt.Scale(domain=domain, range=ordered_colors(len(domain))),
        sort=domain,
        legend=alt.Legend(symbolType="stroke", symbolSize=400, orient="right"),
    )
    y_scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    y_title = f"{loss_title} ({t('charts.log_note', lang)})" if log else loss_title
    # A diverging run can reach 10¹² times its start: from 10⁵ on, labels read 1e5 ... 1e12 instead of getting cut off.
    short = "datum.value >= 1e5 ? replace(format(datum.value, '.0e'), 'e+', 'e') : format(datum.value, ',~g')"
    y = alt.Y("loss:Q", title=y_title, scale=y_scale, axis=alt.Axis(labelExpr=short))
    x = alt.X("epoch:Q", title=epoch_title, axis=alt.Axis(tickMinStep=1))
    tooltip = [
        alt.Tooltip("lr_label:N", title=lr_title),
        alt.Tooltip("epoch:Q", title=epoch_title),
        alt.Tooltip("loss:Q", title=loss_title, format=".4g"),
    ]
    base = alt.Chart(data).encode(x=x, y=y, color=color, tooltip=tooltip)
    fade = alt.condition(pick, alt.value(1.0), alt.value(0.12))
    lines = base.mark_line(strokeWidth=3.5).encode(opacity=fade).add_params(pick)
    points = base.mark_point(filled=True, size=45).encode(opacity=fade)
    layers = [lines, points]

    blown = _divergence_marks(epochs, runs, data, lang, log)
    if not blown.empty:
        marks = alt.Chart(blown).encode(
            x="epoch:Q",
            color=color,
            opacity=fade,
            tooltip=[
                alt.Tooltip("lr_label:N", title=lr_title),
                alt.Tooltip("status:N", title=t("charts.status", lang)),
                alt.Tooltip("loss_text:N", title=t("charts.diverged_loss", lang)),
            ],
        )
        layers.append(marks.mark_rule(strokeWidth=2.5, strokeDash=[6, 4]))
        layers.append(marks.mark_text(text="✖", fontSize=26, baseline="middle").encode(y="top:Q"))
    return alt.layer(*layers).properties(height=height)


STACK_STEP = 0.1  # of the loss axis, between the ✖ marks of runs stopped in the same epoch


def _divergence_marks(
    epochs: pd.DataFrame, runs: pd.DataFrame | None, shown: pd.DataFrame, lang: str, log: bool = False
) -> pd.DataFrame:
    """One row per diverging run: where it was stopped or its record ends (epoch, top of the plotted range), and why.

    Runs stopped in the same epoch get their ✖ one under the other (a tenth of the axis apart), not one on another.
    """
    columns = ["run", "lr_label", "epoch", "top", "status", "loss_text"]
    last_epoch = epochs.groupby("run")["epoch"].max()
    if runs is None:
        verdicts = epochs.groupby("run").agg(lr=("lr", "first"), diverged=("diverged", "any"))
        runs = pd.DataFrame({"run": verdicts.index, "lr": verdicts["lr"], "diverged": verdicts["diverged"]})
    blown = runs[runs["diverged"].astype(bool)]
    if blown.empty or shown.empty:
        return pd.DataFrame(columns=columns)
    top = float(shown["loss"].max())
    rows = []
    for _, run in blown.iterrows():
        stopped = "stopped_epoch" in run and pd.notna(run["stopped_epoch"])
        rows.append(
            {
                "run": int(run["run"]),
                "lr_label": format_lr(float(run["lr"])),
                "epoch": int(run["stopped_epoch"]) if stopped else int(last_epoch[run["run"]]),
                "top": top,
                "status": divergence_reason(run, lang) if "reason" in run else t("charts.diverged", lang),
                "loss_text": _number_text(run["stopped_loss"] if stopped else run.get("final_loss", math.nan)),
            }
        )
    marks = pd.DataFrame(rows, columns=columns)
    below = marks.groupby("epoch").cumcount() * STACK_STEP  # 0 for the first ✖ of an epoch, then 0.1, 0.2 ...
    bottom = float(shown["loss"].min())
    if log and bottom > 0:
        marks["top"] = top * (bottom / top) ** below
    else:
        marks["top"] = top - (top - bottom) * below
    return marks
