"""What the LR-schedule page says about its runs, picked from the numbers of core.lessons.schedules (no Streamlit).

Above both the lesson's maths and the claims registry, which measures its runs with them: a card's claim is said in
the registry's words when the page shows that claim's runs.
"""

from __future__ import annotations

import math

import pandas as pd

from core.claims import SCHEDULES, final_values
from core.config import RunConfig
from core.i18n import sentences, t
from core.lessons import schedules as lesson
from core.optim import SCHEDULERS, schedule_notes
from core.runlog import STOP_FACTOR, plain_number, steps_per_epoch
from core.training import Result

CHARTS = ("step", "epoch", "lr", "loss", "schedule", "val_loss")  # the charts' axis and legend titles


def names(lang: str) -> dict[str, str]:
    """Every schedule's display name by its code."""
    return {code: t(f"lr_schedules.names.{code}", lang) for code in SCHEDULERS}


def chart_titles(lang: str) -> dict[str, str]:
    """The charts' titles by their role (CHARTS)."""
    return {key: t(f"lr_schedules.charts.{key}", lang) for key in CHARTS}


def times(numbers: dict[str, object]) -> dict[str, object]:
    """`numbers` with their factor written as people write it (1.45, 32.4, 1,380), however large it is."""
    return numbers | ({"factor": plain_number(numbers["factor"])} if "factor" in numbers else {})


def rule_lines(configs: list[RunConfig], lang: str) -> str:
    """A markdown list, one line per chosen schedule: what it does to the rate, with this page's knobs."""
    patience, shown = configs[0].patience, names(lang)
    knobs = {"step_size": configs[0].step_size, "patience": patience, "after": lesson.plateau_cut_after(patience)}
    return "\n".join(
        f"- **{shown[c.scheduler]}**: {t(f'lr_schedules.rules.{c.scheduler}', lang, **knobs)}" for c in configs
    )


def notes(configs: list[RunConfig], lang: str) -> list[str]:
    """The page's setting (its network), then what torch's schedulers will do differently from the plain rule."""
    said = [t("lr_schedules.setting", lang, hidden="-".join(map(str, lesson.PAGE.hidden)))]
    for config in configs:
        said += [t(key, lang, **params) for key, params in schedule_notes(config, steps_per_epoch(config))]
    return said


def best_val_words(summary: pd.DataFrame, lang: str) -> str | None:
    """Which schedule ended with the lowest validation loss (summary with a `name` column), or None if none measured."""
    if not summary["val_loss"].notna().any():
        return None
    best = summary.loc[summary["val_loss"].idxmin()]
    return t("lr_schedules.best_val", lang, name=best["name"], loss=best["val_loss"])


def compare_words(summary: pd.DataFrame, codes: list[str], lang: str) -> list[str]:
    """Each schedule against the constant rate (`codes` must include "none"), one paragraph each, from this very run;
    only a note when the constant rate itself was stopped (nothing then compares with it)."""
    constant = summary.loc[codes.index("none")]
    if not math.isfinite(constant["train_loss"]):
        return [t("lr_schedules.constant_stopped", lang, factor=plain_number(STOP_FACTOR))]
    said, shown = [], names(lang)
    for run, code in enumerate(codes):
        row = summary.loc[run]
        if code == "none" or not math.isfinite(row["train_loss"]):
            continue
        found = lesson.against_constant(row, constant)
        said.append(
            sentences([t(f"lr_schedules.compare.{key}", lang, name=shown[code], **times(n)) for key, n in found], lang)
        )
    return said


def talk_words(configs: list[RunConfig], result: Result, summary: pd.DataFrame, lang: str) -> str:
    """The lecturer's sentence: a card's claim measured on these runs when they are its runs, else the general one."""
    for claim in SCHEDULES:
        said = claim.said_of(configs, final_values(result, claim.metric))
        if said is not None:
            return t(said[0], lang, **said[1])
    key, numbers = lesson.talking_point(summary, [config.scheduler for config in configs])
    if "best" in numbers:
        numbers["best"] = names(lang)[numbers["best"]]
    return t(f"lr_schedules.talking.{key}", lang, **times(numbers))
