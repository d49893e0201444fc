"""What the loss-function page says and marks, picked from the numbers of core.lessons.losses (no Streamlit).

Above both the lesson's maths and the claims registry: a talking point is the registry's claim, measured on the page's
own setting against the claim's comparison.
"""

from __future__ import annotations

import pandas as pd

from core.claims import by_id
from core.i18n import t
from core.lessons import losses as lesson


def names(lang: str, prefix: str, codes: tuple[str, ...]) -> dict[str, str]:
    """Display names of `codes` from the locale keys `prefix.<code>`."""
    return {code: t(f"{prefix}.{code}", lang) for code in codes}


def chart_titles(lang: str, section: str, *kinds: str) -> dict[str, str]:
    """A chart builder's `<kind>_title` arguments from the locale keys `loss_functions.<section>.chart_<kind>`."""
    return {f"{kind}_title": t(f"loss_functions.{section}.chart_{kind}", lang) for kind in kinds}


def marks_with_current(article: pd.DataFrame, current: pd.DataFrame, column: str) -> pd.DataFrame:
    """The article's examples and the current setting as chart marks; the current one replaces an example it sits on."""
    sits_on = article[column].round(6).isin(current[column].round(6))
    return pd.concat([article[~sits_on].assign(now=False), current.assign(now=True)], ignore_index=True)


def claimed(claim_id: str, values: dict[str, float], lang: str, **numbers: object) -> str:
    """What the claim `claim_id` says about these values (a: this setting, b: its comparison), with the numbers."""
    ratio = values["a"] / values["b"]
    return t(by_id(claim_id).sentence(values), lang, a=values["a"], b=values["b"], ratio=ratio, **numbers)


