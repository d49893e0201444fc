"""Lesson: the learning rate. One curve per rate; slow, good, jumpy and diverging runs side by side."""

from __future__ import annotations

import functools
import math

import pandas as pd
import streamlit as st

from core.charts import finite, format_lr, loss_curves, needs_log_scale
from core.charts.valley import range_test_chart, regime_strip, valley_chart
from core.claims import LEARNING_RATE
from core.config import CHOICE, ConfigError, Knob, RunConfig
from core.i18n import join, t
from core.lessons import lr_finder, presets, valley
from core.lessons.autopsy import AfterTraining, after_training, final_sharpness, initial_sharpness, largest_blowup
from core.lessons.lr_words import bowl_words, card_words, run_words, sweep_edge_words, talking_point_words
from core.lessons.verdicts import VERDICTS, judged_runs
from core.runlog import STOP_FACTOR, divergence_reason, plain_number
from core.sensitivity import parting_epoch
from core.training import Result, estimated_seconds
from core.ui import (
    cached_train,
    knob_widget,
    setup_page,
    show_chart,
    show_config_error,
)
from core.ui.cache import cached_lesson, cached_maths
from core.ui.layout import chooser_with_log
from core.ui.lecture import controls_beside_chart, intro, revealed, scenario_cards, talking_point

PAGE = presets.PAGE_BASE  # the settings as the page opens (core.lessons.presets says why)
MAX_EPOCHS = 100
VALLEY_STEPS = 20
BUMPY_RATES = (0.05, 0.2, 0.3, 0.4)  # stuck in the dip, escapes, never settles, thrown out
METRICS = ("train_loss", "val_loss")
COLLAPSED = {"label_visibility": "collapsed"}  # the chart's title already says what the buttons choose
CALLOUTS = {"too_small": st.info, "good": st.success, "too_large": st.warning, "diverging": st.error}
# Checking a curve for rounding sensitivity trains it again with the article's loop; above this estimate for all of
# them (thread seconds, core.training.estimated_seconds) the page says it did not check rather than keep the class
# waiting. At the opening settings the one curve to check (0.4) is the one examined for λmax anyway.
PARTING_BUDGET = 5.0


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


def rounding(judged: pd.DataFrame, base: RunConfig, after: AfterTraining | None, lang: str) -> dict[float, int]:
    """Per rate whose curve is sensitive to rounding, the epoch where it parts from the article's loop. Checked: the
    runs nearest the edge, where rounding differences can grow (the largest rate that did not diverge, examined in
    `after`, and those judged too large); a smaller rate contracts every difference, and a diverging run's verdict
    does not hang on it. The others are skipped, with a note, where checking would keep the class waiting."""
    trained = judged[judged["verdict"] != "diverging"]
    parted = {} if after is None else {float(trained["lr"].max()): after.parting}
    configs = [
        base.replace(lr=rate) for rate in trained.loc[trained["verdict"] == "too_large", "lr"] if rate not in parted
    ]
    seconds = estimated_seconds(configs, "reference") if configs else 0.0
    if seconds > PARTING_BUDGET:
        st.caption(t("learning_rate.rounding_unchecked", lang, seconds=f"{seconds:.0f}"))
    else:
        parted |= {config.lr: cached_lesson(parting_epoch, config) for config in configs}
    return {rate: epoch for rate, epoch in parted.items() if epoch is not None}


def verdicts(table: pd.DataFrame, parted: dict[float, int], lang: str) -> None:
    """One callout per kind of behaviour that appears, naming the rates with what each record showed."""
    st.subheader(t("learning_rate.verdicts_title", lang))
    for verdict in VERDICTS:
        rows = table[table["verdict"] == verdict]
        if rows.empty:
            continue
        rates = join([run_words(row, parted, lang) for _, row in rows.iterrows()], lang)
        title = t(f"learning_rate.verdicts.{verdict}.title", lang, rates=rates)
        CALLOUTS[verdict](f"**{title}**\n\n{t(f'learning_rate.verdicts.{verdict}.body', lang)}")
    st.caption(t("learning_rate.relative_note", lang))


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


