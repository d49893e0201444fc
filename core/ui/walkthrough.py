"""The home page's live walk through one mini-batch: buttons, the loop's code with the active line, and the numbers."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from core.charts.loop import loss_per_batch_chart
from core.i18n import t
from core.lessons.walkthrough import (
    CODE,
    LEARNING_RATE,
    LINES,
    PARAMETERS,
    loop_code,
    parameter_table,
    snapshot_after,
    steps_after_next_batch,
)
from core.ui.cache import cached_maths
from core.ui.charts import show_chart
from core.ui.lecture import intro
from core.ui.stepper import Button, Stepper
from core.ui.widgets import Allowed, kept_in_link, write_to_link

STEPPER = Stepper("home.walk")  # the whole state of the walk: how many lines of the loop have run
# A link may reopen the walk at any line of its first 20 epochs (10,000 lines, rebuilt from the seed in about 1.5 s).
MOST_LINES_IN_LINK = 10_000
FRESH = "background-color: rgba(255, 176, 32, 0.28)"  # marks what the current line just changed
ACTIVE_LINE = "background: rgba(255, 176, 32, 0.30); border-left: 4px solid #f0a020; font-weight: 700"

# Which columns of the two tables the current line has just written.
FRESH_BATCH_COLUMNS = {
    "zero_grad": ["age", "bmi", "true_mmhg"],  # a new batch of patients
    "forward": ["predicted_mmhg"],
    "loss": ["squared_error"],
}
FRESH_PARAMETER_COLUMNS = {"zero_grad": ["gradient"], "backward": ["gradient", "change"], "step": ["after"]}


def render_walkthrough(lang: str, seed: int = 0, chart_first: bool = False) -> None:
    """Draw the walk through the training loop for the current session (the loss chart first for a projector).

    Its position is kept in the link (`?walk=`), so a refresh or a shared link opens the same line of the loop.
    """
    kept_in_link(STEPPER.position_key, "walk", 0, Allowed(low=0, high=MOST_LINES_IN_LINK, whole=True))
    write_to_link("walk", STEPPER.position, 0)  # the buttons moved it before this run
    snapshot = cached_maths(snapshot_after, STEPPER.position, seed, LEARNING_RATE)
    patients = snapshot["patients"]

    st.subheader(t("loop.title", lang))
    intro(t("loop.intro", lang, patients=patients, batch_size=snapshot["batch_size"]))
    _controls(lang, snapshot)
    if chart_first:
        _loss_chart(lang, snapshot)

    code_column, step_column = st.columns([3, 2], gap="medium")
    with code_column:
        st.caption(t("loop.code_label", lang))
        st.markdown(_code_html(snapshot), unsafe_allow_html=True)
    with step_column:
        _step_card(lang, snapshot, seed)
    _metrics(lang, snapshot)

    # One table under the other: side by side, both get cut off on a 1280-pixel projector.
    _batch_table(lang, snapshot)
    _parameter_table(lang, snapshot)
    if not chart_first:
        _loss_chart(lang, snapshot)


def _controls(lang: str, snapshot: dict) -> None:
    """Next step / Next batch / Reset and where the loop stands."""
    STEPPER.buttons(
        Button(t("loop.buttons.next_step", lang), ":material/skip_next:", shortcut="Right"),
        Button(t("loop.buttons.reset", lang), ":material/restart_alt:", help=t("loop.buttons.reset_help", lang)),
        jump=(
            Button(
                t("loop.buttons.next_batch", lang),
                ":material/fast_forward:",
                help=t("loop.buttons.next_batch_help", lang),
                shortcut="Shift+Right",
            ),
            steps_after_next_batch,
        ),
    )
    if snapshot["line"] is None:
        st.markdown(t("loop.status.start", lang))
    else:
        st.markdown(
            t(
                "loop.status.running",
                lang,
                epoch=snapshot["epoch"],
                batch=snapshot["batch"],
                batches=snapshot["batches_per_epoch"],
                done=snapshot["batches_done"],
            )
        )


def _code_html(snapshot: dict) -> str:
    """The loop's code, its five lines numbered 0-4 like the steps, the line that just ran highlighted.

    st.code cannot highlight a line, so this is a small HTML block (escaped code, inline styles only).
    """
    active = snapshot["line"]
    numbers = {CODE[line]: str(number) for number, line in enumerate(LINES)}
    rows = []
    for text in loop_code(snapshot["lr"], snapshot["batch_size"]):
        number = numbers.get(text.strip(), " ")
        style = ACTIVE_LINE if active and text.strip() == CODE[active] else "border-left: 4px solid transparent"
        gutter = f'<span style="opacity: 0.55; padding: 0 0.5rem 0 0.3rem">{number}</span>'
        rows.append(f'<div style="{style}">{gutter}{html.escape(text)}</div>')
    # One line of HTML with no blank lines, so Markdown keeps it as a single block.
    return (
        "<div style=\"font-family: 'Source Code Pro', monospace; font-size: clamp(0.78rem, 1.05vw, 0.95rem); "
        "line-height: 1.65; "
        "white-space: pre; overflow-x: auto; padding: 0.5rem 0.3rem; border-radius: 0.5rem; "
        f'background: rgba(128, 128, 128, 0.10)">{"".join(rows)}</div>'
    )


def _step_card(lang: str, snapshot: dict, seed: int) -> None:
    """What the line means (one sentence of the resident's day) and what it did, in numbers."""
    line = snapshot["line"] or "start"
    st.markdown(f"#### {t(f'loop.steps.{line}.title', lang)}")
    st.info(t(f"loop.steps.{line}.analogy", lang), icon=":material/stethoscope:")
    st.markdown(
        t(
            f"loop.steps.{line}.result",
            lang,
            seed=seed,
            n=snapshot["batch_size"],
            lr=snapshot["lr"],
            loss=snapshot["loss"] or 0.0,
            miss=snapshot["typical_miss_mmhg"] or 0.0,
        )
    )


def _metrics(lang: str, snapshot: dict) -> None:
    """The loss of this batch, the same as a typical miss in mmHg, and the loss on every training patient."""
    pending = t("loop.metrics.pending", lang)
    history = snapshot["history"]
    everyone = history["train_loss"].iloc[-1] if len(history) else snapshot["start_loss"]
    loss, miss = snapshot["loss"], snapshot["typical_miss_mmhg"]
    loss_column, miss_column, everyone_column = st.columns(3)
    loss_column.metric(t("loop.metrics.batch_loss", lang), f"{loss:.3f}" if loss is not None else pending, border=True)
    miss_column.metric(
        t("loop.metrics.miss", lang),
        t("loop.metrics.miss_value", lang, miss=miss) if miss is not None else pending,
        help=t("loop.metrics.miss_help", lang, std=snapshot["target_std"]),
        border=True,
    )
    everyone_column.metric(
        t("loop.metrics.everyone", lang, patients=snapshot["patients"]),
        f"{everyone:.3f}",
        delta=f"{everyone - snapshot['start_loss']:+.3f}" if len(history) else None,
        delta_color="inverse",
        help=t("loop.metrics.everyone_help", lang),
        border=True,
    )


def _update_formulas(snapshot: dict) -> str:
    """w_new = w − lr × grad written out with this batch's numbers, one parameter per line, aligned."""
    rows = parameter_table(snapshot).itertuples()
    return "\n".join(
        f"{row.parameter:<5} = {row.before:6.3f} - {snapshot['lr']:g} × ({row.gradient:6.3f}) = {row.after:6.3f}"
        for row in rows
    )


def _show_table(lang: str, table: pd.DataFrame, topic: str, formats: dict[str, str], fresh: list[str]) -> None:
    """A small table with numbers formatted, "—" where the loop has not got there yet, fresh columns tinted."""
    pending = t("loop.metrics.pending", lang)
    shown = table.copy()
    for column, number_format in formats.items():
        shown[column] = [pending if pd.isna(value) else number_format.format(value) for value in table[column]]
    styled = shown.style.apply(lambda column: [FRESH if column.name in fresh else ""] * len(column))
    columns = {
        column: st.column_config.Column(
            t(f"loop.{topic}.{column}", lang), alignment="right" if column in formats else None
        )
        for column in table.columns
    }
    st.dataframe(styled, hide_index=True, width="stretch", column_config=columns)


def _batch_table(lang: str, snapshot: dict) -> None:
    """The patients of this mini-batch and what the loop knows about them so far."""
    st.markdown(f"##### {t('loop.batch.title', lang)}")
    table = snapshot["batch_table"]
    if table is None:
        st.caption(t("loop.batch.empty", lang, n=snapshot["batch_size"]))
        return
    # z-scores to 2 places, pressures to 0.1 mmHg, squared misses to 3 places (they average to the loss).
    formats = {column: "{:.1f}" if column.endswith(("_mmhg", "_measured")) else "{:.2f}" for column in table.columns}
    formats["squared_error"] = "{:.3f}"
    _show_table(lang, table, "batch", formats, FRESH_BATCH_COLUMNS.get(snapshot["line"], []))
    st.caption(t("loop.batch.note", lang, std=snapshot["target_std"]))


def _parameter_table(lang: str, snapshot: dict) -> None:
    """Weights before, gradients, the SGD change and the weights after, tinted where the current line wrote."""
    st.markdown(f"##### {t('loop.parameters.title', lang)}")
    table = parameter_table(snapshot)
    table["parameter"] = [t(f"loop.parameters.{name}", lang) for name in PARAMETERS]
    formats = dict.fromkeys(["before", "gradient", "change", "after"], "{:.3f}")
    _show_table(lang, table, "parameters", formats, FRESH_PARAMETER_COLUMNS.get(snapshot["line"], []))
    if snapshot["line"] == "step":
        st.caption(t("loop.parameters.formula", lang))
        st.code(_update_formulas(snapshot), language=None)


def _loss_chart(lang: str, snapshot: dict) -> None:
    """The loss after each completed batch: the noisy mini-batch loss and the steadier loss on everyone."""
    st.markdown(f"##### {t('loop.chart.title', lang)}")
    history = snapshot["history"]
    if history.empty:
        st.caption(t("loop.chart.empty", lang))
        return
    batch_name = t("loop.chart.batch_loss", lang, n=snapshot["batch_size"])
    everyone_name = t("loop.chart.train_loss", lang, patients=snapshot["patients"])
    start = pd.DataFrame({"batch": [0], "epoch": [1], "series": [everyone_name], "loss": [snapshot["start_loss"]]})
    curve = pd.concat(
        [
            history.assign(series=batch_name, loss=history["batch_loss"]),
            start,
            history.assign(series=everyone_name, loss=history["train_loss"]),
        ]
    )[["batch", "epoch", "series", "loss"]]
    titles = {key: t(f"loop.chart.{key}", lang) for key in ("batch", "loss", "epoch", "series")}
    show_chart(loss_per_batch_chart, curve, titles)
    st.caption(t("loop.chart.caption", lang))
