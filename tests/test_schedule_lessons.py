"""What the LR-schedule page says, checked three ways: its default reproduces in the fast engine, the reference loop
and the exported script; every sentence it picks agrees with the numbers it shows (property tests over generated
runs); and its claims hold in plain torch loops (tests/plain_torch.py) on seeds the registry does not list."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler

from core.__main__ import main
from core.claims import BATCHES, SCHEDULES, by_id, measure
from core.codegen import script
from core.config import RunConfig
from core.i18n import t
from core.lecture import scenarios_for, url_params
from core.lessons import schedule_words as words
from core.lessons import schedules as lesson
from core.optim import SCHEDULERS
from core.runlog import STOP_FACTOR, plain_number
from core.training import train
from tests.plain_torch import train_plain
from tests.test_codegen import EPOCH_LINE, run_in_process

LOSSES = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False)
FEW = settings(max_examples=60, deadline=None)
UNLISTED = 20  # a seed no claim of this page lists


def epoch_losses(config, engine: str) -> list[float]:
    epochs = train([config], engine).epochs
    return epochs.loc[epochs["epoch"] > 0, "train_loss"].tolist()


@pytest.mark.parametrize("code", lesson.PAGE_SCHEDULES)
def test_the_default_reproduces_in_both_engines_and_in_the_exported_script(code: str) -> None:
    """Every epoch's training loss of the page's default runs: the fast engine and the exported script match the
    article's loop to 1e-4 relative, so a student's exported script gives the page's numbers."""
    config = lesson.PAGE.replace(scheduler=code)
    reference = epoch_losses(config, "reference")
    assert epoch_losses(config, "fast") == pytest.approx(reference, rel=1e-4)
    printed = [float(loss) for _, loss in EPOCH_LINE.findall(run_in_process(script(config)))]
    assert printed == pytest.approx(reference, rel=1e-4)


def rows(train_loss: float, spread: float) -> pd.Series:
    return pd.Series({"train_loss": train_loss, "spread": spread})


@FEW
@given(LOSSES, LOSSES, st.floats(min_value=0, max_value=10), st.floats(min_value=0, max_value=10))
def test_each_schedule_is_compared_with_the_constant_rate_the_way_the_numbers_go(loss, constant, spread, flat) -> None:
    """A schedule called lower ended lower, by the factor said; a factor is never below 1; both languages read it."""
    found = dict(lesson.against_constant(rows(loss, spread), rows(constant, flat)))
    (word,) = [key.removeprefix("loss_") for key in found if key.startswith("loss_")]
    factor = found[f"loss_{word}"]["factor"]
    assert factor >= 1
    if word == "lower":
        assert loss * lesson.SAME_LOSS < constant and factor == pytest.approx(constant / loss)
    elif word == "higher":
        assert loss > constant * lesson.SAME_LOSS and factor == pytest.approx(loss / constant)
    else:
        assert constant / lesson.SAME_LOSS <= loss <= constant * lesson.SAME_LOSS
    spreads = [key for key in found if key.startswith("spread_")]
    assert len(spreads) == (spread > 0 and flat > 0)
    if spreads == ["spread_lower"]:
        assert spread * lesson.SAME_SPREAD < flat
    if spreads == ["spread_higher"]:
        assert spread > flat * lesson.SAME_SPREAD
    for lang in ("en", "ja"):
        for key, numbers in found.items():
            text = t(f"lr_schedules.compare.{key}", lang, name="X", **numbers)
            assert "分の1" not in text and "0.5× less" not in text


@st.composite
def summaries(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str]]:
    """A trained page's summary: one to four distinct schedules, each ending at a loss or stopped (inf)."""
    codes = draw(st.lists(st.sampled_from(SCHEDULERS), min_size=1, max_size=4, unique=True))
    losses = draw(st.lists(st.one_of(LOSSES, st.just(math.inf)), min_size=len(codes), max_size=len(codes)))
    return pd.DataFrame({"run": range(len(codes)), "train_loss": losses}), codes


@FEW
@given(summaries())
def test_the_talking_point_names_what_ended_lowest(drawn: tuple[pd.DataFrame, list[str]]) -> None:
    summary, codes = drawn
    key, numbers = lesson.talking_point(summary, codes)
    finite = summary[summary["train_loss"] < math.inf]
    if key == "all_stopped":
        assert finite.empty
        return
    constant = summary["train_loss"][codes.index("none")] if "none" in codes else None
    if key == "constant_lowest":
        assert numbers["loss"] == constant and finite["train_loss"].min() * lesson.SAME_LOSS >= constant
        return
    assert numbers["loss"] == finite["train_loss"].min() and codes[finite["train_loss"].idxmin()] == numbers["best"]
    assert key == {None: "lowest", math.inf: "constant_stopped"}.get(constant, "beats_constant")
    if key == "beats_constant":
        assert numbers["factor"] == pytest.approx(constant / numbers["loss"]) and numbers["factor"] > lesson.SAME_LOSS
    t(f"lr_schedules.talking.{key}", "ja", **numbers)