def ball_in_the_valley(
    base: RunConfig, lr: float, judged: pd.DataFrame | None, after: AfterTraining | None, lang: str
) -> float:
    """The focus rate on a parabola as curved as the network's steepest direction at the start; where the sweep
    really diverged, and how far training moved that curvature. Returns the curvature at the start."""
    curvature = cached_lesson(initial_sharpness, base)
    st.header(t("learning_rate.valley.heading", lang))
    st.markdown(t("learning_rate.valley.intro", lang, curvature=f"{curvature:.3g}", lr=format_lr(lr)))
    titles = {key: t(f"learning_rate.valley.chart.{key}", lang) for key in ("w", "loss", "step", "lr", "regime")}
    start = valley.PARABOLA_START
    path = cached_maths(valley.parabola_walk, lr, VALLEY_STEPS, curvature)
    parabola = functools.partial(valley.parabola, curvature=curvature)  # the curve the chart draws
    show_chart(valley_chart, parabola, (-1.3 * abs(start), 1.3 * abs(start)), path, titles)
    regimes = {key: t(f"learning_rate.valley.regimes.{key}", lang) for key in valley.REGIMES}
    st.caption(t("learning_rate.valley.strip", lang))
    span = (min(presets.FOCUS_RATES), max(presets.FOCUS_RATES))
    show_chart(regime_strip, cached_maths(valley.regime_edges, VALLEY_STEPS, curvature), lr, regimes, titles, span)
    regime = cached_maths(valley.parabola_regime, lr, VALLEY_STEPS, curvature)
    st.markdown(bowl_words(regime, lr * curvature, VALLEY_STEPS, judged, lr, lang))
    edge = valley.edge_of_stability(curvature)
    lines = [t("learning_rate.valley.edge", lang, edge=f"{edge:.3g}", curvature=f"{curvature:.3g}")]
    lines.append(_moved_edge(base, lr, judged, after, lang))
    if judged is not None:
        lines.append(sweep_edge_words(judged, edge, lang))
    st.markdown("\n\n".join(lines))
    if base.optimizer not in ("sgd", "momentum", "nesterov"):
        st.caption(t("learning_rate.valley.adaptive", lang))
    return curvature


def _moved_edge(base: RunConfig, lr: float, judged: pd.DataFrame | None, after: AfterTraining | None, lang: str) -> str:
    """λmax after training: at the largest rate of the sweep that did not diverge (`after`), else at the focus rate."""
    if after is not None:
        end, lr, where = after.sharpness, float(judged.loc[judged["verdict"] != "diverging", "lr"].max()), "sweep"
    else:
        end, where = cached_lesson(final_sharpness, base.replace(lr=lr)), "focus"
    if not math.isfinite(end):
        return t("learning_rate.valley.edge_end_stopped", lang, lr=format_lr(lr))
    numbers = {"end": f"{end:.3g}", "end_edge": f"{valley.edge_of_stability(end):.3g}"}
    return t(f"learning_rate.valley.edge_end.{where}", lang, epochs=base.epochs, lr=format_lr(lr), **numbers)


def bumpy_valley(lang: str) -> None:
    """A valley with a shallow dip: stuck, escapes, never settles, thrown out."""
    st.subheader(t("learning_rate.valley.bumpy_heading", lang))
    st.markdown(t("learning_rate.valley.bumpy_intro", lang))
    lr = knob_widget(
        "lr",
        "learning_rate.bumpy",
        lang,
        param="valley_lr",
        default=BUMPY_RATES[0],
        choices=BUMPY_RATES,
        widget=st.segmented_control,
        label=t("learning_rate.valley.bumpy_rate", lang),
    )
    path = cached_maths(valley.bumpy_walk, lr)
    marks = cached_maths(valley.minima_marks).assign(
        text=[t(f"learning_rate.valley.chart.{name}", lang) for name in ("shallow", "deep")]
    )
    titles = {key: t(f"learning_rate.valley.chart.{key}", lang) for key in ("w", "loss", "step")}
    show_chart(valley_chart, valley.bumpy, valley.BUMPY_VIEW, path, titles, marks)
    outcome = valley.where_it_settles(path)
    where = f"{path['w'].iloc[-1]:.2f}"
    st.markdown(t(f"learning_rate.valley.settles.{outcome}", lang, lr=format_lr(lr), where=where, steps=len(path) - 1))


