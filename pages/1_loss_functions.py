"""Loss functions: the attending's score sheet. MSE on a blood pressure, cross-entropy on a tumour, and the race
between them on a sigmoid neuron that starts confidently wrong."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.charts.losses import cross_entropy_chart, gradient_chart, penalty_chart, training_curve_chart
from core.claims import by_id
from core.config import NUMBER, WHOLE, Knob
from core.i18n import t
from core.lessons import losses as lesson
from core.ui import knob_widget, setup_page, show_chart
from core.ui.cache import cached_maths
from core.ui.lecture import current_scenario, intro, revealed, scenario_cards, talking_point

PRESSURE_RANGE = 40.0  # mmHg either side of the truth: the article's 20 mmHg miss sits half-way out
# The race's own settings: its learning rate and where the neuron starts.
RACE_LR = Knob("race_lr", NUMBER, lesson.LEARNING_RATE, low=0.01, high=2.0, step=0.01)
RACE_W = Knob("race_w", NUMBER, lesson.START_W, low=-3.0, high=6.0, step=0.5)
RACE_B = Knob("race_b", NUMBER, lesson.START_B, low=-3.0, high=6.0, step=0.5)


def names(lang: str, prefix: str, codes: tuple[str, ...]) -> dict[str, str]:
    """Display names of `codes` from the locale keys `prefix.<code>`."""
    return {code: t(f"{prefix}.{code}", lang) for code in codes}


def marks_with_current(article: pd.DataFrame, current: pd.DataFrame, column: str) -> pd.DataFrame:
    """The article's examples and the current setting as chart marks; the current one replaces an example it sits on."""
    sits_on = article[column].round(6).isin(current[column].round(6))
    return pd.concat([article[~sits_on].assign(now=False), current.assign(now=True)], ignore_index=True)


def claimed(claim_id: str, values: dict[str, float], lang: str, **numbers: object) -> str:
    """What the claim `claim_id` says about these values (a: this setting, b: its comparison), with the numbers."""
    ratio = values["a"] / values["b"]
    return t(by_id(claim_id).sentence(values), lang, a=values["a"], b=values["b"], ratio=ratio, **numbers)


def mse_section(lang: str, talk: bool) -> None:
    """A blood pressure predicted on a slider, scored by MSE (and MAE for contrast); `talk`: its talking point."""
    truth = lesson.TRUE_PRESSURE
    st.header(t("loss_functions.mse.header", lang), anchor="losses-mse")
    # controls and numbers on the left, the curve on the right: both stay on one projector screen
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(t("loss_functions.mse.body", lang, truth=truth))
        st.latex(t("loss_functions.mse.formula", lang))
        prediction = knob_widget(
            Knob("pressure", WHOLE, 140, low=int(truth - PRESSURE_RANGE), high=int(truth + PRESSURE_RANGE)),
            "loss_functions.pressure",
            lang,
            label=t("loss_functions.mse.slider", lang),
            help=t("loss_functions.mse.slider_help", lang, truth=truth),
        )
        current = lesson.penalty_table((prediction,))
        now = current.iloc[0]
        error, squared, absolute = st.columns(3)
        error.metric(t("loss_functions.mse.error", lang), t("loss_functions.mse.error_value", lang, value=now["error"]))
        squared.metric(t("loss_functions.mse.squared", lang), f"{now['squared']:,.0f}")
        absolute.metric(t("loss_functions.mse.absolute", lang), f"{now['absolute']:,.0f}")
        pair = lesson.penalty_table(lesson.ARTICLE_PREDICTIONS)
        near, far = pair.iloc[0], pair.iloc[1]
        st.markdown(
            t(
                "loss_functions.mse.pair",
                lang,
                near_pred=near["prediction"],
                near_err=near["error"],
                near_pen=near["squared"],
                far_pred=far["prediction"],
                far_err=far["error"],
                far_pen=far["squared"],
                error_ratio=far["error"] / near["error"],
                penalty_ratio=far["squared"] / near["squared"],
            )
        )
    marks = marks_with_current(
        pair.assign(label=[t("loss_functions.mse.mark_label", lang, prediction=p) for p in pair["prediction"]]),
        current.assign(label=t("loss_functions.mse.mark_now", lang, prediction=prediction)),
        "prediction",
    ).rename(columns={"squared": "penalty"})
    with right:
        show_chart(
            penalty_chart,
            cached_maths(lesson.penalty_curve, truth, truth - PRESSURE_RANGE, truth + PRESSURE_RANGE),
            marks,
            names(lang, "loss_functions.mse.names", ("mse", "mae")),
            error_title=t("loss_functions.mse.chart_error", lang),
            penalty_title=t("loss_functions.mse.chart_penalty", lang),
            loss_title=t("loss_functions.mse.chart_loss", lang),
            mark_title=t("loss_functions.mse.chart_mark", lang),
        )
    st.info(t("loss_functions.mse.analogy", lang))
    if talk:
        base = float(by_id("far_off").arms["b"]["pressure"])
        values = {"a": lesson.squared_penalty(prediction), "b": lesson.squared_penalty(base)}
        talking_point(claimed("far_off", values, lang, error=now["error"], base_error=base - truth), lang)


