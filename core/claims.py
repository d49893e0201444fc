"""Claims as data: every sentence that states an outcome of training is an entry here, not a fixed text.

A claim names the runs it compares (arms, in the link's flat form), the quantity measured on them, the relation it
expects and the seeds it holds on. A page measures the relation on the runs it shows and picks its sentence from the
result (`sentence`), so the text follows the setting; `python -m core claims --check` trains every entry again on
its seeds with the reference engine. Claims about the 2-D landscapes and closed forms are checked by the tests.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from core.config import RunConfig, format_param
from core.lecture import SCENARIOS
from core.lessons import lr_finder, presets
from core.lessons.verdicts import VERDICTS, lr_verdicts
from core.training import Result, train

# What a claim about trained runs may measure on each arm, at its last recorded epoch.
METRICS = ("final_train_loss", "final_val_loss", "final_val_accuracy", "diverged")
# How the arms' measures must relate; "a<b": the measure of arm a is lower than that of arm b.
RELATIONS: dict[str, Callable[[Mapping[str, float]], bool]] = {
    "a<b": lambda v: v["a"] < v["b"],
    "a>b": lambda v: v["a"] > v["b"],
    "a_diverged": lambda v: bool(v["a"]),
    "a_not_diverged": lambda v: not v["a"],
    # The learning-rate page's verdict of arm a (its index in core.lessons.verdicts.VERDICTS, see `page_verdicts`).
    **{f"a_{verdict}": (lambda v, i=i: v["a"] == i) for i, verdict in enumerate(VERDICTS)},
    "a_too_large_or_diverging": lambda v: v["a"] in (VERDICTS.index("too_large"), VERDICTS.index("diverging")),
    "a_still_falling": lambda v: v["a"] == 1.0,  # see `still_falling`
}


@dataclass(frozen=True)
class Claim:
    """One outcome a page or a scenario card states: its arms, measure, relation and the seeds it holds on.

    Texts: `{text}.holds` is said when the relation holds on the runs shown, `{text}.fails` when it does not.
    """

    id: str
    page: str  # the page's nav key
    text: str  # locale key stem of its two sentences
    arms: Mapping[str, Mapping[str, str]]  # arm name -> RunConfig.to_params form (the seed comes from `seeds`)
    metric: str
    expect: str
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    scenario: str | None = None  # the scenario card that states it, if any
    notes: str = field(default="", compare=False)  # why these settings: what was measured
    # A measure other than a final metric of the trained arms (a 2-D walk, a first-epoch trace): (claim, seed,
    # engine) -> one value per name that `expect` reads. Such claims are checked but not printed by --json.
    measured_by: Callable[[Claim, int, str], dict[str, float]] | None = field(default=None, compare=False)

    @property
    def trained(self) -> bool:
        """Whether the claim compares a final metric of trained runs (what --json lists)."""
        return self.measured_by is None and self.metric in METRICS

    def configs(self, seed: int) -> dict[str, RunConfig]:
        """Each arm's run on `seed`."""
        return {name: RunConfig.from_params({**params, "seed": str(seed)}) for name, params in self.arms.items()}

    def holds(self, values: Mapping[str, float]) -> bool:
        """Whether the measured values (one per arm) satisfy the relation."""
        return RELATIONS[self.expect](values)

    def sentence(self, values: Mapping[str, float]) -> str:
        """The locale key of what to say about these values."""
        return f"{self.text}.{'holds' if self.holds(values) else 'fails'}"

    def as_json(self) -> dict[str, object]:
        """The claim as `python -m core claims --json` prints it."""
        arms = {name: dict(params) for name, params in self.arms.items()}
        keys = {"id": self.id, "page": self.page, "scenario": self.scenario, "arms": arms}
        return {**keys, "metric": self.metric, "expect": self.expect, "seeds": list(self.seeds)}


def final_values(result: Result, metric: str) -> list[float]:
    """`metric` of every run of `result` (in run order) at its last recorded epoch."""
    if metric == "diverged":
        return [float(bool(value)) for value in result.runs.sort_values("run")["diverged"]]
    column = metric.removeprefix("final_")
    last = result.epochs.sort_values("epoch").groupby("run").tail(1).sort_values("run")
    return [float(value) if math.isfinite(value) else math.inf for value in last[column]]


def measure(claim: Claim, seed: int, engine: str = "reference") -> dict[str, float]:
    """Train the claim's arms on `seed` and measure each (or its own measure)."""
    if claim.measured_by is not None:
        return claim.measured_by(claim, seed, engine)
    configs = claim.configs(seed)
    result = train(list(configs.values()), engine=engine)
    return dict(zip(configs, final_values(result, claim.metric), strict=True))


