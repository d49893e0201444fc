"""Lecture mode on every page: scenario cards, presentation mode and predict-then-reveal."""

from __future__ import annotations

import json
from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.i18n import t
from core.lecture import GLOSSARY, Scenario, matching, scenarios_for, url_params
from core.pages import LECTURE_PARAMS, page
from core.ui.widgets import Allowed, ignore

PRESENT, PREDICT = "present", "predict"  # URL flags: presentation mode, and hiding results until "Reveal"
# Per page, the settings the class saw the result of (link and widget values); a card or a changed setting hides it.
_REVEALED = "lecture.revealed"
_SCROLL = "lecture.scroll"  # (page, section) a card's click asked for, until the page shows its result
# Scrolls the page's heading with that id to the top once it is drawn, and holds it there for a moment while the
# elements above it settle; a wheel, touch or key of the user's own ends it at once.
SCROLL_SCRIPT = """<script>
(() => {
  const id = %s;
  let tries = 0, seen = 0;
  const timer = setInterval(() => {
    const heading = document.getElementById(id);
    tries += 1;
    if (heading) {
      heading.style.scrollMarginTop = "4rem";
      const top = heading.getBoundingClientRect().top;
      if (top < 0 || top > 160) heading.scrollIntoView({ block: "start" });
      seen += 1;
    }
    if (seen > 15 || tries > 150) clearInterval(timer);
  }, 100);
  for (const kind of ["wheel", "touchmove", "keydown"]) {
    window.addEventListener(kind, () => clearInterval(timer), { once: true, capture: true });
  }
})();
</script>"""
# Larger type, no small print, the whole width for the charts: a projector at 1280x720 shows little.
PRESENTATION_CSS = """<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.3rem; line-height: 1.45; }
[data-testid="stMain"] h1 { font-size: 2.6rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] { display: none; }
[data-testid="stMain"] .block-container { padding: 2.5rem 2rem 2rem 2rem; }
</style>"""


def flag(name: str) -> bool:
    """Whether the URL turns a lecture flag on. The URL is the one source of truth, as for the language, so a link
    carries the lecture mode and every navigation link passes it on."""
    return st.query_params.get(name) == "1"


def presenting() -> bool:
    """Whether the page is drawn for a projector."""
    return flag(PRESENT)


def intro(text: str) -> None:
    """A page's introduction; in presentation mode the lecturer says it, so the chart comes first."""
    if not presenting():
        st.markdown(text)


def settings_box(lang: str) -> DeltaGenerator:
    """Where a page's controls go: a bordered box, or in presentation mode a folded one, so the chart leads."""
    if presenting():
        return st.expander(t("lecture.settings", lang), icon=":material/tune:")
    return st.container(border=True)


def controls_beside_chart(lang: str, widths: list[int]) -> tuple[DeltaGenerator, DeltaGenerator]:
    """Where a page's controls and its main chart go: side by side in columns of `widths`; in presentation mode the
    controls folded above a chart that takes the full width."""
    if presenting():
        return st.expander(t("lecture.settings", lang), icon=":material/tune:"), st.container()
    controls, chart = st.columns(widths, gap="medium")
    return controls, chart


def chart_leads(aside: Callable[[], None], chart: Callable[[], None]) -> None:
    """`aside` (rules, counters) above the chart; in presentation mode below it, so the chart is on the first screen."""
    for part in (chart, aside) if presenting() else (aside, chart):
        part()


def current_scenario(page_id: str) -> Scenario | None:
    """The scenario whose state the page shows now (its link matches the card's), if any."""
    return matching(page_id, _settings(page_id)[0])


def talking_point(text: str, lang: str) -> None:
    """What the lecturer can say about the result just shown, computed by the page from this run's numbers."""
    st.info(f"**{t('lecture.talking_point', lang)}** {text}", icon=":material/record_voice_over:")


def glossary(lang: str) -> None:
    """One word per idea, as every page uses it: a folded list for the sidebar."""
    with st.expander(t("glossary.title", lang), icon=":material/menu_book:"):
        st.caption(t("glossary.intro", lang))
        entries = (
            f"- **{t(f'glossary.terms.{term}.term', lang)}**: {t(f'glossary.terms.{term}.means', lang)}"
            for term in GLOSSARY
        )
        st.markdown("\n".join(entries))


def lecture_controls(lang: str) -> dict[str, str]:
    """The sidebar's two lecture switches; returns the flags that are on, for the navigation links to carry."""
    on = {}
    for name in (PRESENT, PREDICT):
        value = st.query_params.get(name)
        if value not in (None, "0", "1"):
            ignore((name, value, Allowed(options=("0", "1")).describe(lang)))
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
    prefix = page(scenario.page).key_prefix
    for key in [key for key in st.session_state if str(key).startswith(prefix)]:
        del st.session_state[key]  # the page's widgets seed themselves from the new link on this rerun
    _forget(scenario.page)
    st.session_state[_SCROLL] = (scenario.page, scenario.section)
    flags = {name: "1" for name in (PRESENT, PREDICT) if flag(name)}
    st.query_params.from_dict({"lang": lang, **flags, **url_params(scenario)})


def revealed(page_id: str, lang: str) -> bool:
    """True when the result may show; in predict mode, first the question and a Reveal button, and again after any
    setting changed since the reveal: the page always shows the result of what the class was asked. Once the result
    shows, the page scrolls to the section a card's click asked for."""
    if not flag(PREDICT):
        _scroll(page_id)
        return True
    seen = st.session_state.get(_REVEALED, {}).get(page_id)
    link, widgets = _settings(page_id)
    if (
        seen is not None
        and seen[0] == link
        and all(seen[1][key] == widgets[key] for key in seen[1].keys() & widgets.keys())
    ):
        st.session_state[_REVEALED][page_id] = (link, seen[1] | widgets)  # widgets drawn since the reveal join in
        _scroll(page_id)
        return True
    _forget(page_id)
    scenario = matching(page_id, link)
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


def _scroll(page_id: str) -> None:
    """Scroll to the section a card of this page asked for, once (the browser runs the script when it is drawn)."""
    asked = st.session_state.get(_SCROLL)
    if asked is not None and asked[0] == page_id:
        del st.session_state[_SCROLL]
        st.html(SCROLL_SCRIPT % json.dumps(asked[1]), unsafe_allow_javascript=True)


def _settings(page_id: str) -> tuple[dict[str, list[str]], dict[str, object]]:
    """The page's state as the class sees it: its link (lecture flags aside) and its widgets' values (its keys)."""
    shown = page(page_id)
    link = {key: st.query_params.get_all(key) for key in st.query_params if key in shown.link_params - LECTURE_PARAMS}
    widgets = {key: value for key, value in st.session_state.items() if str(key).startswith(shown.key_prefix)}
    return link, {key: value for key, value in widgets.items() if isinstance(value, _PLAIN)}


_PLAIN = (bool, int, float, str, list, tuple, type(None))  # widget values; a cached frame is no setting


def _reveal(page_id: str) -> None:
    st.session_state[_REVEALED] = {**st.session_state.get(_REVEALED, {}), page_id: _settings(page_id)}


def _forget(page_id: str) -> None:
    shown = st.session_state.get(_REVEALED, {})
    st.session_state[_REVEALED] = {page: seen for page, seen in shown.items() if page != page_id}
