"""The learning-rate page's claims: every card has one, --json prints them, one is checked here with the fast engine,
and a plain PyTorch loop written here (not the app's engines) agrees with the card's verdicts on unlisted seeds."""

from __future__ import annotations

import dataclasses
import json
import math

import pandas as pd
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from core.claims import LEARNING_RATE, by_id, check
from core.data import load_split
from core.i18n import t
from core.lecture import scenarios_for
from core.lessons.presets import DEFAULT_RATES, PAGE_BASE
from core.lessons.verdicts import lr_verdicts
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


def plain_loop(lr: float, seed: int) -> tuple[list[tuple[int, float, float]], bool]:
    """The page's default run written out with torch only: (epoch, train loss, val loss) rows and whether it
    diverged (its loss stopped being finite, passed 10¹² times its start, or ended 10 times above it)."""
    split = load_split(PAGE_BASE.dataset)
    torch.manual_seed(seed)  # torch's own initialisation, not the app's weights
    model = nn.Sequential(nn.Linear(split.n_features, 32), nn.ReLU(), nn.Linear(32, 1))
    loader = DataLoader(TensorDataset(split.x_train, split.y_train[:, None]), batch_size=32, shuffle=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    mse = nn.MSELoss()

    def evaluate(x: torch.Tensor, y: torch.Tensor) -> float:
        with torch.no_grad():
            return mse(model(x), y[:, None]).item()

    start = evaluate(split.x_train, split.y_train)
    rows = [(0, start, evaluate(split.x_val, split.y_val))]
    for epoch in range(1, PAGE_BASE.epochs + 1):
        losses = []
        for inputs, labels in loader:
            optimizer.zero_grad()
            loss = mse(model(inputs), labels)
            if not math.isfinite(loss.item()) or loss.item() > 1e12 * max(1.0, start):
                return rows, True
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        rows.append((epoch, sum(losses) / len(losses), evaluate(split.x_val, split.y_val)))
    end = evaluate(split.x_train, split.y_train)
    return rows, not math.isfinite(end) or end >= 10 * start


@pytest.mark.parametrize("seed", UNLISTED_SEEDS)
def test_an_independent_loop_agrees_with_the_four_learning_rates_card(seed: int) -> None:
    """Each claim of the card "Four learning rates" on a seed the registry does not list, from a plain loop."""
    epochs, runs = [], []
    for run, lr in enumerate(DEFAULT_RATES):
        rows, diverged = plain_loop(lr, seed)
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