def cross_entropy_section(lang: str, talk: bool) -> None:
    """The probability of 'malignant' for a malignant case on a slider, scored by -log p; `talk`: its talking point."""
    st.header(t("loss_functions.ce.header", lang), anchor="losses-cross-entropy")
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(t("loss_functions.ce.body", lang))
        st.latex(t("loss_functions.ce.formula", lang))
        probability = knob_widget(
            Knob("p_malignant", NUMBER, 0.6, low=0.01, high=0.99, step=0.01),
            "loss_functions.p_malignant",
            lang,
            label=t("loss_functions.ce.slider", lang),
            help=t("loss_functions.ce.slider_help", lang),
        )
        current = lesson.cross_entropy_table((probability,))
        st.metric(t("loss_functions.ce.penalty", lang), f"{current['penalty'].iloc[0]:.2f}")
        table = lesson.cross_entropy_table()
        (p1, l1), (p2, l2), (p3, l3) = table.itertuples(index=False)
        st.markdown(
            t("loss_functions.ce.points", lang, p1=p1, l1=l1, p2=p2, l2=l2, p3=p3, l3=l3, p3_percent=f"{p3:.0%}")
        )
    marks = marks_with_current(
        table.assign(label=[f"{p:g}" for p in table["probability"]]),
        current.assign(label=t("loss_functions.ce.mark_now", lang)),
        "probability",
    )
    with right:
        show_chart(
            cross_entropy_chart,
            cached_maths(lesson.cross_entropy_curve),
            marks,
            probability_title=t("loss_functions.ce.chart_probability", lang),
            penalty_title=t("loss_functions.ce.chart_penalty", lang),
            mark_title=t("loss_functions.ce.chart_mark", lang),
        )
    st.info(t("loss_functions.ce.unbounded", lang))
    if talk:
        base = float(by_id("confident_wrong").arms["b"]["p_malignant"])
        values = {"a": lesson.cross_entropy_penalty(probability), "b": lesson.cross_entropy_penalty(base)}
        talking_point(claimed("confident_wrong", values, lang, p=probability, base=base), lang)


def epochs_text(lang: str, epochs: int | None) -> str:
    """An epoch count, or 'not within MAX_EPOCHS' for a run that never got there."""
    if epochs is None:
        return t("loss_functions.race.not_reached", lang, max=lesson.MAX_EPOCHS)
    return str(epochs)