@functools.lru_cache(maxsize=64)
def _sweep(configs: tuple[RunConfig, ...], engine: str) -> pd.DataFrame:
    """`configs` (in rate order) trained together as a page trains its sweep, and judged by rate
    (core.lessons.verdicts.lr_verdicts); claims about the same sweep share one training."""
    result = train(list(configs), engine=engine)
    return lr_verdicts(result.epochs, result.runs).set_index("lr")


def _judged(configs: Mapping[str, RunConfig], engine: str) -> dict[str, pd.Series]:
    """Each arm's row of the judged sweep of all arms."""
    judged = _sweep(tuple(sorted(configs.values(), key=lambda config: config.lr)), engine)
    return {name: judged.loc[config.lr] for name, config in configs.items()}


def page_verdicts(claim: Claim, seed: int, engine: str) -> dict[str, float]:
    """Every arm trained as one sweep on `seed` and judged as the learning-rate page judges its curves: per arm the
    index of its verdict in VERDICTS (0 too small, 1 good, 2 too large, 3 diverging)."""
    return {name: float(VERDICTS.index(row["verdict"])) for name, row in _judged(claim.configs(seed), engine).items()}


def still_falling(claim: Claim, seed: int, engine: str) -> dict[str, float]:
    """Whether the page says of arm a "still falling" (a real fall over its last epochs), in the sweep of all arms."""
    return {name: float(row["sign"] == "falling") for name, row in _judged(claim.configs(seed), engine).items()}


@functools.lru_cache(maxsize=8)
def _page_presets(base: RunConfig) -> dict[str, float]:
    """The focus presets the learning-rate page offers at `base` (its range test and candidates, seed 0)."""
    picks = lr_finder.suggested_rates(lr_finder.range_tests(base)).median().to_dict()
    return presets.measured_presets(base, picks)


def preset_verdict(claim: Claim, seed: int, engine: str) -> dict[str, float]:
    """The page's verdict of the preset named by the claim's `text` (lr.claims.preset.<preset>) on `seed`: the preset
    chosen at arm a's settings as the page chooses it, trained in the sweep of all arms' rates, as the focus is."""
    configs = claim.configs(seed)
    chosen = _page_presets(configs["a"].replace(seed=0))[claim.text.rsplit(".", 1)[-1]]
    rates = sorted({config.lr for config in configs.values()} | {chosen})
    judged = _sweep(tuple(configs["a"].replace(lr=rate) for rate in rates), engine)
    return {"a": float(VERDICTS.index(judged.loc[chosen, "verdict"]))}


# The learning-rate page as it opens: what its widgets set.
_LR_PAGE = {
    name: format_param(getattr(presets.PAGE_BASE, name)) for name in ("dataset", "optimizer", "batch_size", "epochs")
}


def _card(scenario: str, first: float) -> dict[str, dict[str, str]]:
    """The rates a learning-rate card trains (its link's `lr`, or the page's defaults), `first` as arm a, the others
    as arms b, c, ... in order."""
    stated = next(card for card in SCENARIOS if card.id == scenario).params.get("lr")
    rates = [float(rate) for rate in stated] if stated else list(presets.DEFAULT_RATES)
    ordered = [first, *(rate for rate in rates if rate != first)]
    return {name: {**_LR_PAGE, "lr": format_param(rate)} for name, rate in zip("abcdefgh", ordered, strict=False)}


def _verdict_claim(verdict: str, scenario: str, rate: float, seeds: tuple[int, ...], notes: str) -> Claim:
    """The page's verdict `verdict` of `rate` in the sweep of a card's rates."""
    return Claim(
        f"lr.{scenario}.{verdict}",
        "learning_rate",
        f"lr.claims.{scenario}.{verdict}",
        _card(scenario, rate),
        "verdict",
        f"a_{verdict}",
        seeds=seeds,
        scenario=scenario,
        notes=notes,
        measured_by=page_verdicts,
    )


def _metric_claim(name: str, scenario: str, rates: tuple[float, ...], metric: str, expect: str, notes: str) -> Claim:
    """A final metric of some of a card's rates (arm a = rates[0], b = rates[1]), in the form --json prints."""
    arms = {arm: {**_LR_PAGE, "lr": format_param(rate)} for arm, rate in zip("ab", rates, strict=False)}
    text = f"lr.claims.{scenario}.{name}"
    return Claim(f"lr.{scenario}.{name}", "learning_rate", text, arms, metric, expect, SEEDS_LISTED, scenario, notes)


