"""Batch counters against len(DataLoader), class mix against the DataLoader's own batches, shuffle effects measured,
the page's sentences against the numbers they describe, and the page's claims in plain torch loops."""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, TensorDataset

from core.claims import BATCHES, by_id, measure
from core.config import RunConfig
from core.data import load_split
from core.i18n import t
from core.lecture import scenarios_for
from core.lessons import batch_words as words
from core.lessons import batches as lesson
from core.lessons.batch_words import early_against_late
from core.lessons.batches import (
    class_mix,
    first_epoch,
    loss_spread,
    overfitting_start,
    scaled_lr,
    total_updates,
    updates_per_epoch,
)
from core.runlog import order_seed
from core.training import train
from tests.plain_torch import train_plain

SORTED_DIGITS = lesson.SORTED
FEW = settings(max_examples=60, deadline=None)
UNLISTED = 20  # a seed no claim of this page lists


@pytest.mark.parametrize("n", [1, 31, 32, 33, 455, 1438])
@pytest.mark.parametrize("batch", [1, 8, 32, 128])
def test_updates_per_epoch_is_the_number_of_batches_the_dataloader_hands_over(n: int, batch: int) -> None:
    loader = DataLoader(TensorDataset(torch.zeros(n)), batch_size=batch)
    assert updates_per_epoch(n, batch) == len(loader) == len(list(loader))
    assert total_updates(n, batch, 7) == 7 * len(loader)


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("dataset", ["digits", "breast_cancer"])
def test_class_mix_counts_the_dataloaders_batches(dataset: str, shuffle: bool) -> None:
    config = RunConfig(dataset=dataset, batch_size=32, order="sorted", shuffle=shuffle, seed=3)
    split = load_split(dataset, order="sorted")
    labels = split.y_train.long()
    loader = DataLoader(
        TensorDataset(labels), batch_size=32, shuffle=shuffle, generator=torch.Generator().manual_seed(order_seed(3))
    )
    mix = class_mix(config, epochs=2)
    for epoch in (1, 2):
        for batch, (batch_labels,) in enumerate(loader):
            step = (epoch - 1) * len(loader) + batch
            counts = mix[mix["step"] == step].set_index("label")["count"].to_dict()
            assert counts == {label: int((batch_labels == label).sum()) for label in batch_labels.unique().tolist()}


def test_regression_has_no_class_mix() -> None:
    assert class_mix(RunConfig(dataset="diabetes")).empty


def test_sorted_unshuffled_batches_hold_one_class_except_at_the_boundaries() -> None:
    """Digits sorted by label, batches of 32: 36 of the 45 batches hold one class, the 9 at a boundary two."""
    unshuffled = lesson.batch_classes(class_mix(SORTED_DIGITS.replace(shuffle=False)))
    assert unshuffled == {"batches": 45, "single": 36, "fewest": 1, "most": 2}
    assert lesson.batch_classes(class_mix(SORTED_DIGITS))["fewest"] >= 5  # shuffled: mixed
    key, numbers = lesson.classes_finding(class_mix(SORTED_DIGITS.replace(shuffle=False)), class_mix(SORTED_DIGITS))
    assert key == "classes" and numbers["mixed"] == 9 and numbers["shuffled_most"] == 10
    sorted_labels = load_split("digits", order="sorted").y_train
    assert sorted_labels[0] == 0 and (sorted_labels.diff() >= 0).all()  # label 0 comes first


def test_without_shuffling_the_first_epoch_learns_one_class_at_a_time() -> None:
    unshuffled, shuffled = first_epoch(SORTED_DIGITS.replace(shuffle=False)), first_epoch(SORTED_DIGITS)
    half = len(shuffled) // 2
    # Halfway through the epoch the unshuffled model has seen only half the digits; the shuffled one has seen all.
    assert shuffled["val_accuracy"].iloc[half] > unshuffled["val_accuracy"].iloc[half] + 0.25
    # It leans toward the class it has just seen far more often than chance (1 in 10) would.
    assert unshuffled["predicted_majority"].mean() > shuffled["predicted_majority"].mean() + 0.04


def test_batch_loss_jumps_more_within_an_epoch_without_shuffling_but_the_end_differs_little() -> None:
    result = train([SORTED_DIGITS.replace(shuffle=False, epochs=5), SORTED_DIGITS.replace(epochs=5)])
    steps = {run: frame for run, frame in result.steps.groupby("run")}
    assert loss_spread(steps[0], epoch=2) > 2 * loss_spread(steps[1], epoch=2)
    final = result.epochs.groupby("run").tail(1).set_index("run")["val_accuracy"]
    assert abs(final[0] - final[1]) < 0.03  # on this easy data set the finished models end up close


