"""Charts of the 1-D valleys and the LR range test (DataFrame in, Altair chart out; texts arrive translated)."""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd
import torch

from core.charts import finite

BALL = "#c0282d"
CURVE = "#1f4e9c"
SUGGESTION_COLOURS = ("#17a34a", "#6a3d9a", "#1b8a8f")  # rates before the range test's lowest point
WARNING = "#c0282d"  # a rate at or past the lowest point: the blow-up zone


def valley_chart(
    loss: object,
    view: tuple[float, float],
    path: pd.DataFrame,
    titles: Mapping[str, str],
    marks: pd.DataFrame | None = None,
    height: int = 340,
) -> alt.LayerChart:
    """The curve L(w) over `view`, and the ball's positions (step, w, loss) joined in order, numbered.

    `loss` maps a tensor of positions to their losses; `marks` (w, loss, text) labels special points."""
    grid = torch.linspace(view[0], view[1], 241, dtype=torch.float64)
    curve = pd.DataFrame({"w": grid.numpy(), "loss": loss(grid).numpy()})
    low, high = float(curve["loss"].min()), float(curve["loss"].max())
    shown = finite(path, "w", "loss")
    shown = shown[(shown["w"] >= view[0]) & (shown["w"] <= view[1]) & (shown["loss"] <= high)]
    x = alt.X("w:Q", title=titles["w"], scale=alt.Scale(domain=list(view), nice=False))
    y = alt.Y("loss:Q", title=titles["loss"], scale=alt.Scale(domain=[low - 0.05 * (high - low), high]))
    layers = [alt.Chart(curve).mark_line(color=CURVE, strokeWidth=3).encode(x=x, y=y)]
    tooltip = [
        alt.Tooltip("step:Q", title=titles["step"]),
        alt.Tooltip("w:Q", title=titles["w"], format=".4g"),
        alt.Tooltip("loss:Q", title=titles["loss"], format=".4g"),
    ]
    ball = alt.Chart(shown).encode(x=x, y=y, order="step:Q", tooltip=tooltip)
    layers.append(ball.mark_line(color=BALL, strokeWidth=1.5, strokeDash=[4, 3], point=False))
    layers.append(
        ball.mark_circle(color=BALL, stroke="white", strokeWidth=1).encode(
            size=alt.Size("step:Q", scale=alt.Scale(range=[260, 60]), legend=None)
        )
    )
    first = shown[shown["step"] <= 9]
    layers.append(
        alt.Chart(first).mark_text(dy=-16, fontSize=14, fontWeight="bold", color=BALL).encode(x=x, y=y, text="step:Q")
    )
    if marks is not None and not marks.empty:
        layers.append(alt.Chart(marks).mark_text(dy=24, fontSize=14, color="#333333").encode(x=x, y=y, text="text:N"))
    return alt.layer(*layers).properties(height=height)


def regime_strip(
    edges: Mapping[str, float],
    lr: float,
    names: Mapping[str, str],
    titles: Mapping[str, str],
    span: tuple[float, float],
) -> alt.LayerChart:
    """A log learning-rate axis cut into the parabola's regimes, the chosen rate marked: `edges` maps each regime
    name to where it ends (crawls, glides, bounces; flies_off runs to the end of `span`)."""
    bounds = [span[0], *[min(max(edges[key], span[0]), span[1]) for key in ("crawls", "glides", "bounces")], span[1]]
    order = ["crawls", "glides", "bounces", "flies_off"]
    bands = pd.DataFrame({"start": bounds[:-1], "end": bounds[1:], "regime": [names[key] for key in order]})
    bands = bands[bands["end"] > bands["start"]]
    colours = alt.Scale(domain=[names[key] for key in order], range=["#8d99ae", "#17a34a", "#d08c00", "#c0282d"])
    x = alt.X("start:Q", title=titles["lr"], scale=alt.Scale(type="log", domain=list(span), nice=False))
    rects = (
        alt.Chart(bands)
        .mark_rect(opacity=0.75)
        .encode(
            x=x,
            x2="end:Q",
            color=alt.Color("regime:N", scale=colours, title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("regime:N", title=titles["regime"])],
        )
    )
    chosen = alt.Chart(pd.DataFrame({"start": [lr]})).mark_rule(color="black", strokeWidth=3).encode(x=x)
    return alt.layer(rects, chosen).properties(height=190)


def range_test_chart(
    band: pd.DataFrame, picks: Mapping[str, float], titles: Mapping[str, str], minimum: float
) -> alt.LayerChart:
    """Smoothed loss against the learning rate (log axis): the mean over seeds as a line, lowest to highest as a
    band; a dashed rule at each suggestion (`picks` maps a translated label to its rate). A suggestion at or past the
    lowest point (`minimum`), where the loss is about to blow up, is drawn in the warning colour."""
    data = finite(band, "lr", "mean", "low", "high")
    top = float(np.nanpercentile(data["high"], 98)) if len(data) else 1.0
    data = data.assign(high=data["high"].clip(upper=top), mean=data["mean"].clip(upper=top))
    x = alt.X("lr:Q", title=titles["lr"], scale=alt.Scale(type="log"))
    y_title = titles["loss"]
    area = (
        alt.Chart(data).mark_area(opacity=0.25, color=CURVE).encode(x=x, y=alt.Y("low:Q", title=y_title), y2="high:Q")
    )
    line = (
        alt.Chart(data)
        .mark_line(color=CURVE, strokeWidth=3)
        .encode(
            x=x,
            y="mean:Q",
            tooltip=[
                alt.Tooltip("lr:Q", title=titles["lr"], format=".3g"),
                alt.Tooltip("mean:Q", title=y_title, format=".4g"),
            ],
        )
    )
    rules = pd.DataFrame({"lr": list(picks.values()), "name": list(picks.keys())})
    safe = iter(SUGGESTION_COLOURS)
    shades = [WARNING if rate >= minimum else next(safe) for rate in picks.values()]
    colours = alt.Scale(domain=list(picks), range=shades)
    marks = (
        alt.Chart(rules)
        .mark_rule(strokeDash=[6, 4], strokeWidth=3)
        .encode(
            x="lr:Q",
            color=alt.Color("name:N", scale=colours, title=None, legend=alt.Legend(orient="bottom", labelLimit=400)),
            tooltip=[
                alt.Tooltip("name:N", title=titles["suggestion"]),
                alt.Tooltip("lr:Q", title=titles["lr"], format=".3g"),
            ],
        )
    )
    return alt.layer(area, line, marks).properties(height=360)
