"""Lecture scenarios: each a page in a stated state (its URL parameters) and the question to ask the class first.

Plain data, no Streamlit: the pages draw them as cards, `python -m core warm` computes their results before class,
and the tests open every one of them to check that the page takes every parameter as stated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.pages import LECTURE_PARAMS


@dataclass(frozen=True)
class Scenario:
    """A page's state for one teaching moment; texts live under `lecture.scenarios.<id>` (title, question)."""

    id: str
    page: str  # the page's id (core.pages)
    params: dict[str, str | tuple[str, ...]] = field(default_factory=dict)  # a tuple is a repeated parameter

    @property
    def section(self) -> str:
        """The anchor of the page's heading over what the card changes: a click on the card scrolls there."""
        return SECTIONS[self.id]


# The optimizer cards walk 1 % below SGD's limit 2/λmax = 0.02, where the article's claims hold (the claims
# `sgd_vs_adam` and `momentum_ravine` in core/claims.py measure them).
NEAR_SGD_LIMIT = {"lr": "0.0198", "steps": "300"}


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("confident_wrong", "loss_functions", {"p_malignant": "0.01"}),
    Scenario("far_off", "loss_functions", {"pressure": "160"}),
    Scenario("sgd_vs_adam", "optimizers", {"opts": ("sgd", "adam"), **NEAR_SGD_LIMIT}),
    Scenario("momentum_ravine", "optimizers", {"opts": ("sgd", "momentum"), **NEAR_SGD_LIMIT}),
    Scenario("loss_times_1000", "optimizers", {"opts": ("sgd", "adam"), "scale": "1000"}),
    Scenario("four_regimes", "learning_rate", {}),
    Scenario("too_small", "learning_rate", {"lr": ("0.0001", "0.001", "0.03")}),
    Scenario("too_large", "learning_rate", {"lr": ("0.03", "1", "3")}),
    Scenario(
        "warmup_high_lr",
        "lr_schedules",
        {"scheduler": ("none", "cosine", "warmup-cosine"), "optimizer": "rmsprop", "lr": "0.1"},
    ),
    Scenario("decay_ends_lower", "lr_schedules", {"scheduler": ("none", "step", "cosine")}),
    Scenario("online_vs_mini", "batch_and_epochs", {"batch_sizes": ("1", "32")}),
    Scenario("no_shuffle_sorted", "batch_and_epochs", {}),  # the shuffling section's default: sorted digits
    Scenario("overfitting", "batch_and_epochs", {"fit_epochs": "200"}),
)

# Each card's section: the `anchor` of one heading on its page.
SECTIONS: dict[str, str] = {
    "confident_wrong": "losses-cross-entropy",
    "far_off": "losses-mse",
    "sgd_vs_adam": "optimizers-walk",
    "momentum_ravine": "optimizers-walk",
    "loss_times_1000": "optimizers-walk",
    "four_regimes": "lr-curves",
    "too_small": "lr-curves",
    "too_large": "lr-curves",
    "warmup_high_lr": "schedules-curves",
    "decay_ends_lower": "schedules-curves",
    "online_vs_mini": "batches-batch",
    "no_shuffle_sorted": "batches-shuffle",
    "overfitting": "batches-epochs",
}


def scenarios_for(page: str) -> list[Scenario]:
    """The scenarios of one page, in teaching order."""
    return [scenario for scenario in SCENARIOS if scenario.page == page]


def url_params(scenario: Scenario) -> dict[str, str | list[str]]:
    """The scenario's parameters as a URL takes them (a repeated parameter as a list)."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in scenario.params.items()}


def matching(page: str, params: dict[str, list[str]]) -> Scenario | None:
    """The scenario of `page` whose parameters are exactly `params` (language and lecture flags aside), if any."""
    wanted = {key: values for key, values in params.items() if key not in LECTURE_PARAMS}
    for scenario in scenarios_for(page):
        stated = {key: list(value) if isinstance(value, tuple) else [value] for key, value in scenario.params.items()}
        if stated == wanted:
            return scenario
    return None


# The glossary's terms, in the order a lecture meets them; texts under `glossary.terms.<id>` (term, means).
GLOSSARY = (
    "loss",
    "training_loss",
    "validation_loss",
    "gradient",
    "learning_rate",
    "optimizer",
    "momentum",
    "batch",
    "epoch",
    "step",
    "curvature",
    "hessian",
    "lambda_max",
    "divergence",
    "overfitting",
    "schedule",
    "warmup",
    "shuffle",
    "seed",
)
