"""The optimizers page's self-contained sections: the step-by-step walk across a landscape, the stability limits
that curvature sets, the same optimizers on real data, and the article's two analogies.

Their words, labels and verdicts come from core.lessons.optimizer_words; the page keeps its settings and their order.
"""

from __future__ import annotations

import functools

import streamlit as st

from core.charts import format_lr
from core.charts.surfaces import epoch_loss_chart, landscape_chart, loss_by_step_chart, swing_chart
from core.claims import measured
from core.config import ConfigError, RunConfig
from core.i18n import join, sentences, t
from core.lessons.optimizer_words import (
    edge_outcome,
    lowest,
    optimizer_names,
    results_table,
    say,
    stability_limits,
    walk_titles,
    walk_words,
)
from core.lessons.surfaces import (
    BOTTOM,
    MAX_STEPS,
    MOMENTUM,
    ON_FLOOR,
    RAVINES,
    SURFACE_OPTIMIZERS,
    SURFACES,
    WalkConfig,
    curvature_at_minimum,
    final_epochs,
    grid,
    sgd_at_the_limit,
    walks,
)
from core.ui import cached_train, knob_widget, show_chart, show_config_error
from core.ui.cache import cached_maths
from core.ui.layout import Card, card_row
from core.ui.lecture import intro, talking_point
from core.ui.stepper import Button, Stepper

GRID_RESOLUTION = 60
TICK_SECONDS = 0.3
PLAY_FRAMES = 30  # Play reaches the last step in about this many frames, whatever the number of steps
DATA_SEED = 0
DATA_DEFAULTS = {"lr": 0.01, "epochs": 30}
WALK_SECTION = "optimizers-walk"  # the anchor the scenario cards scroll to (core/lecture.py SECTIONS)


def card_numbers(claim_id: str) -> dict[str, float]:
    """What a card's claim measures on its own setting (the walks are deterministic: seed 0 stands for all)."""
    return cached_maths(measured, claim_id, 0)


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
    paragraphs, talk = walk_words(config, functools.partial(cached_maths, walks), card_numbers)
    for said in paragraphs:
        st.markdown(sentences([say(text, lang) for text in said], lang))
    talking_point(say(talk, lang), lang)


def show_walk(stepper: Stepper, config: WalkConfig, lang: str) -> None:
    """The landscape with the paths up to the shown step, the loss per step below it and, on a ravine, the swing."""
    stepper.tick(PLAY_FRAMES)
    paths = cached_maths(walks, config)
    surface = SURFACES[config.surface]
    names = optimizer_names(SURFACE_OPTIMIZERS, lang)
    titles = walk_titles(config.surface, lang)
    visible = paths[paths["step"] <= stepper.position]
    st.markdown(f"**{t('optimizers.controls.progress', lang, shown=stepper.position, steps=config.steps)}**")
    cells = cached_maths(grid, config.surface, GRID_RESOLUTION)
    show_chart(
        landscape_chart,
        cells,
        visible,
        names,
        titles["landscape"],
        surface.view,
        config.start,
        surface.minimum,
        log_colour=surface.log_colour,
    )
    st.caption(t("optimizers.chart.landscape_caption", lang))
    show_chart(loss_by_step_chart, visible, names, titles["loss"], min_loss=surface.min_loss, bottom=BOTTOM)
    st.caption(t("optimizers.chart.loss_caption", lang, level=f"{BOTTOM:g}"))
    if config.surface in RAVINES:
        show_chart(swing_chart, visible, names, titles["swing"], ON_FLOOR)
        st.caption(t("optimizers.chart.swing_caption", lang, level=f"{ON_FLOOR:g}"))
    for step, gone in visible[visible["diverged"]].groupby("step"):
        st.error(t("optimizers.diverged", lang, names=join([names[n] for n in gone["optimizer"]], lang), step=step))


def curvature_facts(config: WalkConfig, lang: str) -> None:
    """λmax at the minimum, the stability limits it sets, and what SGD does at the limit on this landscape."""
    st.subheader(t("optimizers.facts.heading", lang))
    # The limits of the loss the optimizers see: multiplying the loss multiplies every curvature.
    lam = config.scale * cached_maths(curvature_at_minimum, config.surface)
    limits = stability_limits(lam)
    scaled = "_scaled" if config.scale != 1 else ""
    lam_label = t(f"optimizers.facts.lambda{scaled}", lang, scale=f"{config.scale:g}")
    cards = [Card(lam_label, f"{lam:.4g}", t("optimizers.facts.lambda_help", lang))]
    cards += [Card(t(f"optimizers.facts.{name}", lang, momentum=MOMENTUM), f"{v:.4g}") for name, v in limits.items()]
    card_row(cards, border=False)
    st.markdown(t("optimizers.facts.explain", lang))
    edges = cached_maths(sgd_at_the_limit, config.surface, config.seed, MAX_STEPS, config.scale)
    outcomes = "\n".join(f"- {say(edge_outcome(edge), lang)}" for edge in edges)
    st.markdown(f"{t('optimizers.facts.edge_title', lang, steps=MAX_STEPS)}\n\n{outcomes}")
    st.markdown(t(f"optimizers.facts.edge_note.{config.surface}", lang, steps=MAX_STEPS))
    bound = f"{limits['sgd']:.3g}"
    verdict = "stable" if config.lr < limits["sgd"] else "unstable"
    (st.success if verdict == "stable" else st.warning)(
        t(f"optimizers.facts.your_lr_{verdict}", lang, lr=format_lr(config.lr), bound=bound)
    )
    if config.scale != 1:
        st.info(t("optimizers.facts.scaled", lang, scale=f"{config.scale:g}", bound=bound))


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
    names = optimizer_names(optimizers, lang)
    titles = {key: t(f"optimizers.real.{key}", lang) for key in ("epoch", "loss", "accuracy", "optimizer")}
    for column, metric in zip(st.columns(2), ("train", "val"), strict=True):
        with column:
            title = t(f"optimizers.real.{metric}_title", lang)
            show_chart(epoch_loss_chart, frame, f"{metric}_loss", names, {**titles, "title": title})
    last = final_epochs(frame)
    st.dataframe(results_table(last, names, lang), hide_index=True, width="stretch")
    best = lowest(last)
    if best is not None:
        st.markdown(say(best, lang))
    st.markdown(t("optimizers.real.takeaway", lang))


def analogies(lang: str) -> None:
    """The article's two pictures side by side: SGD as the over-eager resident, Adam as the experienced attending."""
    for column, who in zip(st.columns(2), ("sgd", "adam"), strict=True):
        with column, st.container(border=True, height="stretch"):
            st.markdown(f"#### {t(f'optimizers.analogy.{who}_title', lang)}")
            st.markdown(t(f"optimizers.analogy.{who}", lang))
