"""The run history: kept in the session and the link, added to, A/B pairs, its table and curves."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from core.charts.lab import history_chart, run_color
from core.config import CHOICE, ConfigError, Knob, RunConfig
from core.data import Dataset
from core.i18n import t
from core.lab import (
    HIDDEN_MARK,
    KNOB_NAMES,
    MAX_RUNS,
    X_AXES,
    all_params,
    differing,
    is_upload_text,
    read_run,
    run_table,
    run_text,
    with_x_axes,
)
from core.ui.lab.charts import METRICS, chart_titles, current_curve, downloads, show_lab_chart, train_runs
from core.ui.layout import LOG
from core.ui.runs import show_config_error
from core.ui.widgets import error_message, ignore, knob_widget, notice_language

HISTORY = "lab.history"
HIGHLIGHT = "background-color: #ffe08a"
# The history's own settings in the link: the knob an A/B pair changes, the chart's x-axis and measure.
AB_KNOB = Knob("ab_knob", CHOICE, "lr", choices=tuple(name for name in KNOB_NAMES if name != "device"))
X_AXIS = Knob("x", CHOICE, "epoch", choices=X_AXES)
METRIC = Knob("metric", CHOICE, "val_loss", choices=METRICS)


# The history: a list of {"number", "config", "shown", "data"}; numbers fix each run's colour and are never reused;
# "data" is the user's table a run trains on (None: the bundled set its config names), kept in this session only.


def history() -> list[dict[str, Any]]:
    """The runs kept in this session, read once from the link's repeated `run=` parameter."""
    if HISTORY not in st.session_state:
        runs, skipped = [], []
        lang = notice_language()
        for position, text in enumerate(st.query_params.get_all("run"), start=1):
            config, why = read_entry(text, position, len(runs), lang)
            if config is None:
                skipped.append(("run", text, why))
            else:
                shown = not text.startswith(HIDDEN_MARK)
                runs.append({"number": len(runs) + 1, "config": config, "shown": shown, "data": None})
        ignore(*skipped)  # one notice for every skipped run
        st.session_state[HISTORY] = runs
    return st.session_state[HISTORY]


def read_entry(text: str, position: int, kept: int, lang: str) -> tuple[RunConfig | None, str]:
    """The config of the link's `run=` entry `text` (the `position`-th, after `kept` usable ones), or None and why not
    in `lang`, every value quoted from the link shown as code."""
    plain = text.removeprefix(HIDDEN_MARK)
    if is_upload_text(plain):
        return None, t("lab.skipped.upload", lang, position=position)
    try:
        config = read_run(plain)
    except ConfigError as err:
        return None, t("lab.skipped.bad_value", lang, position=position, why=error_message(err, lang))
    except ValueError:
        return None, t("lab.skipped.not_a_run", lang, position=position)
    if kept >= MAX_RUNS:
        return None, t("lab.skipped.full", lang, position=position, most=MAX_RUNS)
    return config, ""


def keep_in_link(runs: list[dict[str, Any]]) -> None:
    """Write the history into the link, one `run=` per run, hidden ones marked."""
    texts = [("" if run["shown"] else HIDDEN_MARK) + run_text(run["config"], run["data"] is not None) for run in runs]
    if st.query_params.get_all("run") != texts:
        if texts:
            st.query_params["run"] = texts
        else:
            del st.query_params["run"]


def add_run(config: RunConfig, data: Dataset | None = None) -> bool:
    """Keep `config` (on the upload `data`, if given) as a new run; False when the history is full."""
    runs = history()
    if len(runs) >= MAX_RUNS:
        return False
    number = max((run["number"] for run in runs), default=0) + 1
    runs.append({"number": number, "config": config, "shown": True, "data": data})
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


def history_controls(lang: str, config: RunConfig | None, data: Dataset | None) -> None:
    """Add the current run; or add it with a copy that changes exactly one knob (same seed: an A/B pair)."""
    runs = history()
    add, knob_column, value_column, ab = st.columns([2, 3, 2, 3], vertical_alignment="bottom")
    full = len(runs) >= MAX_RUNS
    add.button(
        t("lab.add", lang),
        icon=":material/add:",
        key="lab.add",
        on_click=add_run,
        args=(config, data),
        disabled=config is None or full,
        type="primary",
    )
    with knob_column:  # each knob's own name too: the one vocabulary of links, the command line and the value box
        label, names = t("lab.ab_knob", lang), lambda name: knob_label(name, lang)
        knob = knob_widget(AB_KNOB, "lab.ab_knob", lang, label=label, format_func=names)
    value = value_column.text_input(t("lab.ab_value", lang), key="lab.ab_value")
    if ab.button(t("lab.ab", lang), key="lab.ab", disabled=config is None or len(runs) + 2 > MAX_RUNS) and config:
        try:
            changed = RunConfig.from_params({**config.to_params(), knob: value})
        except ConfigError as err:
            show_config_error(err, lang)
        else:
            if not runs or (runs[-1]["config"], runs[-1]["data"]) != (config, data):  # the pair: the last run, its copy
                add_run(config, data)
            add_run(changed, data)
    if full:
        st.info(t("lab.full", lang, most=MAX_RUNS))
    keep_in_link(history())


