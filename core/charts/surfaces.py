"""Charts of the optimizer lesson: loss landscapes with paths, and loss curves (DataFrame in, Altair chart out).

Texts arrive already translated: `names` maps optimizer codes to display names, `titles` names axes and fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from core.charts import finite

# One colour per optimizer on every chart of the page, whatever the language.
OPTIMIZER_COLOURS = {
    "sgd": "#e4572e",
    "momentum": "#2e86ab",
    "nesterov": "#6a4c93",
    "rmsprop": "#8c510a",
    "adagrad": "#8d99ae",
    "adam": "#17a34a",
    "adamw": "#b5179e",
}
MARK_COLOUR = "#222222"
FADED = 0.15
LOG_FLOOR = 1e-4  # the lowest loss a log colour scale shows; below it every cell is "at the bottom"
LEGEND_COLUMNS = 2  # six optimizer names in three rows fit under a half-width chart at 1280 px


def _colour(codes: Sequence[str], names: Mapping[str, str], title: str) -> alt.Color:
    """Colour by the display name, with each optimizer's fixed colour."""
    scale = alt.Scale(domain=[names[c] for c in codes], range=[OPTIMIZER_COLOURS.get(c, MARK_COLOUR) for c in codes])
    # Below the chart and wrapped into rows: a one-line legend beside or above a narrow chart cuts names off.
    legend = alt.Legend(orient="bottom", direction="horizontal", columns=LEGEND_COLUMNS, labelLimit=300)
    return alt.Color("name:N", scale=scale, title=title, legend=legend)


def _pick(name: str) -> alt.Parameter:
    return alt.selection_point(name=name, fields=["name"], bind="legend")


def landscape_chart(
    grid: pd.DataFrame,
    paths: pd.DataFrame,
    names: Mapping[str, str],
    titles: Mapping[str, str],
    view: tuple[float, float, float, float],
    start: tuple[float, float],
    minimum: tuple[float, float],
    log_colour: bool = True,
    height: int = 440,
) -> alt.LayerChart:
    """The loss as a heat map (log colour where it spans decades) with each optimizer's path on top.

    `grid` has x, x2, y, y2, loss (cells); `paths` has optimizer, step, x, y, loss. The start is a black diamond,
    the minimum a white cross, and each path's latest point a large dot. `titles`: x, y, loss, optimizer, step,
    start, minimum.
    """
    x_min, x_max, y_min, y_max = view
    x_scale = alt.Scale(domain=[x_min, x_max], nice=False, zero=False)
    y_scale = alt.Scale(domain=[y_min, y_max], nice=False, zero=False)
    cells = finite(grid, "x", "x2", "y", "y2", "loss")
    if log_colour:
        cells = cells.assign(loss=cells["loss"].clip(lower=LOG_FLOOR))
        colour_scale = alt.Scale(type="log", scheme="blues", reverse=True)
    else:
        colour_scale = alt.Scale(scheme="blues", reverse=True)
    heat = (
        alt.Chart(cells)
        .mark_rect(opacity=0.85)
        .encode(
            x=alt.X("x:Q", title=titles["x"], scale=x_scale),
            x2="x2:Q",
            y=alt.Y("y:Q", title=titles["y"], scale=y_scale),
            y2="y2:Q",
            color=alt.Color("loss:Q", title=titles["loss"], scale=colour_scale, legend=alt.Legend(orient="right")),
            tooltip=[
                alt.Tooltip("x:Q", title=titles["x"], format=".2f"),
                alt.Tooltip("y:Q", title=titles["y"], format=".2f"),
                alt.Tooltip("loss:Q", title=titles["loss"], format=".4g"),
            ],
        )
    )
    codes = list(dict.fromkeys(paths["optimizer"]))
    walked = finite(paths, "x", "y", "loss").assign(name=lambda df: df["optimizer"].map(names))
    pick = _pick("landscape_pick")
    path_tip = [
        alt.Tooltip("name:N", title=titles["optimizer"]),
        alt.Tooltip("step:Q", title=titles["step"]),
        alt.Tooltip("x:Q", title=titles["x"], format=".4f"),
        alt.Tooltip("y:Q", title=titles["y"], format=".4f"),
        alt.Tooltip("loss:Q", title=titles["loss"], format=".4g"),
    ]
    base = alt.Chart(walked).encode(
        x=alt.X("x:Q", scale=x_scale),
        y=alt.Y("y:Q", scale=y_scale),
        color=_colour(codes, names, titles["optimizer"]),
        opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(FADED)),
        tooltip=path_tip,
    )
    lines = base.mark_line(strokeWidth=2.5, clip=True, point=alt.OverlayMarkDef(size=18, clip=True)).encode(
        order="step:Q"
    )
    latest = walked.sort_values("step").groupby("optimizer", sort=False).tail(1)
    heads = (
        base.properties(data=latest)
        .mark_point(size=160, filled=True, stroke="white", strokeWidth=1.5, clip=True)
        .add_params(pick)
    )
    landmarks = pd.DataFrame(
        {"x": [start[0], minimum[0]], "y": [start[1], minimum[1]], "label": [titles["start"], titles["minimum"]]}
    )
    landmark_tip = [
        alt.Tooltip("label:N", title=" "),
        alt.Tooltip("x:Q", title=titles["x"], format=".3g"),
        alt.Tooltip("y:Q", title=titles["y"], format=".3g"),
    ]
    start_mark = (
        alt.Chart(landmarks.iloc[[0]])
        .mark_point(shape="diamond", size=220, filled=True, color=MARK_COLOUR, clip=True)
        .encode(x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), tooltip=landmark_tip)
    )
    minimum_mark = (
        alt.Chart(landmarks.iloc[[1]])
        .mark_point(shape="cross", size=220, filled=True, color="white", stroke=MARK_COLOUR, strokeWidth=1, clip=True)
        .encode(x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), tooltip=landmark_tip)
    )
    return (
        # The heat map's colour (loss) and the paths' colour (optimizer) are separate scales with separate legends.
        alt.layer(heat, alt.layer(lines, heads), minimum_mark, start_mark)
        .resolve_scale(color="independent")
        .properties(height=height)
    )


