"""Full-batch gradient descent on linear least squares: stable below 2/λmax, divergent above (theory vs engine)."""

import pytest
import torch

from core.config import RunConfig
from core.data import load_split
from core.lessons.theory import gd_stability_bound, least_squares_max_eigenvalue
from core.training import train

EPOCHS = 600


@pytest.fixture(scope="module")
def diabetes():
    """Bound from core.lessons.theory, and the least-squares optimum as an independent oracle."""
    split = load_split("diabetes", 0.2)
    bound = gd_stability_bound(least_squares_max_eigenvalue(split.x_train))
    x = torch.cat([split.x_train, torch.ones(len(split.x_train), 1)], 1).double()
    solution = torch.linalg.lstsq(x, split.y_train.double()[:, None]).solution
    best = ((x @ solution)[:, 0] - split.y_train.double()).pow(2).mean().item()
    return bound, best


def gd_config(lr: float) -> RunConfig:
    """Full-batch gradient descent, linear model, MSE, diabetes."""
    return RunConfig(
        dataset="diabetes",
        model="linear",
        loss="mse",
        optimizer="sgd",
        batch_size="full",
        shuffle=False,
        epochs=EPOCHS,
        lr=lr,
    )


def gd(lr: float, engine: str = "fast"):
    return train([gd_config(lr)], engine)


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_gd_converges_just_below_the_bound(diabetes, engine):
    bound, best = diabetes
    result = gd(0.95 * bound, engine)
    assert not result.runs["diverged"].item()
    losses = result.steps["loss"]
    assert losses.iloc[-1] < 1.05 * best  # close to the least-squares optimum
    assert len(losses) == EPOCHS


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_gd_diverges_just_above_the_bound(diabetes, engine):
    bound, _ = diabetes
    result = gd(1.05 * bound, engine)
    assert result.runs["diverged"].item()
    assert result.runs["stopped_step"].item() < EPOCHS


def test_bound_is_sharp_in_a_sweep(diabetes):
    """One vectorised sweep across the bound: every LR below converges, every LR above diverges."""
    bound, _ = diabetes
    factors = (0.5, 0.9, 0.98, 1.02, 1.1, 2.0)
    configs = [gd_config(f * bound) for f in factors]
    verdicts = train(configs).runs["diverged"].tolist()
    assert verdicts == [f > 1 for f in factors]