def test_linear_scaling_restores_a_larger_batch_until_the_stability_limit() -> None:
    """Digits, MLP, SGD, 3 epochs: 16 → 256 cases per batch at the same rate learns far less; 16× the rate restores
    it; the same 16× applied to a rate that is already large breaks the run."""
    base = RunConfig(dataset="digits", model="mlp", optimizer="sgd", epochs=3)
    small, large = 16, 256
    configs = [
        base.replace(batch_size=small, lr=0.01),
        base.replace(batch_size=large, lr=0.01),
        base.replace(batch_size=large, lr=scaled_lr(0.01, small, large)),
        base.replace(batch_size=small, lr=0.2),
        base.replace(batch_size=large, lr=scaled_lr(0.2, small, large)),
    ]
    final = train(configs).epochs.groupby("run").tail(1).set_index("run")["val_loss"]
    assert final[1] > final[0] + 0.5  # same rate, 16× the batch: 16× fewer updates, far less learned
    assert final[2] == pytest.approx(final[0], abs=0.15)  # the scaled rate catches up
    assert final[4] > 10 * final[3]  # 3.2 is past the stability limit: scaling no longer helps


def test_over_fitting_starts_where_the_validation_loss_turns_up() -> None:
    result = train([RunConfig(dataset="breast_cancer", optimizer="adam", lr=0.01, epochs=60)])
    epochs = result.epochs
    start = overfitting_start(epochs)
    assert start is not None and start < 30
    after = epochs[epochs["epoch"] >= start]
    # From there on the training loss keeps falling while the validation loss ends higher than at the turn.
    assert after["train_loss"].iloc[-1] < after["train_loss"].iloc[0]
    assert after["val_loss"].iloc[-1] > after["val_loss"].iloc[0]
    calm = train([RunConfig(dataset="breast_cancer", optimizer="sgd", lr=0.001, epochs=10)]).epochs
    assert overfitting_start(calm) is None  # still learning: the validation loss is still falling


SHARES = st.floats(min_value=0, max_value=1)
SPREADS = st.floats(min_value=1e-4, max_value=10)


@FEW
@given(SPREADS, SPREADS, SHARES, SHARES, SHARES, SHARES, st.integers(1, 10), st.integers(0, 10))
def test_the_shuffling_sentences_follow_the_numbers(spread_a, spread_b, half_a, half_b, end_a, end_b, met, more):
    """More spread is called more, by a factor of at least 1; behind is behind; 'only k of n classes' when k < n."""
    facts = {
        "spread_sorted": spread_a,
        "spread_shuffled": spread_b,
        "half_sorted": half_a,
        "half_shuffled": half_b,
        "final_sorted": end_a,
        "final_shuffled": end_b,
        "met": met,
        "classes": met + more,
    }
    (spread, numbers), (halfway, _), (final, _) = lesson.shuffle_findings(facts)
    ratio = spread_a / spread_b
    said = {
        "spread_more": ratio >= lesson.SAME_SPREAD,
        "spread_less": ratio * lesson.SAME_SPREAD <= 1,
        "spread_same": 1 / lesson.SAME_SPREAD < ratio < lesson.SAME_SPREAD,
    }
    assert said[spread]
    if spread != "spread_same":
        assert numbers["ratio"] >= 1 and numbers["ratio"] == pytest.approx(max(ratio, 1 / ratio))
    gap = half_b - half_a  # how far the unshuffled run is behind
    behind = {"halfway_behind": gap > lesson.CLOSE, "halfway_ahead": gap < -lesson.CLOSE}
    assert behind.get(halfway.removesuffix("_partly"), abs(gap) <= lesson.CLOSE)
    assert halfway.endswith("_partly") == (more > 0)
    assert final == ("final" if abs(end_a - end_b) < lesson.CLOSE else "final_apart")
    for lang in ("en", "ja"):
        for key, numbers in lesson.shuffle_findings(facts):
            t(f"batch_and_epochs.shuffle.{key}", lang, epochs=5, **numbers)


