"""Lesson: the learning rate. One curve per rate; slow, good, jumpy and diverging runs side by side."""

from __future__ import annotations

import functools
import math

import pandas as pd
import streamlit as st

from core.charts import finite, format_lr, loss_curves, needs_log_scale
from core.charts.valley import range_test_chart, regime_strip, valley_chart
from core.config import ConfigError, RunConfig
from core.i18n import join, t
from core.lessons import lr_finder, valley
from core.lessons.autopsy import initial_sharpness, largest_blowup
from core.lessons.verdicts import VERDICTS, judged_runs
from core.runlog import divergence_reason
from core.training import Result
from core.ui import (
    Allowed,
    batch_size_select,
    cached_train,
    choice_buttons,
    dataset_select,
    epochs_slider,
    linked,
    lr_multiselect,
    lr_slider,
    optimizer_select,
    setup_page,
    show_chart,
    show_config_error,
)
from core.ui.layout import chooser_with_log
from core.ui.lecture import controls_beside_chart, intro, revealed, scenario_cards
from core.ui.lessons import cached_lesson, cached_maths

# SGD on the blood-pressure data shows all four regimes with the default rates, in well under a second.
DEFAULTS = {"optimizer": "sgd", "dataset": "blood_pressure", "batch_size": 32, "epochs": 30, "max_epochs": 100}
DEFAULT_RATES = (0.001, 0.03, 0.3, 1.0)
FOCUS_RATES = tuple(sorted({m * 10.0**e for e in range(-5, 1) for m in (1, 2, 5)} | {10.0}))  # 1e-5 … 10, log steps
FOCUS_DEFAULT = 0.01
VALLEY_STEPS = 20
BUMPY_RATES = (0.05, 0.2, 0.3, 0.4)  # stuck in the dip, escapes, never settles, thrown out
SEEDS = (0, 1, 2)
METRICS = ("train_loss", "val_loss")
COLLAPSED = {"label_visibility": "collapsed"}  # the chart's title already says what the buttons choose
CALLOUTS = {"too_small": st.info, "good": st.success, "too_large": st.warning, "diverging": st.error}


def settings(lang: str) -> tuple[list[float], RunConfig]:
    """The controls, stacked in one bordered box; returns the chosen rates and the shared config."""
    with st.container(border=True):
        st.markdown(f"**{t('lr.controls', lang)}**")
        rates = lr_multiselect(lang, "lr.rates", default=DEFAULT_RATES)
        batch = batch_size_select(lang, "lr.batch_size", default=DEFAULTS["batch_size"])
        epochs = epochs_slider(lang, "lr.epochs", default=DEFAULTS["epochs"], high=DEFAULTS["max_epochs"])
        optimizer = optimizer_select(lang, "lr.optimizer", default=DEFAULTS["optimizer"])
        dataset = dataset_select(lang, "lr.dataset", default=DEFAULTS["dataset"])
    base = RunConfig(dataset=dataset, optimizer=optimizer, batch_size=batch, epochs=epochs)
    return rates, base


@st.fragment
def curves(result: Result, lang: str) -> None:
    """The chart and its restyling controls (a fragment: switching them never retrains)."""
    st.subheader(t("lr.chart_title", lang), anchor="lr-curves")

    def metric() -> str:
        names = {name: t(f"lr.metrics.{name}", lang) for name in METRICS}
        label = t("lr.metric", lang)
        return choice_buttons(label, METRICS, METRICS[0], "lr.curve", "curve", lang, names.__getitem__, **COLLAPSED)

    wide = needs_log_scale(finite(result.epochs, "train_loss")["train_loss"])  # losses spanning decades
    # The key follows that default: an untouched toggle follows the data, a choice against it stays in the link.
    key = f"lr.log.{'wide' if wide else 'narrow'}"
    chosen, log = chooser_with_log(metric, key, wide, t("lr.log_axis", lang), widths=(3, 2))
    shown = chosen or "train_loss"
    show_chart(loss_curves, result.epochs, lang, metric=shown, runs=result.runs, log_y=log, height=360)
    st.caption(t("lr.chart_help", lang))


def verdicts(result: Result, lang: str) -> None:
    """One callout per kind of behaviour that appears, naming the rates and telling the clinical analogy."""
    st.subheader(t("lr.verdicts_title", lang))
    table = cached_maths(judged_runs, result.epochs, result.runs)
    for verdict in VERDICTS:
        rows = table[table["verdict"] == verdict]
        if rows.empty:
            continue
        rates = join([_describe(row, lang) for _, row in rows.iterrows()], lang)
        CALLOUTS[verdict](
            f"**{t(f'lr.verdicts.{verdict}.title', lang, rates=rates)}**\n\n{t(f'lr.verdicts.{verdict}.body', lang)}"
        )
    st.caption(t("lr.relative_note", lang))