def autopsy(judged: pd.DataFrame, result: Result, base: RunConfig, curvature: float, lang: str) -> None:
    """The largest diverging rate: where and why it stopped, its first gradient spike, and η × λmax against 2."""
    st.header(t("learning_rate.autopsy.heading", lang))
    blowup = cached_maths(largest_blowup, judged, result.steps, curvature)
    if blowup is None:
        st.info(t("learning_rate.autopsy.none", lang))
        return
    row, lr = blowup.run, format_lr(blowup.run["lr"])
    lines = [t("learning_rate.autopsy.intro", lang, lr=lr)]
    if pd.notna(row["stopped_step"]):
        where = {"step": int(row["stopped_step"]), "epoch": int(row["stopped_epoch"])}
        numbers = {"loss": plain_number(row["stopped_loss"]), "start": plain_number(row["start"])}
        lines.append(
            t(f"learning_rate.autopsy.{row['reason']}", lang, factor=plain_number(STOP_FACTOR), **where, **numbers)
        )
    else:
        lines.append(t("learning_rate.autopsy.record", lang, reason=divergence_reason(row, lang)))
    if blowup.spike is None:
        lines.append(t("learning_rate.autopsy.no_spike", lang))
    else:
        step, before, after = blowup.spike
        lines.append(t("learning_rate.autopsy.spike", lang, step=step, before=f"{before:.3g}", after=f"{after:.3g}"))
    relation = t(f"learning_rate.autopsy.{'above' if blowup.product > 2 else 'below'}", lang)
    numbers = {"lr": lr, "curvature": f"{curvature:.3g}", "product": f"{blowup.product:.3g}"}
    lines.append(t("learning_rate.autopsy.ratio", lang, relation=relation, **numbers))
    st.error("\n\n".join(lines), icon=":material/troubleshoot:")
    st.caption(t("learning_rate.autopsy.ratio_note", lang))
    if base.optimizer not in ("sgd", "momentum", "nesterov"):
        st.caption(t("learning_rate.autopsy.sgd_note", lang, optimizer=t(f"common.optimizers.{base.optimizer}", lang)))


def range_test(tests: pd.DataFrame, picks: dict[str, float], lang: str) -> None:
    """The range test's band over seeds, its suggestions, and why the lowest point is no constant rate."""
    st.header(t("learning_rate.finder.heading", lang))
    span = {"start": format_lr(lr_finder.START_LR), "end": format_lr(lr_finder.END_LR)}
    st.markdown(t("learning_rate.finder.intro", lang, steps=lr_finder.STEPS, seeds=len(lr_finder.SEEDS), **span))
    names = ("steepest", "minimum_over_10", "minimum")
    labels = {t(f"learning_rate.finder.{name}", lang, lr=f"{picks[name]:.3g}"): picks[name] for name in names}
    titles = {key: t(f"learning_rate.finder.chart.{key}", lang) for key in ("lr", "loss", "suggestion")}
    show_chart(range_test_chart, cached_maths(lr_finder.band, tests), labels, titles, picks["minimum"])
    shown = {"steepest": picks["steepest"], "over10": picks["minimum_over_10"], "minimum": picks["minimum"]}
    st.markdown(t("learning_rate.finder.reading", lang, **{name: f"{rate:.3g}" for name, rate in shown.items()}))


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
after = None  # the largest rate that did not diverge, examined at its end (λmax, rounding)
if judged is not None:
    trained = judged.loc[judged["verdict"] != "diverging", "lr"]
    after = cached_lesson(after_training, base.replace(lr=float(trained.max()))) if not trained.empty else None
    verdicts(judged, rounding(judged, base, after, lang), lang)
    talking_point(talking_point_words(judged, lang), lang)
    card = presets.card_shown(rates, base)
    if card is not None:  # the card's own claims (core/claims.py), measured on the runs shown
        said = card_words([claim for claim in LEARNING_RATE if claim.scenario == card], judged, lang)
        st.markdown(
            "\n".join(
                [f"**{t('learning_rate.card_check', lang)}**", *(f"- {'✓' if ok else '✗'} {w}" for ok, w in said)]
            )
        )
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
