"""Charts of the LR-schedule lesson: the applied rate above the loss, one shared step axis (DataFrame in, chart out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from core.charts import finite, smoothed

# One colour per schedule on every chart of the page, whatever the language.
SCHEDULE_COLOURS = {
    "none": "#555555",
    "step": "#d08c00",
    "exponential": "#8a8a12",
    "cosine": "#1f4e9c",
    "onecycle": "#b5179e",
    "warmup-cosine": "#17a34a",
    "plateau": "#c0282d",
}


def _colour(codes: Sequence[str], names: Mapping[str, str]) -> alt.Color:
    return alt.Color(
        "name:N",
        title=None,
        sort=[names[code] for code in codes],
        scale=alt.Scale(domain=[names[code] for code in codes], range=[SCHEDULE_COLOURS[code] for code in codes]),
        legend=alt.Legend(orient="top", labelLimit=300, symbolType="stroke", symbolSize=300, symbolStrokeWidth=4),
    )


def _lines(
    frame: pd.DataFrame,
    field: str,
    title: str,
    codes: Sequence[str],
    names: Mapping[str, str],
    titles: Mapping[str, str],
    log: bool,
    height: int,
    width: float,
) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_line(strokeWidth=width)
        .encode(
            x=alt.X("step:Q", title=titles["step"], axis=alt.Axis(format=",d")),
            y=alt.Y(f"{field}:Q", title=title, scale=alt.Scale(type="log") if log else alt.Scale(zero=True)),
            color=_colour(codes, names),
            tooltip=[
                alt.Tooltip("name:N", title=titles["schedule"]),
                alt.Tooltip("step:Q", title=titles["step"]),
                alt.Tooltip("epoch:Q", title=titles["epoch"]),
                alt.Tooltip(f"{field}:Q", title=title, format=".4g"),
            ],
        )
        .properties(height=height, width="container")
    )


def schedule_chart(
    rates: pd.DataFrame,
    losses: pd.DataFrame | None,
    codes: Sequence[str],
    names: Mapping[str, str],
    titles: Mapping[str, str],
    smooth: int = 0,
) -> alt.VConcatChart | alt.Chart:
    """The learning rate of every step, and below it (once trained) the loss of every step, on one step axis.

    `rates` and `losses` have step, epoch, name and lr / loss; `codes` are the schedules in legend order. With
    `smooth` > 1 the loss is drawn faint under its rolling mean over that many batches."""
    top = _lines(finite(rates, "step", "lr"), "lr", titles["lr"], codes, names, titles, False, 170, 3)
    if losses is None:
        return top
    data = finite(losses, "step", "loss")
    lines = _lines(data[data["loss"] > 0], "loss", titles["loss"], codes, names, titles, True, 300, 1.5)
    bottom = smoothed(lines, "loss", smooth, "name", "step")
    return alt.vconcat(top, bottom, spacing=12).resolve_scale(x="shared", color="shared")


def final_loss_bars(
    summary: pd.DataFrame, codes: Sequence[str], names: Mapping[str, str], titles: Mapping[str, str]
) -> alt.Chart:
    """Final validation loss per schedule as horizontal bars: `summary` has name and val_loss."""
    return (
        alt.Chart(finite(summary, "val_loss"))
        .mark_bar()
        .encode(
            y=alt.Y("name:N", title=None, sort=[names[code] for code in codes], axis=alt.Axis(labelLimit=260)),
            x=alt.X("val_loss:Q", title=titles["val_loss"]),
            color=_colour(codes, names).legend(None),
            tooltip=[
                alt.Tooltip("name:N", title=titles["schedule"]),
                alt.Tooltip("val_loss:Q", title=titles["val_loss"], format=".4g"),
            ],
        )
        .properties(height=40 * len(codes) + 60)
    )
