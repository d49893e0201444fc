"""The run history: kept in the session and the link, added to, A/B pairs, its table and curves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core.charts.lab import history_chart, run_color
from core.config import ConfigError, RunConfig
from core.i18n import t
from core.lab import (
    HIDDEN_MARK,
    KNOB_NAMES,
    MAX_RUNS,
    X_AXES,
    all_params,
    differing,
    read_run,
    run_table,
    run_text,
    with_x_axes,
)
from core.ui import show_chart
from core.ui.lab_charts import METRICS, chart_titles, current_curve, downloads
from core.ui.runs import cached_train, show_config_error
from core.ui.widgets import Allowed, choice_buttons, choice_select, ignore, linked, notice_language

HISTORY = "lab.history"


HIGHLIGHT = "background-color: #ffe08a"


# The history: a list of {"number", "config", "shown"}; numbers fix each run's colour and are never reused.


def history() -> list[dict[str, Any]]:
    """The runs kept in this session, read once from the link's repeated `run=` parameter."""
    if HISTORY not in st.session_state:
        runs = []
        for text in st.query_params.get_all("run"):
            shown = not text.startswith(HIDDEN_MARK)
            try:
                config = read_run(text.removeprefix(HIDDEN_MARK))
            except (ConfigError, ValueError):
                ignore("run", text, t("lab.bad_run", notice_language()))
                continue
            if len(runs) == MAX_RUNS:
                ignore("run", text, t("lab.full", notice_language(), most=MAX_RUNS))
                continue
            runs.append({"number": len(runs) + 1, "config": config, "shown": shown})
        st.session_state[HISTORY] = runs
    return st.session_state[HISTORY]


def keep_in_link(runs: list[dict[str, Any]]) -> None:
    """Write the history into the link, one `run=` per run, hidden ones marked."""
    texts = [("" if run["shown"] else HIDDEN_MARK) + run_text(run["config"]) for run in runs]
    if st.query_params.get_all("run") != texts:
        if texts:
            st.query_params["run"] = texts
        else:
            del st.query_params["run"]


def add_run(config: RunConfig) -> bool:
    """Keep `config` as a new run; False when the history is full."""
    runs = history()
    if len(runs) >= MAX_RUNS:
        return False
    number = max((run["number"] for run in runs), default=0) + 1
    runs.append({"number": number, "config": config, "shown": True})
    return True


def delete_run(number: int) -> None:
    """Forget run `number` (its colour is not given to another run)."""
    st.session_state[HISTORY] = [run for run in history() if run["number"] != number]
    st.session_state.pop(f"lab.show.{number}", None)


def show_toggles(runs: list[dict[str, Any]], lang: str, label: Callable[[dict[str, Any]], str]) -> None:
    """A show/hide switch and a delete button per run."""
    columns = st.columns(min(len(runs), 6) or 1)
    for i, run in enumerate(runs):
        key = f"lab.show.{run['number']}"
        if key not in st.session_state:
            st.session_state[key] = run["shown"]
        with columns[i % len(columns)]:
            left, right = st.columns([3, 1], vertical_alignment="center")
            run["shown"] = left.checkbox(label(run), key=key)
            right.button(
                "",
                icon=":material/delete:",
                key=f"lab.delete.{run['number']}",
                help=t("lab.delete", lang),
                on_click=delete_run,
                args=(run["number"],),
            )


def history_controls(lang: str, config: RunConfig | None) -> None:
    """Add the current run; or add it with a copy that changes exactly one knob (same seed: an A/B pair)."""
    runs = history()
    add, knob_column, value_column, ab = st.columns([2, 2, 2, 3], vertical_alignment="bottom")
    full = len(runs) >= MAX_RUNS
    add.button(
        t("lab.add", lang),
        icon=":material/add:",
        key="lab.add",
        on_click=add_run,
        args=(config,),
        disabled=config is None or full,
        type="primary",
    )
    knobs = [name for name in KNOB_NAMES if name != "device"]
    with knob_column:  # knobs by their own names: the one vocabulary of links and the command line
        knob = choice_select(t("lab.ab_knob", lang), knobs, "lr", "lab.ab_knob", "ab_knob", lang, str)
    value = value_column.text_input(t("lab.ab_value", lang), key="lab.ab_value")
    if ab.button(t("lab.ab", lang), key="lab.ab", disabled=config is None or len(runs) + 2 > MAX_RUNS) and config:
        try:
            changed = RunConfig.from_params({**config.to_params(), knob: value})
        except ConfigError as err:
            show_config_error(err, lang)
        else:
            if not runs or runs[-1]["config"] != config:  # the pair is the last run and its copy
                add_run(config)
            add_run(changed)
    if full:
        st.info(t("lab.full", lang, most=MAX_RUNS))
    keep_in_link(history())


def history_section(lang: str, config: RunConfig | None) -> None:
    """The table of runs (knobs that differ from the first shown run highlighted) and their curves overlaid."""
    runs = history()
    if not runs:
        st.info(t("lab.empty", lang))
        if config is not None:  # the current settings meanwhile, so the page never opens on an empty chart
            current_curve(lang, config, "val_loss")
        return
    show_toggles(runs, lang, lambda run: f"#{run['number']}")
    keep_in_link(runs)
    shown = [run for run in runs if run["shown"]]
    if not shown:
        st.info(t("lab.none_shown", lang))
        return
    configs = [run["config"] for run in shown]
    labels = [f"#{run['number']}" for run in shown]
    try:
        result = cached_train(tuple(configs))
    except ConfigError as err:
        show_config_error(err, lang)
        return
    table = run_table(configs, labels, result.epochs)
    changed = dict(zip(labels, differing(configs), strict=True))
    titles = chart_titles(lang)
    # Knobs keep their own names (the link's and the command line's); the measures are translated.
    shown_table = table.rename(columns={name: titles[name] for name in table if name not in KNOB_NAMES})
    marks = list(changed.values())
    styled = shown_table.style.apply(lambda row: [HIGHLIGHT if c in marks[row.name] else "" for c in row.index], axis=1)
    st.dataframe(styled, hide_index=True)
    x, metric, log_y = chart_switches(lang)
    frame = with_x_axes(result.epochs, configs).assign(label=lambda f: f["run"].map(dict(enumerate(labels))))
    colors = {label: run_color(run["number"]) for label, run in zip(labels, shown, strict=True)}
    chart = history_chart(frame, x, metric, titles, colors, log_y)
    show_chart(chart)
    if len(configs) >= 2 and len(changed_pair := differing(configs[-2:])[1]) == 1:
        (knob,) = changed_pair
        before, after = (all_params(config)[knob] for config in configs[-2:])
        st.caption(t("lab.ab_caption", lang, a=labels[-2], b=labels[-1], knob=knob, before=before, after=after))
    downloads(lang, table, frame.drop(columns="label"), chart, "lab_history")


def chart_switches(lang: str) -> tuple[str, str, bool]:
    """The x-axis, the measure and the log switch of the history chart, kept in the link."""
    left, right = st.columns(2)
    name = lambda code: t(f"lab.axes.{code}", lang)  # noqa: E731
    with left:
        x = choice_buttons(t("lab.x_axis", lang), X_AXES, "epoch", "lab.x", "x", lang, name)
    with right:
        metric = choice_buttons(t("lab.metric", lang), METRICS, "val_loss", "lab.metric", "metric", lang, name)
    log_y = linked(st.toggle, "lab.log", "log", False, Allowed(options=(True, False)), label=t("lab.log", lang))
    return x, metric, log_y
