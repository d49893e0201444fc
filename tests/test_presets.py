"""The learning-rate page's focus presets: chosen from measured verdicts, each named as the page then judges it."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from core.claims import by_id, check
from core.lessons.presets import (
    DEFAULT_RATES,
    FOCUS_DEFAULT,
    FOCUS_RATES,
    LADDER,
    PAGE_BASE,
    candidates,
    card_shown,
    from_range_test,
    from_verdicts,
)


def test_the_focus_slider_holds_the_ladder_and_starts_on_one_of_the_default_rates() -> None:
    assert set(LADDER) <= set(FOCUS_RATES) and FOCUS_DEFAULT in DEFAULT_RATES and FOCUS_DEFAULT in FOCUS_RATES
    assert 0.3 in FOCUS_RATES and 3e-05 in FOCUS_RATES  # exact decimals, the same floats a link or a widget gives
    assert all(b / a > 1 for a, b in zip(FOCUS_RATES, FOCUS_RATES[1:], strict=False))


def test_candidates_bracket_the_range_test() -> None:
    picks = {"minimum": 0.27, "minimum_over_10": 0.027, "blowup": 1.8}
    assert candidates(picks) == (3e-05, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
    assert from_range_test(picks) == {"too_small": 0.0003, "good": 0.03, "too_large": 2.0}


def table(rows: list[tuple[float, str, str, float]]) -> pd.DataFrame:
    """A judged sweep by hand: lr, verdict, sign, final loss (all from a start of 1)."""
    return pd.DataFrame(rows, columns=["lr", "verdict", "sign", "end"]).assign(start=1.0)


def test_presets_from_measured_verdicts() -> None:
    judged = table(
        [
            (0.0001, "too_small", "falling", 0.9),  # fell 0.1: less than half as far as the good one
            (0.001, "too_small", "falling", 0.6),
            (0.003, "good", "", 0.35),
            (0.01, "good", "", 0.34),  # the middle of the good rates
            (0.03, "good", "", 0.33),
            (0.1, "too_large", "bumpy", 0.36),  # too large only beside the others: not the preset
            (0.3, "too_large", "spiked", 0.5),
            (1.0, "diverging", "", math.inf),
        ]
    )
    assert from_verdicts(judged) == {"too_small": 0.0001, "good": 0.01, "too_large": 0.3}
    assert from_verdicts(table([(1.0, "diverging", "", math.inf)])) is None


def test_on_the_opening_settings_each_preset_gets_its_own_verdict() -> None:
    """The claims lr.preset.*, on one seed with the fast engine (python -m core claims --check does seeds 0-4)."""
    for preset in ("too_small", "good", "too_large"):
        claim = dataclasses.replace(by_id(f"lr.preset.{preset}"), seeds=(0,))
        [(_, values, holds)] = check(claim, engine="fast")
        assert holds, (preset, values)


def test_the_card_shown_is_read_off_the_runs() -> None:
    assert card_shown(list(DEFAULT_RATES), PAGE_BASE) == "four_regimes"
    assert card_shown([0.0001, 0.001, 0.03], PAGE_BASE) == "too_small"
    assert card_shown([0.03, 1.0, 3.0], PAGE_BASE.replace(epochs=12)) is None  # another setting: no card's claims