def _describe(row: pd.Series, lang: str) -> str:
    if row["verdict"] == "diverging":
        return t("lr.run_diverging", lang, lr=format_lr(row["lr"]), reason=divergence_reason(row, lang))
    return t("lr.run", lang, lr=format_lr(row["lr"]), start=f"{row['start']:.3g}", end=f"{row['end']:.3g}")


def snap(rate: float) -> float:
    """The focus-slider rate nearest to `rate` on a log scale."""
    return min(FOCUS_RATES, key=lambda option: abs(math.log(option / rate)))


def focus_rate(picks: dict[str, float], lang: str) -> float:
    """The focus slider and its presets (from the range test): too small, good, too large."""
    st.markdown(f"**{t('lr.focus.heading', lang)}**")
    good = picks["minimum_over_10"]
    presets = {"too_small": good / 100, "good": good, "too_large": picks["minimum"]}
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption(t("lr.focus.presets", lang), help=t("lr.focus.presets_help", lang))
        for name, rate in presets.items():
            st.button(
                f"{t(f'lr.focus.{name}', lang)} ({format_lr(snap(rate))})",
                key=f"lr.preset.{name}",
                on_click=st.session_state.__setitem__,
                args=("lr.focus", snap(rate)),
            )
    label, help = t("lr.focus.label", lang), t("lr.focus.help", lang)
    return lr_slider(label, "lr.focus", FOCUS_DEFAULT, FOCUS_RATES, param="focus_lr", help=help)


def ball_in_the_valley(curvature: float, lr: float, lang: str) -> None:
    """The focus rate on a parabola as curved as the network's steepest direction."""
    st.header(t("lr.valley.heading", lang))
    st.markdown(t("lr.valley.intro", lang, curvature=f"{curvature:.3g}", lr=format_lr(lr)))
    titles = {key: t(f"lr.valley.chart.{key}", lang) for key in ("w", "loss", "step", "lr", "regime")}
    start = valley.PARABOLA_START
    path = cached_maths(valley.parabola_walk, lr, VALLEY_STEPS, curvature)
    parabola = functools.partial(valley.parabola, curvature=curvature)  # the curve the chart draws
    show_chart(valley_chart, parabola, (-1.3 * abs(start), 1.3 * abs(start)), path, titles)
    regimes = {key: t(f"lr.valley.regimes.{key}", lang) for key in valley.REGIMES}
    st.caption(t("lr.valley.strip", lang))
    span = (min(FOCUS_RATES), max(FOCUS_RATES))
    show_chart(regime_strip, cached_maths(valley.regime_edges, VALLEY_STEPS, curvature), lr, regimes, titles, span)
    regime = cached_maths(valley.parabola_regime, lr, VALLEY_STEPS, curvature)
    product = f"{lr * curvature:.3g}"
    st.markdown(t(f"lr.valley.regime.{regime}", lang, product=product, steps=VALLEY_STEPS))
    st.caption(t("lr.valley.edge", lang, edge=f"{valley.edge_of_stability(curvature):.3g}"))


def bumpy_valley(lang: str) -> None:
    """A valley with a shallow dip: stuck, escapes, never settles, thrown out."""
    st.subheader(t("lr.valley.bumpy_heading", lang))
    st.markdown(t("lr.valley.bumpy_intro", lang))
    lr = linked(
        st.segmented_control,
        "lr.bumpy",
        "valley_lr",
        BUMPY_RATES[0],
        Allowed(options=BUMPY_RATES),
        label=t("lr.valley.bumpy_rate", lang),
        options=list(BUMPY_RATES),
        format_func=format_lr,
        required=True,
    )
    path = cached_maths(valley.bumpy_walk, lr)
    marks = cached_maths(valley.minima_marks).assign(
        text=[t(f"lr.valley.chart.{name}", lang) for name in ("shallow", "deep")]
    )
    titles = {key: t(f"lr.valley.chart.{key}", lang) for key in ("w", "loss", "step")}
    show_chart(valley_chart, valley.bumpy, valley.BUMPY_VIEW, path, titles, marks)
    outcome = valley.where_it_settles(path)
    where = f"{path['w'].iloc[-1]:.2f}"
    st.markdown(t(f"lr.valley.settles.{outcome}", lang, lr=format_lr(lr), where=where, steps=len(path) - 1))


