"""Home page: the training loop in four steps, and the way into every lesson."""

from __future__ import annotations

import streamlit as st

from core.i18n import t
from core.pages import HOME, PAGES
from core.ui import setup_page
from core.ui.lecture import intro, presenting
from core.ui.walkthrough import render_walkthrough

STEPS = ("predict", "loss", "backward", "step")

lang = setup_page(HOME.id)
st.title(t("home.title", lang))
st.markdown(f"#### {t('home.subtitle', lang)}")
intro(t("home.intro", lang))


def four_steps() -> None:
    """The loop's four steps, two by two: on a projector four columns squeeze the code lines."""
    for row in (STEPS[:2], STEPS[2:]):
        for column, step in zip(st.columns(len(row)), row, strict=True):
            with column, st.container(border=True, height="stretch"):
                st.markdown(f"### {t(f'home.steps.{step}.title', lang)}")
                st.markdown(f"**{t(f'home.steps.{step}.clinic', lang)}**")
                st.markdown(t(f"home.steps.{step}.body", lang))
                st.code(t(f"home.steps.{step}.code", lang), language="python", wrap_lines=True)
    st.markdown(t("home.repeat", lang))


if presenting():  # the projector opens on the walk and its loss chart; the four steps are one click away
    with st.expander(t("home.steps_title", lang)):
        four_steps()
else:
    st.subheader(t("home.steps_title", lang))
    four_steps()

# Walkthrough of one mini-batch, step by step.
render_walkthrough(lang, chart_first=presenting())

st.subheader(t("home.lessons_title", lang))
st.markdown(t("home.lessons_intro", lang))
lessons = [page for page in PAGES if page != HOME]
for row_start in range(0, len(lessons), 3):
    for column, lesson in zip(st.columns(3), lessons[row_start : row_start + 3], strict=False):
        with column, st.container(border=True, height="stretch"):
            st.markdown(f"### {t(f'nav.{lesson.id}', lang)}")
            st.markdown(t(f"home.lessons.{lesson.id}", lang))
            st.page_link(lesson.path, label=t("home.open", lang), icon=lesson.icon, query_params={"lang": lang})

with st.expander(t("home.references_title", lang)):
    st.markdown(t("home.references", lang))
st.caption(t("home.disclaimer", lang))
