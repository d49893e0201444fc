"""What the optimizers page says about its walks and its real-data run, picked from their facts and the claims of its
cards, and the labels of its charts and table.

Above both the walks (core.lessons.surfaces) and the claims registry, which measures its walks with them: the page's
sentences follow the registry's claims, never the other way round.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from core.charts import format_lr
from core.claims import by_id
from core.i18n import t
from core.lessons.surfaces import (
    BOTTOM,
    MOMENTUM,
    ON_FLOOR,
    RAVINES,
    SURFACES,
    EdgeWalk,
    PathFacts,
    WalkConfig,
    largest_shift,
    path_length,
    shrink_factors,
    walk_facts,
)
from core.lessons.theory import gd_stability_bound, momentum_stability_bound, nesterov_stability_bound
from core.runlog import plain_number


def adam_finding(sgd: PathFacts, adam: PathFacts) -> str:
    """ "holds" when Adam reaches the bottom first by the margin of the claim `sgd_vs_adam`, "neither" when neither
    gets there, else "fails"."""
    if math.isinf(sgd.bottom) and math.isinf(adam.bottom):
        return "neither"
    return "holds" if by_id("sgd_vs_adam").holds({"a": adam.bottom, "b": sgd.bottom}) else "fails"


def momentum_finding(sgd: PathFacts, momentum: PathFacts) -> str:
    """ "holds" when momentum's swing across the ravine dies down first by the margin of the claim `momentum_ravine`,
    "neither" when neither dies down, "longer" when momentum's lasts longer than SGD's, else "fails"."""
    if math.isinf(sgd.on_floor) and math.isinf(momentum.on_floor):
        return "neither"
    if by_id("momentum_ravine").holds({"a": momentum.on_floor, "b": sgd.on_floor}):
        return "holds"
    return "longer" if momentum.on_floor > sgd.on_floor else "fails"


Said = tuple[str, dict[str, object]]  # a text's locale key and its numbers; a number that is itself a Said is a text


def when(facts: PathFacts, moment: str, steps: int) -> Said:
    """When a path reached `moment` ("bottom" or "on_floor"): at a step, not within the walk, or never (flew off)."""
    if facts.flew_off is not None:
        return "optimizers.compare.when.flew_off", {"step": facts.flew_off}
    step = getattr(facts, moment)
    if math.isinf(step):
        return "optimizers.compare.when.never", {"steps": steps}
    return "optimizers.compare.when.at", {"step": int(step)}


# Per lesson, against plain SGD: the moment it reads, the claim its sentence follows, and how the sentence is picked.
LESSONS: dict[str, tuple[str, str, Callable[[PathFacts, PathFacts], str]]] = {
    "adam": ("bottom", "sgd_vs_adam", adam_finding),
    "momentum": ("on_floor", "momentum_ravine", momentum_finding),
}


def _numbers(lesson: str, sgd: PathFacts, other: PathFacts, config: WalkConfig) -> dict[str, object]:
    moment = LESSONS[lesson][0]
    return {
        "sgd": when(sgd, moment, config.steps),
        "other": when(other, moment, config.steps),
        "sgd_loss": f"{sgd.loss:.2g}",
        "other_loss": f"{other.loss:.2g}",
        "sgd_swing": f"{sgd.swing:.2g}",
        "other_swing": f"{other.swing:.2g}",
        "steps": config.steps,
        "lr": f"{config.lr:g}",
    }


def comparisons(
    facts: dict[str, PathFacts], config: WalkConfig, card: Callable[[str], dict[str, float]]
) -> list[list[Said]]:
    """On a ravine, a paragraph each for Adam and momentum beside SGD: what happened, why, and (where the article's
    claim does not hold here) what the card on its claim's own setting measures; `card(claim_id)` measures a claim."""
    if config.surface not in RAVINES:
        return []
    factors = shrink_factors(config.lr, config.scale)
    shown = {"across": f"{factors['across']:.3g}", "along": f"{factors['along']:.3g}"}
    shown["root"] = f"{factors['momentum']:.3f}"
    paragraphs = []
    for lesson, (_, claim_id, finding) in LESSONS.items():
        if not {"sgd", lesson} <= facts.keys():
            continue
        sgd = facts["sgd"]
        verdict = "flew_off" if sgd.flew_off is not None else finding(sgd, facts[lesson])
        numbers = {**_numbers(lesson, sgd, facts[lesson], config), **shown, "step": sgd.flew_off}
        said = [
            (f"optimizers.compare.{lesson}.verdict.{verdict}", numbers),
            (f"optimizers.compare.{lesson}.{'facts_neither' if verdict == 'neither' else 'facts'}", numbers),
            (f"optimizers.compare.{lesson}.why_{'shrinks' if factors['across'] < 1 else 'grows'}", numbers),
        ]
        if verdict not in ("holds", "flew_off"):
            measured, arm = card(claim_id), by_id(claim_id).arms["a"]
            setting = {"lr": arm["lr"], "steps": arm["steps"], "other": int(measured["a"]), "sgd": int(measured["b"])}
            setting["card"] = (f"lecture.scenarios.{claim_id}.title", {})
            said.append((f"optimizers.compare.{lesson}.elsewhere", setting))
        paragraphs.append(said)
    return paragraphs


