"""Lesson: batch size, epochs and the DataLoader. Online, mini-batch and full batch; shuffling; over-fitting."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.charts import format_lr, needs_log_scale
from core.charts.batches import batch_loss_chart, class_strip, first_epoch_chart, progress_chart, train_val_chart
from core.claims import by_id
from core.config import CHOICE, SWITCH, ConfigError, Knob, RunConfig
from core.data import load_split
from core.i18n import join, sentences, t
from core.lessons import batches as lesson
from core.lessons.batch_words import early_against_late
from core.ui import (
    cached_train,
    knob_widget,
    setup_page,
    show_config_error,
)
from core.ui.cache import cached_lesson, cached_maths
from core.ui.layout import Card, card_row, chooser_with_log, smoothing_choice, titled_chart
from core.ui.lecture import chart_leads, intro, revealed, scenario_cards, settings_box, talking_point

BATCHES = ("1", "8", "32", "128", "full")
REFERENCE_BATCH = 32  # the linear scaling rule scales the rate relative to this batch size
X_AXES = ("epoch", "updates", "examples", "seconds")
BATCHES_SHOWN = ("1", "32", "full")


def batch_label(size: int | str, lang: str) -> str:
    return t("batch_and_epochs.batch.full", lang) if size == "full" else str(size)


def settings(lang: str) -> tuple[list[RunConfig], int]:
    """The batch controls; returns one config per chosen batch size and the number of training cases."""
    with settings_box(lang):
        chosen = knob_widget(
            Knob("batch_sizes", CHOICE, BATCHES_SHOWN, choices=BATCHES),
            "batch_and_epochs.sizes",
            lang,
            several=True,
            label=t("batch_and_epochs.batch.sizes", lang),
            format_func=lambda size: batch_label(size, lang),
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


def counters(configs: list[RunConfig], n: int, lang: str) -> None:
    """Updates per epoch and in all, one card per batch size."""
    cards = []
    for config in configs:
        size = n if config.batch_size == "full" else config.batch_size
        updates = lesson.updates_per_epoch(n, size)
        total = f"{lesson.total_updates(n, size, config.epochs):,}"
        facts = {"n": n, "batch": size, "updates": updates, "epochs": config.epochs, "total": total}
        label = t("batch_and_epochs.batch.counter", lang, batch=batch_label(config.batch_size, lang))
        cards.append(Card(label, f"{updates:,}", t("batch_and_epochs.batch.counter_help", lang, **facts)))
    card_row(cards)


@st.fragment
def progress(configs: list[RunConfig], n: int, lang: str) -> None:
    """Loss against epochs, updates, cases seen or seconds (a fragment: switching the axis never retrains)."""
    try:
        result = cached_train(tuple(configs))
    except ConfigError as err:
        show_config_error(err, lang)
        return
    names = [batch_label(config.batch_size, lang) for config in configs]
    curves = cached_maths(lesson.progress_frame, result.epochs, configs, n).assign(
        name=lambda frame: frame["run"].map(dict(enumerate(names)))
    )

    def axis() -> str:
        label = t("batch_and_epochs.batch.x_axis", lang)
        names = {"widget": st.segmented_control, "format_func": lambda x: t(f"batch_and_epochs.batch.axes.{x}", lang)}
        return knob_widget(
            Knob("x", CHOICE, X_AXES[0], choices=X_AXES), "batch_and_epochs.x", lang, label=label, **names
        )

    wide = needs_log_scale(curves["loss"])
    x, log = chooser_with_log(axis, "batch_and_epochs.log", wide, t("batch_and_epochs.batch.log_axis", lang))
    titles = {axis: t(f"batch_and_epochs.batch.axes.{axis}", lang) for axis in X_AXES}
    titles |= {"loss": t("charts.train_loss", lang), "batch": t("common.widgets.batch.label", lang)}
    titled_chart(
        t("batch_and_epochs.batch.chart_title", lang), progress_chart, curves, x or "epoch", names, titles, log
    )
    readings(configs, curves, names, n, x, lang)


def readings(configs: list[RunConfig], curves: pd.DataFrame, names: list[str], n: int, x: str, lang: str) -> None:
    """What the chart shows, picked from its numbers: each run's end, per-update time, who got ahead, talking point."""
    last = lesson.last_epochs(curves)
    sizes = [n if config.batch_size == "full" else config.batch_size for config in configs]
    if x == "seconds":
        st.caption(t("batch_and_epochs.batch.seconds_note", lang))
        if timing := lesson.seconds_finding(last, sizes):
            small, large = names[timing.pop("small")], names[timing.pop("large")]
            st.markdown(
                t("batch_and_epochs.batch.seconds_measured", lang, small_batch=small, large_batch=large, **timing)
            )
    items = [
        t(
            "batch_and_epochs.batch.reading_item",
            lang,
            batch=names[row.run],
            updates=f"{row.updates:,}",
            loss=f"{row.loss:.3g}",
        )
        for row in last.itertuples()
    ]
    st.markdown(t("batch_and_epochs.batch.reading", lang, epochs=configs[0].epochs, items=join(items, lang)))
    if len({config.lr for config in configs}) > 1:
        rates = [
            t("batch_and_epochs.batch.reading_rate", lang, batch=name, lr=format_lr(c.lr))
            for name, c in zip(names, configs, strict=True)
        ]
        st.caption(t("batch_and_epochs.batch.rates_used", lang, items=join(rates, lang)))
    if len(configs) > 1:
        kind, numbers = lesson.epoch_finding(last, sizes)
        if numbers:
            numbers |= {"best": names[numbers["best"]], "smallest": names[numbers["smallest"]]}
        st.markdown(t(f"batch_and_epochs.batch.per_epoch.{kind}", lang, epochs=configs[0].epochs, **numbers))
    st.markdown(t("batch_and_epochs.batch.views", lang))
    said = by_id("batches_online_ahead_per_epoch").said_of(configs, last["loss"].tolist())
    if said is not None:
        talking_point(t(said[0], lang, **said[1]), lang)
    elif point := lesson.talking_point(last, sizes):
        kind, numbers = point
        numbers |= {"small": names[numbers["small"]], "large": names[numbers["large"]]}
        talking_point(t(f"batch_and_epochs.batch.talking.{kind}", lang, epochs=configs[0].epochs, **numbers), lang)


