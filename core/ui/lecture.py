"""Lecture mode on every page: scenario cards, presentation mode and predict-then-reveal."""

from __future__ import annotations

import streamlit as st

from core.i18n import t
from core.lecture import LECTURE_PARAMS, Scenario, matching, scenarios_for, url_params
from core.ui.widgets import Allowed, ignore

PRESENT, PREDICT = "present", "predict"  # URL flags: presentation mode, and hiding results until "Reveal"
_REVEALED = "lecture.revealed"  # the pages whose results the class has seen; a scenario card hides its page again
# The widget keys of each page start with its prefix: a scenario card clears them, so the page takes the card's state.
KEY_PREFIXES = {
    "home": "walkthrough",
    "loss_functions": "loss.",
    "optimizers": "optimizers.",
    "learning_rate": "lr.",
    "lr_schedules": "sched.",
    "batch_and_epochs": "batch.",
    "lab": "lab.",
}
# Larger type, no small print, the whole width for the charts: a projector at 1280x720 shows little.
PRESENTATION_CSS = """<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.3rem; line-height: 1.45; }
[data-testid="stMain"] h1 { font-size: 2.6rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] { display: none; }
[data-testid="stMain"] .block-container { padding-left: 2rem; padding-right: 2rem; }
</style>"""


def flag(name: str) -> bool:
    """Whether the URL turns a lecture flag on. The URL is the one source of truth, as for the language, so a link
    carries the lecture mode and every navigation link passes it on."""
    return st.query_params.get(name) == "1"


def lecture_controls(lang: str) -> dict[str, str]:
    """The sidebar's two lecture switches; returns the flags that are on, for the navigation links to carry."""
    on = {}
    for name in (PRESENT, PREDICT):
        value = st.query_params.get(name)
        if value not in (None, "0", "1"):
            ignore(name, value, Allowed(options=("0", "1")).describe(lang))
            del st.query_params[name]
        st.session_state[f"lecture.{name}"] = flag(name)
        if st.toggle(t(f"lecture.{name}", lang), key=f"lecture.{name}", on_change=_switch, args=(name,)):
            on[name] = "1"
    if on.get(PRESENT):
        st.html(PRESENTATION_CSS)
    return on


def _switch(name: str) -> None:
    if st.session_state[f"lecture.{name}"]:
        st.query_params[name] = "1"
    elif name in st.query_params:
        del st.query_params[name]


def scenario_cards(page_id: str, lang: str) -> None:
    """This page's scenarios, folded: one click puts the page in that state (and the link in the address bar)."""
    scenarios = scenarios_for(page_id)
    if not scenarios:
        return
    with st.expander(t("lecture.cards", lang), icon=":material/co_present:"):
        st.caption(t("lecture.cards_help", lang))
        columns = st.columns(len(scenarios))
        for column, scenario in zip(columns, scenarios, strict=True):
            with column:
                st.button(
                    t(f"lecture.scenarios.{scenario.id}.title", lang),
                    key=f"lecture.card.{scenario.id}",
                    on_click=_open,
                    args=(scenario, lang),
                    width="stretch",
                )
                st.caption(t(f"lecture.scenarios.{scenario.id}.question", lang))


def _open(scenario: Scenario, lang: str) -> None:
    prefix = KEY_PREFIXES[scenario.page]
    for key in [key for key in st.session_state if str(key).startswith(prefix)]:
        del st.session_state[key]  # the page's widgets seed themselves from the new link on this rerun
    st.session_state[_REVEALED] = st.session_state.get(_REVEALED, frozenset()) - {scenario.page}
    flags = {name: "1" for name in (PRESENT, PREDICT) if st.query_params.get(name) == "1"}
    st.query_params.from_dict({"lang": lang, **flags, **url_params(scenario)})


def revealed(page_id: str, lang: str) -> bool:
    """True when the result may show; in predict mode, first the question and a Reveal button."""
    if st.query_params.get(PREDICT) != "1" or page_id in st.session_state.get(_REVEALED, frozenset()):
        return True
    params = {key: st.query_params.get_all(key) for key in st.query_params if key not in LECTURE_PARAMS}
    scenario = matching(page_id, params)
    question = t(f"lecture.scenarios.{scenario.id}.question", lang) if scenario else t("lecture.ask", lang)
    with st.container(border=True):
        st.markdown(f"### {t('lecture.predict_heading', lang)}")
        st.markdown(question)
        st.button(
            t("lecture.reveal", lang),
            key=f"lecture.reveal.{page_id}",
            type="primary",
            icon=":material/visibility:",
            on_click=_reveal,
            args=(page_id,),
        )
    return False


def _reveal(page_id: str) -> None:
    st.session_state[_REVEALED] = st.session_state.get(_REVEALED, frozenset()) | {page_id}
