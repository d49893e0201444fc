"""Lesson: learning-rate schedules. The applied rate of every step above the loss it produced, schedule by schedule."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.charts.schedules import final_loss_bars, schedule_chart
from core.config import ConfigError, RunConfig
from core.i18n import t
from core.lessons import schedule_words as words
from core.lessons import schedules as lesson
from core.ui import cached_train, knob_widget, setup_page, show_chart, show_config_error
from core.ui.layout import smoothing_choice
from core.ui.lecture import chart_leads, intro, revealed, scenario_cards, settings_box, talking_point
from core.ui.runs import trained

MOST = 4
# The schedules' knobs: their ranges are RunConfig's, their defaults lesson.PAGE's.
KNOBS = ("step_size", "gamma", "warmup_epochs", "patience")


def settings(lang: str) -> list[RunConfig]:
    """The controls; returns one config per chosen schedule (same network, seed and batch order)."""
    with settings_box(lang):
        st.markdown(f"**{t('lr_schedules.controls', lang)}**")
        chosen = knob_widget(
            "scheduler",
            "lr_schedules.schedules",
            lang,
            default=lesson.PAGE_SCHEDULES,
            several=True,
            label=t("lr_schedules.schedules", lang, most=MOST),
            help=t("lr_schedules.schedules_help", lang),
        )
        if len(chosen) > MOST:
            st.warning(t("lr_schedules.too_many", lang, most=MOST))
        left, right = st.columns(2)
        with left:
            lr = knob_widget("lr", "lr_schedules.lr", lang, default=lesson.PAGE.lr, label=t("lr_schedules.peak", lang))
            epochs = knob_widget("epochs", "lr_schedules.epochs", lang, default=lesson.PAGE.epochs, high=50)
            batch = knob_widget("batch_size", "lr_schedules.batch_size", lang)
        with right:
            optimizer = knob_widget("optimizer", "lr_schedules.optimizer", lang, default=lesson.PAGE.optimizer)
            dataset = knob_widget("dataset", "lr_schedules.dataset", lang, default=lesson.PAGE.dataset)
        with st.expander(t("lr_schedules.knobs", lang)):
            knobs = {name: knob_slider(name, lang) for name in KNOBS}
    base = lesson.PAGE.replace(dataset=dataset, optimizer=optimizer, lr=lr, batch_size=batch, epochs=epochs, **knobs)
    return [base.replace(scheduler=code) for code in chosen[:MOST]]


def knob_slider(name: str, lang: str) -> float:
    """One schedule knob (step size, γ, warmup, patience), kept in the URL under its RunConfig name."""
    label = t(f"lr_schedules.{'warmup' if name == 'warmup_epochs' else name}", lang)
    return knob_widget(
        name, f"lr_schedules.{name}", lang, default=getattr(lesson.PAGE, name), widget=st.slider, label=label
    )


def rules(configs: list[RunConfig], lang: str) -> None:
    """One line per chosen schedule: what it does to the rate, with this page's knobs; then the setting's notes."""
    st.markdown(words.rule_lines(configs, lang))
    for note in words.notes(configs, lang):
        st.caption(note)


def curves(configs: list[RunConfig], lang: str) -> None:
    """The rate preview at once; then, once trained, the rate over the loss and the final validation losses."""
    codes = [config.scheduler for config in configs]
    names, titles = words.names(lang), words.chart_titles(lang)
    named = {run: names[code] for run, code in enumerate(codes)}
    st.subheader(t("lr_schedules.chart_title", lang), anchor="schedules-curves")
    chart = st.empty()
    smooth = smoothing_choice(lang, "lr_schedules.smooth")  # below the chart, which keeps its place on the first screen
    if not trained(tuple(configs)):  # the rates alone while it trains; a trained result draws its chart at once
        preview = lesson.schedule_preview(configs)
        show_chart_in(chart, schedule_chart, preview.assign(name=preview["run"].map(named)), None, codes, names, titles)
    st.caption(t("lr_schedules.preview_caption", lang))
    if "plateau" in codes:
        st.caption(t("lr_schedules.plateau_preview", lang))
    try:
        result = cached_train(tuple(configs))
    except ConfigError as err:
        show_config_error(err, lang)
        return
    steps = result.steps.assign(name=result.steps["run"].map(named), lr=result.steps["lr_applied"])
    show_chart_in(chart, schedule_chart, steps, steps, codes, names, titles, smooth=smooth)
    summary = lesson.schedule_summary(result.epochs, result.steps).assign(name=lambda frame: frame["run"].map(named))
    st.subheader(t("lr_schedules.final_title", lang))
    show_chart(final_loss_bars, summary, codes, names, titles)
    if best := words.best_val_words(summary, lang):
        st.caption(best)
    compare(summary, codes, lang)
    talking_point(words.talk_words(configs, result, summary, lang), lang)


def show_chart_in(slot: DeltaGenerator, builder: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Draw the chart in `slot`, replacing what it held (the preview by the trained chart, in place)."""
    with slot.container():
        show_chart(builder, *args, **kwargs)


def compare(summary: pd.DataFrame, codes: list[str], lang: str) -> None:
    """Each schedule against the constant rate, in numbers from this very run."""
    st.subheader(t("lr_schedules.compare_title", lang))
    if "none" not in codes:
        st.info(t("lr_schedules.no_constant", lang))
        return
    for paragraph in words.compare_words(summary, codes, lang):
        st.markdown(paragraph)
    st.caption(t("lr_schedules.where_not", lang))


lang = setup_page("lr_schedules")
st.title(t("lr_schedules.title", lang))
intro(t("lr_schedules.intro", lang))
scenario_cards("lr_schedules", lang)
configs = settings(lang)
if not configs:
    st.info(t("lr_schedules.none_chosen", lang))
elif revealed("lr_schedules", lang):
    chart_leads(lambda: rules(configs, lang), lambda: curves(configs, lang))
with st.expander(t("lr_schedules.facts_title", lang)):
    st.markdown(t("lr_schedules.facts", lang))
    st.caption(t("lr_schedules.facts_checked", lang))
