"""The loss-function page's longest drawing: the race's two training curves, side by side on one epoch axis."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.charts.losses import training_curve_chart
from core.i18n import t
from core.lessons import loss_words as words
from core.lessons import losses as lesson
from core.ui.charts import show_chart


def training_curves(lang: str, epochs: dict[str, int | None], paths: pd.DataFrame) -> None:
    """The output and the loss of each race, epoch by epoch (core.lessons.losses.race), under their own subheader."""
    st.subheader(t("loss_functions.race.curves_header", lang))
    loss_names = words.names(lang, "loss_functions.race.names", lesson.COMPARED_LOSSES)
    curve_names = words.names(lang, "loss_functions.race.names", ("output", "loss_value"))
    last_epoch = int(paths["epoch"].max())  # one x range for both, so the gap in epochs is seen, not read
    for column, loss in zip(st.columns(2), lesson.COMPARED_LOSSES, strict=True):
        with column:
            show_chart(
                training_curve_chart,
                paths[paths["loss"] == loss],
                curve_names,
                lesson.THRESHOLD,
                **words.chart_titles(lang, "race", "epoch", "value", "series", "threshold"),
                title=words.curve_title(lang, loss_names[loss], epochs[loss]),
                max_epoch=last_epoch,
            )
