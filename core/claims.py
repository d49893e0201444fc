"""Claims as data: every sentence that states an outcome of training is an entry here, not a fixed text.

A claim names the runs it compares (arms, in the link's flat form), the quantity measured on them, the relation it
expects and the seeds it holds on. A page measures the relation on the runs it shows and picks its sentence from the
result (`sentence`), so the text follows the setting; `python -m core claims --check` trains every entry again on
its seeds with the reference engine. Claims about the 2-D landscapes and closed forms are checked by the tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from core.config import RunConfig
from core.training import Result, train

# What a claim about trained runs may measure on each arm, at its last recorded epoch.
METRICS = ("final_train_loss", "final_val_loss", "final_val_accuracy", "diverged")
# How the arms' measures must relate; "a<b": the measure of arm a is lower than that of arm b.
RELATIONS: dict[str, Callable[[Mapping[str, float]], bool]] = {
    "a<b": lambda v: v["a"] < v["b"],
    "a>b": lambda v: v["a"] > v["b"],
    "a_diverged": lambda v: bool(v["a"]),
    "a_not_diverged": lambda v: not v["a"],
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


# One tuple per page, so that each page's claims are read and changed in one place.
LEARNING_RATE: tuple[Claim, ...] = ()
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
