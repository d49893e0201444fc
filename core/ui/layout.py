"""Layouts the lesson pages repeat: a titled chart, a chooser with a log-scale toggle beside it, a row of cards."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

import altair as alt
import streamlit as st

from core.config import SWITCH, Knob
from core.ui import show_chart
from core.ui.widgets import knob_widget, notice_language

T = TypeVar("T")
LOG = Knob("log", SWITCH, False)  # a chart's log scale, kept in the link as `log`


class Card(NamedTuple):
    """One metric card: its label, the value shown and an optional help text."""

    label: str
    value: str
    help: str | None = None


def titled_chart(title: str, chart: alt.TopLevelMixin) -> None:
    """A chart under a small heading of its own."""
    st.markdown(f"#### {title}")
    show_chart(chart)


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
