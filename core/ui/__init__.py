"""The one Streamlit boundary of core/: page frame, cached training, errors, URL-bound widgets and chart display."""

from __future__ import annotations

import altair as alt
import streamlit as st

from core.charts import style
from core.ui.page import PAGES, current_language, existing_pages, render_sidebar, setup_page
from core.ui.runs import cached_train, show_config_error
from core.ui.widgets import code_span, ignore, knob_widget, language_key


def show_chart(chart: alt.TopLevelMixin) -> None:
    """Draw an Altair chart across the page, with the shared projector-friendly text sizes."""
    st.altair_chart(style(chart), width="stretch")


__all__ = [
    "PAGES",
    "cached_train",
    "code_span",
    "current_language",
    "existing_pages",
    "ignore",
    "knob_widget",
    "language_key",
    "render_sidebar",
    "setup_page",
    "show_chart",
    "show_config_error",
]
