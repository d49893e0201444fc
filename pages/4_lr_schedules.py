"""Lesson: learning-rate schedules. The applied rate of every step above the loss it produced, schedule by schedule."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import streamlit as st

from core.charts.schedules import final_loss_bars, schedule_chart
from core.config import ConfigError, RunConfig
from core.i18n import t
from core.lessons.schedules import schedule_preview, schedule_summary
from core.optim import SCHEDULERS, schedule_notes
from core.runlog import steps_per_epoch
from core.ui import (
    Allowed,
    batch_size_select,
    cached_train,
    choice_pills,
    dataset_select,
    epochs_slider,
    linked,
    lr_slider,
    optimizer_select,
    setup_page,
    show_chart,
    show_config_error,
)
from core.ui.layout import smoothing_choice
from core.ui.lecture import chart_leads, intro, revealed, scenario_cards, settings_box
from core.ui.runs import trained

MOST = 4
# Digits, a 64-32 network, Adam at a high peak: every claim of the page holds here (tests/test_schedule_lessons.py).
DEFAULTS = {"schedules": ("none", "step", "cosine", "warmup-cosine"), "lr": 0.03, "epochs": 10, "dataset": "digits"}
HIDDEN = (64, 32)
KNOBS = {  # name: (default, low, high, whole number?)
    "step_size": (3, 1, 50, True),
    "gamma": (0.5, 0.05, 0.95, False),  # below 1: torch's plateau refuses 1
    "warmup_epochs": (1, 0, 20, True),
    "patience": (2, 0, 20, True),
}


def settings(lang: str) -> list[RunConfig]:
    """The controls; returns one config per chosen schedule (same network, seed and batch order)."""
    with settings_box(lang):
        st.markdown(f"**{t('schedules.controls', lang)}**")
        chosen = choice_pills(
            t("schedules.schedules", lang, most=MOST),
            SCHEDULERS,
            DEFAULTS["schedules"],
            "sched.schedules",
            "scheduler",
            lang,
            lambda code: t(f"schedules.names.{code}", lang),
            help=t("schedules.schedules_help", lang),
        )
        if len(chosen) > MOST:
            st.warning(t("schedules.too_many", lang, most=MOST))
        left, right = st.columns(2)
        with left:
            lr = lr_slider(t("schedules.peak", lang), "sched.lr", DEFAULTS["lr"])
            epochs = epochs_slider(lang, "sched.epochs", default=DEFAULTS["epochs"], high=50)
            batch = batch_size_select(lang, "sched.batch_size")
        with right:
            optimizer = optimizer_select(lang, "sched.optimizer", default="adam")
            dataset = dataset_select(lang, "sched.dataset", default=DEFAULTS["dataset"])
        with st.expander(t("schedules.knobs", lang)):
            knobs = {name: knob_slider(name, lang) for name in KNOBS}
    base = RunConfig(dataset=dataset, hidden=HIDDEN, optimizer=optimizer, lr=lr, batch_size=batch, epochs=epochs)
    return [base.replace(scheduler=code, **knobs) for code in chosen[:MOST]]


def knob_slider(name: str, lang: str) -> float:
    """One schedule knob (step size, γ, warmup, patience), kept in the URL under its RunConfig name."""
    default, low, high, whole = KNOBS[name]
    label = t(f"schedules.{'warmup' if name == 'warmup_epochs' else name}", lang)
    step = 1 if whole else 0.05
    return linked(
        st.slider,
        f"sched.{name}",
        name,
        default,
        Allowed(low=low, high=high, whole=whole, knob=name),
        label=label,
        min_value=low,
        max_value=high,
        step=step,
    )


def rules(configs: list[RunConfig], lang: str) -> None:
    """One line per chosen schedule: what it does to the rate, with this page's knobs."""
    first = configs[0]
    lines = [
        f"- **{t(f'schedules.names.{c.scheduler}', lang)}**: "
        + t(f"schedules.rules.{c.scheduler}", lang, step_size=first.step_size, patience=first.patience)
        for c in configs
    ]
    st.markdown("\n".join(lines))
    st.caption(t("schedules.setting", lang, hidden="-".join(map(str, HIDDEN))))
    for config in configs:
        for key, params in schedule_notes(config, steps_per_epoch(config)):
            st.caption(t(key, lang, **params))


