"""The lab's Streamlit part: every knob in groups, the run history kept in the session and the link, downloads."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from core.charts import style
from core.charts.lab import (
    GRID_SELECTION,
    band_chart,
    confusion_chart,
    grid_chart,
    grid_height,
    history_chart,
    image_bytes,
    run_color,
)
from core.codegen import script
from core.config import ACTIVATIONS, LOSSES, MODELS, ORDERS, ConfigError, RunConfig
from core.data import TASKS
from core.i18n import t
from core.lab import (
    HIDDEN_MARK,
    KNOB_NAMES,
    MAX_RUNS,
    X_AXES,
    all_params,
    confusion,
    differing,
    grid_configs,
    grid_table,
    read_run,
    run_table,
    run_text,
    seed_band,
    seed_configs,
    with_x_axes,
)
from core.optim import OPTIMIZERS, SCHEDULERS
from core.runlog import divergence_reason
from core.ui import show_chart
from core.ui.runs import cached_train, show_config_error
from core.ui.widgets import (
    BATCH_CHOICES,
    FULL_BATCH_LABEL,
    Allowed,
    _notice_language,
    batch_size_select,
    choice_buttons,
    choice_pills,
    choice_select,
    dataset_select,
    epochs_slider,
    ignore,
    linked,
    lr_multiselect,
    lr_slider,
    optimizer_select,
)

HISTORY = "lab.history"
GRID_BASE = "lab.grid_base"  # the settings the grid on screen was trained on
DECAYS = (None, 0.0, 1e-4, 1e-3, 0.01, 0.1)
MOMENTUM_OPTIMIZERS = ("momentum", "nesterov")
SCHEDULE_KNOBS = {
    "step": ("step_size", "gamma"),
    "exponential": ("gamma",),
    "warmup-cosine": ("warmup_epochs",),
    "plateau": ("gamma", "patience"),
}
GROUPS = ("data", "model", "optimizer", "schedule", "loop")
COUNTS = {"step_size": (1, 50), "warmup_epochs": (0, 20), "patience": (0, 20), "seed": (0, 999)}


def settings(lang: str) -> RunConfig | None:
    """Every knob of a run, in five tabs; None (and one translated line) when the settings do not make a run."""
    d = RunConfig()
    data, model, optimizer, schedule, loop = st.tabs([t(f"lab.groups.{g}", lang) for g in GROUPS])
    knobs: dict[str, Any] = {}
    with data:
        knobs["dataset"] = dataset_select(lang, "lab.dataset", default=d.dataset)
        knobs["order"] = _choice("order", ORDERS, lang)
        knobs["val_fraction"] = _slider("val_fraction", lang, 0.0, 0.5, 0.05)
    with model:
        knobs["model"] = _choice("model", MODELS, lang)
        if knobs["model"] == "mlp":
            knobs["hidden"] = _hidden(lang)
            knobs["activation"] = _choice("activation", ACTIVATIONS, lang)
        knobs["loss"] = _choice("loss", LOSSES, lang)
    with optimizer:
        knobs["optimizer"] = optimizer_select(lang, "lab.optimizer", default=d.optimizer)
        knobs["lr"] = lr_slider(t("lab.knobs.lr", lang), "lab.lr", d.lr)
        if knobs["optimizer"] in MOMENTUM_OPTIMIZERS:
            knobs["momentum"] = _slider("momentum", lang, 0.0, 0.99, 0.01)
        knobs["weight_decay"] = linked(
            st.select_slider,
            "lab.weight_decay",
            "weight_decay",
            None,
            Allowed(options=DECAYS, knob="weight_decay"),
            label=t("lab.knobs.weight_decay", lang),
            options=list(DECAYS),
            format_func=lambda v: t("lab.torch_default", lang) if v is None else f"{v:g}",
        )
    with schedule:
        knobs["scheduler"] = _choice("scheduler", SCHEDULERS, lang, topic="schedules.names")
        for name in SCHEDULE_KNOBS.get(knobs["scheduler"], ()):
            knobs[name] = _count(name, lang) if name in COUNTS else _slider(name, lang, 0.05, 0.95, 0.05)
    with loop:
        knobs["batch_size"] = batch_size_select(lang, "lab.batch_size", default=d.batch_size)
        knobs["epochs"] = epochs_slider(lang, "lab.epochs", default=d.epochs, high=200)
        knobs["shuffle"] = linked(
            st.toggle, "lab.shuffle", "shuffle", True, Allowed(knob="shuffle"), label=t("lab.knobs.shuffle", lang)
        )
        knobs["seed"] = _count("seed", lang)
    try:
        return RunConfig(**knobs).validated()
    except ConfigError as err:
        show_config_error(err, lang)
        return None


def _choice(name: str, choices: tuple[str, ...], lang: str, topic: str | None = None) -> str:
    default = getattr(RunConfig(), name)
    names = topic or f"lab.choices.{name}"
    label = t(f"lab.knobs.{name}", lang)
    return choice_select(label, choices, default, f"lab.{name}", name, lang, lambda c: t(f"{names}.{c}", lang))


def _slider(name: str, lang: str, low: float, high: float, step: float) -> float:
    default = getattr(RunConfig(), name)
    allowed = Allowed(low=low, high=high, knob=name)
    label = t(f"lab.knobs.{name}", lang)
    return linked(
        st.slider, f"lab.{name}", name, default, allowed, label=label, min_value=low, max_value=high, step=step
    )


def _count(name: str, lang: str) -> int:
    low, high = COUNTS[name]
    default = getattr(RunConfig(), name)
    allowed = Allowed(low=low, high=high, whole=True, knob=name)
    label = t(f"lab.knobs.{name}", lang)
    return linked(st.number_input, f"lab.{name}", name, default, allowed, label=label, min_value=low, max_value=high)


def _hidden(lang: str) -> tuple[int, ...]:
    text = linked(
        st.text_input,
        "lab.hidden",
        "hidden",
        "32",
        Allowed(),
        label=t("lab.knobs.hidden", lang),
        help=t("lab.hidden_help", lang),
    )
    try:
        return RunConfig.from_params({"hidden": text}).hidden
    except ConfigError as err:
        show_config_error(err, lang)
        return RunConfig().hidden


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
                ignore("run", text, t("lab.bad_run", _notice_language()))
                continue
            if len(runs) == MAX_RUNS:
                ignore("run", text, t("lab.full", _notice_language(), most=MAX_RUNS))
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


def downloads(lang: str, table: pd.DataFrame, epochs: pd.DataFrame, chart: alt.TopLevelMixin, name: str) -> None:
    """CSV of the run table and the per-epoch records; the chart as PNG and SVG (made only when clicked)."""
    columns = st.columns(4)
    files = (
        ("csv_runs", lambda: table.to_csv(index=False), f"{name}_runs.csv", "text/csv"),
        ("csv_epochs", lambda: epochs.to_csv(index=False), f"{name}_epochs.csv", "text/csv"),
        ("png", lambda: image_bytes(chart, "png"), f"{name}.png", "image/png"),
        ("svg", lambda: image_bytes(chart, "svg"), f"{name}.svg", "image/svg+xml"),
    )
    for column, (kind, data, file_name, mime) in zip(columns, files, strict=True):
        column.download_button(
            t(f"lab.download.{kind}", lang),
            data=data,
            file_name=file_name,
            mime=mime,
            key=f"lab.download.{name}.{kind}",
            icon=":material/download:",
            on_click="ignore",
        )


def add_cell() -> None:
    """Add the grid cell just clicked, on the grid's settings, to the history (a callback of the grid chart)."""
    base = st.session_state[GRID_BASE]
    for cell in st.session_state["lab.grid_chart"]["selection"].get(GRID_SELECTION, []):
        picked = RunConfig.from_params({name: str(cell[name]) for name in ("lr", "batch_size", "optimizer")})
        add_run(base.replace(lr=picked.lr, batch_size=picked.batch_size, optimizer=picked.optimizer))


