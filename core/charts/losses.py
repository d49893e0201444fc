"""Charts of the loss-function lesson: DataFrame in, alt.Chart out (texts come in already translated)."""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from core.charts import finite

# One colour per loss on every chart, so MSE is always the same colour as the lecture moves on.
LOSS_COLOURS = {"mse": "#e4572e", "mae": "#8d99ae", "bce": "#1f77b4"}
SERIES_COLOURS = {"output": "#6a4c93", "loss_value": "#2a9d8f"}
MARK_COLOUR = "#222222"
FADED = 0.15


def _named(df: pd.DataFrame, column: str, names: Mapping[str, str]) -> pd.DataFrame:
    """A copy with a `series` column: the display name of each row's code in `column`."""
    return df.assign(series=df[column].map(lambda code: names.get(code, code)))


def _colour(codes: list[str], names: Mapping[str, str], palette: Mapping[str, str], title: str) -> alt.Color:
    """A colour channel on `series` whose colours follow the codes, whatever the language of the names."""
    domain = [names.get(code, code) for code in codes]
    scale = alt.Scale(domain=domain, range=[palette[code] for code in codes])
    return alt.Color("series:N", scale=scale, title=title, legend=alt.Legend(orient="top"))


def _legend_lines(
    df: pd.DataFrame, x: alt.X, y: alt.Y, colour: alt.Color, tooltip: list[alt.Tooltip], name: str
) -> alt.Chart:
    """Lines per series with a legend that highlights the clicked series."""
    pick = alt.selection_point(name=name, fields=["series"], bind="legend")
    return (
        alt.Chart(df)
        .mark_line(strokeWidth=3)
        .encode(
            x=x,
            y=y,
            color=colour,
            tooltip=tooltip,
            opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(FADED)),
        )
        .add_params(pick)
    )


def _labelled_points(marks: pd.DataFrame, x: alt.X, y: alt.Y, tooltip: list[alt.Tooltip]) -> list[alt.Chart]:
    """Dots with their labels; a row's `left` says to write its label on the left, away from the curve.

    The current setting (`now` true) gets a larger dot than the fixed examples.
    """
    base = alt.Chart(marks).encode(x=x, y=y, tooltip=tooltip)
    dots = base.mark_point(filled=True, color=MARK_COLOUR, opacity=1).encode(
        size=alt.when(alt.datum.now).then(alt.value(260)).otherwise(alt.value(120))
    )
    style = {"fontSize": 15, "fontWeight": "bold", "color": MARK_COLOUR, "dy": -14}
    right = base.transform_filter(~alt.datum.left).mark_text(align="left", dx=8, **style).encode(text="label:N")
    left = base.transform_filter(alt.datum.left).mark_text(align="right", dx=-8, **style).encode(text="label:N")
    return [dots, right, left]


def penalty_chart(
    curve: pd.DataFrame,
    marks: pd.DataFrame,
    names: Mapping[str, str],
    error_title: str,
    penalty_title: str,
    loss_title: str,
    mark_title: str,
) -> alt.LayerChart:
    """Penalty against error (MSE and MAE lines); `marks` (error, penalty, label, now) are the marked predictions."""
    curve = finite(_named(curve, "loss", names), "error", "penalty")
    marks = finite(marks, "error", "penalty")
    x = alt.X("error:Q", title=error_title)
    y = alt.Y("penalty:Q", title=penalty_title)
    tip = [
        alt.Tooltip("series:N", title=loss_title),
        alt.Tooltip("error:Q", title=error_title, format="+.0f"),
        alt.Tooltip("penalty:Q", title=penalty_title, format=",.0f"),
    ]
    lines = _legend_lines(curve, x, y, _colour(["mse", "mae"], names, LOSS_COLOURS, loss_title), tip, "penalty_pick")
    mark_tip = [
        alt.Tooltip("label:N", title=mark_title),
        alt.Tooltip("error:Q", title=error_title, format="+.0f"),
        alt.Tooltip("penalty:Q", title=penalty_title, format=",.0f"),
    ]
    # the parabola climbs to the right of zero, so labels there go on its free (left) side
    marks = marks.assign(left=marks["error"] > 0)
    return alt.layer(lines, *_labelled_points(marks, x, y, mark_tip)).properties(height=440)


