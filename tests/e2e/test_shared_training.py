"""A cold training runs to the end when the tab that started it closes, and the next session takes its result."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from benchmarks.load import LR_PAGE, lost_seconds, trained_twice, trainings, url, wait_for_training, watch

pytestmark = pytest.mark.browser

# Online learning on the breast-cancer set: a cold training of a few seconds, long enough to leave in the middle.
SLOW_SETTINGS = {"dataset": "breast_cancer", "batch_size": 1, "epochs": 8}


def test_a_training_whose_tab_closes_runs_on_for_the_next_session(app_server: tuple[str, Path], fresh_page) -> None:
    base, log = app_server
    started, lost = trainings(log)[0], lost_seconds(log)  # what earlier tests on this server trained
    link = url(base, LR_PAGE, SLOW_SETTINGS)
    starter = fresh_page()
    starter.goto(link, wait_until="commit")
    wait_for_training(log, started + 1)
    starter.context.close()  # the student who started it leaves while it trains
    follower = fresh_page()
    follower.goto(link, wait_until="commit")
    [(_, state)] = watch([follower], time.monotonic(), timeout=120)
    assert state == "done"  # charts drawn, no exception box
    assert trained_twice(log) == []  # every request the page makes (its sweep, the presets' runs) trained once
    assert lost_seconds(log) == lost  # and nothing it trained was thrown away