def talking(facts: dict[str, PathFacts], config: WalkConfig, adam_shift: float | None = None) -> Said:
    """One sentence for the lecturer about this walk: the loss scale (given Adam's shift), Adam or momentum against
    SGD on a ravine, or else how low the paths that stayed on the map end."""
    if config.scale != 1 and adam_shift is not None:
        return "optimizers.talk.scaled", {"scale": f"{config.scale:g}", "shift": f"{adam_shift:.1g}"}
    for lesson, (_, _, finding) in LESSONS.items():
        if config.surface in RAVINES and {"sgd", lesson} <= facts.keys():
            sgd = facts["sgd"]
            verdict = "flew_off" if sgd.flew_off is not None else finding(sgd, facts[lesson])
            return f"optimizers.talk.{lesson}.{verdict}", _numbers(lesson, sgd, facts[lesson], config)
    stayed = {name: fact for name, fact in facts.items() if fact.flew_off is None}
    if not stayed:
        return "optimizers.talk.all_flew_off", {}
    best = min(stayed, key=lambda name: stayed[name].loss)
    numbers = {"steps": config.steps, "name": (f"common.optimizers.{best}", {}), "loss": f"{stayed[best].loss:.2g}"}
    return f"optimizers.talk.{'one' if len(facts) == 1 else 'lowest'}", numbers


def scale_comparisons(paths: pd.DataFrame, plain: pd.DataFrame, config: WalkConfig) -> tuple[list[Said], float | None]:
    """With the loss scaled: whether Adam's path (against `plain`, the same walks at × 1) stayed put and whether SGD
    flew off, each said as its claim (`loss_times_1000.*`) picks; and how far Adam's path moved (None: no Adam)."""
    said: list[Said] = []
    shift = None
    chosen = set(paths["optimizer"])
    if "adam" in chosen:
        adam, reference = paths[paths["optimizer"] == "adam"], plain[plain["optimizer"] == "adam"]
        shift = largest_shift(adam, reference)
        values = {"a": shift, "b": path_length(reference)}
        said.append((by_id("loss_times_1000.adam").sentence(values), {"shift": f"{shift:.1g}"}))
    if "sgd" in chosen:
        sgd = paths[paths["optimizer"] == "sgd"]
        numbers = {"lr": f"{config.lr:g}", "step": int(sgd["step"].iloc[-1]), "rate": f"{config.lr * config.scale:g}"}
        said.append((by_id("loss_times_1000.sgd").sentence({"a": float(sgd["diverged"].iloc[-1])}), numbers))
    return said, shift


