"""Lesson: optimizers. Real torch.optim paths across 2-D loss landscapes (step, play), then the same on real data."""

from __future__ import annotations

import pandas as pd
import streamlit as st
import torch

from core.charts import format_lr
from core.charts.surfaces import epoch_loss_chart, landscape_chart, loss_by_step_chart
from core.config import ConfigError, RunConfig
from core.i18n import t
from core.lessons.surfaces import SURFACE_OPTIMIZERS, SURFACES, grid, trajectory
from core.lessons.theory import (
    gd_stability_bound,
    max_hessian_eigenvalue,
    momentum_stability_bound,
    nesterov_stability_bound,
)
from core.ui import (
    LR_CHOICES,
    cached_train,
    choice_pills,
    choice_select,
    epochs_slider,
    setup_page,
    show_chart,
    show_config_error,
)

MOMENTUM = 0.9
DEFAULT_OPTIMIZERS = ("sgd", "momentum", "adam")
SCALES = (1, 10, 100, 1000)
MAX_STEPS = 1000
GRID_RESOLUTION = 60
TICK_SECONDS = 0.3
PLAY_FRAMES = 30  # Play reaches the last step in about this many frames, whatever the number of steps
DATA_SEED = 0
DATA_DEFAULTS = {"lr": 0.01, "epochs": 30}

SHOWN, PLAYING, SEEN = "walk_shown", "walk_playing", "walk_settings"  # animation state (not in the URL)


@st.cache_data(max_entries=128, show_spinner=False)
def walks(
    surface: str,
    optimizers: tuple[str, ...],
    lr: float,
    start: tuple[float, float],
    steps: int,
    seed: int,
    scale: float,
) -> pd.DataFrame:
    """Every chosen optimizer's path, computed once per setting for all sessions."""
    paths = [
        trajectory(surface, name, lr, start, steps, seed=seed, loss_scale=scale, momentum=MOMENTUM)
        for name in optimizers
    ]
    return pd.concat(paths, ignore_index=True)


@st.cache_data(max_entries=16, show_spinner=False)
def landscape(surface: str) -> pd.DataFrame:
    """The heat-map cells of a surface."""
    return grid(surface, GRID_RESOLUTION)


@st.cache_data(max_entries=16, show_spinner=False)
def curvature_at_minimum(surface: str) -> float:
    """λmax of the surface's Hessian at its minimum (power iteration on Hessian-vector products)."""
    point = torch.tensor(SURFACES[surface].minimum, dtype=torch.float64, requires_grad=True)
    return max_hessian_eigenvalue(lambda: SURFACES[surface].loss(point), [point])


def surface_settings(lang: str) -> dict:
    """The landscape controls; returns the chosen surface, optimizers, lr, start, steps, seed and loss scale."""
    with st.container(border=True):
        top = st.columns([3, 5])
        with top[0]:
            surface = choice_select(
                t("optimizers.controls.surface", lang),
                list(SURFACES),
                "ravine",
                "surface",
                lambda name: t(f"optimizers.surfaces.{name}", lang),
            )
        chosen = SURFACES[surface]
        if st.session_state.get("walk_surface", surface) != surface:
            # A new landscape starts from its own start point and its own telling learning rate.
            st.session_state.update(lr=chosen.lr, x0=chosen.start[0], y0=chosen.start[1])
        st.session_state["walk_surface"] = surface
        bound = gd_stability_bound(curvature_at_minimum(surface))
        with top[1]:
            optimizers = choice_pills(
                t("optimizers.controls.optimizers", lang),
                SURFACE_OPTIMIZERS,
                DEFAULT_OPTIMIZERS,
                "opts",
                lambda name: t(f"common.optimizers.{name}", lang),
                help=t("optimizers.controls.optimizers_help", lang),
            )
        row = st.columns(4)
        with row[0]:
            lr = st.number_input(
                t("optimizers.controls.lr", lang),
                min_value=1e-4,
                max_value=10.0,
                value=chosen.lr,
                step=0.001,
                format="%.4f",
                help=t("optimizers.controls.lr_help", lang, **hint_rates(bound)),
                key="lr",
                bind="query-params",
            )
        with row[1]:
            steps = st.slider(
                t("optimizers.controls.steps", lang), 10, MAX_STEPS, 100, step=10, key="steps", bind="query-params"
            )
        x_min, x_max, y_min, y_max = chosen.view
        with row[2]:
            x0 = st.slider(
                t("optimizers.controls.start_x", lang),
                x_min,
                x_max,
                chosen.start[0],
                0.05,
                key="x0",
                bind="query-params",
            )
        with row[3]:
            y0 = st.slider(
                t("optimizers.controls.start_y", lang),
                y_min,
                y_max,
                chosen.start[1],
                0.01,
                key="y0",
                bind="query-params",
            )
        row = st.columns([2, 1, 1])
        with row[0]:
            scale = st.segmented_control(
                t("optimizers.controls.scale", lang),
                SCALES,
                default=1,
                format_func=lambda factor: f"× {factor}",
                required=True,
                help=t("optimizers.controls.scale_help", lang),
                key="scale",
                bind="query-params",
            )
        seed = 0
        if chosen.noise:
            with row[1]:
                seed = st.number_input(
                    t("optimizers.controls.seed", lang),
                    min_value=0,
                    max_value=2**31 - 1,
                    value=0,
                    help=t("optimizers.controls.seed_help", lang),
                    key="seed",
                    bind="query-params",
                )
        st.caption(t("optimizers.controls.momentum_note", lang, momentum=MOMENTUM))
    return {
        "surface": surface,
        "optimizers": tuple(optimizers),
        "lr": float(lr),
        "start": (float(x0), float(y0)),
        "steps": int(steps),
        "seed": int(seed),
        "scale": float(scale or 1),
    }