def curves(configs: list[RunConfig], lang: str) -> None:
    """The rate preview at once; then, once trained, the rate over the loss and the final validation losses."""
    codes = [config.scheduler for config in configs]
    names = {code: t(f"schedules.names.{code}", lang) for code in SCHEDULERS}
    titles = {
        key: t(f"schedules.charts.{key}", lang) for key in ("step", "epoch", "lr", "loss", "schedule", "val_loss")
    }
    named = {run: names[code] for run, code in enumerate(codes)}
    st.markdown(f"#### {t('schedules.chart_title', lang)}")
    chart = st.empty()
    smooth = smoothing_choice(lang, "sched.smooth")  # below the chart, which keeps its place on the first screen
    if not trained(tuple(configs)):  # the rates alone while it trains; a trained result draws its chart at once
        preview = schedule_preview(configs)
        show_chart_in(chart, schedule_chart, preview.assign(name=preview["run"].map(named)), None, codes, names, titles)
    st.caption(t("schedules.preview_caption", lang))
    if "plateau" in codes:
        st.caption(t("schedules.plateau_preview", lang))
    try:
        result = cached_train(tuple(configs))
    except ConfigError as err:
        show_config_error(err, lang)
        return
    steps = result.steps.assign(name=result.steps["run"].map(named), lr=result.steps["lr_applied"])
    show_chart_in(chart, schedule_chart, steps, steps, codes, names, titles, smooth=smooth)
    summary = schedule_summary(result.epochs, result.steps).assign(name=lambda frame: frame["run"].map(named))
    st.markdown(f"#### {t('schedules.final_title', lang)}")
    show_chart(final_loss_bars, summary, codes, names, titles)
    if summary["val_loss"].notna().any():
        best = summary.loc[summary["val_loss"].idxmin()]
        st.caption(t("schedules.best_val", lang, name=best["name"], loss=best["val_loss"]))
    compare(summary, codes, lang)


def show_chart_in(slot: object, builder: Callable[..., object], *args: object, **kwargs: object) -> None:
    with slot.container():
        show_chart(builder, *args, **kwargs)


def compare(summary: pd.DataFrame, codes: list[str], lang: str) -> None:
    """Each schedule against the constant rate, in numbers from this very run."""
    st.subheader(t("schedules.compare_title", lang))
    if "none" not in codes:
        st.info(t("schedules.no_constant", lang))
        return
    constant = summary.loc[codes.index("none")]
    if not math.isfinite(constant["train_loss"]):
        st.markdown(t("schedules.constant_stopped", lang))
    for run, code in enumerate(codes):
        row = summary.loc[run]
        if code == "none" or not math.isfinite(constant["train_loss"]) or not math.isfinite(row["train_loss"]):
            continue
        name = t(f"schedules.names.{code}", lang)
        spread = constant["spread"] / row["spread"] if row["spread"] > 0 else math.nan
        kind = (
            "not_better"
            if row["train_loss"] >= constant["train_loss"]
            else "better"
            if math.isfinite(spread)
            else "better_plain"
        )
        factor = constant["train_loss"] / row["train_loss"]
        st.markdown(
            t(
                f"schedules.{kind}",
                lang,
                name=name,
                loss=row["train_loss"],
                constant=constant["train_loss"],
                factor=factor,
                spread=spread,
            )
        )
    st.caption(t("schedules.where_not", lang))


lang = setup_page("lr_schedules")
st.title(t("schedules.title", lang))
intro(t("schedules.intro", lang))
scenario_cards("lr_schedules", lang)
configs = settings(lang)
if not configs:
    st.info(t("schedules.none_chosen", lang))
elif revealed("lr_schedules", lang):
    chart_leads(lambda: rules(configs, lang), lambda: curves(configs, lang))
with st.expander(t("schedules.facts_title", lang)):
    st.markdown(t("schedules.facts", lang))
