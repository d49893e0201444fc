"""The one Streamlit boundary of core/: page frame, cached training, errors, URL-bound widgets and chart display."""

from __future__ import annotations

from core.ui.charts import chart_spec, show_chart
from core.ui.page import current_language, render_sidebar, setup_page
from core.ui.runs import cached_train, show_config_error
from core.ui.widgets import code_span, ignore, knob_widget, language_key

__all__ = [
    "cached_train",
    "chart_spec",
    "code_span",
    "current_language",
    "ignore",
    "knob_widget",
    "language_key",
    "render_sidebar",
    "setup_page",
    "show_chart",
    "show_config_error",
]
