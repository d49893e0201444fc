"""Lesson: optimizers. Real torch.optim paths across 2-D loss landscapes (step, play), then the same on real data."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.charts import format_lr
from core.config import CHOICE, NUMBER, WHOLE, Knob
from core.i18n import t
from core.lessons.surfaces import (
    MAX_STEPS,
    MAX_WALK_LR,
    MOMENTUM,
    SURFACE_OPTIMIZERS,
    SURFACES,
    WalkConfig,
    edge_rates,
)
from core.ui import knob_widget, setup_page
from core.ui.lecture import intro, presenting, revealed, scenario_cards, settings_box
from core.ui.optimizers import analogies, curvature_facts, real_data, walk

SCALES = (1, 10, 100, 1000)
MIN_LR = 1e-4
MAX_SEED = 2**31 - 1
SEEN_SURFACE = "optimizers.seen_surface"  # the landscape of the last run, to notice a switch


def settings(lang: str) -> WalkConfig:
    """The landscape controls in one box; returns the lesson's setting."""
    with settings_box(lang):
        top = st.columns([3, 5])
        with top[0]:
            surface = knob_widget(
                Knob("surface", CHOICE, "ravine", choices=tuple(SURFACES)),
                "optimizers.surface",
                lang,
                label=t("optimizers.controls.surface", lang),
                format_func=lambda name: t(f"optimizers.surfaces.{name}", lang),
            )
        chosen = SURFACES[surface]
        if st.session_state.setdefault(SEEN_SURFACE, surface) != surface:
            # A new landscape starts from its own start point and its own telling learning rate.
            x0, y0 = chosen.start
            st.session_state.update({SEEN_SURFACE: surface, "optimizers.lr": chosen.lr})
            st.session_state.update({"optimizers.x0": x0, "optimizers.y0": y0})
        with top[1]:
            optimizers = knob_widget(
                "optimizer",
                "optimizers.opts",
                lang,
                param="opts",
                choices=SURFACE_OPTIMIZERS,
                default=WalkConfig.optimizers,
                several=True,
                label=t("optimizers.controls.optimizers", lang),
                help=t("optimizers.controls.optimizers_help", lang),
            )
        below, above = (format_lr(rate) for rate in edge_rates(surface))
        x_min, x_max, y_min, y_max = chosen.view
        row = st.columns(4)
        lr_help = t("optimizers.controls.lr_help", lang, below=below, above=above)
        with row[0]:
            lr = _number(st.number_input, "lr", "lr", lang, (MIN_LR, MAX_WALK_LR, chosen.lr, 0.001), lr_help, "%.4f")
        with row[1]:
            steps = _number(st.slider, "steps", "steps", lang, (10, MAX_STEPS, 100, 10))
        with row[2]:
            x0 = _number(st.slider, "x0", "start_x", lang, (x_min, x_max, chosen.start[0], 0.05))
        with row[3]:
            y0 = _number(st.slider, "y0", "start_y", lang, (y_min, y_max, chosen.start[1], 0.01))
        row = st.columns([2, 1, 1])
        with row[0]:
            scale = knob_widget(
                Knob("scale", WHOLE, 1, choices=SCALES),
                "optimizers.scale",
                lang,
                widget=st.segmented_control,
                label=t("optimizers.controls.scale", lang),
                format_func=lambda factor: f"× {factor:g}",
                help=t("optimizers.controls.scale_help", lang),
            )
        seed = 0
        if chosen.noise:
            with row[1]:
                seed_help = t("optimizers.controls.seed_help", lang)
                seed = _number(st.number_input, "seed", "seed", lang, (0, MAX_SEED, 0, 1), seed_help)
        st.caption(t("optimizers.controls.momentum_note", lang, momentum=MOMENTUM))
    return WalkConfig(surface, tuple(optimizers), lr, (x0, y0), steps, seed, scale or 1).validated()


def _number(
    widget: Callable, name: str, label: str, lang: str, span: tuple, help: str | None = None, shown: str | None = None
) -> float:
    """A number widget keyed `optimizers.<name>`, kept in the URL as `<name>`; span = (low, high, default, step)."""
    low, high, default, step = span
    kind = WHOLE if all(isinstance(value, int) for value in (low, high, default)) else NUMBER
    extra = {"format": shown} if shown else {}
    return knob_widget(
        Knob(name, kind, default, low=low, high=high, step=step),
        f"optimizers.{name}",
        lang,
        widget=widget,
        label=t(f"optimizers.controls.{label}", lang),
        help=help,
        **extra,
    )


lang = setup_page("optimizers")
st.title(t("optimizers.title", lang))
intro(t("optimizers.intro", lang))
scenario_cards("optimizers", lang)
analogy_box = st.container()  # filled once the result may show: the analogies tell the article's answer
config = settings(lang)
st.markdown(t(f"optimizers.notes.{config.surface}", lang))
shown = revealed("optimizers", lang)
if shown and not presenting():  # the analogies are the lecturer's to tell; the projector shows the walk
    with analogy_box:
        analogies(lang)
if not config.optimizers:
    st.info(t("optimizers.controls.no_optimizer", lang))
elif shown:
    walk(config, lang)
if shown:  # the limits and what SGD does at them answer the cards' questions too
    curvature_facts(config, lang)
    real_data(config.optimizers, lang)