@FEW
@given(st.integers(min_value=0, max_value=6), st.lists(st.sampled_from([0.5, 0.8, 0.99995, 1.0, 1.2]), max_size=25))
def test_the_plateau_rule_as_the_page_states_it_is_torchs(patience: int, losses: list[float]) -> None:
    """The page: the rate is cut once the validation loss has gone patience + 1 epochs in a row without a new best
    (better by more than 0.01 %), and the count starts again after a cut. Torch's ReduceLROnPlateau, driven here
    directly, cuts at exactly those epochs."""
    after = lesson.plateau_cut_after(patience)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=patience)
    best, without, stated, torchs = math.inf, 0, [], []
    for loss in losses:
        before = optimizer.param_groups[0]["lr"]
        plateau.step(loss)
        torchs.append(optimizer.param_groups[0]["lr"] < before)
        best, without = (loss, 0) if loss < best * (1 - 1e-4) else (best, without + 1)
        stated.append(without == after)
        without = 0 if without == after else without
    assert stated == torchs
    rule = t("lr_schedules.rules.plateau", "en", patience=patience, after=after)
    assert f"{after} epochs in a row" in rule


def test_every_card_of_the_page_has_its_claim_on_the_runs_it_shows() -> None:
    """Each card's claim compares runs the card puts on the page: the page's default with the card's link."""
    for scenario in scenarios_for("lr_schedules"):
        claims = [claim for claim in SCHEDULES if claim.scenario == scenario.id]
        assert claims, scenario.id
        params = url_params(scenario)
        changes = {key: value for key, value in params.items() if key != "scheduler"}
        shown = [lesson.PAGE.replace(scheduler=code, **changes) for code in params["scheduler"]]
        shown = [config.from_params(config.to_params()) for config in shown]  # the link's types, as the page reads it
        for claim in claims:
            assert claim.arms_in(shown) is not None, claim.id


def test_every_claim_of_the_page_has_both_sentences_in_both_languages() -> None:
    for claim in SCHEDULES:
        for lang in ("en", "ja"):
            for verdict in ("holds", "fails"):
                assert t(f"{claim.text}.{verdict}", lang, a=0.1, b=0.2)


def test_the_decay_card_holds_on_one_seed_with_the_fast_engine() -> None:
    """One claim of the page on one seed (the full `--check` trains every claim on every seed: too slow here)."""
    claim = by_id("schedules_decay_ends_lower")
    assert claim.holds(measure(claim, 0, "fast"))


def plain_final(schedule: str, optimizer: str, lr: float, seed: int = UNLISTED) -> float:
    """Final training loss of the page's default network in a plain torch loop, with `schedule`."""
    page = lesson.PAGE
    trace = train_plain(page.dataset, page.hidden, optimizer, lr, page.batch_size, page.epochs, seed, schedule)
    return trace.final_train_loss


def test_decay_ends_lower_in_a_plain_torch_loop() -> None:
    """The decay card's claims, on a seed no claim lists: step and cosine decay end below the constant rate."""
    constant = plain_final("none", "sgd", lesson.PAGE.lr)
    assert plain_final("cosine", "sgd", lesson.PAGE.lr) < constant
    assert plain_final("step", "sgd", lesson.PAGE.lr) < constant


def test_warmup_saves_rmsprop_at_a_high_peak_in_a_plain_torch_loop() -> None:
    """The warmup card's claims: warmup + cosine ends below cosine alone and below the constant rate, which both end
    worse than guessing the mean (a standardised loss of 1)."""
    cosine, constant = plain_final("cosine", "rmsprop", 0.1), plain_final("none", "rmsprop", 0.1)
    warm = plain_final("warmup-cosine", "rmsprop", 0.1)
    assert warm < cosine and warm < constant
    assert cosine > 1 and constant > 1


def test_a_rate_past_the_edge_diverges_held_constant_and_converges_when_it_decays_in_a_plain_torch_loop() -> None:
    """Blood pressure, linear model, full batch, SGD at 1.1: the constant rate ends a billion times above its start."""
    runs = {code: train_plain("blood_pressure", (), "sgd", 1.1, 400, 50, UNLISTED, code) for code in ("none", "cosine")}
    start = runs["none"].batch_losses[0][0]
    assert runs["none"].final_train_loss > 1e6 * start
    assert runs["cosine"].final_train_loss < start


