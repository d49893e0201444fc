"""The free lab: any run, kept in a history that a link reproduces; A/B pairs, seed bands, a grid, confusion."""

from __future__ import annotations

import streamlit as st

from core.i18n import t
from core.ui import setup_page
from core.ui.lab import band_section, classes_section, grid_section, history_controls, history_section, settings

lang = setup_page("lab")
st.title(t("lab.title", lang))
st.markdown(t("lab.intro", lang))
with st.container(border=True):
    config = settings(lang)
history_controls(lang, config)
runs, seeds, grid, classes = st.tabs([t(f"lab.tabs.{name}", lang) for name in ("runs", "seeds", "grid", "classes")])
with runs:
    history_section(lang)
if config is not None:
    with seeds:
        band_section(lang, config)
    with grid:
        grid_section(lang, config)
    with classes:
        classes_section(lang, config)