def race_section(lang: str, talk: bool) -> None:
    """MSE and cross-entropy train the same neuron from the same start with real SGD; count the epochs."""
    st.header(t("loss_functions.race.header", lang))
    lr_col, w_col, b_col = st.columns(3)
    with lr_col:
        lr = knob_widget(RACE_LR, "loss_functions.race_lr", lang, label=t("loss_functions.race.lr", lang))
    with w_col:
        w = knob_widget(RACE_W, "loss_functions.race_w", lang, label=t("loss_functions.race.w", lang))
    with b_col:
        b = knob_widget(RACE_B, "loss_functions.race_b", lang, label=t("loss_functions.race.b", lang))
    start = lesson.sigmoid(w * lesson.INPUT_X + b)
    st.markdown(
        t(
            "loss_functions.race.body",
            lang,
            x=lesson.INPUT_X,
            y=lesson.LABEL_Y,
            w=w,
            b=b,
            start=start,
            threshold=lesson.THRESHOLD,
        )
    )

    epochs, paths = cached_maths(lesson.race, lr=lr, w=w, b=b)
    mse_col, bce_col = st.columns(2)
    mse_col.metric(t("loss_functions.race.epochs_mse", lang), epochs_text(lang, epochs["mse"]))
    bce_col.metric(t("loss_functions.race.epochs_bce", lang), epochs_text(lang, epochs["bce"]))
    kind = lesson.race_start(start)
    if kind == "right":
        outcome, callout = "already_right", st.info
    elif epochs["mse"] is None:
        outcome, callout = "stuck", st.warning
    elif epochs["bce"] and epochs["mse"] > epochs["bce"]:
        outcome, callout = "faster", st.success
    else:
        outcome, callout = "not_faster", st.info
    numbers = {"start": start, "threshold": lesson.THRESHOLD, "max": lesson.MAX_EPOCHS}
    numbers |= {loss: epochs_text(lang, count) for loss, count in epochs.items()}
    ratio = epochs["mse"] / epochs["bce"] if outcome == "faster" else None
    callout(t(f"loss_functions.race.{outcome}", lang, ratio=ratio, **numbers))
    if talk:
        talking_point(t(f"loss_functions.race.talk.{outcome}", lang, ratio=ratio, **numbers), lang)
    if kind != "right":
        pull = lesson.gradient_on_weight("bce", start) / lesson.gradient_on_weight("mse", start)
        st.markdown(t(f"loss_functions.race.why_{kind}", lang, slope=start * (1 - start), ratio=pull))
    st.latex(t("loss_functions.race.formula", lang))
    st.caption(t("loss_functions.race.half_note", lang))

    loss_names = names(lang, "loss_functions.race.names", lesson.COMPARED_LOSSES)
    st.subheader(t("loss_functions.race.gradient_header", lang))
    show_chart(
        gradient_chart,
        cached_maths(lesson.gradient_curve),
        pd.DataFrame(
            [
                {"probability": start, "loss": loss, "gradient": abs(lesson.gradient_on_weight(loss, start))}
                for loss in lesson.COMPARED_LOSSES
            ]
        ),
        loss_names,
        probability_title=t("loss_functions.race.chart_probability", lang),
        gradient_title=t("loss_functions.race.chart_gradient", lang),
        loss_title=t("loss_functions.race.chart_loss", lang),
        start_title=t("loss_functions.race.chart_start", lang),
    )

    if kind == "right":
        return  # no training curves: not one step was needed
    st.subheader(t("loss_functions.race.curves_header", lang))
    curve_names = names(lang, "loss_functions.race.names", ("output", "loss_value"))
    last_epoch = int(paths["epoch"].max())  # one x range for both, so the gap in epochs is seen, not read
    for column, loss in zip(st.columns(2), lesson.COMPARED_LOSSES, strict=True):
        count = epochs[loss]
        label = epochs_text(lang, count) if count is None else t("loss_functions.race.epochs_count", lang, epochs=count)
        with column:
            show_chart(
                training_curve_chart,
                paths[paths["loss"] == loss],
                curve_names,
                lesson.THRESHOLD,
                epoch_title=t("loss_functions.race.chart_epoch", lang),
                value_title=t("loss_functions.race.chart_value", lang),
                series_title=t("loss_functions.race.chart_series", lang),
                threshold_title=t("loss_functions.race.chart_threshold", lang),
                title=t("loss_functions.race.curve_title", lang, loss=loss_names[loss], epochs=label),
                max_epoch=last_epoch,
            )


def tasks_section(lang: str) -> None:
    """The app's data sets, each with its task and the loss that fits it."""
    st.header(t("loss_functions.tasks.header", lang))
    st.markdown(t("loss_functions.tasks.body", lang))
    table = lesson.loss_for_datasets()
    shown = pd.DataFrame(
        {
            t("loss_functions.tasks.dataset", lang): [t(f"common.datasets.{name}", lang) for name in table["dataset"]],
            t("loss_functions.tasks.task", lang): [
                t(f"loss_functions.tasks.task_names.{task}", lang) for task in table["task"]
            ],
            t("loss_functions.tasks.loss", lang): [
                t(f"loss_functions.tasks.loss_names.{loss}", lang) for loss in table["loss"]
            ],
            t("loss_functions.tasks.torch", lang): table["torch_loss"],
        }
    )
    st.table(shown.set_index(shown.columns[0]))
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