def test_warmup_does_not_rescue_a_far_too_large_rate_in_a_plain_torch_loop() -> None:
    """Digits, 64-32 network, plain SGD at 10: at chance (about 1 digit in 10 right) with and without warmup."""
    for schedule in ("none", "warmup-cosine"):
        assert train_plain("digits", (64, 32), "sgd", 10.0, 32, 10, UNLISTED, schedule).val_accuracy[-1] <= 0.2


def test_decay_does_not_always_help_in_a_plain_torch_loop() -> None:
    """Digits, 64-32 network, plain SGD at 0.1: the constant rate ends below cosine decay."""
    runs = {code: train_plain("digits", (64, 32), "sgd", 0.1, 32, 10, UNLISTED, code) for code in ("none", "cosine")}
    assert runs["none"].final_train_loss < runs["cosine"].final_train_loss


def test_the_claims_of_both_pages_print_as_json_with_their_link_params(capsys) -> None:
    """`python -m core claims --json`: every trained claim of the schedule and batch pages, with arms in the link's
    flat form (a listed CLI flag each) and the metric, relation and seeds --check uses."""
    trained = [claim for claim in (*SCHEDULES, *BATCHES) if claim.trained]
    assert main(["claims", "--json", *(arg for claim in trained for arg in ("--id", claim.id))]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [entry["id"] for entry in printed] == [claim.id for claim in trained]
    for entry, claim in zip(printed, trained, strict=True):
        assert set(entry) >= {"id", "page", "scenario", "arms", "metric", "expect", "seeds"}
        assert entry["metric"] == claim.metric and entry["expect"] == claim.expect and len(entry["seeds"]) >= 5
        for params in entry["arms"].values():
            assert RunConfig.from_params(params).to_params() == params


def test_rmsprops_first_step_is_about_ten_times_the_rate() -> None:
    """The facts' reason for the warmup: RMSprop's average of squared gradients starts at 0, so after one step it is
    (1 - 0.99) g² and the first update is lr · g / sqrt(0.01 g²) = 10 lr per weight, whatever the gradient's size."""
    weights = torch.zeros(3, requires_grad=True)
    optimizer = torch.optim.RMSprop([weights], lr=0.1)
    weights.grad = torch.tensor([0.5, -3.0, 40.0])
    optimizer.step()
    assert weights.detach().abs().tolist() == pytest.approx([1.0, 1.0, 1.0], rel=1e-4)


def page_summary(codes: list[str], losses: list[float], val: list[float]) -> pd.DataFrame:
    """A trained page's summary (core.lessons.schedules.schedule_summary) with its display names."""
    names = words.names("en")
    frame = pd.DataFrame({"run": range(len(codes)), "train_loss": losses, "val_loss": val, "spread": 0.0})
    return frame.assign(name=[names[code] for code in codes])


def test_each_finite_schedule_gets_its_paragraph_against_the_constant_rate() -> None:
    codes = ["step", "none", "cosine", "plateau"]
    said = words.compare_words(page_summary(codes, [0.1, 0.3, math.inf, 0.3], [0.2] * 4), codes, "en")
    names = words.names("en")
    assert [paragraph.split("**")[1] for paragraph in said] == [names["step"], names["plateau"]]
    assert "3×" in said[0]  # the factor as people write it, not 3.0000000000000004


def test_a_stopped_constant_rate_leaves_only_its_note() -> None:
    codes = ["none", "step"]
    said = words.compare_words(page_summary(codes, [math.inf, 0.1], [math.nan, 0.2]), codes, "ja")
    assert said == [t("lr_schedules.constant_stopped", "ja", factor=plain_number(STOP_FACTOR))]


def test_best_validation_loss_is_named_only_when_measured() -> None:
    codes = ["none", "cosine"]
    assert words.best_val_words(page_summary(codes, [0.3, 0.2], [math.nan, math.nan]), "en") is None
    best = words.best_val_words(page_summary(codes, [0.3, 0.2], [0.5, 0.4]), "en")
    assert best == t("lr_schedules.best_val", "en", name=words.names("en")["cosine"], loss=0.4)


def test_rule_lines_list_each_schedule_with_the_page_knobs() -> None:
    configs = [lesson.PAGE.replace(scheduler=code, patience=4) for code in ("none", "plateau")]
    lines = words.rule_lines(configs, "en").split("\n")
    assert len(lines) == 2 and lines[0].startswith(f"- **{words.names('en')['none']}**: ")
    assert t("lr_schedules.rules.plateau", "en", step_size=lesson.PAGE.step_size, patience=4, after=5) in lines[1]