@st.composite
def batch_runs(draw: st.DrawFn) -> tuple[pd.DataFrame, list[int]]:
    """The last epoch of two to five runs of distinct batch sizes: loss (or inf when stopped), updates, seconds."""
    sizes = draw(st.lists(st.integers(1, 1500), min_size=2, max_size=5, unique=True))
    losses = draw(st.lists(st.one_of(st.floats(1e-6, 10), st.just(math.inf)), min_size=len(sizes), max_size=len(sizes)))
    seconds = draw(st.lists(st.floats(1e-3, 100), min_size=len(sizes), max_size=len(sizes)))
    updates = [10 * math.ceil(1437 / size) for size in sizes]
    return pd.DataFrame({"run": range(len(sizes)), "loss": losses, "updates": updates, "seconds": seconds}), sizes


@FEW
@given(batch_runs())
def test_the_per_epoch_sentence_names_the_batch_that_really_ended_lowest(drawn) -> None:
    last, sizes = drawn
    kind, numbers = lesson.epoch_finding(last, sizes)
    if kind == "all_stopped":
        assert not last["loss"].map(math.isfinite).any()
        return
    assert numbers["loss"] == last["loss"].min() == last["loss"][numbers["best"]]
    assert numbers["smallest"] == sizes.index(min(sizes))
    assert (kind == "small_ahead") == (numbers["best"] == numbers["smallest"])
    for lang in ("en", "ja"):
        t(f"batch_and_epochs.batch.per_epoch.{kind}", lang, epochs=10, **numbers)


@FEW
@given(batch_runs())
def test_the_measured_step_time_is_this_runs_seconds_per_update(drawn) -> None:
    last, sizes = drawn
    timing = lesson.seconds_finding(last, sizes)
    small, large = sizes.index(min(sizes)), sizes.index(max(sizes))
    per_update = last["seconds"] / last["updates"]
    assert timing["large_ms"] == pytest.approx(1000 * per_update[large])
    assert timing["ratio"] == pytest.approx(per_update[large] / per_update[small])
    assert timing["cases"] == max(sizes) / min(sizes)


@FEW
@given(batch_runs())
def test_the_talking_point_says_which_end_ended_lower(drawn) -> None:
    last, sizes = drawn
    kind, numbers = lesson.talking_point(last, sizes)
    small, large = sizes.index(min(sizes)), sizes.index(max(sizes))
    assert (numbers["small"], numbers["large"]) == (small, large)
    assert (kind == "more_lower") == (last["loss"][small] < last["loss"][large])
    assert numbers["small_updates"] >= numbers["large_updates"]


@st.composite
def fit_curves(draw: st.DrawFn) -> pd.DataFrame:
    """One run's per-epoch frame: validation loss and accuracy, training loss, over 5 to 40 epochs."""
    n = draw(st.integers(5, 40))
    floats = st.lists(st.floats(1e-3, 5), min_size=n, max_size=n)
    accuracy = st.lists(st.integers(0, 114).map(lambda right: right / 114), min_size=n, max_size=n)
    return pd.DataFrame(
        {"epoch": range(1, n + 1), "val_loss": draw(floats), "train_loss": draw(floats), "val_accuracy": draw(accuracy)}
    )


@FEW
@given(fit_curves())
def test_the_over_fitting_sentence_says_the_loss_ratio_and_the_cases_that_changed(frame: pd.DataFrame) -> None:
    found = lesson.overfit_finding(frame, 114)
    if found is None:
        assert lesson.overfitting_start(frame) is None
        return
    kind, numbers = found
    best = frame.loc[frame["val_loss"].idxmin()]
    assert numbers["best"] == best["epoch"] and numbers["low"] == best["val_loss"]
    assert numbers["ratio"] == pytest.approx(frame["val_loss"].iloc[-1] / best["val_loss"]) and numbers["ratio"] > 1
    moved = round(frame["val_accuracy"].iloc[-1] * 114) - round(best["val_accuracy"] * 114)
    assert numbers["cases"] == abs(moved)
    assert kind == ("overconfident" if abs(moved) <= lesson.FEW_CASES else "wrong_more" if moved < 0 else "right_more")
    for lang in ("en", "ja"):
        t("batch_and_epochs.epochs.overfit", lang, **numbers) + t(f"batch_and_epochs.epochs.{kind}", lang, **numbers)


