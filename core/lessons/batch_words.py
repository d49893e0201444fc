"""What the batch page says of its over-fitting run, as the claims of its card pick it.

Above both the batch lesson (core.lessons.batches) and the claims registry, which builds its arms from the lesson's
settings: the page's sentences follow the registry's claims, never the other way round.
"""

from __future__ import annotations

import math

import pandas as pd

from core.claims import Claim
from core.config import RunConfig
from core.lessons.batches import EARLY_EPOCHS


def early_against_late(
    config: RunConfig, epochs: pd.DataFrame, n_val: int, claims: list[Claim]
) -> list[tuple[str, dict[str, float]]]:
    """What the over-fitting card's `claims` (validation loss, then accuracy, of the long run against its first
    EARLY_EPOCHS) say of this run (`config`, its per-epoch frame), as (sentence key, its numbers); nothing unless
    this run is the claims' long arm. Without a schedule the first epochs of a long run are exactly the shorter run,
    so the short arm is read from this frame."""
    runs = [config, config.replace(epochs=EARLY_EPOCHS)]
    by_epoch = epochs.set_index("epoch")
    said = []
    for claim in claims:
        column = claim.metric.removeprefix("final_")
        verdict = claim.said_of(runs, [by_epoch[column].get(run.epochs, math.nan) for run in runs])
        if verdict is not None:
            key, values = verdict
            numbers = values | {"ratio": values["a"] / values["b"], "early": EARLY_EPOCHS, "last": config.epochs}
            cases = (
                {f"{arm}_cases": round(value * n_val) for arm, value in values.items()} if column != "val_loss" else {}
            )
            said.append((key, numbers | cases | {"n": n_val}))
    return said
