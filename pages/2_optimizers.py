"""Lesson: optimizers. Real torch.optim paths across 2-D loss landscapes (step, play), then the same on real data."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import streamlit as st

from core.charts import format_lr
from core.charts.surfaces import epoch_loss_chart, landscape_chart, loss_by_step_chart, swing_chart
from core.claims import measured
from core.config import CHOICE, NUMBER, WHOLE, ConfigError, Knob, RunConfig
from core.i18n import join, t
from core.lessons.optimizer_words import Said, comparisons, scale_comparisons, talking
from core.lessons.surfaces import (
    BOTTOM,
    MAX_STEPS,
    MAX_WALK_LR,
    MOMENTUM,
    ON_FLOOR,
    RAVINES,
    SURFACE_OPTIMIZERS,
    SURFACES,
    EdgeWalk,
    WalkConfig,
    curvature_at_minimum,
    edge_rates,
    final_epochs,
    grid,
    sgd_at_the_limit,
    walk_facts,
    walks,
)
from core.lessons.theory import gd_stability_bound, momentum_stability_bound, nesterov_stability_bound
from core.runlog import plain_number
from core.ui import (
    cached_train,
    knob_widget,
    setup_page,
    show_chart,
    show_config_error,
)
from core.ui.cache import cached_maths
from core.ui.layout import Card, card_row
from core.ui.lecture import intro, presenting, revealed, scenario_cards, settings_box, talking_point
from core.ui.stepper import Button, Stepper

SCALES = (1, 10, 100, 1000)
MIN_LR = 1e-4
MAX_SEED = 2**31 - 1
SEEN_SURFACE = "optimizers.seen_surface"  # the landscape of the last run, to notice a switch
GRID_RESOLUTION = 60
TICK_SECONDS = 0.3
PLAY_FRAMES = 30  # Play reaches the last step in about this many frames, whatever the number of steps
DATA_SEED = 0
DATA_DEFAULTS = {"lr": 0.01, "epochs": 30}

WALK_SECTION = "optimizers-walk"  # the anchor the scenario cards scroll to (core/lecture.py SECTIONS)


def card_numbers(claim_id: str) -> dict[str, float]:
    """What a card's claim measures on its own setting (the walks are deterministic: seed 0 stands for all)."""
    return cached_maths(measured, claim_id, 0)


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


def walk(config: WalkConfig, lang: str) -> None:
    """Next step / Play / Reset over the paths, then the landscape and the loss per step; then what they show."""
    st.subheader(t("optimizers.walk.heading", lang), anchor=WALK_SECTION)
    stepper = Stepper("optimizers.walk", config.steps)
    stepper.follow(config)
    intro(t("optimizers.analogy.try", lang))
    stepper.buttons(
        Button(t("optimizers.controls.next", lang), ":material/skip_next:", shortcut="Right"),
        Button(t("optimizers.controls.reset", lang), ":material/restart_alt:"),
        play=(
            Button(t("optimizers.controls.play", lang), ":material/play_arrow:"),
            Button(t("optimizers.controls.pause", lang), ":material/pause:"),
        ),
    )
    st.fragment(show_walk, run_every=TICK_SECONDS if stepper.playing else None)(stepper, config, lang)
    paths = cached_maths(walks, config)
    facts = walk_facts(config.surface, paths)
    paragraphs, shift = [], None
    if config.scale != 1:  # the scale first: it is what changed
        scaled, shift = scale_comparisons(paths, cached_maths(walks, config.replace(scale=1.0)), config)
        paragraphs.append(scaled)
    paragraphs += comparisons(facts, config, card_numbers)
    gap = "" if lang == "ja" else " "  # Japanese sentences follow one another without a space
    for said in paragraphs:
        st.markdown(gap.join(say(text, lang) for text in said))
    talking_point(say(talking(facts, config, shift), lang), lang)


