"""Lesson: the learning rate. One curve per rate; slow, good, jumpy and diverging runs side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.charts import finite, format_lr, loss_curves, needs_log_scale
from core.config import ConfigError, RunConfig
from core.i18n import join, t
from core.lessons.verdicts import VERDICTS, lr_verdicts
from core.training import Result
from core.ui import (
    Allowed,
    batch_size_select,
    cached_train,
    dataset_select,
    epochs_slider,
    language_key,
    linked,
    lr_multiselect,
    optimizer_select,
    setup_page,
    show_chart,
    show_config_error,
)

# SGD on the blood-pressure data shows all four regimes with the default rates, in well under a second.
DEFAULTS = {"optimizer": "sgd", "dataset": "blood_pressure", "batch_size": 32, "epochs": 30, "max_epochs": 100}
METRICS = ("train_loss", "val_loss")
CALLOUTS = {"too_small": st.info, "good": st.success, "too_large": st.warning, "diverged": st.error}


def settings(lang: str) -> tuple[list[float], RunConfig]:
    """The controls, stacked in one bordered box; returns the chosen rates and the shared config."""
    with st.container(border=True):
        st.markdown(f"**{t('lr.controls', lang)}**")
        rates = lr_multiselect(lang, "lr.rates")
        batch = batch_size_select(lang, "lr.batch_size", default=DEFAULTS["batch_size"])
        epochs = epochs_slider(lang, "lr.epochs", default=DEFAULTS["epochs"], high=DEFAULTS["max_epochs"])
        optimizer = optimizer_select(lang, "lr.optimizer", default=DEFAULTS["optimizer"])
        dataset = dataset_select(lang, "lr.dataset", default=DEFAULTS["dataset"])
    base = RunConfig(dataset=dataset, optimizer=optimizer, batch_size=batch, epochs=epochs)
    return rates, base


@st.fragment
def curves(result: Result, lang: str) -> None:
    """The chart and its restyling controls (a fragment: switching them never retrains)."""
    st.markdown(f"#### {t('lr.chart_title', lang)}")
    metric_col, log_col = st.columns([3, 2], vertical_alignment="bottom")
    with metric_col:
        metric = linked(
            st.segmented_control,
            language_key("lr.curve", lang),
            "curve",
            METRICS[0],
            Allowed(options=METRICS),
            label=t("lr.metric", lang),
            options=list(METRICS),
            format_func=lambda name: t(f"lr.metrics.{name}", lang),
            required=True,
            label_visibility="collapsed",
        )
    with log_col:
        wide = needs_log_scale(finite(result.epochs, "train_loss")["train_loss"])  # losses spanning decades
        # The key follows that default: an untouched toggle follows the data, a choice against it stays in the link.
        key = f"lr.log.{'wide' if wide else 'narrow'}"
        log = linked(st.toggle, key, "log", wide, Allowed(options=(False, True)), label=t("lr.log_axis", lang))
    show_chart(loss_curves(result.epochs, lang, metric=metric or "train_loss", runs=result.runs, log_y=log, height=360))
    st.caption(t("lr.chart_help", lang))


def verdicts(result: Result, lang: str) -> None:
    """One callout per kind of behaviour that appears, naming the rates and telling the clinical analogy."""
    st.subheader(t("lr.verdicts_title", lang))
    table = lr_verdicts(result.epochs, result.runs).merge(result.runs[["run", "diverged_epoch"]], on="run")
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
    if row["verdict"] == "diverged":
        epoch = int(row["diverged_epoch"]) if pd.notna(row["diverged_epoch"]) else int(row["epoch"]) + 1
        return t("lr.run_diverged", lang, lr=format_lr(row["lr"]), epoch=epoch)
    return t("lr.run", lang, lr=format_lr(row["lr"]), start=f"{row['start']:.3g}", end=f"{row['end']:.3g}")


lang = setup_page("learning_rate")
st.title(t("lr.title", lang))
st.markdown(t("lr.intro", lang))

controls, chart = st.columns([1, 2], gap="medium")
with controls:
    rates, base = settings(lang)
    st.latex(r"w_{\mathrm{new}} = w_{\mathrm{old}} - \eta \cdot \nabla L")
    st.caption(t("lr.formula_caption", lang))
with chart:
    result = None
    if rates:
        try:
            result = cached_train(tuple(base.replace(lr=rate) for rate in rates))
        except ConfigError as err:
            show_config_error(err, lang)
    if result is not None:
        curves(result, lang)
if result is not None:
    verdicts(result, lang)
with st.expander(t("lr.tips_title", lang)):
    st.markdown(t("lr.tips", lang))
