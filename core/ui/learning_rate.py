"""The learning-rate page's sections below the curves: the verdicts, the ball in the valley, the
bumpy valley, the autopsy of a blow-up and the range test. The words come from core.lessons.lr_words."""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from core.charts import format_lr
from core.charts.valley import range_test_chart, regime_strip, valley_chart
from core.claims import LEARNING_RATE
from core.config import RunConfig
from core.i18n import join, t
from core.lessons import lr_finder, presets, valley
from core.lessons.autopsy import AfterTraining, final_sharpness, initial_sharpness, largest_blowup
from core.lessons.lr_words import (
    autopsy_words,
    bowl_words,
    card_check_words,
    card_words,
    finder_labels,
    finder_reading,
    moved_edge_words,
    run_words,
    sweep_edge_words,
    talking_point_words,
)
from core.lessons.verdicts import VERDICTS, largest_trained
from core.sensitivity import parting_epoch
from core.training import Result, estimated_seconds
from core.ui.cache import cached_lesson, cached_maths
from core.ui.charts import show_chart
from core.ui.lecture import talking_point
from core.ui.widgets import knob_widget

VALLEY_STEPS = 20
BUMPY_RATES = (0.05, 0.2, 0.3, 0.4)  # stuck in the dip, escapes, never settles, thrown out
CALLOUTS = {"too_small": st.info, "good": st.success, "too_large": st.warning, "diverging": st.error}
# Checking a curve for rounding sensitivity trains it again with the article's loop; above this estimate for all of
# them (thread seconds, core.training.estimated_seconds) the page says it did not check rather than keep the class
# waiting. At the opening settings the one curve to check (0.4) is the one examined for λmax anyway.
PARTING_BUDGET = 5.0


def texts(prefix: str, names: tuple[str, ...], lang: str) -> dict[str, str]:
    """The texts `prefix.<name>` by name: a chart's titles, a strip's labels."""
    return {name: t(f"{prefix}.{name}", lang) for name in names}


def verdicts(judged: pd.DataFrame, base: RunConfig, after: AfterTraining | None, rates: list[float], lang: str) -> None:
    """One callout per kind of behaviour that appears, naming the rates with what each record showed; the talking
    point; and, where the runs are a card's, its claims measured on them (core/claims.py)."""
    st.subheader(t("learning_rate.verdicts_title", lang))
    parted = rounding(judged, base, after, lang)
    for verdict in VERDICTS:
        rows = judged[judged["verdict"] == verdict]
        if rows.empty:
            continue
        named = join([run_words(row, parted, lang) for _, row in rows.iterrows()], lang)
        title = t(f"learning_rate.verdicts.{verdict}.title", lang, rates=named)
        CALLOUTS[verdict](f"**{title}**\n\n{t(f'learning_rate.verdicts.{verdict}.body', lang)}")
    st.caption(t("learning_rate.relative_note", lang))
    talking_point(talking_point_words(judged, lang), lang)
    card = presets.card_shown(rates, base)
    if card is not None:
        said = card_words([claim for claim in LEARNING_RATE if claim.scenario == card], judged, lang)
        st.markdown(card_check_words(said, lang))


def rounding(judged: pd.DataFrame, base: RunConfig, after: AfterTraining | None, lang: str) -> dict[float, int]:
    """Per rate whose curve is sensitive to rounding, the epoch where it parts from the article's loop. Checked: the
    runs nearest the edge, where rounding differences can grow (the largest rate that did not diverge, examined in
    `after`, and those judged too large); a smaller rate contracts every difference, and a diverging run's verdict
    does not hang on it. The others are skipped, with a note, where checking would keep the class waiting."""
    parted = {} if after is None else {largest_trained(judged): after.parting}
    too_large = judged.loc[judged["verdict"] == "too_large", "lr"]
    configs = [base.replace(lr=rate) for rate in too_large if rate not in parted]
    seconds = estimated_seconds(configs, "reference") if configs else 0.0
    if seconds > PARTING_BUDGET:
        st.caption(t("learning_rate.rounding_unchecked", lang, seconds=f"{seconds:.0f}"))
    else:
        parted |= {config.lr: cached_lesson(parting_epoch, config) for config in configs}
    return {rate: epoch for rate, epoch in parted.items() if epoch is not None}


