"""Page frame shared by every page: language, page config and the sidebar with translated navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from core.pages import PAGES, page
from core.ui.lecture import PRESENT, flag, glossary, lecture_controls
from core.ui.page_file import PageRecord, download_button, record_page
from core.ui.widgets import Allowed, drop_unknown, ignore, start_notice

LANG_PARAM = "lang"
_LANG_WIDGET = "ui_lang"
# The tab's icon, served by the app itself: a Material icon would be fetched from Google's servers, which a lecture
# hall without internet cannot reach.
ICON = Path(__file__).with_name("icon.png")


def browser_language(locale: str | None) -> str:
    """Japanese for a ja-* browser locale, otherwise the default language."""
    return "ja" if (locale or "").lower().startswith("ja") else DEFAULT_LANGUAGE


def current_language() -> str:
    """`?lang=` wins; otherwise the browser's locale; otherwise the default."""
    wanted = st.query_params.get(LANG_PARAM)
    if wanted in LANGUAGES:
        return wanted
    return browser_language(st.context.locale)


def _switch_language() -> None:
    # The URL is the single source of truth for the language, so a shared link shows what the lecturer sees.
    st.query_params[LANG_PARAM] = st.session_state[_LANG_WIDGET]


def setup_page(page_id: str) -> str:
    """Configure the page declared as `page_id` (core.pages), draw the shared sidebar and return the language ("ja" or
    "en"). A link parameter the page does not declare is named in its notice and dropped."""
    lang = current_language()
    record = record_page(page_id, lang)  # from the first message on: the title too
    st.set_page_config(
        page_title=f"{t('nav.' + page_id, lang)} · {t('common.app_name', lang)}",
        page_icon=str(ICON),
        layout="wide",
        initial_sidebar_state="collapsed" if flag(PRESENT) else "expanded",  # a projector needs the width
    )
    start_notice(lang)  # before the sidebar: its lecture switches may name a bad link value too
    drop_unknown(page(page_id).link_params)
    render_sidebar(lang, record)
    wanted = st.query_params.get(LANG_PARAM)
    if wanted not in (None, lang):
        ignore((LANG_PARAM, wanted, Allowed(options=LANGUAGES).describe(lang)))
    if wanted != lang:
        st.query_params[LANG_PARAM] = lang  # write the browser's choice into the URL so the link is explicit
    return lang


def render_sidebar(lang: str, record: PageRecord | None = None) -> None:
    """App name, language switch, navigation links (labels in `lang`, language kept in every link), the lecture
    switches and, with the page's `record`, the button that downloads the page."""
    with st.sidebar:
        st.markdown(f"### {t('common.app_name', lang)}")
        st.session_state[_LANG_WIDGET] = lang
        st.segmented_control(
            t("sidebar.language", lang),
            LANGUAGES,
            format_func=lambda code: t(f"sidebar.languages.{code}", lang),
            key=_LANG_WIDGET,
            required=True,
            on_change=_switch_language,
        )
        st.markdown(f"**{t('sidebar.lessons', lang)}**")
        links = st.container()
        st.markdown(f"**{t('lecture.heading', lang)}**")
        flags = lecture_controls(lang)  # drawn below the links, read before them: every link keeps the lecture flags
        if record is not None:
            download_button(record, lang)
        with links:
            for shown in PAGES:
                query = {LANG_PARAM: lang, **flags}
                st.page_link(shown.path, label=t(f"nav.{shown.id}", lang), icon=shown.icon, query_params=query)
        glossary(lang)
        st.caption(t("sidebar.footer", lang))
