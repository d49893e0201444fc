"""Loss functions: the attending's score sheet. MSE on a blood pressure, cross-entropy on a tumour, and the race
between them on a sigmoid neuron that starts confidently wrong."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.charts.losses import cross_entropy_chart, gradient_chart, penalty_chart
from core.config import NUMBER, WHOLE, Knob
from core.i18n import t
from core.lessons import loss_words as words
from core.lessons import losses as lesson
from core.ui import knob_widget, setup_page, show_chart
from core.ui.cache import cached_maths
from core.ui.layout import Card, card_row
from core.ui.lecture import current_scenario, intro, revealed, scenario_cards, talking_point
from core.ui.loss_functions import training_curves

TRUTH = lesson.TRUE_PRESSURE
LOW, HIGH = TRUTH - 40.0, TRUTH + 40.0  # mmHg either side of the truth: the article's 20 mmHg miss sits half-way out
PRESSURE = Knob("pressure", WHOLE, 140, low=int(LOW), high=int(HIGH))
P_MALIGNANT = Knob("p_malignant", NUMBER, 0.6, low=0.01, high=0.99, step=0.01)
# The race's own settings: its learning rate and where the neuron starts.
RACE_KNOBS = (
    Knob("race_lr", NUMBER, lesson.LEARNING_RATE, low=0.01, high=2.0, step=0.01),
    Knob("race_w", NUMBER, lesson.START_W, low=-3.0, high=6.0, step=0.5),
    Knob("race_b", NUMBER, lesson.START_B, low=-3.0, high=6.0, step=0.5),
)
# How the race's sentence is shown, by its outcome (core.lessons.loss_words.race_outcome).
CALLOUT = {"already_right": st.info, "stuck": st.warning, "faster": st.success, "not_faster": st.info}


def mse_section(lang: str, talk: bool) -> None:
    """A blood pressure predicted on a slider, scored by MSE (and MAE for contrast); `talk`: its talking point."""
    st.header(t("loss_functions.mse.header", lang), anchor="losses-mse")
    # controls and numbers on the left, the curve on the right: both stay on one projector screen
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(t("loss_functions.mse.body", lang, truth=TRUTH))
        st.latex(t("loss_functions.mse.formula", lang))
        prediction = knob_widget(
            PRESSURE,
            "loss_functions.pressure",
            lang,
            label=t("loss_functions.mse.slider", lang),
            help=t("loss_functions.mse.slider_help", lang, truth=TRUTH),
        )
        card_row([Card(label, value) for label, value in words.mse_cards(lang, prediction).items()], border=False)
        st.markdown(words.pair_words(lang))
    with right:
        show_chart(
            penalty_chart,
            cached_maths(lesson.penalty_curve, TRUTH, LOW, HIGH),
            words.mse_marks(lang, prediction),
            words.names(lang, "loss_functions.mse.names", ("mse", "mae")),
            **words.chart_titles(lang, "mse", "error", "penalty", "loss", "mark"),
        )
    st.info(t("loss_functions.mse.analogy", lang))
    if talk:
        talking_point(words.far_off_words(lang, prediction), lang)


def cross_entropy_section(lang: str, talk: bool) -> None:
    """The probability of 'malignant' for a malignant case on a slider, scored by -log p; `talk`: its talking point."""
    st.header(t("loss_functions.ce.header", lang), anchor="losses-cross-entropy")
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(t("loss_functions.ce.body", lang))
        st.latex(t("loss_functions.ce.formula", lang))
        probability = knob_widget(
            P_MALIGNANT,
            "loss_functions.p_malignant",
            lang,
            label=t("loss_functions.ce.slider", lang),
            help=t("loss_functions.ce.slider_help", lang),
        )
        st.metric(t("loss_functions.ce.penalty", lang), f"{lesson.cross_entropy_penalty(probability):.2f}")
        st.markdown(words.cross_entropy_points(lang))
    with right:
        show_chart(
            cross_entropy_chart,
            cached_maths(lesson.cross_entropy_curve),
            words.cross_entropy_marks(lang, probability),
            **words.chart_titles(lang, "ce", "probability", "penalty", "mark"),
        )
    st.info(t("loss_functions.ce.unbounded", lang))
    if talk:
        talking_point(words.confident_wrong_words(lang, probability), lang)


def race_knob(column: DeltaGenerator, knob: Knob, lang: str) -> float:
    """One of the race's settings in its own column, labelled `loss_functions.race.<lr|w|b>`."""
    with column:
        label = t(f"loss_functions.race.{knob.name.removeprefix('race_')}", lang)
        return knob_widget(knob, f"loss_functions.{knob.name}", lang, label=label)


def race_section(lang: str, talk: bool) -> None:
    """MSE and cross-entropy train the same neuron from the same start with real SGD; count the epochs."""
    st.header(t("loss_functions.race.header", lang))
    lr, w, b = (race_knob(column, knob, lang) for column, knob in zip(st.columns(3), RACE_KNOBS, strict=True))
    start = lesson.sigmoid(w * lesson.INPUT_X + b)
    numbers = {"x": lesson.INPUT_X, "y": lesson.LABEL_Y, "w": w, "b": b, "start": start, "threshold": lesson.THRESHOLD}
    st.markdown(t("loss_functions.race.body", lang, **numbers))

    epochs, paths = cached_maths(lesson.race, lr=lr, w=w, b=b)
    card_row([Card(label, value) for label, value in words.race_cards(lang, epochs).items()], border=False)
    outcome, said, point = words.race_words(lang, start, epochs)
    CALLOUT[outcome](said)
    if talk:
        talking_point(point, lang)
    if outcome != "already_right":
        st.markdown(words.why_words(lang, start))
    st.latex(t("loss_functions.race.formula", lang))
    st.caption(t("loss_functions.race.half_note", lang))

    st.subheader(t("loss_functions.race.gradient_header", lang))
    show_chart(
        gradient_chart,
        cached_maths(lesson.gradient_curve),
        words.start_marks(start),
        words.names(lang, "loss_functions.race.names", lesson.COMPARED_LOSSES),
        **words.chart_titles(lang, "race", "probability", "gradient", "loss", "start"),
    )
    if outcome != "already_right":  # no training curves when not one step was needed
        training_curves(lang, epochs, paths)


def tasks_section(lang: str) -> None:
    """The app's data sets, each with its task and the loss that fits it."""
    st.header(t("loss_functions.tasks.header", lang))
    st.markdown(t("loss_functions.tasks.body", lang))
    st.table(words.tasks_table(lang))
    st.markdown(t("loss_functions.tasks.closing", lang))


lang = setup_page("loss_functions")
st.title(t("loss_functions.title", lang))
intro(t("loss_functions.intro", lang))
scenario_cards("loss_functions", lang)
if revealed("loss_functions", lang):
    # One talking point: in the section of the card the page shows, else under the race.
    scenario = current_scenario("loss_functions")
    about = scenario.section if scenario else None
    mse_section(lang, about == "losses-mse")
    cross_entropy_section(lang, about == "losses-cross-entropy")
    race_section(lang, about is None)
    tasks_section(lang)
