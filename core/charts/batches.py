"""Charts of the batch, epoch and DataLoader lesson (DataFrame in, Altair chart out; texts arrive translated)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from core.charts import finite, ordered_colors, smoothed

SHUFFLE_COLOURS = {"sorted": "#c0282d", "shuffled": "#1f4e9c"}
TRAIN_VAL_COLOURS = ("#1f4e9c", "#d08c00")


def _legend() -> alt.Legend:
    # Below the chart: a legend on the right eats the plot's width on a 1280-pixel projector. Streamlit fits the
    # whole chart, legend included, into its height, so the heights below leave room for it.
    return alt.Legend(orient="bottom", labelLimit=400, symbolType="stroke", symbolSize=300)


def progress_chart(
    curves: pd.DataFrame, x: str, names: Sequence[str], titles: Mapping[str, str], log_y: bool
) -> alt.LayerChart:
    """Training loss against `x` (epoch, updates, examples or seconds), one line per batch size.

    `curves` holds x columns, loss and name (the translated batch label, in `names` order)."""
    data = finite(curves, x, "loss")
    if log_y:
        data = data[data["loss"] > 0]
    pick = alt.selection_point(fields=["name"], bind="legend")
    # Counts are whole numbers; wall-clock seconds are not (a small run trains in well under a second).
    axis = alt.Axis(format=",.2~f") if x == "seconds" else alt.Axis(tickMinStep=1, format=",d")
    colour = alt.Color(
        "name:N",
        title=titles["batch"],
        sort=list(names),
        scale=alt.Scale(domain=list(names), range=ordered_colors(len(names))),
        legend=_legend(),
    )
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:Q", title=titles[x], axis=axis),
        y=alt.Y("loss:Q", title=titles["loss"], scale=alt.Scale(type="log") if log_y else alt.Scale(zero=False)),
        color=colour,
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15)),
        tooltip=[
            alt.Tooltip("name:N", title=titles["batch"]),
            alt.Tooltip("epoch:Q", title=titles["epoch"]),
            alt.Tooltip("updates:Q", title=titles["updates"], format=","),
            alt.Tooltip("seconds:Q", title=titles["seconds"], format=".2f"),
            alt.Tooltip("loss:Q", title=titles["loss"], format=".4g"),
        ],
    )
    return alt.layer(base.mark_line(strokeWidth=3).add_params(pick), base.mark_point(filled=True, size=30)).properties(
        height=420
    )


def batch_loss_chart(steps: pd.DataFrame, titles: Mapping[str, str], smooth: int = 0) -> alt.Chart | alt.LayerChart:
    """The loss of every batch, sorted-and-unshuffled against shuffled: `steps` has step, loss, order, name; with
    `smooth` > 1, faint under its rolling mean over that many batches."""
    data = finite(steps, "step", "loss")
    names = list(dict.fromkeys(data["name"]))
    colours = [SHUFFLE_COLOURS[order] for order in dict.fromkeys(data["order"])]
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("step:Q", title=titles["step"]),
            y=alt.Y("loss:Q", title=titles["loss"]),
            color=alt.Color(
                "name:N", title=None, sort=names, scale=alt.Scale(domain=names, range=colours), legend=_legend()
            ),
            tooltip=[
                alt.Tooltip("name:N", title=titles["order"]),
                alt.Tooltip("step:Q", title=titles["step"]),
                alt.Tooltip("loss:Q", title=titles["loss"], format=".4g"),
            ],
        )
        .properties(height=340)
    )
    return smoothed(lines, "loss", smooth, "name", "step")


def class_strip(mix: pd.DataFrame, titles: Mapping[str, str]) -> alt.Chart:
    """Each batch as a column of squares, one per class it holds (darker = more cases): step, label, count."""
    return (
        alt.Chart(mix)
        .mark_square(size=220, opacity=1)
        .encode(
            x=alt.X("step:Q", title=titles["step"], axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("label:Q", title=titles["label"], axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "count:Q", title=titles["count"], scale=alt.Scale(scheme="blues"), legend=alt.Legend(orient="right")
            ),
            tooltip=[
                alt.Tooltip("step:Q", title=titles["step"]),
                alt.Tooltip("label:Q", title=titles["label"]),
                alt.Tooltip("count:Q", title=titles["count"]),
            ],
        )
        .properties(height=330)
    )


def first_epoch_chart(trace: pd.DataFrame, titles: Mapping[str, str]) -> alt.Chart:
    """Validation accuracy after every update of the first epoch: `trace` has step, val_accuracy, order, name."""
    data = finite(trace, "step", "val_accuracy")
    names = list(dict.fromkeys(data["name"]))
    colours = [SHUFFLE_COLOURS[order] for order in dict.fromkeys(data["order"])]
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=3, point=True)
        .encode(
            x=alt.X("step:Q", title=titles["step"]),
            y=alt.Y(
                "val_accuracy:Q", title=titles["accuracy"], scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")
            ),
            color=alt.Color(
                "name:N", title=None, sort=names, scale=alt.Scale(domain=names, range=colours), legend=_legend()
            ),
            tooltip=[
                alt.Tooltip("name:N", title=titles["order"]),
                alt.Tooltip("step:Q", title=titles["step"]),
                alt.Tooltip("val_accuracy:Q", title=titles["accuracy"], format=".1%"),
            ],
        )
        .properties(height=340)
    )


def train_val_chart(
    epochs: pd.DataFrame, names: Mapping[str, str], best_epoch: int | None, titles: Mapping[str, str]
) -> alt.LayerChart:
    """Training and validation loss per epoch; a dashed rule where the validation loss was lowest.

    `epochs` is one run's per-epoch frame; `names` maps its loss columns (train_loss, val_loss) to translated names."""
    long = epochs.melt(id_vars="epoch", value_vars=list(names), var_name="curve", value_name="loss")
    data = finite(long.assign(name=long["curve"].map(names)), "epoch", "loss")
    shown = list(dict.fromkeys(data["name"]))
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=3)
        .encode(
            x=alt.X("epoch:Q", title=titles["epoch"]),
            y=alt.Y("loss:Q", title=titles["loss"], scale=alt.Scale(type="log")),
            color=alt.Color(
                "name:N",
                title=None,
                sort=shown,
                scale=alt.Scale(domain=shown, range=list(TRAIN_VAL_COLOURS)),
                legend=_legend(),
            ),
            tooltip=[
                alt.Tooltip("name:N", title=titles["curve"]),
                alt.Tooltip("epoch:Q", title=titles["epoch"]),
                alt.Tooltip("loss:Q", title=titles["loss"], format=".4g"),
            ],
        )
    )
    if best_epoch is None:
        return alt.layer(lines).properties(height=400)
    rule = (
        alt.Chart(pd.DataFrame({"epoch": [best_epoch], "text": [titles["best"]]}))
        .mark_rule(strokeDash=[6, 4], strokeWidth=2, color="#444444")
        .encode(
            x="epoch:Q",
            tooltip=[alt.Tooltip("text:N", title=titles["curve"]), alt.Tooltip("epoch:Q", title=titles["epoch"])],
        )
    )
    return alt.layer(lines, rule).properties(height=400)