def cross_entropy_chart(
    curve: pd.DataFrame,
    marks: pd.DataFrame,
    probability_title: str,
    penalty_title: str,
    mark_title: str,
) -> alt.LayerChart:
    """-log p against p; `marks` (probability, penalty, label, now) are the marked answers."""
    curve = finite(curve, "probability", "penalty")
    marks = finite(marks, "probability", "penalty")
    # a linear axis on purpose: the wall that -log p builds as p nears 0 is the lesson
    x = alt.X("probability:Q", title=probability_title, scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("penalty:Q", title=penalty_title)
    tip = [
        alt.Tooltip("probability:Q", title=probability_title, format=".4f"),
        alt.Tooltip("penalty:Q", title=penalty_title, format=".3g"),
    ]
    line = alt.Chart(curve).mark_line(strokeWidth=3, color=LOSS_COLOURS["bce"]).encode(x=x, y=y, tooltip=tip)
    mark_tip = [alt.Tooltip("label:N", title=mark_title), *tip]
    # the curve falls to the right, so labels go on its right, except near the right edge where they would be cut
    marks = marks.assign(left=marks["probability"] > 0.75)
    return alt.layer(line, *_labelled_points(marks, x, y, mark_tip)).properties(height=440)


def gradient_chart(
    curve: pd.DataFrame,
    start: pd.DataFrame,
    names: Mapping[str, str],
    probability_title: str,
    gradient_title: str,
    loss_title: str,
    start_title: str,
) -> alt.LayerChart:
    """|dL/dw| against the neuron's output for MSE and BCE on a log axis; `start` (probability, loss, gradient)
    marks where the neuron starts on each curve."""
    curve = finite(_named(curve, "loss", names), "probability", "gradient")
    curve = curve[curve["gradient"] > 0]  # a log axis has no place for zero
    start = finite(_named(start, "loss", names), "probability", "gradient")
    start = start[start["gradient"] > 0]
    x = alt.X(
        "probability:Q",
        title=probability_title,
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(values=[i / 10 for i in range(11)], format=".1f"),
    )
    y = alt.Y("gradient:Q", title=gradient_title, scale=alt.Scale(type="log"))
    tip = [
        alt.Tooltip("series:N", title=loss_title),
        alt.Tooltip("probability:Q", title=probability_title, format=".3f"),
        alt.Tooltip("gradient:Q", title=gradient_title, format=".4f"),
    ]
    colour = _colour(["mse", "bce"], names, LOSS_COLOURS, loss_title)
    lines = _legend_lines(curve, x, y, colour, tip, "gradient_pick")
    rule = (
        alt.Chart(start.head(1))
        .mark_rule(strokeDash=[6, 4], strokeWidth=2, color=MARK_COLOUR)
        .encode(x="probability:Q", tooltip=[alt.Tooltip("probability:Q", title=start_title, format=".3f")])
    )
    dots = (
        alt.Chart(start)
        .mark_point(size=160, filled=True, stroke=MARK_COLOUR, strokeWidth=1.5, opacity=1)
        .encode(x=x, y=y, color=colour, tooltip=[alt.Tooltip("series:N", title=start_title), *tip[1:]])
    )
    return alt.layer(lines, rule, dots).properties(height=420)


def training_curve_chart(
    path: pd.DataFrame,
    names: Mapping[str, str],
    threshold: float,
    epoch_title: str,
    value_title: str,
    series_title: str,
    threshold_title: str,
    title: str,
    max_epoch: int,
) -> alt.LayerChart:
    """Output and loss over the epochs of one run (log axis), with the threshold; x runs to `max_epoch`."""
    long = path.melt(id_vars=["epoch"], value_vars=["output", "loss_value"], var_name="metric", value_name="value")
    long = finite(_named(long, "metric", names), "epoch", "value")
    long = long[long["value"] > 0]  # a log axis has no place for zero
    x = alt.X("epoch:Q", title=epoch_title, scale=alt.Scale(domain=[0, max(1, max_epoch)]))
    y = alt.Y("value:Q", title=value_title, scale=alt.Scale(type="log", domain=[1e-3, 10], clamp=True))
    tip = [
        alt.Tooltip("series:N", title=series_title),
        alt.Tooltip("epoch:Q", title=epoch_title),
        alt.Tooltip("value:Q", title=value_title, format=".4g"),
    ]
    colour = _colour(["output", "loss_value"], names, SERIES_COLOURS, series_title)
    lines = _legend_lines(long, x, y, colour, tip, "curve_pick")
    rule = (
        alt.Chart(pd.DataFrame({"threshold": [threshold]}))
        .mark_rule(strokeDash=[6, 4], strokeWidth=2, color=MARK_COLOUR)
        .encode(y="threshold:Q", tooltip=[alt.Tooltip("threshold:Q", title=threshold_title)])
    )
    return alt.layer(lines, rule).properties(height=400, title=title)