def autopsy(result: Result, base: RunConfig, curvature: float, lang: str) -> None:
    """The largest diverging rate: where it stopped, its first gradient spike, and η × λmax against 2."""
    st.header(t("lr.autopsy.heading", lang))
    blowup = cached_maths(
        largest_blowup, cached_maths(judged_runs, result.epochs, result.runs), result.steps, curvature
    )
    if blowup is None:
        st.info(t("lr.autopsy.none", lang))
        return
    row, lr = blowup.run, format_lr(blowup.run["lr"])
    lines = [t("lr.autopsy.intro", lang, lr=lr)]
    if pd.notna(row["stopped_step"]):
        lines.append(t("lr.autopsy.stopped", lang, step=int(row["stopped_step"]), epoch=int(row["stopped_epoch"])))
    else:
        lines.append(t("lr.autopsy.record", lang, reason=divergence_reason(row, lang)))
    if blowup.spike is None:
        lines.append(t("lr.autopsy.no_spike", lang))
    else:
        step, before, after = blowup.spike
        lines.append(t("lr.autopsy.spike", lang, step=step, before=f"{before:.3g}", after=f"{after:.3g}"))
    relation = t(f"lr.autopsy.{'above' if blowup.product > 2 else 'below'}", lang)
    numbers = {"lr": lr, "curvature": f"{curvature:.3g}", "product": f"{blowup.product:.3g}"}
    lines.append(t("lr.autopsy.ratio", lang, relation=relation, **numbers))
    st.error("\n\n".join(lines), icon=":material/troubleshoot:")
    st.caption(t("lr.autopsy.ratio_note", lang))
    if base.optimizer not in ("sgd", "momentum", "nesterov"):
        st.caption(t("lr.autopsy.sgd_note", lang, optimizer=t(f"common.optimizers.{base.optimizer}", lang)))


def range_test(tests: pd.DataFrame, picks: dict[str, float], lang: str) -> None:
    """The range test's band over seeds, its suggestions, and why the lowest point is no constant rate."""
    st.header(t("lr.finder.heading", lang))
    span = {"start": format_lr(lr_finder.START_LR), "end": format_lr(lr_finder.END_LR)}
    st.markdown(t("lr.finder.intro", lang, steps=lr_finder.STEPS, seeds=len(SEEDS), **span))
    labels = {
        t(f"lr.finder.{name}", lang, lr=f"{picks[name]:.3g}"): picks[name]
        for name in ("steepest", "minimum_over_10", "minimum")
    }
    titles = {key: t(f"lr.finder.chart.{key}", lang) for key in ("lr", "loss", "suggestion")}
    show_chart(range_test_chart, cached_maths(lr_finder.band, tests), labels, titles)
    shown = {"steepest": picks["steepest"], "over10": picks["minimum_over_10"], "minimum": picks["minimum"]}
    st.markdown(t("lr.finder.reading", lang, **{name: f"{rate:.3g}" for name, rate in shown.items()}))


lang = setup_page("learning_rate")
st.title(t("lr.title", lang))
intro(t("lr.intro", lang))
scenario_cards("learning_rate", lang)

controls, chart = controls_beside_chart(lang, [1, 2])
with controls:
    rates, base = settings(lang)
with chart:  # a cold page says there, where the curves will be, what it computes first
    tests = cached_lesson(lr_finder.range_tests, base, seeds=SEEDS)
with controls:
    picks = cached_maths(lr_finder.suggested_rates, tests).median().to_dict()
    focus = focus_rate(picks, lang)
    st.latex(r"w_{\mathrm{new}} = w_{\mathrm{old}} - \eta \cdot \nabla L")
    st.caption(t("lr.formula_caption", lang))
with chart:
    result = None
    if rates and revealed("learning_rate", lang):
        try:
            result = cached_train(tuple(base.replace(lr=rate) for rate in sorted({*rates, focus})))
        except ConfigError as err:
            show_config_error(err, lang)
    if result is not None:
        curves(result, lang)
if result is not None:
    verdicts(result, lang)
curvature = cached_lesson(initial_sharpness, base)
ball_in_the_valley(curvature, focus, lang)
bumpy_valley(lang)
if result is not None:
    autopsy(result, base, curvature, lang)
range_test(tests, picks, lang)
st.header(t("lr.start.heading", lang))
st.markdown(t("lr.start.body", lang))
with st.expander(t("lr.tips_title", lang)):
    st.markdown(t("lr.tips", lang))