@st.cache_data(max_entries=64, show_spinner=False)
def cached_confusion(key: tuple, _config: RunConfig) -> pd.DataFrame:
    """The confusion matrix of one run, once for all sessions (the key holds every field of the config)."""
    return confusion(_config)


METRICS = ("train_loss", "val_loss", "val_accuracy")
HIGHLIGHT = "background-color: #ffe08a"


def chart_titles(lang: str) -> dict[str, str]:
    """Axis and legend titles of every lab chart."""
    names = (
        "run",
        "diverged",
        "row",
        "why",
        "mean",
        "low",
        "high",
        "true",
        "predicted",
        "lr",
        "batch_size",
        "optimizer",
    )
    return {name: t(f"lab.axes.{name}", lang) for name in (*X_AXES, *METRICS, *names)}


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


def band_section(lang: str, config: RunConfig) -> None:
    """The current settings over several seeds: the mean and the range from the lowest to the highest."""
    configs = seed_configs(config)
    try:
        result = cached_train(tuple(configs))
    except ConfigError as err:
        show_config_error(err, lang)
        return
    band = seed_band(result.epochs)
    chart = band_chart(band, chart_titles(lang))
    show_chart(chart)
    st.caption(t("lab.band_caption", lang, seeds=len(configs), first=config.seed, last=configs[-1].seed))
    downloads(lang, band, result.epochs, chart, "lab_seeds")