def hint_rates(bound: float) -> dict[str, str]:
    """Two learning rates to try: 1 % below the SGD limit and 5 % above it."""
    return {"below": f"{0.99 * bound:.3g}", "above": f"{1.05 * bound:.2g}"}


def play_controls(lang: str, steps: int) -> None:
    """Next step, Play/Pause and Reset: they move how much of each path is shown."""
    shown, playing = st.session_state[SHOWN], st.session_state[PLAYING]

    def next_step() -> None:
        st.session_state[SHOWN] = min(steps, st.session_state[SHOWN] + 1)
        st.session_state[PLAYING] = False

    def play_or_pause() -> None:
        if not st.session_state[PLAYING] and st.session_state[SHOWN] >= steps:
            st.session_state[SHOWN] = 0  # Play at the end starts again from the start
        st.session_state[PLAYING] = not st.session_state[PLAYING]

    def reset() -> None:
        st.session_state[SHOWN] = 0
        st.session_state[PLAYING] = False

    with st.container(horizontal=True):
        st.button(
            t("optimizers.controls.next", lang),
            icon=":material/skip_next:",
            on_click=next_step,
            disabled=shown >= steps,
            key="walk_next",
        )
        st.button(
            t(f"optimizers.controls.{'pause' if playing else 'play'}", lang),
            icon=":material/pause:" if playing else ":material/play_arrow:",
            on_click=play_or_pause,
            type="primary",
            key="walk_play",
        )
        st.button(t("optimizers.controls.reset", lang), icon=":material/replay:", on_click=reset, key="walk_reset")