def _preset_claim(preset: str, expect: str, notes: str) -> Claim:
    """The page's verdict of its own focus preset `preset` at its opening settings, in the sweep of its rates."""
    return Claim(
        f"lr.preset.{preset}",
        "learning_rate",
        f"lr.claims.preset.{preset}",
        _card("four_regimes", presets.DEFAULT_RATES[0]),
        "verdict",
        expect,
        seeds=SEEDS_LISTED,
        notes=notes,
        measured_by=preset_verdict,
    )


SEEDS_LISTED = (0, 1, 2, 3, 4)

# One tuple per page, so that each page's claims are read and changed in one place.
LEARNING_RATE: tuple[Claim, ...] = (
    # Margins: the reference engine on seeds 0-19, as `python -m core claims --check` measures them.
    _verdict_claim(
        "too_small", "four_regimes", 0.001, SEEDS_LISTED,
        "holds on 19 of seeds 0-19; on seed 5 it ends at 0.428, inside the bar 0.432 set by 0.03 (0.338 from 1.28)",
    ),
    _verdict_claim("good", "four_regimes", 0.03, SEEDS_LISTED, "holds on seeds 0-19"),
    _verdict_claim(
        "too_large", "four_regimes", 0.4, SEEDS_LISTED,
        "holds on seeds 0-19 (0.3 did on 17 of 20: on three seeds it ends lowest without rising above its start)",
    ),
    _verdict_claim("diverging", "four_regimes", 1.0, SEEDS_LISTED, "holds on seeds 0-19: stopped in epoch 1"),
    Claim(
        "lr.four_regimes.still_falling",
        "learning_rate",
        "lr.claims.four_regimes.still_falling",
        _card("four_regimes", 0.001),
        "sign",
        "a_still_falling",
        seeds=SEEDS_LISTED,
        scenario="four_regimes",
        notes="holds on seeds 0-19 (a fall of about 2 % per epoch over the last 10 epochs)",
        measured_by=still_falling,
    ),
    _metric_claim(
        "slower", "four_regimes", (0.001, 0.03), "final_train_loss", "a>b",
        "holds on seeds 0-19; min ratio a/b 1.25",
    ),
    _metric_claim(
        "blows_up", "four_regimes", (1.0,), "diverged", "a_diverged", "holds on seeds 0-19"
    ),
    _metric_claim(
        "above_start_edge_trains", "four_regimes", (0.4,), "diverged", "a_not_diverged",
        "0.4 is 1.7 times the edge 2/λmax = 0.24 at the start and trains on seeds 0-19",
    ),
    _verdict_claim("too_small", "too_small", 0.0001, SEEDS_LISTED, "holds on seeds 0-19"),
    _metric_claim(
        "barely_moves", "too_small", (0.0001, 0.03), "final_train_loss", "a>b",
        "holds on seeds 0-19; min ratio a/b 2.13",
    ),
    _metric_claim(
        "one_diverges", "too_large", (1.0,), "diverged", "a_diverged", "holds on seeds 0-19"
    ),
    _metric_claim(
        "three_diverges", "too_large", (3.0,), "diverged", "a_diverged", "holds on seeds 0-19"
    ),
    _metric_claim(
        "small_trains", "too_large", (0.03,), "diverged", "a_not_diverged", "holds on seeds 0-19"
    ),
    _preset_claim("too_small", "a_too_small", "0.0003 at the opening settings; holds on seeds 0-19"),
    _preset_claim("good", "a_good", "0.03 at the opening settings; holds on seeds 0-19"),
    _preset_claim("too_large", "a_too_large_or_diverging", "1 at the opening settings (diverges); seeds 0-19"),
)  # fmt: skip
OPTIMIZERS: tuple[Claim, ...] = ()
SCHEDULES: tuple[Claim, ...] = ()
BATCHES: tuple[Claim, ...] = ()
CLAIMS: tuple[Claim, ...] = (*LEARNING_RATE, *OPTIMIZERS, *SCHEDULES, *BATCHES)


def by_id(claim_id: str) -> Claim:
    """The registered claim `claim_id`."""
    return next(claim for claim in CLAIMS if claim.id == claim_id)


def check(claim: Claim, engine: str = "reference") -> list[tuple[int, dict[str, float], bool]]:
    """The claim measured on each of its seeds: (seed, values, holds)."""
    out = []
    for seed in claim.seeds:
        values = measure(claim, seed, engine)
        out.append((seed, values, claim.holds(values)))
    return out