def test_the_counters_count_the_updates_of_each_batch_size() -> None:
    """⌈455 / 32⌉ = 15 updates per epoch, 150 in 10 epochs; the full batch is named N and makes one update per epoch."""
    configs = lesson.batch_configs(lesson.PAGE, [32, "full"], 455)
    (label, value, help_text), (full_label, full_value, _) = words.counter_texts(configs, 455, "en")
    assert (label, value) == ("Batch 32: updates per epoch", "15")
    assert "⌈455 / 32⌉ = 15" in help_text and "= 150 updates in all" in help_text
    assert (full_label, full_value) == ("Batch N: updates per epoch", "1")


def test_the_progress_readings_follow_the_axis_the_rates_and_the_numbers() -> None:
    """Against seconds the note and the measured time come first; the rates are listed only when they differ; the
    per-epoch sentence names the batch that ended lowest; the lecturer's point comes last."""
    configs = lesson.batch_configs(lesson.PAGE.replace(dataset="diabetes"), [8, 128], 353, reference=32)
    last = pd.DataFrame({"run": [0, 1], "loss": [0.5, 0.2], "updates": [450, 30], "seconds": [0.9, 0.3]})
    said = words.progress_readings(configs, last, 353, "seconds", "en")
    assert [element for element, _ in said] == [
        "caption",
        "markdown",
        "markdown",
        "caption",
        "markdown",
        "markdown",
        "talking",
    ]
    assert said[0][1] == t("batch_and_epochs.batch.seconds_note", "en")
    assert "batch 128 took 10 ms, 5.0× as long as one of batch 8 (2 ms)" in said[1][1]
    assert said[3][1].startswith("Rates used: batch 8 at rate")
    assert "batch 128 ended lowest (0.2)" in said[4][1]
    assert said[6][1].startswith("Same 10 epochs, same patients: batch 128 made only 30 corrections")
    plain = words.progress_readings(configs[:1], last[:1], 353, "epoch", "en")
    assert [element for element, _ in plain] == ["markdown", "markdown"]


def test_the_over_fitting_words_warn_only_when_the_validation_loss_turned_up() -> None:
    frame = pd.DataFrame(
        {"epoch": [1, 2, 3], "val_loss": [0.4, 0.2, 0.3], "train_loss": [0.5, 0.3, 0.1], "val_accuracy": [0.9] * 3}
    )
    overfits, said = words.overfit_words(frame, 3, 100, "en")
    assert overfits and said.startswith("The validation loss was lowest at **epoch 2** (0.2)")
    assert not words.overfit_words(frame.iloc[:2], 40, 100, "en")[0]
    assert words.overfit_words(frame.iloc[:2], 40, 100, "en")[1].startswith("Within 40 epochs")


def test_every_card_of_the_page_has_its_claim_on_the_runs_it_shows() -> None:
    """Online vs mini: batches 1 and 32 of the page's default; sorted: the section's digits runs; over-fitting: the
    section's run at the card's 200 epochs (its early arm is that run's epoch 5)."""
    cards = {scenario.id: scenario.params for scenario in scenarios_for("batch_and_epochs")}
    for card in cards:
        assert [claim for claim in BATCHES if claim.scenario == card], card
    sizes = [int(size) for size in cards["online_vs_mini"]["batch_sizes"]]
    assert by_id("batches_online_ahead_per_epoch").arms_in([lesson.PAGE.replace(batch_size=s) for s in sizes])
    sorted_runs = [lesson.SORTED.replace(shuffle=False), lesson.SORTED]
    assert cards["no_shuffle_sorted"].get("shuffle_dataset", lesson.SORTED.dataset) == lesson.SORTED.dataset
    assert by_id("batches_sorted_spread").arms_in(sorted_runs) and by_id("batches_sorted_halfway").arms_in(sorted_runs)
    long = lesson.OVERFIT.replace(epochs=int(cards["overfitting"]["fit_epochs"]))
    for claim in ("batches_overfit_val_loss", "batches_overfit_same_accuracy"):
        assert by_id(claim).arms_in([long, long.replace(epochs=lesson.EARLY_EPOCHS)]), claim
    for claim in BATCHES:
        for lang in ("en", "ja"):
            for verdict in ("holds", "fails"):
                params = {
                    "met": 6,
                    "classes": 10,
                    "a_cases": 1,
                    "b_cases": 2,
                    "n": 3,
                    "early": 5,
                    "last": 200,
                    "ratio": 2,
                }
                assert t(f"{claim.text}.{verdict}", lang, a=0.1, b=0.2, **params)


