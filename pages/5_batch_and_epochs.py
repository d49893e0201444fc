"""Lesson: batch size, epochs and the DataLoader. Online, mini-batch and full batch; shuffling; over-fitting."""

from __future__ import annotations

import streamlit as st

from core.charts import needs_log_scale
from core.charts.batches import progress_chart
from core.config import CHOICE, SWITCH, ConfigError, Knob, RunConfig
from core.data import load_split
from core.i18n import t
from core.lessons import batch_words as words
from core.lessons import batches as lesson
from core.ui import cached_train, knob_widget, setup_page, show_config_error
from core.ui.batch_and_epochs import epochs_and_overfitting, shuffling
from core.ui.cache import cached_maths
from core.ui.layout import Card, card_row, chooser_with_log, titled_chart
from core.ui.lecture import chart_leads, intro, revealed, scenario_cards, settings_box, talking_point

BATCHES = ("1", "8", "32", "128", "full")
REFERENCE_BATCH = 32  # the linear scaling rule scales the rate relative to this batch size
X_AXES = ("epoch", "updates", "examples", "seconds")
BATCHES_SHOWN = ("1", "32", "full")


def settings(lang: str) -> tuple[list[RunConfig], int]:
    """The batch controls; returns one config per chosen batch size and the number of training cases."""
    with settings_box(lang):
        chosen = knob_widget(
            Knob("batch_sizes", CHOICE, BATCHES_SHOWN, choices=BATCHES),
            "batch_and_epochs.sizes",
            lang,
            several=True,
            label=t("batch_and_epochs.batch.sizes", lang),
            format_func=lambda size: words.batch_label(size, lang),
            help=t("batch_and_epochs.batch.sizes_help", lang),
        )
        left, right = st.columns(2)
        with left:
            lr = knob_widget(
                "lr", "batch_and_epochs.lr", lang, default=lesson.PAGE.lr, label=t("batch_and_epochs.batch.lr", lang)
            )
            epochs = knob_widget("epochs", "batch_and_epochs.epochs", lang, default=lesson.PAGE.epochs, high=50)
        with right:
            optimizer = knob_widget("optimizer", "batch_and_epochs.optimizer", lang, default=lesson.PAGE.optimizer)
            dataset = knob_widget("dataset", "batch_and_epochs.dataset", lang, default=lesson.PAGE.dataset)
        scale = knob_widget(
            Knob("scale", SWITCH, False),
            "batch_and_epochs.scale",
            lang,
            label=t("batch_and_epochs.batch.scale", lang),
            help=t("batch_and_epochs.batch.scale_help", lang, reference=REFERENCE_BATCH),
        )
    n = len(load_split(dataset).x_train)
    base = lesson.PAGE.replace(dataset=dataset, optimizer=optimizer, lr=lr, epochs=epochs)
    sizes = ["full" if text == "full" else int(text) for text in chosen]
    return lesson.batch_configs(base, sizes, n, REFERENCE_BATCH if scale else None), n


def axis(lang: str) -> str:
    """The chart's horizontal axis: epochs, updates, cases seen or seconds."""
    return knob_widget(
        Knob("x", CHOICE, X_AXES[0], choices=X_AXES),
        "batch_and_epochs.x",
        lang,
        label=t("batch_and_epochs.batch.x_axis", lang),
        widget=st.segmented_control,
        format_func=lambda x: t(f"batch_and_epochs.batch.axes.{x}", lang),
    )


@st.fragment
def progress(configs: list[RunConfig], n: int, lang: str) -> None:
    """Loss against epochs, updates, cases seen or seconds (a fragment: switching the axis never retrains)."""
    try:
        result = cached_train(tuple(configs))
    except ConfigError as err:
        show_config_error(err, lang)
        return
    names = words.batch_names(configs, lang)
    curves = cached_maths(lesson.progress_frame, result.epochs, configs, n).assign(
        name=lambda frame: frame["run"].map(dict(enumerate(names)))
    )
    wide = needs_log_scale(curves["loss"])
    x, log = chooser_with_log(
        lambda: axis(lang), "batch_and_epochs.log", wide, t("batch_and_epochs.batch.log_axis", lang)
    )
    titles = {key: t(f"batch_and_epochs.batch.axes.{key}", lang) for key in X_AXES}
    titles |= {"loss": t("charts.train_loss", lang), "batch": t("common.widgets.batch.label", lang)}
    titled_chart(
        t("batch_and_epochs.batch.chart_title", lang), progress_chart, curves, x or "epoch", names, titles, log
    )
    for element, text in words.progress_readings(configs, lesson.last_epochs(curves), n, x, lang):
        if element == "talking":
            talking_point(text, lang)
        elif element == "caption":
            st.caption(text)
        else:
            st.markdown(text)


lang = setup_page("batch_and_epochs")
st.title(t("batch_and_epochs.title", lang))
intro(t("batch_and_epochs.intro", lang))
scenario_cards("batch_and_epochs", lang)
st.header(t("batch_and_epochs.batch.heading", lang), anchor="batches-batch")
intro(t("batch_and_epochs.batch.body", lang))
configs, n = settings(lang)
shown = revealed("batch_and_epochs", lang)
if not configs:
    st.info(t("batch_and_epochs.batch.none", lang))
elif shown:
    counters = [Card(*texts) for texts in words.counter_texts(configs, n, lang)]
    chart_leads(lambda: card_row(counters), lambda: progress(configs, n, lang))
if shown:
    shuffling(lang)
    epochs_and_overfitting(lang)
st.header(t("batch_and_epochs.loader.heading", lang))
st.markdown(t("batch_and_epochs.loader.body", lang))
st.code("loader = DataLoader(dataset, batch_size=32, shuffle=True, num_workers=2)", language="python")
st.markdown(t("batch_and_epochs.loader.workers", lang))
