"""The one Streamlit boundary of core/: page frame, cached training, errors, URL-bound widgets and chart display."""

from __future__ import annotations

from core.ui.charts import chart_spec, show_chart
from core.ui.page import PAGES, current_language, existing_pages, render_sidebar, setup_page
from core.ui.runs import cached_train, show_config_error
from core.ui.widgets import (
    LR_CHOICES,
    Allowed,
    batch_size_select,
    choice_buttons,
    choice_pills,
    choice_select,
    code_span,
    dataset_select,
    epochs_slider,
    ignore,
    language_key,
    linked,
    lr_multiselect,
    lr_slider,
    optimizer_select,
    url_slider,
)

__all__ = [
    "LR_CHOICES",
    "PAGES",
    "Allowed",
    "batch_size_select",
    "cached_train",
    "chart_spec",
    "choice_buttons",
    "choice_pills",
    "choice_select",
    "code_span",
    "current_language",
    "dataset_select",
    "epochs_slider",
    "existing_pages",
    "ignore",
    "language_key",
    "linked",
    "lr_multiselect",
    "lr_slider",
    "optimizer_select",
    "render_sidebar",
    "setup_page",
    "show_chart",
    "show_config_error",
    "url_slider",
]
