"""What the optimizers page says, decided without Streamlit (core/lessons/optimizer_words.py): pure functions only."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from core.i18n import t
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
from core.lessons.surfaces import EdgeWalk, WalkConfig, walks


def test_a_text_inside_a_text_is_said_first() -> None:
    said = ("optimizers.real.lowest", {"name": ("common.optimizers.adam", {}), "loss": "0.12"})
    for lang in ("en", "ja"):
        assert say(said, lang) == t("optimizers.real.lowest", lang, name=t("common.optimizers.adam", lang), loss="0.12")


def test_stability_limits_are_the_closed_forms() -> None:
    # 2/λ for SGD, (2 + 2μ)/λ for heavy-ball momentum, (2 + 2μ)/((1 + 2μ)λ) for Nesterov, here with λ = 20, μ = 0.9.
    limits = stability_limits(20.0, 0.9)
    assert list(limits) == ["sgd", "momentum", "nesterov"]
    assert limits["sgd"] == pytest.approx(0.1)
    assert limits["momentum"] == pytest.approx(0.19)
    assert limits["nesterov"] == pytest.approx(3.8 / 2.8 / 20)


def test_edge_outcome_carries_its_numbers() -> None:
    key, numbers = edge_outcome(EdgeWalk(lr=0.0198, outcome="flew_off", step=37, gap=1234.5))
    assert key == "optimizers.facts.edge.flew_off"
    assert numbers == {"lr": "0.0198", "step": 37, "gap": "1.2e+03"}


def test_the_walk_titles_follow_the_landscape() -> None:
    ravine, saddle = walk_titles("ravine", "en"), walk_titles("saddle", "en")
    assert ravine["landscape"]["loss"] == t("optimizers.chart.loss", "en")
    assert ravine["loss"]["loss"] == t("optimizers.chart.loss_log", "en")  # the ravine's minimum is 0: a log axis
    assert saddle["loss"]["loss"] == t("optimizers.chart.loss_gap", "en")  # the saddle's is not: the gap to it
    assert ravine["loss"]["level"] == t("optimizers.chart.bottom", "en", level="0.001")
    assert ravine["swing"]["level"] == t("optimizers.chart.floor", "en", level="0.01")
    assert ravine["swing"]["loss"] == ravine["loss"]["loss"]
    assert optimizer_names(("sgd", "adam"), "ja") == {"sgd": "SGD", "adam": "Adam"}


def test_walk_words_put_the_scale_first_and_compare_only_on_a_ravine() -> None:
    asked: list[float] = []

    def walk_of(config: WalkConfig) -> pd.DataFrame:
        asked.append(config.scale)
        return walks(config)

    scaled = WalkConfig.for_surface("ravine", steps=20, scale=1000.0)
    paragraphs, talk = walk_words(scaled, walk_of, lambda claim: {"a": 1.0, "b": 2.0})
    assert asked == [1000.0, 1.0]  # the same walks at × 1 for the comparison
    assert [said[0][0] for said in paragraphs] == [
        "optimizers.scaled.adam.holds",
        "optimizers.compare.adam.verdict.flew_off",
        "optimizers.compare.momentum.verdict.flew_off",
    ]
    assert talk[0] == "optimizers.talk.scaled"
    paragraphs, talk = walk_words(WalkConfig.for_surface("saddle", steps=20), walks, lambda claim: {})
    assert paragraphs == [] and talk[0] == "optimizers.talk.lowest"


def last_epochs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "optimizer": ["sgd", "adam", "rmsprop"],
            "train_loss": [0.5, math.inf, 0.25],
            "val_loss": [0.6, math.inf, 0.3],
            "val_accuracy": [0.9, 0.5, 0.9649],
            "diverged": [False, True, False],
        }
    )


def test_the_lowest_finite_loss_is_named_and_none_when_all_flew_off() -> None:
    assert lowest(last_epochs()) == (
        "optimizers.real.lowest",
        {"name": ("common.optimizers.rmsprop", {}), "loss": "0.25"},
    )
    assert lowest(last_epochs().assign(train_loss=[math.nan, math.inf, math.inf])) is None


def test_results_table_has_one_row_per_optimizer_with_its_numbers() -> None:
    table = results_table(last_epochs(), {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}, "en")
    assert list(table.columns) == [
        t(f"optimizers.real.{key}", "en")
        for key in ("optimizer", "table_train", "table_val", "table_accuracy", "table_diverged")
    ]
    assert table.iloc[:, 0].tolist() == ["SGD", "Adam", "RMSprop"]
    assert table.iloc[:, 3].tolist() == ["90.0 %", "50.0 %", "96.5 %"]
    assert table.iloc[:, 4].tolist() == [False, True, False]
