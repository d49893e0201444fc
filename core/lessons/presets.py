"""The learning-rate page's focus presets (too small, good, too large), chosen from measured verdicts.

The range test (core.lessons.lr_finder) brackets the rates worth trying: from 10⁻⁴ of its lowest point up to where
it blew up. The ladder's rates in that bracket are trained at the page's settings in one sweep and judged as
the page judges its curves (core.lessons.verdicts); each preset is a rate whose own run got that verdict. "Too large"
is the smallest rate above the good one whose run diverged, or whose loss rose above its start, or whose validation
loss ended above its start: signs on its own record, so the page calls it too large whatever else it shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pandas as pd

from core.config import RunConfig
from core.lecture import scenarios_for
from core.lessons.verdicts import lr_verdicts
from core.training import Result, train

# The page as it opens, which is also the card "Four learning rates": SGD on the blood-pressure data shows all four
# regimes with these rates (the claims lr.four_regimes.* and lr.verdict.* in core/claims.py hold on 19-20 of seeds
# 0-19), and the focus rate starts on the good one, so the card draws four curves.
PAGE_BASE = RunConfig(dataset="blood_pressure", optimizer="sgd", batch_size=32, epochs=30)
DEFAULT_RATES = (0.001, 0.03, 0.4, 1.0)
FOCUS_DEFAULT = 0.03
PRESETS = ("too_small", "good", "too_large")
# The focus slider's rates: 1, 2, 3 and 5 in every decade from 10⁻⁵ to 10, in log steps.
FOCUS_RATES = tuple(sorted({float(f"{m}e{e}") for e in range(-5, 1) for m in (1, 2, 3, 5)} | {10.0}))
# The rates a preset is chosen from: 1 and 3 in every decade (half-decade steps), all on the slider.
LADDER = tuple(rate for rate in FOCUS_RATES if f"{rate:e}"[0] in "13")
OVERSHOT = ("spiked", "val_spiked", "val_worse")  # too-large signs on the run's own record (core.lessons.verdicts)


def card_shown(rates: list[float], base: RunConfig) -> str | None:
    """The id of the learning-rate card (core.lecture) whose runs these are: its rates (or the page's defaults) at the
    page's opening settings. The page's link may hold a card's values written out, so the runs are compared."""
    for card in scenarios_for("learning_rate"):
        stated = card.params.get("lr")
        if (
            set(card.params) <= {"lr"}
            and base == PAGE_BASE.replace(**{})
            and set(rates) == ({float(rate) for rate in stated} if stated else set(DEFAULT_RATES))
        ):
            return card.id
    return None


def snap(rate: float, choices: tuple[float, ...] = FOCUS_RATES) -> float:
    """The choice nearest to `rate` on a log scale."""
    return min(choices, key=lambda option: abs(math.log(option / rate)))


def candidates(picks: Mapping[str, float]) -> tuple[float, ...]:
    """The ladder's rates from 10⁻⁴ of the range test's lowest point up to its blow-up (`picks`: medians of
    core.lessons.lr_finder.suggested_rates). Adam is good over three decades on some data, so the bracket reaches
    that far down to hold a rate that is clearly too small."""
    low, high = snap(picks["minimum"] / 1e4, LADDER), snap(max(picks["blowup"], picks["minimum"]), LADDER)
    return tuple(rate for rate in LADDER if low <= rate <= high)


def from_range_test(picks: Mapping[str, float]) -> dict[str, float]:
    """Presets read off the range test alone, when training the candidates is refused (too large a request)."""
    good = snap(picks["minimum_over_10"])
    return {"too_small": snap(good / 100), "good": good, "too_large": snap(max(picks["blowup"], picks["minimum"]))}


def from_verdicts(judged: pd.DataFrame) -> dict[str, float] | None:
    """Presets from a judged sweep of candidates (core.lessons.verdicts.lr_verdicts); None if no run is good.

    good: the good rate nearest the middle (on a log scale) of the rates judged good, so that it stays good on other
    seeds; too small: the largest smaller rate whose loss fell less than half as far (or the smallest rate); too
    large: the smallest larger rate that diverged or overshot on its own record (or the smallest one judged too
    large, or the largest rate)."""
    good_runs = judged[judged["verdict"] == "good"]
    if good_runs.empty:
        return None
    middle = math.sqrt(good_runs["lr"].min() * good_runs["lr"].max())
    good_row = good_runs.loc[(good_runs["lr"] / middle).map(math.log).abs().idxmin()]
    good = float(good_row["lr"])
    fell = judged["start"] - judged["end"]
    slow = judged[(judged["lr"] < good) & (fell < 0.5 * (good_row["start"] - good_row["end"]))]
    too_small = float(slow["lr"].max()) if not slow.empty else float(judged["lr"].min())
    above = judged[judged["lr"] > good]
    own = above[(above["verdict"] == "diverging") | above["sign"].isin(OVERSHOT)]
    large = own if not own.empty else above[above["verdict"] == "too_large"]
    too_large = float(large["lr"].min()) if not large.empty else float(judged["lr"].max())
    return {"too_small": too_small, "good": good, "too_large": too_large}


def measured_presets(
    config: RunConfig, picks: Mapping[str, float], run: Callable[[tuple[RunConfig, ...]], Result] = train
) -> dict[str, float]:
    """The presets for `config` (its rate ignored): its range-test candidates trained by `run` (the page passes its
    cached training) and judged. Raises ConfigError where the guard refuses them (then use `from_range_test`)."""
    result = run(tuple(config.replace(lr=rate) for rate in candidates(picks)))
    return from_verdicts(lr_verdicts(result.epochs, result.runs)) or from_range_test(picks)