def grid_section(lang: str, config: RunConfig) -> None:
    """Final validation loss over learning rate × batch size (× optimizer); a click adds the cell as a run."""
    rates = lr_multiselect(lang, "lab.grid_lr", param="grid_lr", default=(1e-3, 1e-2, 0.1, 1.0))
    sizes = linked(
        st.multiselect,
        "lab.grid_batch_size",
        "grid_batch_size",
        [8, 32, "full"],
        Allowed(options=BATCH_CHOICES, knob="batch_size"),
        label=t("common.widgets.batch.label", lang),
        options=list(BATCH_CHOICES),
        format_func=lambda size: FULL_BATCH_LABEL if size == "full" else str(size),
    )
    optimizers = choice_pills(
        t("lab.grid_optimizers", lang),
        OPTIMIZERS,
        (config.optimizer,),
        "lab.grid_optimizer",
        "grid_optimizer",
        lang,
        lambda name: t(f"common.optimizers.{name}", lang),
    )
    if not (rates and sizes and optimizers):
        st.info(t("lab.grid_empty", lang))
        return
    configs = grid_configs(config, rates, sizes, optimizers)
    try:
        result = cached_train(tuple(configs))
    except ConfigError as err:
        show_config_error(err, lang)
        st.caption(t("lab.grid_reduce", lang))
        return
    table = grid_table(configs, result.epochs, result.runs)
    optimizer_names = table["optimizer"].map(lambda name: t(f"common.optimizers.{name}", lang))
    batches = table["batch_size"].replace("full", FULL_BATCH_LABEL)
    rows = optimizer_names + " · " + batches if len(optimizers) > 1 else batches
    why = [divergence_reason(run, lang) for run in result.runs.to_dict("records")]
    chart = grid_chart(table.assign(row=rows, why=why), chart_titles(lang))
    st.session_state[GRID_BASE] = config  # add_cell, run before the next run of the page, builds on it
    st.altair_chart(
        style(chart),
        width="stretch",
        height=grid_height(rows.nunique()) + 90,  # the axes and their titles below the cells
        key="lab.grid_chart",
        on_select=add_cell,
        selection_mode=GRID_SELECTION,
    )
    best = table[table["best"]]
    if len(best):
        row = best.iloc[0]
        st.caption(t("lab.grid_best", lang, lr=row["lr"], batch=row["batch_size"], loss=row["val_loss"]))
    st.caption(t("lab.grid_caption", lang))
    downloads(lang, table, result.epochs, chart, "lab_grid")


def classes_section(lang: str, config: RunConfig) -> None:
    """Accuracy over the epochs and the validation set's confusion matrix at the end (classification only)."""
    if TASKS[config.dataset] == "regression":
        st.info(t("lab.regression", lang))
        return
    try:
        counts = cached_confusion(dataclasses.astuple(config), config)
    except ConfigError as err:
        show_config_error(err, lang)
        return
    current_curve(lang, config, "val_accuracy")
    chart = confusion_chart(counts, chart_titles(lang))
    show_chart(chart)
    right = counts.loc[counts["true"] == counts["predicted"], "count"].sum()
    st.caption(t("lab.confusion_caption", lang, right=right, total=counts["count"].sum()))
    downloads(lang, counts, counts, chart, "lab_confusion")


def current_curve(lang: str, config: RunConfig, metric: str) -> None:
    """One measure of the current settings over the epochs."""
    try:
        result = cached_train((config,))
    except ConfigError as err:
        show_config_error(err, lang)
        return
    label = t("lab.current", lang)
    frame = result.epochs.assign(label=label)
    show_chart(history_chart(frame, "epoch", metric, chart_titles(lang), {label: run_color(1)}, log_y=False))


def code_section(lang: str, config: RunConfig) -> None:
    """The current settings as a standalone PyTorch script in the article's loop (`python -m core code`, same text)."""
    st.markdown(t("lab.code.intro", lang))
    text = script(config, lang)
    st.download_button(
        t("lab.code.download", lang),
        data=text,
        file_name="train.py",
        mime="text/x-python",
        key="lab.download.code",
        icon=":material/download:",
        on_click="ignore",
    )
    st.code(text, language="python", line_numbers=True)