def shuffling(lang: str) -> None:
    """Sorted data with and without shuffling: batch losses, each batch's classes, the first epoch's accuracy."""
    st.header(t("batch_and_epochs.shuffle.heading", lang), anchor="batches-shuffle")
    st.markdown(t("batch_and_epochs.shuffle.body", lang))
    dataset = knob_widget(
        "dataset",
        "batch_and_epochs.shuffle_dataset",
        lang,
        param="shuffle_dataset",
        choices=("digits", "breast_cancer"),
        default=lesson.SORTED.dataset,
        label=t("batch_and_epochs.shuffle.dataset", lang),
    )
    halfway = by_id("batches_sorted_halfway")  # the card's claim: its arms are this section's runs on the digits
    configs = [config.replace(dataset=dataset) for config in halfway.configs(seed=0).values()]
    result = cached_train(tuple(configs))
    names = {
        "sorted": t("batch_and_epochs.shuffle.sorted", lang),
        "shuffled": t("batch_and_epochs.shuffle.shuffled", lang),
    }
    titles = {
        key: t(f"batch_and_epochs.charts.{key}", lang)
        for key in ("step", "loss", "order", "label", "count", "accuracy")
    }
    orders = dict(enumerate(names))
    steps = result.steps[result.steps["epoch"] <= 2]
    steps = steps.assign(order=steps["run"].map(orders), name=steps["run"].map(orders).map(names))
    chart = st.container()
    smooth = smoothing_choice(lang, "batch_and_epochs.smooth")  # below the chart it restyles
    with chart:
        titled_chart(t("batch_and_epochs.shuffle.loss_title", lang), batch_loss_chart, steps, titles, smooth)
    mix = cached_lesson(lesson.class_mix, configs[0])
    titled_chart(t("batch_and_epochs.shuffle.strip_title", lang), class_strip, mix, titles)
    key, numbers = lesson.classes_finding(mix, cached_lesson(lesson.class_mix, configs[1]))
    st.markdown(t(f"batch_and_epochs.shuffle.{key}", lang, **numbers))
    traces = [cached_lesson(lesson.first_epoch, c).assign(order=order) for c, order in zip(configs, names, strict=True)]
    trace = pd.concat(traces, ignore_index=True)
    trace = trace.assign(name=trace["order"].map(names))
    titled_chart(t("batch_and_epochs.shuffle.accuracy_title", lang), first_epoch_chart, trace, titles)
    facts = cached_maths(lesson.shuffle_facts, result, traces, mix)
    findings = lesson.shuffle_findings(facts)
    texts = [
        t(f"batch_and_epochs.shuffle.{name}", lang, epochs=configs[0].epochs, **numbers) for name, numbers in findings
    ]
    st.info("\n\n".join(texts), icon=":material/style:")
    said = halfway.said_of(configs, [facts["half_sorted"], facts["half_shuffled"]])
    if said is not None:
        talking_point(t(said[0], lang, met=facts["met"], classes=facts["classes"], **said[1]), lang)


