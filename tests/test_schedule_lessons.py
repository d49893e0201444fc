"""What the LR-schedule lesson claims, each measured on the setting where the page shows it (and where it fails)."""

from __future__ import annotations

import math

import pandas as pd

from core.config import RunConfig
from core.training import train

# The page's default: a two-layer network on the digits, Adam at a high peak rate.
DIGITS_ADAM = RunConfig(dataset="digits", model="mlp", hidden=(64, 32), optimizer="adam", lr=0.03, epochs=10)


def finals(configs: list[RunConfig]) -> tuple[pd.Series, pd.Series]:
    """Final training loss per run, and the spread (std) of the step losses in each run's last epoch."""
    result = train(configs)
    final = result.epochs.groupby("run")["train_loss"].last()
    last_epoch = result.steps[result.steps["epoch"] == result.steps.groupby("run")["epoch"].transform("max")]
    return final, last_epoch.groupby("run")["loss"].std()


def test_decay_ends_lower_and_steadier_than_a_constant_rate() -> None:
    final, spread = finals([DIGITS_ADAM, DIGITS_ADAM.replace(scheduler="cosine")])
    assert final[0] > 5 * final[1]
    assert spread[0] > 5 * spread[1]


def test_warmup_then_decay_tames_a_high_peak_rate_and_decay_does_most_of_it() -> None:
    schedules = [DIGITS_ADAM, DIGITS_ADAM.replace(scheduler="warmup-cosine", warmup_epochs=1)]
    final, _ = finals([*schedules, DIGITS_ADAM.replace(scheduler="cosine")])
    assert final[0] > 10 * final[1]
    assert final[2] < 3 * final[1]  # cosine alone ends within a factor of three of warmup + cosine


def test_where_decay_does_not_help_an_easy_problem_at_a_modest_rate() -> None:
    """Breast cancer, Adam 0.01, 30 epochs: the constant rate already ends lowest on the training data."""
    base = RunConfig(dataset="breast_cancer", optimizer="adam", lr=0.01, epochs=30)
    final, _ = finals([base, base.replace(scheduler="cosine"), base.replace(scheduler="exponential")])
    assert final[0] < final[1] and final[0] < final[2]


def test_a_rate_that_diverges_held_constant_trains_when_it_decays() -> None:
    """Blood pressure, linear model, full batch, SGD at 1.1 — past the stability edge 2/λmax ≈ 0.99."""
    base = RunConfig(dataset="blood_pressure", model="linear", optimizer="sgd", lr=1.1, batch_size="full", epochs=50)
    schedules = ("none", "exponential", "cosine", "warmup-cosine", "onecycle")
    result = train([base.replace(scheduler=name, gamma=0.8, warmup_epochs=1) for name in schedules])
    start = result.epochs.groupby("run")["train_loss"].first()
    final = result.epochs.groupby("run")["train_loss"].last()
    constant_blew_up = bool(result.runs["diverged"][0]) or final[0] > 100 * start[0]
    assert constant_blew_up
    optimum = final[1:].min()
    for run in range(1, len(schedules)):
        assert not result.runs["diverged"][run]
        assert final[run] < 1.01 * optimum < start[run]


def test_warmup_does_not_rescue_plain_sgd_from_a_far_too_large_rate() -> None:
    base = RunConfig(dataset="digits", model="mlp", hidden=(64, 32), optimizer="sgd", lr=3.0, epochs=10)
    final, _ = finals([base, base.replace(scheduler="warmup-cosine", warmup_epochs=1)])
    chance = math.log(10)  # cross-entropy of a model that guesses uniformly among ten digits
    assert final[0] > 0.85 * chance and final[1] > 0.85 * chance
