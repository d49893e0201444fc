"""Loss surfaces and torch.optim paths across them: Adam's step size, loss scaling, mini-batch noise, divergence."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from core.config import ConfigError
from core.i18n import t
from core.lessons.surfaces import (
    MAX_STEPS,
    SETTLED,
    SURFACE_OPTIMIZERS,
    SURFACES,
    WalkConfig,
    curvature_at_minimum,
    edge_rates,
    final_epochs,
    grid,
    sgd_at_the_limit,
    trajectory,
    walks,
)
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


# --- what the page says about SGD at 2/λmax, checked against plain torch loops ----------------------------------


def _plain_sgd(name: str, lr: float, steps: int, seed: int = 0, optimizer: str = "sgd") -> np.ndarray:
    """The walk written out with torch.optim directly: rows of (x, y, loss); stops when it leaves the map far behind."""
    surface = SURFACES[name]
    x_min, x_max, y_min, y_max = surface.view
    width, height = x_max - x_min, y_max - y_min
    point = torch.tensor(surface.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([point], lr=lr) if optimizer == "adam" else torch.optim.SGD([point], lr=lr)
    draws = torch.Generator().manual_seed(seed)
    rows = [(*surface.start, float(surface.loss(point.detach())))]
    for _ in range(steps):
        opt.zero_grad()
        if surface.noise:
            targets = torch.randn(2, generator=draws, dtype=torch.float64) * surface.noise
            loss = ((torch.stack([point[0], 10 * point[1]]) - targets) ** 2).mean()
        else:
            loss = surface.loss(point)
        loss.backward()
        opt.step()
        x, y = point.tolist()
        rows.append((x, y, float(surface.loss(point.detach()))))
        inside = x_min - 10 * width <= x <= x_max + 10 * width and y_min - 10 * height <= y <= y_max + 10 * height
        if not (inside and np.isfinite(rows[-1][2])):
            break
    return np.array(rows)


# The outcomes each landscape's note relies on (optimizers.facts.edge_note.*).
EDGE_OUTCOMES = {
    "ravine": ("settles", "flies_off"),
    "noisy_ravine": ("wanders", "flies_off"),
    "rosenbrock": ("wanders", "wanders"),
    "saddle": ("settles", "flies_off"),
}


@pytest.mark.parametrize("name", list(SURFACES))
def test_sgd_at_the_limit_does_what_the_landscape_note_says(name: str) -> None:
    below, above = sgd_at_the_limit(name)
    assert (below.outcome, above.outcome) == EDGE_OUTCOMES[name]
    for edge in (below, above):
        path = _plain_sgd(name, edge.lr, MAX_STEPS)
        gaps = path[:, 2] - SURFACES[name].min_loss
        if edge.outcome == "flies_off":
            assert edge.step == len(path) - 1 < MAX_STEPS
        else:
            assert len(path) == MAX_STEPS + 1
            assert edge.gap == pytest.approx(np.median(gaps[-(len(path) // 10) :]), rel=1e-9, abs=1e-15)
            assert (edge.gap < SETTLED) == (edge.outcome == "settles")


def test_the_two_rates_sit_either_side_of_the_closed_form_limit() -> None:
    # Rosenbrock at (1, 1): H = [[802, -400], [-400, 200]], λmax = 501 + √(301² + 400²).
    lam = 501 + math.hypot(301, 400)
    assert edge_rates("rosenbrock") == (float(f"{0.99 * 2 / lam:.3g}"), float(f"{1.05 * 2 / lam:.3g}"))
    assert edge_rates("rosenbrock") == (0.00198, 0.0021)
    assert edge_rates("ravine") == (0.0198, 0.021)
    assert curvature_at_minimum("saddle") == pytest.approx(2.0)


def test_ravine_flies_off_when_the_closed_form_leaves_the_map() -> None:
    # Across the ravine y_n = (1 − 100·lr)^n · y₀; the walk stops once |y| passes y_max + 10 view heights = 21.
    _, above = sgd_at_the_limit("ravine")
    factor = abs(1 - 100 * above.lr)
    assert above.step == math.ceil(math.log(21 / 0.8) / math.log(factor))


def test_rosenbrock_paths_are_still_far_from_the_minimum() -> None:
    for lr in edge_rates("rosenbrock"):
        x, y, _ = _plain_sgd("rosenbrock", lr, MAX_STEPS)[-1]
        assert math.hypot(x - 1, y - 1) > 0.1


def test_saddle_curvature_is_two_across_the_ridge_and_in_the_valleys() -> None:
    loss = SURFACES["saddle"].loss
    for x, y in ((0.3, -0.7), (-1.5, 0.2), (1.0, 1.3)):
        assert torch.autograd.functional.hessian(loss, torch.tensor([x, y], dtype=torch.float64))[0, 0] == 2
    valley = torch.autograd.functional.hessian(loss, torch.tensor([0.0, 1.0], dtype=torch.float64))
    assert torch.allclose(torch.linalg.eigvalsh(valley), torch.tensor([2.0, 2.0], dtype=torch.float64))


@pytest.mark.parametrize("seed", range(5))
def test_on_noisy_minibatches_adam_holds_the_valley_floor_better_than_sgd(seed: int) -> None:
    # The Adam card: "one odd case does not flip the plan", at the noisy ravine's own learning rate and 100 steps.
    lr = SURFACES["noisy_ravine"].lr
    sgd, adam = (_plain_sgd("noisy_ravine", lr, 100, seed, optimizer) for optimizer in ("sgd", "adam"))
    across = {name: np.abs(np.diff(path[:, 1])).sum() for name, path in (("sgd", sgd), ("adam", adam))}
    off_floor = {name: np.abs(path[-20:, 1]).mean() for name, path in (("sgd", sgd), ("adam", adam))}
    assert across["adam"] < across["sgd"] / 5
    assert off_floor["adam"] < off_floor["sgd"]
    pd.testing.assert_frame_equal(
        trajectory("noisy_ravine", "adam", lr, steps=100, seed=seed)[["x", "y"]],
        pd.DataFrame(adam[:, :2], columns=["x", "y"]),
    )


def test_walks_draw_every_chosen_optimizer_from_the_config() -> None:
    config = WalkConfig.for_surface("saddle", optimizers=("adam", "sgd", "adam"), steps=20)
    assert config.optimizers == ("adam", "sgd") and config.lr == SURFACES["saddle"].lr
    frame = walks(config)
    for name in config.optimizers:
        alone = trajectory("saddle", name, config.lr, config.start, 20).reset_index(drop=True)
        pd.testing.assert_frame_equal(frame[frame["optimizer"] == name].reset_index(drop=True), alone)


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"surface": "moon"}, "choice"),
        ({"optimizers": ("sgd", "lbfgs")}, "choice"),
        ({"lr": 0}, "lr_range"),
        ({"lr": 11}, "lr_range"),
        ({"steps": 0}, "steps"),
        ({"steps": MAX_STEPS + 1}, "steps"),
        ({"start": (3.0, 0.0)}, "start"),
        ({"seed": -1}, "seed"),
        ({"scale": 0}, "loss_scale"),
        ({"lr": float("nan")}, "number"),
    ],
)
def test_walk_config_rejects_what_the_lesson_cannot_draw(changes: dict, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        WalkConfig().replace(**changes)
    assert caught.value.key == key
    for lang in ("en", "ja"):
        assert t(f"errors.{key}", lang, **caught.value.params)


def test_final_epochs_takes_each_runs_last_epoch_in_run_order() -> None:
    epochs = pd.DataFrame({"run": [1, 0, 1, 0, 1], "epoch": [0, 0, 2, 1, 1], "train_loss": [5.0, 4.0, 1.0, 2.0, 3.0]})
    last = final_epochs(epochs)
    assert last["run"].tolist() == [0, 1]
    assert last["train_loss"].tolist() == [2.0, 1.0]