def loss_by_step_chart(
    paths: pd.DataFrame,
    names: Mapping[str, str],
    titles: Mapping[str, str],
    min_loss: float = 0.0,
    bottom: float | None = None,
    height: int = 360,
) -> alt.Chart | alt.LayerChart:
    """Loss above the surface's minimum against step, log y, one line per optimizer; `bottom` a dashed level.

    `titles`: step, loss, optimizer, and `level` (the dashed line's name) when `bottom` is given.
    """
    gap = paths.assign(gap=paths["loss"] - min_loss)
    lines = _log_lines(gap, "step", "gap", names, titles, {"step": "d", "gap": ".4g"}, "loss_pick")
    return _with_level(lines, bottom, titles).properties(height=height)


def swing_chart(
    paths: pd.DataFrame, names: Mapping[str, str], titles: Mapping[str, str], level: float, height: int = 360
) -> alt.LayerChart:
    """|p₂| against step, log y, one line per optimizer: the swing across a ravine, with `level` dashed.

    `titles`: step, swing, optimizer, level.
    """
    swing = paths.assign(swing=paths["y"].abs())
    lines = _log_lines(swing, "step", "swing", names, titles, {"step": "d", "swing": ".3g"}, "swing_pick")
    return _with_level(lines, level, titles).properties(height=height)


def _with_level(chart: alt.Chart, level: float | None, titles: Mapping[str, str]) -> alt.Chart | alt.LayerChart:
    """`chart` with a dashed horizontal line at `level`, named titles["level"] in its tooltip."""
    if level is None:
        return chart
    rule = (
        alt.Chart(pd.DataFrame({"level": [level], "name": [titles["level"]]}))
        .mark_rule(strokeDash=[6, 4], color=MARK_COLOUR, strokeWidth=1.5)
        .encode(y="level:Q", tooltip=[alt.Tooltip("name:N", title=" "), alt.Tooltip("level:Q", title=" ", format="g")])
    )
    return alt.layer(chart, rule)


def epoch_loss_chart(
    epochs: pd.DataFrame, metric: str, names: Mapping[str, str], titles: Mapping[str, str], height: int = 420
) -> alt.Chart:
    """One loss (`metric`: train_loss or val_loss) per epoch, one line per optimizer, log y.

    `epochs` is long with an `optimizer` column: epoch, train_loss, val_loss, val_accuracy.
    `titles`: epoch, loss, optimizer, accuracy and the chart's title.
    """
    curves = epochs.assign(loss=epochs[metric])
    tooltip_format = {"epoch": "d", "loss": ".4f", "val_accuracy": ".1%"}
    chart = _log_lines(curves, "epoch", "loss", names, titles, tooltip_format, f"{metric}_pick")
    return chart.properties(height=height, title=titles["title"])


def _log_lines(
    frame: pd.DataFrame,
    x: str,
    y: str,
    names: Mapping[str, str],
    titles: Mapping[str, str],
    tooltip_format: Mapping[str, str],
    pick_name: str,
) -> alt.Chart:
    """`y` against `x` on a log axis, one line per optimizer, legend selection; `titles` keyed by column."""
    lines = finite(frame.assign(name=frame["optimizer"].map(names)), x, y)
    lines = lines[lines[y] > 0]  # a log axis has no place for zero
    codes = list(dict.fromkeys(frame["optimizer"]))
    pick = _pick(pick_name)
    column_titles = {**titles, "gap": titles["loss"], "val_accuracy": titles.get("accuracy", "")}
    return (
        alt.Chart(lines)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X(f"{x}:Q", title=titles[x], axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y(f"{y}:Q", title=column_titles[y], scale=alt.Scale(type="log")),
            color=_colour(codes, names, titles["optimizer"]),
            opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(FADED)),
            tooltip=[alt.Tooltip("name:N", title=titles["optimizer"])]
            + [alt.Tooltip(f"{c}:Q", title=column_titles[c], format=f) for c, f in tooltip_format.items()],
        )
        .add_params(pick)
    )
