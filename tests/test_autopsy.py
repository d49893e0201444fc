"""The autopsy's sharpness against closed forms and the full Hessian; its spike finder on known sequences."""

from __future__ import annotations

import math

import pytest
import torch

from core.config import RunConfig
from core.data import load_split
from core.lessons.autopsy import final_sharpness, first_spike, initial_sharpness, stability_ratio
from core.lessons.theory import least_squares_max_eigenvalue
from core.models import build_model, initial_weights, layer_sizes, resolve_loss
from core.reference import criterion_for
from core.runlog import init_seed, targets
from core.training import train


@pytest.mark.parametrize("dataset", ["diabetes", "blood_pressure"])
def test_linear_mse_sharpness_is_the_least_squares_closed_form(dataset: str) -> None:
    config = RunConfig(dataset=dataset, model="linear")
    exact = least_squares_max_eigenvalue(load_split(dataset).x_train)
    assert initial_sharpness(config) == pytest.approx(exact, rel=1e-6)


def test_sharpness_of_a_logistic_model_is_the_top_eigenvalue_of_its_full_hessian() -> None:
    config = RunConfig(dataset="breast_cancer", model="linear", seed=4).validated()
    split = load_split("breast_cancer")
    loss_name = resolve_loss(config, split)
    y_train, _ = targets(split, loss_name)
    sizes = layer_sizes(config, split, loss_name)
    [(weight, bias)] = initial_weights(sizes, init_seed(config.seed))
    criterion = criterion_for(loss_name, split)
    x, y = split.x_train.double(), y_train.double()

    def loss_of(flat: torch.Tensor) -> torch.Tensor:
        return criterion(x @ flat[:-1, None] + flat[-1], y)

    flat = torch.cat([weight.flatten(), bias]).double()
    oracle = float(torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss_of, flat))[-1])
    assert initial_sharpness(config) == pytest.approx(oracle, rel=1e-6)
    assert build_model(sizes, "relu", [(weight, bias)])  # the same weights the engines start from


def test_lr_times_sharpness_against_two_predicts_full_batch_sgd_on_a_linear_model() -> None:
    base = RunConfig(dataset="diabetes", model="linear", optimizer="sgd", batch_size="full", epochs=200)
    sharpness = initial_sharpness(base)
    calm, wild = 0.95 * 2 / sharpness, 1.05 * 2 / sharpness
    assert stability_ratio(calm, sharpness) < 2 < stability_ratio(wild, sharpness)
    result = train([base.replace(lr=calm), base.replace(lr=wild)])
    final = result.epochs.groupby("run")["train_loss"].last()
    start = result.epochs.groupby("run")["train_loss"].first()
    assert final[0] < start[0]
    assert bool(result.runs["diverged"][1]) or final[1] > start[1]


def test_first_spike() -> None:
    assert first_spike([1.0] * 20) is None
    assert first_spike([1.0] * 8 + [50.0, 1.0]) == 8
    assert first_spike([1.0] * 8 + [math.nan]) == 8
    assert first_spike([100.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]) is None  # a big first step is only the baseline


def test_a_linear_least_squares_model_keeps_its_sharpness_while_a_network_moves_it() -> None:
    """λmax after training: the same as at the start where the Hessian is constant (linear model, MSE: the closed form
    is the oracle), another value for the network, and none for a run that was stopped."""
    linear = RunConfig(dataset="diabetes", model="linear", optimizer="sgd", epochs=5, lr=0.01)
    exact = least_squares_max_eigenvalue(load_split("diabetes").x_train)
    assert final_sharpness(linear) == pytest.approx(exact, rel=1e-6)
    network = RunConfig(dataset="blood_pressure", optimizer="sgd", epochs=30, lr=0.4)
    assert abs(final_sharpness(network) / initial_sharpness(network) - 1) > 0.05
    assert math.isnan(final_sharpness(network.replace(lr=1.0)))  # stopped in its first epoch