def ball_in_the_valley(
    base: RunConfig, lr: float, judged: pd.DataFrame | None, after: AfterTraining | None, lang: str
) -> float:
    """The focus rate on a parabola as curved as the network's steepest direction at the start; where the sweep
    really diverged, and how far training moved that curvature. Returns the curvature at the start."""
    curvature = cached_lesson(initial_sharpness, base)
    st.header(t("learning_rate.valley.heading", lang))
    st.markdown(t("learning_rate.valley.intro", lang, curvature=f"{curvature:.3g}", lr=format_lr(lr)))
    titles = texts("learning_rate.valley.chart", ("w", "loss", "step", "lr", "regime"), lang)
    start = valley.PARABOLA_START
    path = cached_maths(valley.parabola_walk, lr, VALLEY_STEPS, curvature)
    parabola = functools.partial(valley.parabola, curvature=curvature)  # the curve the chart draws
    show_chart(valley_chart, parabola, (-1.3 * abs(start), 1.3 * abs(start)), path, titles)
    regimes = texts("learning_rate.valley.regimes", valley.REGIMES, lang)
    st.caption(t("learning_rate.valley.strip", lang))
    span = (min(presets.FOCUS_RATES), max(presets.FOCUS_RATES))
    show_chart(regime_strip, cached_maths(valley.regime_edges, VALLEY_STEPS, curvature), lr, regimes, titles, span)
    regime = cached_maths(valley.parabola_regime, lr, VALLEY_STEPS, curvature)
    st.markdown(bowl_words(regime, lr * curvature, VALLEY_STEPS, judged, lr, lang))
    edge = valley.edge_of_stability(curvature)
    lines = [t("learning_rate.valley.edge", lang, edge=f"{edge:.3g}", curvature=f"{curvature:.3g}")]
    if after is not None:  # λmax after training: at the largest rate of the sweep that did not diverge
        lines.append(moved_edge_words(after.sharpness, largest_trained(judged), "sweep", base.epochs, lang))
    else:  # else at the focus rate
        end = cached_lesson(final_sharpness, base.replace(lr=lr))
        lines.append(moved_edge_words(end, lr, "focus", base.epochs, lang))
    if judged is not None:
        lines.append(sweep_edge_words(judged, edge, lang))
    st.markdown("\n\n".join(lines))
    if base.optimizer not in valley.GRADIENT_STEPS:
        st.caption(t("learning_rate.valley.adaptive", lang))
    return curvature


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
        text=list(texts("learning_rate.valley.chart", ("shallow", "deep"), lang).values())
    )
    titles = texts("learning_rate.valley.chart", ("w", "loss", "step"), lang)
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
    st.error(autopsy_words(blowup, curvature, lang), icon=":material/troubleshoot:")
    st.caption(t("learning_rate.autopsy.ratio_note", lang))
    if base.optimizer not in valley.GRADIENT_STEPS:
        st.caption(t("learning_rate.autopsy.sgd_note", lang, optimizer=t(f"common.optimizers.{base.optimizer}", lang)))


def range_test(tests: pd.DataFrame, picks: dict[str, float], lang: str) -> None:
    """The range test's band over seeds, its suggestions, and why the lowest point is no constant rate."""
    st.header(t("learning_rate.finder.heading", lang))
    span = {"start": format_lr(lr_finder.START_LR), "end": format_lr(lr_finder.END_LR)}
    st.markdown(t("learning_rate.finder.intro", lang, steps=lr_finder.STEPS, seeds=len(lr_finder.SEEDS), **span))
    titles = texts("learning_rate.finder.chart", ("lr", "loss", "suggestion"), lang)
    band = cached_maths(lr_finder.band, tests)
    show_chart(range_test_chart, band, finder_labels(picks, lang), titles, picks["minimum"])
    st.markdown(finder_reading(picks, lang))
