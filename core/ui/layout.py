"""Layouts the lesson pages repeat: a titled chart, a chooser with a log-scale toggle beside it, a row of cards."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

import altair as alt
import streamlit as st

from core.charts import SMOOTHING_WINDOWS
from core.config import CHOICE, SWITCH, Knob
from core.i18n import t
from core.ui import show_chart
from core.ui.widgets import knob_widget, notice_language

T = TypeVar("T")
LOG = Knob("log", SWITCH, False)  # a chart's log scale, kept in the link as `log`
SMOOTH = Knob("smooth", CHOICE, 0, choices=SMOOTHING_WINDOWS)  # batches a per-batch loss is averaged over


class Card(NamedTuple):
    """One metric card: its label, the value shown and an optional help text."""

    label: str
    value: str
    help: str | None = None


def titled_chart(title: str, builder: Callable[..., alt.TopLevelMixin], *args: Any, **kwargs: Any) -> None:
    """The chart `builder(*args, **kwargs)` under a small heading of its own."""
    st.markdown(f"#### {title}")
    show_chart(builder, *args, **kwargs)


def chooser_with_log(
    choose: Callable[[], T], key: str, wide: bool, label: str, widths: Sequence[int] = (3, 1)
) -> tuple[T, bool]:
    """`choose()` drawn on the left, a log-scale toggle (kept in the URL as `log`, on for `wide` data) on the right."""
    left, right = st.columns(list(widths), vertical_alignment="bottom")
    with left:
        choice = choose()
    with right:
        log = knob_widget(LOG, key, notice_language(), default=bool(wide), label=label)  # not numpy.bool_
    return choice, log


def card_row(cards: Sequence[Card], border: bool = True) -> None:
    """Metric cards side by side, one column each."""
    for column, card in zip(st.columns(len(cards)), cards, strict=True):
        column.metric(card.label, card.value, help=card.help, border=border)


def smoothing_choice(lang: str, key: str) -> int:
    """Over how many batches a per-batch loss is averaged (0: the raw line alone), kept in the link as `smooth`."""
    return knob_widget(
        SMOOTH,
        key,
        lang,
        widget=st.segmented_control,
        label=t("common.smoothing.label", lang),
        format_func=lambda window: t(f"common.smoothing.{'off' if window == 0 else 'batches'}", lang, window=window),
        help=t("common.smoothing.help", lang),
    )