def test_the_over_fitting_talking_point_reads_the_cards_claims_off_the_long_run() -> None:
    """At the card's 200 epochs the claims compare the run's last epoch with its epoch 5; at 100 epochs the run is
    not the claims' long arm, so they say nothing."""
    claims = [by_id("batches_overfit_val_loss"), by_id("batches_overfit_same_accuracy")]
    frame = pd.DataFrame(
        {"epoch": range(1, 201), "val_loss": [0.1] * 199 + [0.5], "val_accuracy": [110 / 114] * 199 + [109 / 114]}
    )
    long = lesson.OVERFIT.replace(epochs=200)
    (loss_key, loss), (accuracy_key, accuracy) = early_against_late(long, frame, 114, claims)
    assert loss_key == "batch_and_epochs.claims.overfit_val_loss.holds" and loss["ratio"] == pytest.approx(5)
    assert accuracy_key == "batch_and_epochs.claims.overfit_same_accuracy.holds"
    assert (accuracy["b_cases"], accuracy["a_cases"], accuracy["n"]) == (110, 109, 114)
    assert early_against_late(long.replace(epochs=100), frame[frame["epoch"] <= 100], 114, claims) == []


def test_the_sorted_spread_claim_holds_on_one_seed_with_the_fast_engine() -> None:
    """One claim of the page on one seed (the full `--check` trains every claim on every seed: too slow here)."""
    claim = by_id("batches_sorted_spread")
    assert claim.holds(measure(claim, 0, "fast"))


def test_sorted_data_without_shuffling_in_a_plain_torch_loop() -> None:
    """The sorted-data card's claims with DataLoader(shuffle=False / True) on a seed no claim lists: the batch loss
    of epoch 2 varies more than twice as much unshuffled, and halfway through the first epoch the unshuffled network
    is more than 20 points behind."""
    runs = [train_plain("digits", (), "sgd", 0.1, 32, 2, UNLISTED, shuffle=s, order="sorted") for s in (False, True)]
    spread = [statistics.pstdev(run.batch_losses[1]) for run in runs]
    assert spread[0] > 2 * spread[1]
    assert runs[0].halfway_accuracy < runs[1].halfway_accuracy - 0.2


def test_online_gets_ahead_per_epoch_in_a_plain_torch_loop() -> None:
    """The online-vs-mini card's claim: after the same 10 epochs, batch 1 ends below batch 32."""
    page = lesson.PAGE
    final = [train_plain(page.dataset, page.hidden, "sgd", page.lr, size, page.epochs, UNLISTED) for size in (1, 32)]
    assert final[0].final_train_loss < final[1].final_train_loss


def test_over_fitting_is_over_confidence_in_a_plain_torch_loop() -> None:
    """The over-fitting card's claims: from epoch 5 to 200 the validation loss more than doubles while the number of
    validation patients it gets right moves by at most 3 of 114."""
    trace = train_plain("breast_cancer", (32,), "adam", 0.01, 32, lesson.OVERFIT_EPOCHS, UNLISTED)
    early, end = lesson.EARLY_EPOCHS - 1, lesson.OVERFIT_EPOCHS - 1
    assert trace.val_loss[end] > 2 * trace.val_loss[early]
    assert abs(trace.val_accuracy[end] - trace.val_accuracy[early]) <= 0.03


WORKER_SCRIPT = """
    import multiprocessing, sys
    print("imported", flush=True)

    def work(x):
        return x

    if __name__ == "__main__":
        with multiprocessing.get_context(sys.argv[1]).Pool(1) as pool:
            pool.map(work, [1])
"""


@pytest.mark.parametrize(("method", "imports"), [("spawn", 2), ("fork", 1)])
def test_a_worker_imports_the_script_again_with_spawn_but_not_with_fork(tmp_path, method: str, imports: int) -> None:
    """What the loader section says: under spawn (the default on macOS and Windows) a worker imports the script
    again; under fork (Linux's default up to Python 3.13) it is a copy and imports nothing. DataLoader's workers
    are started by this same multiprocessing."""
    path = tmp_path / "loader.py"
    path.write_text(textwrap.dedent(WORKER_SCRIPT))
    printed = subprocess.run([sys.executable, str(path), method], capture_output=True, text=True, check=True).stdout
    assert printed.count("imported") == imports
    for lang in ("en", "ja"):
        assert "spawn" in t("batch_and_epochs.loader.workers", lang) and "fork" in t(
            "batch_and_epochs.loader.workers", lang
        )