def show_walk(paths: pd.DataFrame, setting: dict, lang: str) -> None:
    """The landscape with the paths up to the shown step, and the loss per step below it."""
    steps = setting["steps"]
    if st.session_state[PLAYING]:
        st.session_state[SHOWN] = min(steps, st.session_state[SHOWN] + max(1, steps // PLAY_FRAMES))
        if st.session_state[SHOWN] >= steps:
            st.session_state[PLAYING] = False
            st.rerun()  # the whole page again, now without the timer, so the Play button turns back
    shown = st.session_state[SHOWN]
    surface = SURFACES[setting["surface"]]
    names = {name: t(f"common.optimizers.{name}", lang) for name in SURFACE_OPTIMIZERS}
    titles = {key: t(f"optimizers.chart.{key}", lang) for key in ("x", "y", "optimizer", "step", "start", "minimum")}
    titles["loss"] = t("optimizers.chart.loss", lang)
    visible = paths[paths["step"] <= shown]
    st.markdown(f"**{t('optimizers.controls.progress', lang, shown=shown, steps=steps)}**")
    show_chart(
        landscape_chart(
            landscape(setting["surface"]),
            visible,
            names,
            titles,
            surface.view,
            setting["start"],
            surface.minimum,
            log_colour=surface.log_colour,
        )
    )
    st.caption(t("optimizers.chart.landscape_caption", lang))
    titles["loss"] = t(f"optimizers.chart.{'loss_gap' if surface.min_loss else 'loss_log'}", lang)
    show_chart(loss_by_step_chart(visible, names, titles, min_loss=surface.min_loss))
    st.caption(t("optimizers.chart.loss_caption", lang))
    for step, gone in visible[visible["diverged"]].groupby("step"):
        st.error(t("optimizers.diverged", lang, names=", ".join(names[n] for n in gone["optimizer"]), step=int(step)))


def curvature_facts(setting: dict, lang: str) -> None:
    """λmax at the minimum and the stability limits it sets, computed by core.lessons.theory for this surface."""
    st.subheader(t("optimizers.facts.heading", lang))
    lam = curvature_at_minimum(setting["surface"])
    bound = gd_stability_bound(lam)
    columns = st.columns(4)
    columns[0].metric(t("optimizers.facts.lambda", lang), f"{lam:.4g}", help=t("optimizers.facts.lambda_help", lang))
    columns[1].metric(t("optimizers.facts.sgd", lang), f"{bound:.4g}")
    columns[2].metric(
        t("optimizers.facts.momentum", lang, momentum=MOMENTUM), f"{momentum_stability_bound(lam, MOMENTUM):.4g}"
    )
    columns[3].metric(
        t("optimizers.facts.nesterov", lang, momentum=MOMENTUM), f"{nesterov_stability_bound(lam, MOMENTUM):.4g}"
    )
    st.markdown(t("optimizers.facts.explain", lang, **hint_rates(bound)))
    scaled_bound = gd_stability_bound(setting["scale"] * lam)
    verdict = "stable" if setting["lr"] < scaled_bound else "unstable"
    (st.success if verdict == "stable" else st.warning)(
        t(f"optimizers.facts.your_lr_{verdict}", lang, lr=format_lr(setting["lr"]))
    )
    if setting["scale"] != 1:
        st.info(t("optimizers.facts.scaled", lang, scale=f"{setting['scale']:g}", bound=f"{scaled_bound:.3g}"))


def real_data(optimizers: tuple[str, ...], lang: str) -> None:
    """The chosen optimizers on the breast-tumour data: same network, same seed, same case order."""
    st.header(t("optimizers.real.heading", lang))
    st.markdown(t("optimizers.real.intro", lang, seed=DATA_SEED))
    lr_col, epochs_col = st.columns(2)
    with lr_col:
        lr = st.select_slider(
            t("optimizers.real.lr", lang),
            options=[rate for rate in LR_CHOICES if rate <= 1.0],
            value=DATA_DEFAULTS["lr"],
            format_func=format_lr,
            help=t("optimizers.real.lr_help", lang),
            key="data_lr",
            bind="query-params",
        )
    with epochs_col:
        epochs = epochs_slider(lang, default=DATA_DEFAULTS["epochs"], high=100)
    if not optimizers:
        return
    configs = tuple(
        RunConfig(dataset="breast_cancer", model="mlp", optimizer=name, lr=lr, seed=DATA_SEED, epochs=epochs)
        for name in optimizers
    )
    try:
        result = cached_train(configs)
    except ConfigError as err:
        show_config_error(err, lang)
        return
    frame = result.epochs.assign(optimizer=result.epochs["run"].map(dict(enumerate(optimizers))))
    names = {name: t(f"common.optimizers.{name}", lang) for name in optimizers}
    titles = {key: t(f"optimizers.real.{key}", lang) for key in ("epoch", "loss", "accuracy", "optimizer")}
    left, right = st.columns(2)
    for column, metric in ((left, "train_loss"), (right, "val_loss")):
        with column:
            title = t(f"optimizers.real.{'train' if metric == 'train_loss' else 'val'}_title", lang)
            show_chart(epoch_loss_chart(frame, metric, names, {**titles, "title": title}))
    last = frame.sort_values("epoch").groupby("run").tail(1).sort_values("run")
    table = pd.DataFrame(
        {
            titles["optimizer"]: last["optimizer"].map(names),
            t("optimizers.real.table_train", lang): last["train_loss"].round(4),
            t("optimizers.real.table_val", lang): last["val_loss"].round(4),
            t("optimizers.real.table_accuracy", lang): (100 * last["val_accuracy"]).round(1).astype(str) + " %",
            t("optimizers.real.table_diverged", lang): last["diverged"],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    st.markdown(t("optimizers.real.takeaway", lang))


lang = setup_page("optimizers")
st.title(t("optimizers.title", lang))
st.markdown(t("optimizers.intro", lang))
resident, attending = st.columns(2)
for column, who in ((resident, "sgd"), (attending, "adam")):
    with column, st.container(border=True, height="stretch"):
        st.markdown(f"#### {t(f'optimizers.analogy.{who}_title', lang)}")
        st.markdown(t(f"optimizers.analogy.{who}", lang))

setting = surface_settings(lang)
st.markdown(t(f"optimizers.notes.{setting['surface']}", lang))
if not setting["optimizers"]:
    st.info(t("optimizers.controls.no_optimizer", lang))
else:
    signature = tuple(setting.values())
    if st.session_state.get(SEEN) != signature:
        # New settings: show the whole walk at once; Reset and Play replay it step by step.
        st.session_state.update({SEEN: signature, SHOWN: setting["steps"], PLAYING: False})
    st.markdown(t("optimizers.analogy.try", lang))
    play_controls(lang, setting["steps"])
    paths = walks(
        setting["surface"],
        setting["optimizers"],
        setting["lr"],
        setting["start"],
        setting["steps"],
        setting["seed"],
        setting["scale"],
    )
    st.fragment(show_walk, run_every=TICK_SECONDS if st.session_state[PLAYING] else None)(paths, setting, lang)
curvature_facts(setting, lang)
real_data(setting["optimizers"], lang)
