"""Loss surfaces and torch.optim paths across them: Adam's step size, loss scaling, mini-batch noise, divergence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from core.lessons.surfaces import SURFACE_OPTIMIZERS, SURFACES, grid, trajectory
from core.lessons.theory import gd_stability_bound, max_hessian_eigenvalue


def _lambda_max(surface: str, at: tuple[float, float]) -> float:
    point = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    return max_hessian_eigenvalue(lambda: SURFACES[surface].loss(point), [point])


@pytest.mark.parametrize("name", list(SURFACES))
def test_every_surface_has_its_minimum_where_it_says(name: str) -> None:
    surface = SURFACES[name]
    best = torch.tensor(surface.minimum, dtype=torch.float64, requires_grad=True)
    loss = surface.loss(best)
    (gradient,) = torch.autograd.grad(loss, best)
    assert float(loss.detach()) == pytest.approx(surface.min_loss, abs=1e-12)
    assert torch.allclose(gradient, torch.zeros(2, dtype=torch.float64))
    frame = grid(surface, resolution=40)
    assert len(frame) == 40 * 40
    assert (frame["loss"] >= surface.min_loss).all()
    if surface.log_colour:
        assert (frame["loss"] > 0).all()


def test_saddle_is_a_saddle_at_the_origin() -> None:
    origin = torch.zeros(2, dtype=torch.float64)
    hessian = torch.autograd.functional.hessian(SURFACES["saddle"].loss, origin)
    low, high = torch.linalg.eigvalsh(hessian)
    assert low < 0 < high


@pytest.mark.parametrize("name", list(SURFACES))
@pytest.mark.parametrize("optimizer", SURFACE_OPTIMIZERS)
def test_every_optimizer_walks_every_surface(name: str, optimizer: str) -> None:
    frame = trajectory(name, optimizer, SURFACES[name].lr, steps=30)
    assert list(frame.columns) == ["optimizer", "step", "x", "y", "loss", "diverged"]
    assert frame["step"].tolist() == list(range(len(frame)))
    assert (frame["x"].iloc[0], frame["y"].iloc[0]) == SURFACES[name].start
    assert frame["diverged"].iloc[:-1].sum() == 0


def test_adam_first_step_moves_every_coordinate_by_lr() -> None:
    lr = 0.05
    frame = trajectory("ravine", "adam", lr, start=(-2.0, 0.8), steps=1)
    step = frame[["x", "y"]].diff().iloc[1].abs()
    # m̂ = g and v̂ = g² after one step, so the move is lr·g/(|g| + eps): lr up to eps/|g|.
    assert step["x"] == pytest.approx(lr, rel=1e-7)
    assert step["y"] == pytest.approx(lr, rel=1e-7)


def test_sgd_first_step_is_lr_times_the_gradient() -> None:
    lr, start = 0.01, (-2.0, 0.8)
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    (gradient,) = torch.autograd.grad(SURFACES["ravine"].loss(point), point)
    frame = trajectory("ravine", "sgd", lr, start=start, steps=1)
    moved = frame[["x", "y"]].iloc[1].to_numpy() - np.array(start)
    assert np.allclose(moved, -lr * gradient.numpy())


def test_scaling_the_loss_leaves_adam_alone_but_breaks_sgd() -> None:
    lr, scale = 0.01, 1000.0
    plain = trajectory("ravine", "adam", lr, steps=200)
    scaled = trajectory("ravine", "adam", lr, steps=200, loss_scale=scale)
    # Only eps (1e-8 against √v̂) notices the scale.
    assert np.allclose(plain[["x", "y"]], scaled[["x", "y"]], rtol=1e-5, atol=1e-7)
    # SGD is stable at this lr only while lr < 2/λmax; scaling the loss scales λmax.
    lam = _lambda_max("ravine", (0.0, 0.0))
    assert lr < gd_stability_bound(lam)
    assert lr > gd_stability_bound(scale * lam)
    assert not trajectory("ravine", "sgd", lr, steps=200)["diverged"].any()
    assert trajectory("ravine", "sgd", lr, steps=200, loss_scale=scale)["diverged"].iloc[-1]


def test_noisy_ravine_is_reproducible_by_seed() -> None:
    first = trajectory("noisy_ravine", "sgd", 0.01, steps=100, seed=7)
    again = trajectory("noisy_ravine", "sgd", 0.01, steps=100, seed=7)
    other = trajectory("noisy_ravine", "sgd", 0.01, steps=100, seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first[["x", "y"]], other[["x", "y"]])
    # Without noise the seed changes nothing.
    pd.testing.assert_frame_equal(trajectory("ravine", "sgd", 0.01, seed=7), trajectory("ravine", "sgd", 0.01, seed=8))


def test_minibatch_gradient_is_right_on_average() -> None:
    surface, generator = SURFACES["noisy_ravine"], torch.Generator().manual_seed(0)
    point = torch.tensor([-1.0, 0.3], dtype=torch.float64, requires_grad=True)
    (full,) = torch.autograd.grad(surface.loss(point), point)
    draws = torch.stack([torch.autograd.grad(surface.minibatch_loss(point, generator), point)[0] for _ in range(4000)])
    spread = draws.std(0) / 4000**0.5
    assert (draws.std(0) > 0).all()
    assert ((draws.mean(0) - full).abs() < 4 * spread).all()


def test_divergence_is_marked_and_stops_the_walk() -> None:
    frame = trajectory("ravine", "sgd", 0.05, steps=500)
    assert frame["diverged"].iloc[-1]
    assert len(frame) < 500
    assert frame["diverged"].sum() == 1


def test_grid_covers_the_view_edge_to_edge() -> None:
    surface = SURFACES["rosenbrock"]
    frame = grid(surface, resolution=10)
    x_min, x_max, y_min, y_max = surface.view
    assert (frame["x"].min(), frame["x2"].max(), frame["y"].min(), frame["y2"].max()) == pytest.approx(
        (x_min, x_max, y_min, y_max)
    )
    centres = torch.tensor(np.stack([(frame["x"] + frame["x2"]) / 2, (frame["y"] + frame["y2"]) / 2], axis=1))
    assert np.allclose(surface.loss(centres).numpy(), frame["loss"])