def history_section(lang: str, config: RunConfig | None, data: Dataset | None) -> None:
    """The table of runs (knobs that differ from the first shown run highlighted) and their curves overlaid."""
    runs = history()
    if not runs:
        st.info(t("lab.empty", lang))
        if config is not None:  # the current settings meanwhile, so the page never opens on an empty chart
            current_curve(lang, config, "val_loss", data)
        return
    show_toggles(runs, lang, lambda run: f"#{run['number']}")
    keep_in_link(runs)
    shown = [run for run in runs if run["shown"]]
    if not shown:
        st.info(t("lab.none_shown", lang))
        return
    configs = [run["config"] for run in shown]
    labels = [f"#{run['number']}" for run in shown]
    epochs = trained_epochs(shown, lang)
    if epochs is None:
        return
    table = run_table(configs, labels, epochs)
    if any(run["data"] is not None for run in shown):  # which runs trained on the user's table, named as text
        names = [
            config.dataset if run["data"] is None else t("lab.uploaded", lang, name=run["data"].name)
            for config, run in zip(configs, shown, strict=True)
        ]
        table = table.drop(columns="dataset", errors="ignore")
        table.insert(1, "dataset", names)
    changed = dict(zip(labels, differing(configs), strict=True))
    titles = chart_titles(lang)
    # Knobs keep their own names (the link's and the command line's); the measures are translated.
    shown_table = table.rename(columns={name: titles[name] for name in table if name not in KNOB_NAMES})
    marks = list(changed.values())
    styled = shown_table.style.apply(lambda row: [HIGHLIGHT if c in marks[row.name] else "" for c in row.index], axis=1)
    st.dataframe(styled, hide_index=True)
    x, metric, log_y = chart_switches(lang)
    frame = with_x_axes(epochs, configs, [run["data"] for run in shown]).assign(
        label=lambda f: f["run"].map(dict(enumerate(labels)))
    )
    colors = {label: run_color(run["number"]) for label, run in zip(labels, shown, strict=True)}
    chart = functools.partial(history_chart, frame, x, metric, titles, colors, log_y)
    show_lab_chart(chart, uploaded=any(run["data"] is not None for run in shown))
    if len(configs) >= 2 and len(changed_pair := differing(configs[-2:])[1]) == 1:
        (knob,) = changed_pair
        before, after = (all_params(config)[knob] for config in configs[-2:])
        st.caption(
            t(
                "lab.ab_caption",
                lang,
                a=labels[-2],
                b=labels[-1],
                knob=knob_label(knob, lang),
                before=before,
                after=after,
            )
        )
    downloads(lang, table, frame.drop(columns="label"), chart, "lab_history")


def chart_switches(lang: str) -> tuple[str, str, bool]:
    """The x-axis, the measure and the log switch of the history chart, kept in the link."""
    left, right = st.columns(2)
    name = lambda code: t(f"lab.axes.{code}", lang)  # noqa: E731
    buttons = {"widget": st.segmented_control, "format_func": name}
    with left:
        x = knob_widget(X_AXIS, "lab.x", lang, label=t("lab.x_axis", lang), **buttons)
    with right:
        metric = knob_widget(METRIC, "lab.metric", lang, label=t("lab.metric", lang), **buttons)
    log_y = knob_widget(LOG, "lab.log", lang, label=t("lab.log", lang))
    return x, metric, log_y


def trained_epochs(runs: list[dict[str, Any]], lang: str) -> pd.DataFrame | None:
    """The epochs frame of `runs`, run i being runs[i]: those on the same data train together."""
    together: dict[int, list[int]] = {}
    for i, run in enumerate(runs):
        together.setdefault(id(run["data"]), []).append(i)
    frames = []
    for members in together.values():
        result = train_runs([runs[i]["config"] for i in members], runs[members[0]]["data"], lang)
        if result is None:
            return None
        frames.append(result.epochs.assign(run=result.epochs["run"].map(dict(enumerate(members)))))
    return pd.concat(frames, ignore_index=True)


def knob_label(name: str, lang: str) -> str:
    """A knob as the A/B chooser lists it: its name in words, then as links and the command line write it."""
    return f"{t(f'lab.knobs.{name}', lang)} ({name})"
