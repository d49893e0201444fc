"""What the learning-rate page says, from its numbers: run descriptions, the talking point, the edge against the
sweep, numbers with significant digits; and, over random settings of its widgets, that the words agree with them."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from core.charts import format_lr
from core.claims import LEARNING_RATE
from core.config import RunConfig
from core.i18n import t
from core.lessons.autopsy import Blowup
from core.lessons.lr_words import (
    autopsy_words,
    bowl_words,
    card_check_words,
    card_words,
    finder_labels,
    finder_reading,
    moved_edge_words,
    run_words,
    sweep_edge_words,
    talking_point_words,
)
from core.lessons.verdicts import SPIKE, judged_runs, largest_trained
from core.runlog import STOP_FACTOR, plain_number
from core.training import train


def judged(rows: list[dict]) -> pd.DataFrame:
    """A judged sweep by hand: the columns the words read."""
    base = {"sign": "", "peak": math.nan, "peak_epoch": 0, "val_start": 1.0, "val_end": 0.5, "fall": math.nan}
    base |= {"val_peak": math.nan, "val_peak_epoch": 0}
    base |= {"trend_epochs": 0, "climbed": 0.0, "stopped_epoch": pd.NA, "reason": "", "stopped_step": pd.NA}
    return pd.DataFrame([{**base, **row} for row in rows])


def test_small_and_large_numbers_keep_their_significant_digits() -> None:
    assert plain_number(0.000034) == "3.4×10⁻⁵" and plain_number(1e-5) == "10⁻⁵"
    assert plain_number(0.00345) == "0.00345" and plain_number(0.5) == "0.5" and plain_number(3.5e34) == "3.5×10³⁴"
    assert "0.0000" not in plain_number(1e-7) and plain_number(0.0) == "0"


def test_the_talking_point_names_the_lowest_rate_and_the_first_to_diverge() -> None:
    table = judged(
        [
            {"lr": 0.001, "verdict": "too_small", "start": 1.2, "end": 0.46},
            {"lr": 0.03, "verdict": "good", "start": 1.2, "end": 0.339},
            {"lr": 1.0, "verdict": "diverging", "start": 1.2, "end": 1.2, "stopped_epoch": 1},
            {"lr": 3.0, "verdict": "diverging", "start": 1.2, "end": 1.2, "stopped_epoch": 1},
        ]
    )
    words = talking_point_words(table, "en")
    lowest = t("learning_rate.talk.lowest", "en", lr="0.03", end="0.339")
    stopped = t("learning_rate.talk.stopped", "en", lr="1", epoch=1)
    assert words == t("learning_rate.talk.both", "en", lowest=lowest, diverged=stopped)
    calm = talking_point_words(table[table["verdict"] != "diverging"], "ja")
    assert calm == t(
        "learning_rate.talk.lowest_only", "ja", lowest=t("learning_rate.talk.lowest", "ja", lr="0.03", end="0.339")
    )


def test_a_rate_sensitive_to_rounding_says_how_far_a_script_follows_it() -> None:
    row = judged([{"lr": 0.3, "verdict": "too_large", "sign": "spiked", "start": 1.0, "end": 0.4, "peak": 2.0}]).iloc[0]
    words = run_words(row, {0.3: 9}, "en")
    assert t("common.rounding_sensitive", "en", epochs=8) in words and "2" in words
    assert t("common.rounding_sensitive", "en", epochs=8) not in run_words(row, {}, "en")


def test_the_edge_is_set_against_where_the_sweep_diverged() -> None:
    table = judged(
        [
            {"lr": 0.4, "verdict": "too_large", "start": 1.0, "end": 0.4},
            {"lr": 1.0, "verdict": "diverging", "start": 1.0, "end": 1.0},
        ]
    )
    numbers = {"trained": "0.4", "trained_ratio": "1.7", "diverged": "1", "diverged_ratio": "4.2"}
    assert sweep_edge_words(table, 0.24, "en") == t("learning_rate.valley.sweep.both", "en", **numbers)


def test_the_bowl_calls_a_rate_divergence_only_where_the_network_diverged_too() -> None:
    sweep = judged(
        [
            {"lr": 0.4, "verdict": "too_large", "start": 1.0, "end": 0.4},
            {"lr": 1.0, "verdict": "diverging", "start": 1.0, "end": 1.0},
        ]
    )
    trains = bowl_words("flies_off", 3.3, 20, sweep, 0.4, "en")
    assert t("learning_rate.valley.network_trains", "en") in trains and "divergence" not in trains.lower()
    assert t("learning_rate.valley.network_diverges", "en") in bowl_words("flies_off", 8.3, 20, sweep, 1.0, "en")
    assert bowl_words("flies_off", 3.3, 20, None, 0.4, "en") == t(
        "learning_rate.valley.regime.flies_off", "en", product="3.3"
    )
    assert "diverg" not in t("learning_rate.valley.regime.flies_off", "en", product="3.3")


def test_a_card_says_of_each_of_its_claims_whether_it_holds_on_the_runs_shown() -> None:
    card = [claim for claim in LEARNING_RATE if claim.scenario == "four_regimes"]
    rows = [
        {"lr": 0.001, "verdict": "too_small", "sign": "falling", "start": 1.2, "end": 0.46, "diverged": False},
        {"lr": 0.03, "verdict": "good", "start": 1.2, "end": 0.34, "diverged": False},
        {"lr": 0.4, "verdict": "good", "start": 1.2, "end": 0.33, "diverged": False},  # not what the card expects
        {"lr": 1.0, "verdict": "diverging", "start": 1.2, "end": 1.2, "diverged": True},
    ]
    said = card_words(card, judged(rows), "en")
    assert (False, t("learning_rate.claims.four_regimes.too_large.fails", "en", a="0.4")) in said
    assert (True, t("learning_rate.claims.four_regimes.diverging.holds", "en", a="1")) in said
    assert [ok for ok, _ in said].count(False) == 1 and len(said) == len({words for _, words in said})
    shown = t("learning_rate.claims.four_regimes.slower.holds", "en", a="0.001", b="0.03")
    assert card_words(card, judged(rows[:2]), "en") == [(True, shown)]  # claims on rates not shown are left out


def test_the_largest_trained_rate_skips_the_diverging_ones() -> None:
    rows = [{"lr": 0.03, "verdict": "good"}, {"lr": 0.4, "verdict": "too_large"}, {"lr": 1.0, "verdict": "diverging"}]
    assert largest_trained(judged(rows)) == 0.4
    assert largest_trained(judged(rows[2:])) is None


def test_the_moved_edge_is_two_over_the_curvature_at_the_end_unless_the_run_was_stopped() -> None:
    numbers = {"epochs": 30, "lr": "0.4", "end": "8", "end_edge": "0.25"}
    assert moved_edge_words(8.0, 0.4, "sweep", 30, "en") == t("learning_rate.valley.edge_end.sweep", "en", **numbers)
    assert moved_edge_words(8.0, 0.4, "focus", 30, "ja") == t("learning_rate.valley.edge_end.focus", "ja", **numbers)
    stopped = t("learning_rate.valley.edge_end_stopped", "en", lr="0.4")
    assert moved_edge_words(math.nan, 0.4, "focus", 30, "en") == stopped


def test_the_autopsy_says_where_the_run_stopped_its_first_spike_and_the_ratio_against_two() -> None:
    row = {"lr": 3.0, "verdict": "diverging", "start": 1.2, "end": 1.2, "reason": "stopped_bound"}
    row |= {"stopped_step": 12, "stopped_epoch": 1, "stopped_loss": 3.5e6}
    words = autopsy_words(Blowup(judged([row]).iloc[0], (12, 0.5, 40.0), 4.5), 1.5, "en")
    where = {"step": 12, "epoch": 1, "loss": "3.5×10⁶", "start": "1.2", "factor": plain_number(STOP_FACTOR)}
    above = t("learning_rate.autopsy.above", "en")
    assert words.split("\n\n") == [
        t("learning_rate.autopsy.intro", "en", lr="3"),
        t("learning_rate.autopsy.stopped_bound", "en", **where),
        t("learning_rate.autopsy.spike", "en", step=12, before="0.5", after="40"),
        t("learning_rate.autopsy.ratio", "en", lr="3", curvature="1.5", product="4.5", relation=above),
    ]
    row |= {"reason": "ended_above", "stopped_step": pd.NA, "stopped_epoch": pd.NA, "stopped_loss": math.nan}
    unstopped = judged([{**row, "end_ratio": 30.0, "growth": 1.0, "rise_epochs": 0}]).iloc[0]
    paragraphs = autopsy_words(Blowup(unstopped, None, 1.5), 1.5, "en").split("\n\n")
    reason = t("divergence.ended_above", "en", ratio="30")
    assert paragraphs[1:3] == [
        t("learning_rate.autopsy.record", "en", reason=reason),
        t("learning_rate.autopsy.no_spike", "en"),
    ]
    assert f" {t('learning_rate.autopsy.below', 'en')} 2" in paragraphs[3]


def test_a_cards_check_is_a_titled_list_of_ticks_and_crosses() -> None:
    lines = card_check_words([(True, "holds"), (False, "fails")], "en").split("\n")
    assert lines == [f"**{t('learning_rate.card_check', 'en')}**", "- ✓ holds", "- ✗ fails"]


def test_the_range_tests_suggestions_are_labelled_and_read_with_their_rates() -> None:
    picks = {"steepest": 0.0123, "minimum_over_10": 0.05, "minimum": 0.5, "blowup": 2.0}
    labels = finder_labels(picks, "en")
    assert labels == {
        t("learning_rate.finder.steepest", "en", lr="0.0123"): 0.0123,
        t("learning_rate.finder.minimum_over_10", "en", lr="0.05"): 0.05,
        t("learning_rate.finder.minimum", "en", lr="0.5"): 0.5,
    }
    reading = finder_reading(picks, "ja")
    assert reading == t("learning_rate.finder.reading", "ja", steepest="0.0123", over10="0.05", minimum="0.5")


settings_of_the_page = st.fixed_dictionaries(
    {
        "dataset": st.sampled_from(["blood_pressure", "breast_cancer", "diabetes", "digits"]),
        "optimizer": st.sampled_from(["sgd", "momentum", "adam"]),
        "batch_size": st.sampled_from([16, 32, 128, "full"]),
        "epochs": st.integers(2, 7),
        "rates": st.lists(st.sampled_from([1e-4, 1e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]), min_size=1, max_size=4),
    }
)


@settings(max_examples=50, deadline=None)
@given(settings_of_the_page)
def test_what_the_page_says_of_each_rate_agrees_with_the_numbers_beside_it(page: dict) -> None:
    """Over the widgets' ranges (tiny epochs, the fast engine): each verdict, sign and talking point is borne out by
    the numbers the page prints beside it."""
    rates = sorted(set(page["rates"]))
    base = RunConfig(dataset=page["dataset"], optimizer=page["optimizer"], batch_size=page["batch_size"])
    result = train([base.replace(lr=lr, epochs=page["epochs"]) for lr in rates])
    table = judged_runs(result.epochs, result.runs)
    healthy = table[(table["verdict"] != "diverging") & ~table["sign"].isin(["spiked", "val_spiked", "val_worse"])]
    for _, row in table.iterrows():
        words = run_words(row, {}, "en")
        assert words.startswith(format_lr(row["lr"]))
        if row["verdict"] == "diverging":
            assert bool(row["diverged"])
            continue
        assert plain_number(row["start"]) in words and plain_number(row["end"]) in words
        if row["verdict"] == "good":
            assert row["end"] < row["start"] and row["end"] <= healthy["end"].min() + 0.1 * (row["start"])
            assert not row["peak"] > SPIKE * row["start"] and not row["val_peak"] > SPIKE * row["val_start"]
            assert not row["val_end"] > row["val_start"]
        if row["sign"] == "spiked":
            assert row["peak"] > SPIKE * row["start"] and plain_number(row["peak"]) in words
        if row["sign"] == "val_worse":
            assert row["val_end"] > row["val_start"] and plain_number(row["val_end"]) in words
        if row["sign"] == "falling":
            assert row["fall"] > 0 and row["verdict"] in ("too_small", "good")
        if row["sign"] == "val_spiked":
            assert row["val_peak"] > SPIKE * row["val_start"] and plain_number(row["val_peak"]) in words
        if row["verdict"] == "too_small":
            assert row["end"] > healthy["end"].min() or row["end"] >= row["start"]  # behind, or no fall at all
    point = talking_point_words(table, "en")
    trained = table[table["verdict"] != "diverging"]
    if not trained.empty:
        assert f"η = {format_lr(trained.loc[trained['end'].idxmin(), 'lr'])} " in point
    if (table["verdict"] == "diverging").any():
        assert f"η = {format_lr(table.loc[table['verdict'] == 'diverging', 'lr'].min())} " in point
