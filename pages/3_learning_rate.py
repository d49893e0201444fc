"""Lesson: the learning rate. One curve per rate; slow, good, jumpy and diverging runs side by side."""

from __future__ import annotations

import streamlit as st

from core.charts import finite, format_lr, loss_curves, needs_log_scale
from core.config import CHOICE, ConfigError, Knob, RunConfig
from core.i18n import t
from core.lessons import lr_finder, presets
from core.lessons.autopsy import after_training
from core.lessons.verdicts import judged_runs, largest_trained
from core.training import Result
from core.ui import cached_train, knob_widget, setup_page, show_chart, show_config_error
from core.ui.cache import cached_lesson, cached_maths
from core.ui.layout import chooser_with_log
from core.ui.learning_rate import autopsy, ball_in_the_valley, bumpy_valley, range_test, verdicts
from core.ui.lecture import controls_beside_chart, intro, revealed, scenario_cards

PAGE = presets.PAGE_BASE  # the settings as the page opens (core.lessons.presets says why)
MAX_EPOCHS = 100
METRICS = ("train_loss", "val_loss")
COLLAPSED = {"label_visibility": "collapsed"}  # the chart's title already says what the buttons choose


def settings(lang: str) -> tuple[list[float], RunConfig]:
    """The controls, stacked in one bordered box; returns the chosen rates and the shared config."""
    with st.container(border=True):
        st.markdown(f"**{t('learning_rate.controls', lang)}**")
        rates = knob_widget("lr", "learning_rate.rates", lang, default=presets.DEFAULT_RATES, several=True)
        batch = knob_widget("batch_size", "learning_rate.batch_size", lang, default=PAGE.batch_size)
        epochs = knob_widget("epochs", "learning_rate.epochs", lang, default=PAGE.epochs, high=MAX_EPOCHS)
        optimizer = knob_widget("optimizer", "learning_rate.optimizer", lang, default=PAGE.optimizer)
        dataset = knob_widget("dataset", "learning_rate.dataset", lang, default=PAGE.dataset)
    base = RunConfig(dataset=dataset, optimizer=optimizer, batch_size=batch, epochs=epochs)
    return rates, base


@st.fragment
def curves(result: Result, lang: str) -> None:
    """The chart and its restyling controls (a fragment: switching them never retrains)."""
    st.subheader(t("learning_rate.chart_title", lang), anchor="lr-curves")

    def metric() -> str:
        names = {name: t(f"learning_rate.metrics.{name}", lang) for name in METRICS}
        label = t("learning_rate.metric", lang)
        curve = Knob("curve", CHOICE, METRICS[0], choices=METRICS)
        buttons = {"widget": st.segmented_control, "format_func": names.__getitem__, **COLLAPSED}
        return knob_widget(curve, "learning_rate.curve", lang, label=label, **buttons)

    wide = needs_log_scale(finite(result.epochs, "train_loss")["train_loss"])  # losses spanning decades
    # The key follows that default: an untouched toggle follows the data, a choice against it stays in the link.
    key = f"learning_rate.log.{'wide' if wide else 'narrow'}"
    chosen, log = chooser_with_log(metric, key, wide, t("learning_rate.log_axis", lang), widths=(3, 2))
    shown = chosen or "train_loss"
    show_chart(loss_curves, result.epochs, lang, metric=shown, runs=result.runs, log_y=log, height=360)
    st.caption(t("learning_rate.chart_help", lang))


def focus_presets(base: RunConfig, picks: dict[str, float], lang: str) -> None:
    """The focus slider's presets, each a rate whose own run got that verdict at these settings."""
    try:
        chosen, how = presets.measured_presets(base, picks, cached_train), "measured"
    except ConfigError:  # training every candidate is more than the guard admits: the range test alone
        chosen, how = presets.from_range_test(picks), "range_test"
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption(
            t("learning_rate.focus.presets", lang),
            help=t(f"learning_rate.focus.presets_help.{how}", lang, epochs=base.epochs),
        )
        for name in presets.PRESETS:
            st.button(
                f"{t(f'learning_rate.focus.{name}', lang)} ({format_lr(chosen[name])})",
                key=f"learning_rate.preset.{name}",
                on_click=st.session_state.__setitem__,
                args=("learning_rate.focus", chosen[name]),
            )


lang = setup_page("learning_rate")
st.title(t("learning_rate.title", lang))
intro(t("learning_rate.intro", lang))
scenario_cards("learning_rate", lang)

controls, chart = controls_beside_chart(lang, [1, 2])
with controls:
    rates, base = settings(lang)
    st.markdown(f"**{t('learning_rate.focus.heading', lang)}**")
    preset_row = st.container()  # filled once the result may show: the presets name the good and too large rates
    focus = knob_widget(
        "lr",
        "learning_rate.focus",
        lang,
        param="focus_lr",
        default=presets.FOCUS_DEFAULT,
        choices=presets.FOCUS_RATES,
        label=t("learning_rate.focus.label", lang),
        help=t("learning_rate.focus.help", lang),
    )
    st.latex(r"w_{\mathrm{new}} = w_{\mathrm{old}} - \eta \cdot \nabla L")
    st.caption(t("learning_rate.formula_caption", lang))
with chart:
    # In predict mode nothing below that answers the question (curves, verdicts, presets, the edge, the range test)
    # shows before Reveal.
    shown = revealed("learning_rate", lang)
    if shown:  # a cold page says here, where the curves will be, what it computes first
        tests = cached_lesson(lr_finder.range_tests, base)
    result = None
    if rates and shown:
        try:
            result = cached_train(tuple(base.replace(lr=rate) for rate in sorted({*rates, focus})))
        except ConfigError as err:
            show_config_error(err, lang)
    if result is not None:
        curves(result, lang)
        if focus not in rates:
            st.caption(t("learning_rate.focus_joins", lang, lr=format_lr(focus)))
judged = None if result is None else cached_maths(judged_runs, result.epochs, result.runs)
top = None if judged is None else largest_trained(judged)
after = None if top is None else cached_lesson(after_training, base.replace(lr=top))  # at its end: λmax, rounding
if judged is not None:
    verdicts(judged, base, after, rates, lang)
if shown:
    picks = cached_maths(lr_finder.suggested_rates, tests).median().to_dict()
    with preset_row:
        focus_presets(base, picks, lang)
    curvature = ball_in_the_valley(base, focus, judged, after, lang)
bumpy_valley(lang)
if judged is not None:
    autopsy(judged, result, base, curvature, lang)
if shown:
    range_test(tests, picks, lang)
st.header(t("learning_rate.start.heading", lang))
st.markdown(t("learning_rate.start.body", lang))
with st.expander(t("learning_rate.tips_title", lang)):
    st.markdown(t("learning_rate.tips", lang))