def show_walk(stepper: Stepper, config: WalkConfig, lang: str) -> None:
    """The landscape with the paths up to the shown step, and the loss per step below it."""
    stepper.tick(PLAY_FRAMES)
    paths = cached_maths(walks, config)
    surface = SURFACES[config.surface]
    names = {name: t(f"common.optimizers.{name}", lang) for name in SURFACE_OPTIMIZERS}
    titles = {key: t(f"optimizers.chart.{key}", lang) for key in ("x", "y", "loss", "optimizer", "step", "start")}
    titles["minimum"] = t("optimizers.chart.minimum", lang)
    visible = paths[paths["step"] <= stepper.position]
    st.markdown(f"**{t('optimizers.controls.progress', lang, shown=stepper.position, steps=config.steps)}**")
    cells = cached_maths(grid, config.surface, GRID_RESOLUTION)
    show_chart(
        landscape_chart,
        cells,
        visible,
        names,
        titles,
        surface.view,
        config.start,
        surface.minimum,
        log_colour=surface.log_colour,
    )
    st.caption(t("optimizers.chart.landscape_caption", lang))
    titles["loss"] = t(f"optimizers.chart.{'loss_gap' if surface.min_loss else 'loss_log'}", lang)
    titles["level"] = t("optimizers.chart.bottom", lang, level=f"{BOTTOM:g}")
    show_chart(loss_by_step_chart, visible, names, titles, min_loss=surface.min_loss, bottom=BOTTOM)
    st.caption(t("optimizers.chart.loss_caption", lang, level=f"{BOTTOM:g}"))
    if config.surface in RAVINES:
        titles["swing"] = t("optimizers.chart.swing", lang)
        titles["level"] = t("optimizers.chart.floor", lang, level=f"{ON_FLOOR:g}")
        show_chart(swing_chart, visible, names, titles, ON_FLOOR)
        st.caption(t("optimizers.chart.swing_caption", lang, level=f"{ON_FLOOR:g}"))
    for step, gone in visible[visible["diverged"]].groupby("step"):
        st.error(t("optimizers.diverged", lang, names=join([names[n] for n in gone["optimizer"]], lang), step=step))


def say(said: Said, lang: str) -> str:
    """A text of the lesson in `lang`; a number that is itself a text is said first."""
    key, numbers = said
    return t(key, lang, **{name: say(n, lang) if isinstance(n, tuple) else n for name, n in numbers.items()})


def curvature_facts(config: WalkConfig, lang: str) -> None:
    """λmax at the minimum, the stability limits it sets, and what SGD does at the limit on this landscape."""
    st.subheader(t("optimizers.facts.heading", lang))
    # The limits of the loss the optimizers see: multiplying the loss multiplies every curvature.
    lam = config.scale * cached_maths(curvature_at_minimum, config.surface)
    scaled = "_scaled" if config.scale != 1 else ""
    cards = [
        Card(
            t(f"optimizers.facts.lambda{scaled}", lang, scale=f"{config.scale:g}"),
            f"{lam:.4g}",
            t("optimizers.facts.lambda_help", lang),
        ),
        Card(t("optimizers.facts.sgd", lang), f"{gd_stability_bound(lam):.4g}"),
    ]
    for name, bound in (("momentum", momentum_stability_bound), ("nesterov", nesterov_stability_bound)):
        cards.append(Card(t(f"optimizers.facts.{name}", lang, momentum=MOMENTUM), f"{bound(lam, MOMENTUM):.4g}"))
    card_row(cards, border=False)
    st.markdown(t("optimizers.facts.explain", lang))
    edges = cached_maths(sgd_at_the_limit, config.surface, config.seed, MAX_STEPS, config.scale)
    outcomes = "\n".join(f"- {_outcome(edge, lang)}" for edge in edges)
    st.markdown(f"{t('optimizers.facts.edge_title', lang, steps=MAX_STEPS)}\n\n{outcomes}")
    st.markdown(t(f"optimizers.facts.edge_note.{config.surface}", lang, steps=MAX_STEPS))
    bound = gd_stability_bound(lam)
    verdict = "stable" if config.lr < bound else "unstable"
    (st.success if verdict == "stable" else st.warning)(
        t(f"optimizers.facts.your_lr_{verdict}", lang, lr=format_lr(config.lr), bound=f"{bound:.3g}")
    )
    if config.scale != 1:
        st.info(t("optimizers.facts.scaled", lang, scale=f"{config.scale:g}", bound=f"{bound:.3g}"))


