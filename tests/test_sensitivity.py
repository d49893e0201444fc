"""Rounding sensitivity: where a chaotic run's curve parts from the same run computed with other rounding."""

from __future__ import annotations

import math

import pandas as pd

from core.config import RunConfig
from core.runlog import RunLog
from core.sensitivity import first_parting, parting_epoch
from core.training import train

# Adam at rate 1 on breast cancer bounces at the edge: rounding differences grow until the curves part (epoch 15 here).
CHAOTIC = RunConfig(dataset="breast_cancer", optimizer="adam", batch_size=128, epochs=20, lr=1.0)


def log(losses: list[float], val: float = 1.0) -> RunLog:
    """A run log with these training losses per epoch (from epoch 0)."""
    return RunLog(epochs=[(epoch, loss, val, math.nan, 0.0) for epoch, loss in enumerate(losses)])


def test_first_parting_on_hand_made_logs() -> None:
    assert first_parting(log([1.0, 0.5, 0.4]), log([1.0, 0.504, 0.4])) is None  # within 1 %
    assert first_parting(log([1.0, 0.5, 0.4, 0.3]), log([1.0, 0.5, 0.45, 0.3])) == 2
    assert first_parting(log([1.0, 0.5]), log([1.0, 0.5, 0.4])) == 2  # one was stopped before the other
    assert first_parting(log([1.0, 0.5], val=math.nan), log([1.0, 0.5], val=math.nan)) is None  # no validation split
    assert first_parting(log([1.0, 0.5], val=1.0), log([1.0, 0.5], val=1.1)) == 0


def test_a_stable_run_reproduces() -> None:
    assert parting_epoch(RunConfig(dataset="blood_pressure", optimizer="sgd", lr=0.03, epochs=5)) is None


def test_a_chaotic_run_parts_where_the_two_engines_part() -> None:
    """The engines' own frames agree to 1 % before the parting epoch and differ by more after it."""
    parting = parting_epoch(CHAOTIC)
    assert parting is not None and 1 < parting <= CHAOTIC.epochs
    curves = [train([CHAOTIC], engine).epochs.set_index("epoch")["train_loss"] for engine in ("fast", "reference")]
    gap = (curves[0] - curves[1]).abs() / pd.concat(curves, axis=1).max(axis=1)
    assert (gap.loc[: parting - 1] <= 0.01).all() and gap.loc[parting:].max() > 0.01
    assert parting_epoch(CHAOTIC) == parting  # deterministic: cacheable
