"""The schedule preview against the rates the engines really applied, and against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.config import RunConfig
from core.lessons.schedules import schedule_preview, schedule_summary
from core.runlog import steps_per_epoch
from core.training import train

BASE = RunConfig(dataset="breast_cancer", optimizer="adam", lr=0.03, batch_size=64, epochs=6, step_size=2, gamma=0.5)


@pytest.mark.parametrize("scheduler", ["none", "step", "exponential", "cosine", "onecycle", "warmup-cosine"])
def test_preview_is_what_training_applies(scheduler: str) -> None:
    config = BASE.replace(scheduler=scheduler, warmup_epochs=1)
    preview = schedule_preview([config])
    applied = train([config]).steps
    np.testing.assert_allclose(preview["lr"], applied["lr_applied"], rtol=1e-6)
    assert list(preview["epoch"]) == list(applied["epoch"])


def test_preview_of_step_decay_is_the_closed_form() -> None:
    preview = schedule_preview([BASE.replace(scheduler="step")])
    per_epoch = steps_per_epoch(BASE)
    assert per_epoch == math.ceil(455 / 64)
    expected = [BASE.lr * BASE.gamma ** ((epoch - 1) // BASE.step_size) for epoch in preview["epoch"]]
    np.testing.assert_allclose(preview["lr"], expected, rtol=1e-12)


def test_plateau_has_no_preview_and_runs_keep_their_numbers() -> None:
    preview = schedule_preview([BASE.replace(scheduler="plateau"), BASE])
    assert set(preview["run"]) == {1}


def test_summary_reads_the_last_epoch() -> None:
    schedules = ("none", "cosine", "step", "exponential")
    result = train([BASE.replace(scheduler=name) for name in schedules])
    summary = schedule_summary(result.epochs, result.steps)
    assert list(summary["run"]) == [0, 1, 2, 3]
    for run in range(len(schedules)):
        last = result.epochs[(result.epochs["run"] == run) & (result.epochs["epoch"] == BASE.epochs)]
        assert summary.loc[run, "val_loss"] == last["val_loss"].item()
        assert summary.loc[run, "train_loss"] == last["train_loss"].item()
    final_steps = result.steps[(result.steps["run"] == 1) & (result.steps["epoch"] == BASE.epochs)]
    assert summary["spread"][1] == pytest.approx(final_steps["loss"].std())