def _outcome(edge: EdgeWalk, lang: str) -> str:
    gap = f"{edge.gap:.2g}"
    return t(f"optimizers.facts.edge.{edge.outcome}", lang, lr=format_lr(edge.lr), step=edge.step, gap=gap)


def real_data(optimizers: tuple[str, ...], lang: str) -> None:
    """The chosen optimizers on the breast-tumour data: same network, same seed, same case order."""
    st.header(t("optimizers.real.heading", lang))
    st.markdown(t("optimizers.real.intro", lang, seed=DATA_SEED))
    lr_col, epochs_col = st.columns(2)
    with lr_col:
        lr = knob_widget(
            "lr",
            "optimizers.data_lr",
            lang,
            param="data_lr",
            default=DATA_DEFAULTS["lr"],
            high=1.0,
            label=t("optimizers.real.lr", lang),
            help=t("optimizers.real.lr_help", lang),
        )
    with epochs_col:
        epochs = knob_widget(
            "epochs", "optimizers.data_epochs", lang, param="data_epochs", default=DATA_DEFAULTS["epochs"], high=100
        )
    if not optimizers:
        return
    base = RunConfig(dataset="breast_cancer", model="mlp", lr=lr, seed=DATA_SEED, epochs=epochs)
    try:
        result = cached_train(tuple(base.replace(optimizer=name) for name in optimizers))
    except ConfigError as err:
        show_config_error(err, lang)
        return
    frame = result.epochs.assign(optimizer=result.epochs["run"].map(dict(enumerate(optimizers))))
    names = {name: t(f"common.optimizers.{name}", lang) for name in optimizers}
    titles = {key: t(f"optimizers.real.{key}", lang) for key in ("epoch", "loss", "accuracy", "optimizer")}
    for column, metric in zip(st.columns(2), ("train", "val"), strict=True):
        with column:
            title = t(f"optimizers.real.{metric}_title", lang)
            show_chart(epoch_loss_chart, frame, f"{metric}_loss", names, {**titles, "title": title})
    last = final_epochs(frame)
    table = {
        titles["optimizer"]: last["optimizer"].map(names),
        t("optimizers.real.table_train", lang): last["train_loss"].map(plain_number),
        t("optimizers.real.table_val", lang): last["val_loss"].map(plain_number),
        t("optimizers.real.table_accuracy", lang): (100 * last["val_accuracy"]).round(1).astype(str) + " %",
        t("optimizers.real.table_diverged", lang): last["diverged"],
    }
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
    # Which optimizer ends lowest is this run's result, not a rule: said from the table's own numbers.
    ended = last[last["train_loss"].map(math.isfinite)]
    if not ended.empty:
        best = ended.loc[ended["train_loss"].idxmin()]
        st.markdown(t("optimizers.real.lowest", lang, name=names[best["optimizer"]], loss=f"{best['train_loss']:.3g}"))
    st.markdown(t("optimizers.real.takeaway", lang))


lang = setup_page("optimizers")
st.title(t("optimizers.title", lang))
intro(t("optimizers.intro", lang))
scenario_cards("optimizers", lang)
analogies = st.container()  # filled once the result may show: the analogies tell the article's answer
config = settings(lang)
st.markdown(t(f"optimizers.notes.{config.surface}", lang))
shown = revealed("optimizers", lang)
if shown and not presenting():  # the analogies are the lecturer's to tell; the projector shows the walk
    with analogies:
        for column, who in zip(st.columns(2), ("sgd", "adam"), strict=True):
            with column, st.container(border=True, height="stretch"):
                st.markdown(f"#### {t(f'optimizers.analogy.{who}_title', lang)}")
                st.markdown(t(f"optimizers.analogy.{who}", lang))
if not config.optimizers:
    st.info(t("optimizers.controls.no_optimizer", lang))
elif shown:
    walk(config, lang)
if shown:  # the limits and what SGD does at them answer the cards' questions too
    curvature_facts(config, lang)
    real_data(config.optimizers, lang)