def epochs_and_overfitting(lang: str) -> None:
    """Training against validation loss over many epochs, and where over-fitting starts."""
    st.header(t("batch_and_epochs.epochs.heading", lang), anchor="batches-epochs")
    st.markdown(t("batch_and_epochs.epochs.body", lang))
    epochs = knob_widget(
        "epochs",
        "batch_and_epochs.fit_epochs",
        lang,
        param="fit_epochs",
        default=100,
        low=5,
        high=200,
        label=t("batch_and_epochs.epochs.slider", lang),
        help=None,
    )
    # The card's two claims: their long arm is this run at 200 epochs, their short arm its first epochs.
    claims = [by_id("batches_overfit_val_loss"), by_id("batches_overfit_same_accuracy")]
    config = claims[0].configs(seed=0)["a"].replace(epochs=epochs)
    frame = cached_train((config,)).epochs
    best = cached_maths(lesson.overfitting_start, frame)
    names = {"train_loss": t("batch_and_epochs.epochs.train", lang), "val_loss": t("batch_and_epochs.epochs.val", lang)}
    titles = {key: t(f"charts.{key}", lang) for key in ("epoch", "loss")}
    titles |= {"curve": t("batch_and_epochs.charts.curve", lang), "best": t("batch_and_epochs.epochs.best", lang)}
    titled_chart(t("batch_and_epochs.epochs.chart_title", lang), train_val_chart, frame, names, best, titles)
    st.caption(t("batch_and_epochs.epochs.setting", lang))
    n_val = len(load_split(config.dataset, config.val_fraction).x_val)
    found = lesson.overfit_finding(frame, n_val)
    if found is None:
        low, end = frame["val_loss"].min(), frame["val_loss"].iloc[-1]
        st.info(t("batch_and_epochs.epochs.no_overfit", lang, epochs=epochs, end=end, low=low))
    else:
        kind, numbers = found
        said = [
            t("batch_and_epochs.epochs.overfit", lang, **numbers),
            t(f"batch_and_epochs.epochs.{kind}", lang, **numbers),
        ]
        st.warning(sentences(said, lang))
    said = [t(key, lang, **numbers) for key, numbers in early_against_late(config, frame, n_val, claims)]
    if said:
        talking_point(sentences(said, lang), lang)


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
    chart_leads(lambda: counters(configs, n, lang), lambda: progress(configs, n, lang))
if shown:
    shuffling(lang)
    epochs_and_overfitting(lang)
st.header(t("batch_and_epochs.loader.heading", lang))
st.markdown(t("batch_and_epochs.loader.body", lang))
st.code("loader = DataLoader(dataset, batch_size=32, shuffle=True, num_workers=2)", language="python")
st.markdown(t("batch_and_epochs.loader.workers", lang))
