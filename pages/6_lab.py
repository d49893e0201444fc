"""The free lab: any run, kept in a history that a link reproduces; A/B pairs, seed bands, a grid, confusion."""

from __future__ import annotations

import streamlit as st

from core.config import CHOICE, Knob
from core.i18n import t
from core.ui import knob_widget, setup_page
from core.ui.lab.history import history, history_controls, history_section
from core.ui.lab.settings import settings
from core.ui.lab.views import band_section, classes_section, code_section, grid_section

# Each view needs valid settings.
SECTIONS = {"seeds": band_section, "grid": grid_section, "classes": classes_section, "code": code_section}
VIEWS = ("runs", *SECTIONS)

lang = setup_page("lab")
st.title(t("lab.title", lang))
st.markdown(t("lab.intro", lang))
# A shared link opens on its comparison; a fresh page on the settings.
with st.expander(t("lab.settings", lang), expanded=not history(), icon=":material/tune:"):
    config, data = settings(lang)
history_controls(lang, config, data)
# One view at a time: only what is on screen trains (the grid and the bands cost more than the history).
view = knob_widget(
    Knob("view", CHOICE, "runs", choices=VIEWS),
    "lab.view",
    lang,
    widget=st.segmented_control,
    label=t("lab.view", lang),
    format_func=lambda v: t(f"lab.tabs.{v}", lang),
)
if view == "runs":
    history_section(lang, config, data)
elif config is not None:
    SECTIONS[view](lang, config, data)