def walk_words(
    config: WalkConfig, walk_of: Callable[[WalkConfig], pd.DataFrame], card: Callable[[str], dict[str, float]]
) -> tuple[list[list[Said]], Said]:
    """The paragraphs under a walk (the loss scale first, as it is what changed; then Adam and momentum beside SGD)
    and the lecturer's talking point; `walk_of(setting)` gives a setting's paths, `card(claim_id)` measures a claim."""
    paths = walk_of(config)
    facts = walk_facts(config.surface, paths)
    paragraphs, shift = [], None
    if config.scale != 1:
        scaled, shift = scale_comparisons(paths, walk_of(config.replace(scale=1.0)), config)
        paragraphs.append(scaled)
    paragraphs += comparisons(facts, config, card)
    return paragraphs, talking(facts, config, shift)


def say(said: Said, lang: str) -> str:
    """A text of the lesson in `lang`; a number that is itself a text is said first."""
    key, numbers = said
    return t(key, lang, **{name: say(n, lang) if isinstance(n, tuple) else n for name, n in numbers.items()})


def stability_limits(lam: float, momentum: float = MOMENTUM) -> dict[str, float]:
    """The largest stable learning rate of SGD, momentum and Nesterov where the largest curvature is `lam`."""
    return {
        "sgd": gd_stability_bound(lam),
        "momentum": momentum_stability_bound(lam, momentum),
        "nesterov": nesterov_stability_bound(lam, momentum),
    }


def edge_outcome(edge: EdgeWalk) -> Said:
    """What SGD did at a learning rate near its limit: settled, swung on or flew off, with its numbers."""
    return f"optimizers.facts.edge.{edge.outcome}", {
        "lr": format_lr(edge.lr),
        "step": edge.step,
        "gap": f"{edge.gap:.2g}",
    }


def optimizer_names(optimizers: tuple[str, ...], lang: str) -> dict[str, str]:
    """Each optimizer id with its name in `lang` (the charts' legends)."""
    return {name: t(f"common.optimizers.{name}", lang) for name in optimizers}


def walk_titles(surface: str, lang: str) -> dict[str, dict[str, str]]:
    """The axis and legend titles of the walk's three charts (landscape, loss per step, swing across a ravine)."""
    landscape = {key: t(f"optimizers.chart.{key}", lang) for key in ("x", "y", "loss", "optimizer", "step", "start")}
    landscape["minimum"] = t("optimizers.chart.minimum", lang)
    loss = t(f"optimizers.chart.{'loss_gap' if SURFACES[surface].min_loss else 'loss_log'}", lang)
    by_step = {**landscape, "loss": loss, "level": t("optimizers.chart.bottom", lang, level=f"{BOTTOM:g}")}
    swing = {**by_step, "swing": t("optimizers.chart.swing", lang)}
    swing["level"] = t("optimizers.chart.floor", lang, level=f"{ON_FLOOR:g}")
    return {"landscape": landscape, "loss": by_step, "swing": swing}


def results_table(last: pd.DataFrame, names: dict[str, str], lang: str) -> pd.DataFrame:
    """The last epoch of each optimizer on real data (core.lessons.surfaces.final_epochs) as the page's table."""
    return pd.DataFrame(
        {
            t("optimizers.real.optimizer", lang): last["optimizer"].map(names),
            t("optimizers.real.table_train", lang): last["train_loss"].map(plain_number),
            t("optimizers.real.table_val", lang): last["val_loss"].map(plain_number),
            t("optimizers.real.table_accuracy", lang): (100 * last["val_accuracy"]).round(1).astype(str) + " %",
            t("optimizers.real.table_diverged", lang): last["diverged"],
        }
    )


def lowest(last: pd.DataFrame) -> Said | None:
    """Which optimizer ends with the lowest training loss on real data, said from the table's own numbers (this run's
    result, not a rule); None when none ended with a finite loss."""
    ended = last[last["train_loss"].map(math.isfinite)]
    if ended.empty:
        return None
    best = ended.loc[ended["train_loss"].idxmin()]
    name = (f"common.optimizers.{best['optimizer']}", {})
    return "optimizers.real.lowest", {"name": name, "loss": f"{best['train_loss']:.3g}"}
