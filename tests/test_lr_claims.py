"""The learning-rate page's claims: every card has one, --json prints them, one is checked here with the fast engine,
and a plain PyTorch loop written here (not the app's engines) agrees with the card's verdicts on unlisted seeds."""

from __future__ import annotations

import dataclasses
import json
import math

import pandas as pd
import pytest

from core.claims import LEARNING_RATE, by_id, check
from core.i18n import t
from core.lecture import scenarios_for
from core.lessons.presets import DEFAULT_RATES, PAGE_BASE
from core.lessons.verdicts import lr_verdicts
from tests.plain_torch import train_plain
from tests.test_cli import run_main

UNLISTED_SEEDS = (7, 13, 19)  # the registry lists 0-4


def test_every_learning_rate_card_has_a_claim() -> None:
    claimed = {claim.scenario for claim in LEARNING_RATE}
    assert {card.id for card in scenarios_for("learning_rate")} <= claimed
    assert all(set(claim.seeds).isdisjoint(UNLISTED_SEEDS) and len(claim.seeds) >= 5 for claim in LEARNING_RATE)


def test_every_claim_says_in_both_languages_whether_it_holds() -> None:
    for claim in LEARNING_RATE:
        for lang in ("en", "ja"):
            for outcome in ("holds", "fails"):
                assert t(f"{claim.text}.{outcome}", lang, a="0.1", b="1") != f"{claim.text}.{outcome}"


def test_json_prints_the_trained_claims_with_their_keys() -> None:
    ids = ["lr.four_regimes.slower", "lr.too_large.three_diverges"]
    code, out, _ = run_main(["claims", "--json", "--id", ids[0], "--id", ids[1]])
    assert code == 0
    printed = json.loads(out)
    assert [entry["id"] for entry in printed] == ids
    for entry in printed:
        assert {"id", "page", "scenario", "arms", "metric", "expect", "seeds"} <= set(entry)
        assert entry["arms"]["a"]["dataset"] == "blood_pressure" and entry["page"] == "learning_rate"


def test_the_cards_verdicts_hold_on_one_seed_with_the_fast_engine() -> None:
    for name in ("too_small", "good", "too_large", "diverging"):
        claim = by_id(f"lr.four_regimes.{name}")
        [(_, values, holds)] = check(dataclasses.replace(claim, seeds=(0,)), engine="fast")
        assert holds, (name, values)


def plain_record(lr: float, seed: int) -> tuple[list[tuple[int, float, float]], bool]:
    """The page's default run from the plain loop (tests/plain_torch.py): (epoch, training loss, validation loss) rows
    from epoch 0, and whether it diverged by the app's rule read on them (a loss not finite or past 10¹² times its
    start, or an end 10 times above it)."""
    trace = train_plain(PAGE_BASE.dataset, (32,), "sgd", lr, 32, PAGE_BASE.epochs, seed)
    start = trace.start_loss[0]
    means = [sum(losses) / len(losses) for losses in trace.batch_losses]
    blown = [
        not math.isfinite(loss) or loss > 1e12 * max(1.0, start) for losses in trace.batch_losses for loss in losses
    ]
    rows = [(0, *trace.start_loss)] + [
        (e + 1, m, v) for e, (m, v) in enumerate(zip(means, trace.val_loss, strict=True))
    ]
    kept = [row for row in rows if math.isfinite(row[1])]
    return kept, any(blown) or means[-1] >= 10 * start


@pytest.mark.parametrize("seed", UNLISTED_SEEDS)
def test_an_independent_loop_agrees_with_the_four_learning_rates_card(seed: int) -> None:
    """Each claim of the card "Four learning rates" on a seed the registry does not list, from a plain loop."""
    epochs, runs = [], []
    for run, lr in enumerate(DEFAULT_RATES):
        rows, diverged = plain_record(lr, seed)
        epochs += [{"run": run, "lr": lr, "epoch": e, "train_loss": t, "val_loss": v} for e, t, v in rows]
        runs.append({"run": run, "lr": lr, "diverged": diverged})
    judged = lr_verdicts(pd.DataFrame(epochs), pd.DataFrame(runs)).set_index("lr")
    for claim in LEARNING_RATE:
        if claim.scenario != "four_regimes" or claim.metric not in ("verdict", "sign"):
            continue
        lr = float(claim.arms["a"]["lr"])
        if claim.metric == "sign":
            assert judged.loc[lr, "sign"] == "falling", claim.id
        else:
            assert judged.loc[lr, "verdict"] == claim.expect.removeprefix("a_"), (claim.id, judged.loc[lr].to_dict())
    final = judged["end"]
    assert final[0.001] > final[0.03]  # lr.four_regimes.slower
    assert judged.loc[1.0, "verdict"] == "diverging" and judged.loc[0.4, "verdict"] != "diverging"
