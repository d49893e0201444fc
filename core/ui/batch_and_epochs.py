"""The batch page's two self-contained sections: shuffling sorted data, and epochs against over-fitting."""

from __future__ import annotations

import streamlit as st

from core.charts.batches import batch_loss_chart, class_strip, first_epoch_chart, train_val_chart
from core.claims import by_id
from core.data import load_split
from core.i18n import t
from core.lessons import batch_words as words
from core.lessons import batches as lesson
from core.ui.cache import cached_lesson, cached_maths
from core.ui.layout import smoothing_choice, titled_chart
from core.ui.lecture import talking_point
from core.ui.runs import cached_train
from core.ui.widgets import knob_widget


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
    names, titles = words.order_names(lang), words.chart_titles(lang)
    steps = words.first_epochs_steps(result.steps, names)
    chart = st.container()
    smooth = smoothing_choice(lang, "batch_and_epochs.smooth")  # below the chart it restyles
    with chart:
        titled_chart(t("batch_and_epochs.shuffle.loss_title", lang), batch_loss_chart, steps, titles, smooth)
    mix = cached_lesson(lesson.class_mix, configs[0])
    titled_chart(t("batch_and_epochs.shuffle.strip_title", lang), class_strip, mix, titles)
    key, numbers = lesson.classes_finding(mix, cached_lesson(lesson.class_mix, configs[1]))
    st.markdown(t(f"batch_and_epochs.shuffle.{key}", lang, **numbers))
    traces = [cached_lesson(lesson.first_epoch, config) for config in configs]
    trace = words.named_traces(traces, names)
    titled_chart(t("batch_and_epochs.shuffle.accuracy_title", lang), first_epoch_chart, trace, titles)
    facts = cached_maths(lesson.shuffle_facts, result, traces, mix)
    st.info(words.shuffle_words(facts, configs[0].epochs, lang), icon=":material/style:")
    if said := words.halfway_words(halfway, configs, facts, lang):
        talking_point(said, lang)


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
    names, titles = words.overfit_labels(lang)
    titled_chart(t("batch_and_epochs.epochs.chart_title", lang), train_val_chart, frame, names, best, titles)
    st.caption(t("batch_and_epochs.epochs.setting", lang))
    n_val = len(load_split(config.dataset, config.val_fraction).x_val)
    overfits, said = words.overfit_words(frame, epochs, n_val, lang)
    if overfits:
        st.warning(said)
    else:
        st.info(said)
    if point := words.early_against_late_words(config, frame, n_val, claims, lang):
        talking_point(point, lang)
