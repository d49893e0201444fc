"""Charts of the home page's walk through the training loop (DataFrame in, Altair chart out)."""

from __future__ import annotations

import altair as alt
import pandas as pd


def loss_per_batch_chart(curve: pd.DataFrame, titles: dict[str, str]) -> alt.LayerChart:
    """Loss after each batch, one line per series, growing as the loop runs.

    `curve` is long: batch, epoch, series, loss. `series` holds the translated names in drawing order; the first is
    the noisy mini-batch loss (thin, with points), the second the loss on all training patients (thick).
    `titles` names the axes and tooltip fields: batch, loss, epoch, series.
    """
    curve = curve[pd.notna(curve["loss"]) & (curve["loss"].abs() != float("inf"))]
    names = list(dict.fromkeys(curve["series"]))
    legend = alt.selection_point(fields=["series"], bind="legend")
    base = alt.Chart(curve).encode(
        x=alt.X("batch:Q", title=titles["batch"], axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("loss:Q", title=titles["loss"], scale=alt.Scale(zero=True)),
        # Grey for the noisy mini-batch loss, blue for the trend on all patients.
        color=alt.Color(
            "series:N",
            title=None,
            sort=names,
            scale=alt.Scale(domain=names, range=["#8a8f98", "#1f6fd1"]),
            legend=alt.Legend(orient="bottom", labelLimit=400, labelFontSize=13),
        ),
        opacity=alt.condition(legend, alt.value(1.0), alt.value(0.15)),
        tooltip=[
            alt.Tooltip("series:N", title=titles["series"]),
            alt.Tooltip("batch:Q", title=titles["batch"]),
            alt.Tooltip("epoch:Q", title=titles["epoch"]),
            alt.Tooltip("loss:Q", title=titles["loss"], format=".4g"),
        ],
    )
    # The mini-batch loss jumps from batch to batch (four patients are a small sample); its points show each value.
    width = alt.condition(alt.datum.series == (names[0] if names else ""), alt.value(1.5), alt.value(3.5))
    lines = base.mark_line().encode(strokeWidth=width).add_params(legend)
    points = base.mark_circle(size=40)
    return alt.layer(lines, points).properties(height=320)
