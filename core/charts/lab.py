"""Charts of the lab: the run history, the seed band, the LR × batch-size grid and the confusion matrix."""

from __future__ import annotations

import io

import altair as alt
import pandas as pd

from core.charts import finite, style

# Twelve distinct colours, dark enough for a projector; a run keeps its colour (by its number) while it lives.
RUN_COLORS = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939",
)  # fmt: skip
GRID_SELECTION = "cell"


def run_color(number: int) -> str:
    """The colour of run `number` (numbers start at 1 and are never reused while a history lives)."""
    return RUN_COLORS[(number - 1) % len(RUN_COLORS)]


def history_chart(
    frame: pd.DataFrame, x: str, y: str, titles: dict[str, str], colors: dict[str, str], log_y: bool
) -> alt.Chart:
    """One line per run (column `label`), `y` over `x`; colours fixed per run; click the legend to pick a run."""
    data = finite(frame[["label", x, y]], x, y)
    if log_y:
        data = data[data[y] > 0]
    pick = alt.selection_point(fields=["label"], bind="legend")
    return (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=25), strokeWidth=2.5)
        .encode(
            x=alt.X(f"{x}:Q", title=titles[x]),
            y=alt.Y(f"{y}:Q", title=titles[y], scale=alt.Scale(type="log" if log_y else "linear", zero=False)),
            color=alt.Color(
                "label:N",
                title=titles["run"],
                scale=alt.Scale(domain=list(colors), range=list(colors.values())),
                sort=list(colors),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15)),
            tooltip=[alt.Tooltip("label:N", title=titles["run"]), f"{x}:Q", alt.Tooltip(f"{y}:Q", format=".4g")],
        )
        .add_params(pick)
        .properties(height=380)
    )


def band_chart(band: pd.DataFrame, titles: dict[str, str]) -> alt.LayerChart:
    """The mean over seeds as a line, the lowest to the highest as a shaded band."""
    data = finite(band, "mean", "low", "high")
    base = alt.Chart(data).encode(x=alt.X("epoch:Q", title=titles["epoch"]))
    tooltip = [
        "epoch:Q",
        *(alt.Tooltip(f"{name}:Q", format=".4g", title=titles[name]) for name in ("mean", "low", "high")),
    ]
    area = base.mark_area(opacity=0.25, color="#1f77b4").encode(
        y=alt.Y("low:Q", title=titles["val_loss"], scale=alt.Scale(zero=False)), y2="high:Q", tooltip=tooltip
    )
    line = base.mark_line(color="#1f4e9c", strokeWidth=3).encode(y="mean:Q", tooltip=tooltip)
    return (area + line).properties(height=320)


def grid_chart(table: pd.DataFrame, titles: dict[str, str]) -> alt.LayerChart:
    """Final validation loss per cell; ✖ on diverging cells, a thick frame on the best; click a cell to pick it.

    `table` is core.lab.grid_table with words added: `row` (the y label), `batch_text`, `optimizer_text` and `why`
    (the reason a run diverges).
    """
    # A diverging cell is grey under its ✖: its huge loss would wash out the colours of all the others.
    data = table.assign(
        lr_text=table["lr"].map(lambda lr: f"{lr:g}"), shade=table["val_loss"].where(~table["diverged"])
    )
    x = alt.X(
        "lr_text:O", title=titles["lr"], sort=sorted(data["lr_text"].unique(), key=float), axis=alt.Axis(labelAngle=0)
    )
    y = alt.Y("row:O", title=titles["row"], sort=list(dict.fromkeys(data["row"])))
    pick = alt.selection_point(name=GRID_SELECTION, fields=["lr", "batch_size", "optimizer"], on="click")
    tooltip = [
        alt.Tooltip("optimizer_text:N", title=titles["optimizer"]),
        alt.Tooltip("batch_text:N", title=titles["batch_size"]),
        alt.Tooltip("lr_text:N", title=titles["lr"]),
        alt.Tooltip("val_loss:Q", format=".4g", title=titles["val_loss"]),
        alt.Tooltip("why:N", title=titles["why"]),
    ]
    cells = (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "shade:Q",
                title=titles["val_loss"],
                scale=alt.Scale(scheme="viridis", type="log"),
                legend=alt.Legend(format=".3g"),
            ),
            tooltip=tooltip,
        )
        .add_params(pick)
    )
    best = alt.Chart(data[data["best"]]).mark_rect(fill=None, stroke="#e0591f", strokeWidth=5).encode(x=x, y=y)
    grey = alt.Chart(data[data["diverged"]]).mark_rect(color="#dddddd", stroke="white").encode(x=x, y=y)
    crosses = (
        alt.Chart(data[data["diverged"]])
        .mark_text(text="✖", fontSize=26, color="#c0282d")
        .encode(x=x, y=y, tooltip=tooltip)
    )
    return alt.layer(cells, grey, best, crosses).properties(height=grid_height(data["row"].nunique()))


def grid_height(rows: int) -> int:
    """Pixels of the grid's cells: rows tall enough to click on a projector."""
    return max(180, 60 * rows)


def confusion_chart(counts: pd.DataFrame, titles: dict[str, str]) -> alt.LayerChart:
    """Validation cases by true class (rows) and predicted class (columns), with the count in each cell."""
    base = alt.Chart(counts).encode(
        x=alt.X("predicted:O", title=titles["predicted"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("true:O", title=titles["true"]),
    )
    tooltip = ["true:O", "predicted:O", "count:Q"]
    cells = base.mark_rect().encode(
        color=alt.Color("count:Q", scale=alt.Scale(scheme="blues"), legend=None), tooltip=tooltip
    )
    text = base.mark_text(fontSize=15).encode(
        text="count:Q", color=alt.condition("datum.count > 0", alt.value("black"), alt.value("#999999"))
    )
    return (cells + text).properties(height=max(200, 34 * counts["true"].nunique()))


def image_bytes(chart: alt.TopLevelMixin, kind: str) -> bytes:
    """The chart as a PNG or SVG file for slides (rendered by vl-convert, offline)."""
    if kind == "png":
        out = io.BytesIO()
        style(chart).save(out, format="png", scale_factor=2)
        return out.getvalue()
    text = io.StringIO()
    style(chart).save(text, format="svg")
    return text.getvalue().encode()