def pair_words(lang: str) -> str:
    """The article's near and far miss of the blood pressure: ten times the error, a hundred times the penalty."""
    pair = lesson.penalty_table(lesson.ARTICLE_PREDICTIONS)
    near, far = pair.iloc[0], pair.iloc[1]
    return t(
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


def mse_cards(lang: str, prediction: float) -> dict[str, str]:
    """The cards under the blood-pressure slider, label -> value: the error, its squared and its absolute penalty."""
    now = lesson.penalty_table((prediction,)).iloc[0]
    return {
        t("loss_functions.mse.error", lang): t("loss_functions.mse.error_value", lang, value=now["error"]),
        t("loss_functions.mse.squared", lang): f"{now['squared']:,.0f}",
        t("loss_functions.mse.absolute", lang): f"{now['absolute']:,.0f}",
    }


def mse_marks(lang: str, prediction: float) -> pd.DataFrame:
    """The article's two predictions and this one as marks on the penalty chart: prediction, error, penalty, label."""
    pair = lesson.penalty_table(lesson.ARTICLE_PREDICTIONS)
    return marks_with_current(
        pair.assign(label=[t("loss_functions.mse.mark_label", lang, prediction=p) for p in pair["prediction"]]),
        lesson.penalty_table((prediction,)).assign(label=t("loss_functions.mse.mark_now", lang, prediction=prediction)),
        "prediction",
    ).rename(columns={"squared": "penalty"})


def far_off_words(lang: str, prediction: float) -> str:
    """The talking point of the claim `far_off`: this prediction's squared penalty against the claim's comparison."""
    base = float(by_id("far_off").arms["b"]["pressure"])
    values = {"a": lesson.squared_penalty(prediction), "b": lesson.squared_penalty(base)}
    truth = lesson.TRUE_PRESSURE
    return claimed("far_off", values, lang, error=prediction - truth, base_error=base - truth)


def cross_entropy_points(lang: str) -> str:
    """The article's three probabilities of 'malignant' for a malignant case, each with its penalty."""
    (p1, l1), (p2, l2), (p3, l3) = lesson.cross_entropy_table().itertuples(index=False)
    return t("loss_functions.ce.points", lang, p1=p1, l1=l1, p2=p2, l2=l2, p3=p3, l3=l3, p3_percent=f"{p3:.0%}")


def cross_entropy_marks(lang: str, probability: float) -> pd.DataFrame:
    """The article's probabilities and this one as marks on the -log p chart: probability, penalty, label."""
    table = lesson.cross_entropy_table()
    return marks_with_current(
        table.assign(label=[f"{p:g}" for p in table["probability"]]),
        lesson.cross_entropy_table((probability,)).assign(label=t("loss_functions.ce.mark_now", lang)),
        "probability",
    )


def confident_wrong_words(lang: str, probability: float) -> str:
    """The talking point of the claim `confident_wrong`: this probability's penalty against the claim's comparison."""
    base = float(by_id("confident_wrong").arms["b"]["p_malignant"])
    values = {"a": lesson.cross_entropy_penalty(probability), "b": lesson.cross_entropy_penalty(base)}
    return claimed("confident_wrong", values, lang, p=probability, base=base)


def epochs_text(lang: str, epochs: int | None) -> str:
    """An epoch count, or 'not within MAX_EPOCHS' for a run that never got there."""
    if epochs is None:
        return t("loss_functions.race.not_reached", lang, max=lesson.MAX_EPOCHS)
    return str(epochs)


def race_cards(lang: str, epochs: dict[str, int | None]) -> dict[str, str]:
    """The race's metric cards, label -> value: the epochs each loss needed."""
    return {
        t(f"loss_functions.race.epochs_{loss}", lang): epochs_text(lang, epochs[loss])
        for loss in lesson.COMPARED_LOSSES
    }


def race_outcome(start: float, epochs: dict[str, int | None]) -> str:
    """How the race went: "already_right" (no step needed), "stuck" (MSE never got there), "faster" (cross-entropy
    needed fewer epochs) or "not_faster"."""
    if lesson.race_start(start) == "right":
        return "already_right"
    if epochs["mse"] is None:
        return "stuck"
    if epochs["bce"] and epochs["mse"] > epochs["bce"]:
        return "faster"
    return "not_faster"


def race_words(lang: str, start: float, epochs: dict[str, int | None]) -> tuple[str, str, str]:
    """The race's outcome (race_outcome), its sentence under the counts and the lecturer's talking point."""
    outcome = race_outcome(start, epochs)
    numbers = {"start": start, "threshold": lesson.THRESHOLD, "max": lesson.MAX_EPOCHS}
    numbers |= {loss: epochs_text(lang, count) for loss, count in epochs.items()}
    ratio = epochs["mse"] / epochs["bce"] if outcome == "faster" else None
    said, talk = (t(f"loss_functions.race.{key}", lang, ratio=ratio, **numbers) for key in (outcome, f"talk.{outcome}"))
    return outcome, said, talk


def why_words(lang: str, start: float) -> str:
    """Why the losses pull so differently at a wrong start: the sigmoid's slope there and BCE's pull over MSE's."""
    pull = lesson.gradient_on_weight("bce", start) / lesson.gradient_on_weight("mse", start)
    kind = lesson.race_start(start)
    return t(f"loss_functions.race.why_{kind}", lang, slope=start * (1 - start), ratio=pull)


def start_marks(start: float) -> pd.DataFrame:
    """Where the neuron starts on the gradient chart, one mark per loss: probability, loss, gradient."""
    rows = [
        {"probability": start, "loss": loss, "gradient": abs(lesson.gradient_on_weight(loss, start))}
        for loss in lesson.COMPARED_LOSSES
    ]
    return pd.DataFrame(rows)


def curve_title(lang: str, loss_name: str, epochs: int | None) -> str:
    """A training curve's title: the loss and the epochs it needed (or that it never got there)."""
    count = epochs_text(lang, epochs) if epochs is None else t("loss_functions.race.epochs_count", lang, epochs=epochs)
    return t("loss_functions.race.curve_title", lang, loss=loss_name, epochs=count)


def tasks_table(lang: str) -> pd.DataFrame:
    """The app's data sets with their task, the loss that fits it and its torch class, in words, by data set."""
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
    return shown.set_index(shown.columns[0])
