"""The 1-D valleys against closed forms: (1 − η·a)^t on the parabola, the roots of L' on the bumpy valley."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.lessons.valley import (
    BUMPY_START,
    PARABOLA_START,
    bumpy,
    bumpy_walk,
    edge_of_stability,
    local_minima,
    parabola_regime,
    parabola_walk,
    regime_edges,
    where_it_settles,
)


@pytest.mark.parametrize("curvature", [0.5, 1.0, 4.0])
@pytest.mark.parametrize("share_of_edge", [0.01, 0.3, 0.5, 0.8, 0.99, 1.2])
def test_parabola_walk_is_the_closed_form(curvature: float, share_of_edge: float) -> None:
    lr = share_of_edge * 2 / curvature
    path = parabola_walk(lr, steps=15, curvature=curvature)
    expected = PARABOLA_START * (1 - lr * curvature) ** path["step"].to_numpy()
    np.testing.assert_allclose(path["w"], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(path["loss"], 0.5 * curvature * expected**2, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("curvature", [0.5, 1.0, 4.0])
def test_edge_of_stability_is_two_over_curvature(curvature: float) -> None:
    edge = edge_of_stability(curvature)
    assert edge == pytest.approx(2 / curvature)
    below = parabola_walk(0.99 * edge, steps=200, curvature=curvature)
    above = parabola_walk(1.01 * edge, steps=200, curvature=curvature)
    assert abs(below["w"].iloc[-1]) < abs(PARABOLA_START)
    assert above["diverged"].any() or abs(above["w"].iloc[-1]) > abs(PARABOLA_START)


@pytest.mark.parametrize("lr", np.geomspace(1e-3, 5.0, 40).tolist())
def test_regime_matches_what_the_ball_does(lr: float) -> None:
    steps = 20
    path = parabola_walk(lr, steps=steps)
    w = path["w"].to_numpy()
    regime = parabola_regime(lr, steps)
    if regime == "flies_off":
        assert abs(w[-1]) >= abs(PARABOLA_START) - 1e-12  # never closer than where it started
    else:
        assert np.all(np.diff(np.abs(w)) < 0)  # closer to the bottom at every step
        overshoots = np.sign(w[1:]) != np.sign(w[:-1])
        assert overshoots.all() if regime == "bounces" else not overshoots.any()
        covered = 1 - abs(w[-1]) / abs(PARABOLA_START)
        assert (covered < 0.5) == (regime == "crawls")


def test_bumpy_minima_are_where_the_slope_vanishes_and_the_left_one_is_deeper() -> None:
    shallow, deep = local_minima()
    for point in (shallow, deep):
        w = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        (slope,) = torch.autograd.grad(bumpy(w), w, create_graph=True)
        (curve,) = torch.autograd.grad(slope, w)
        assert abs(slope.item()) < 1e-9 and curve.item() > 0
    assert bumpy(torch.tensor(deep)) < bumpy(torch.tensor(shallow))
    assert deep < 0 < shallow < BUMPY_START


def test_a_small_rate_gets_stuck_a_larger_one_escapes_a_too_large_one_flies_off() -> None:
    assert where_it_settles(bumpy_walk(0.05)) == "shallow"
    assert where_it_settles(bumpy_walk(0.2)) == "deep"
    assert where_it_settles(bumpy_walk(0.4)) == "flies_off"


def test_escaping_works_only_below_the_deep_valleys_own_edge() -> None:
    # Past 2 / L''(deep) the ball reaches the deep valley but cannot come to rest in it.
    _, deep = local_minima()
    edge = edge_of_stability(3 * deep**2 - 4)
    assert where_it_settles(bumpy_walk(0.95 * edge, steps=200)) == "deep"
    assert where_it_settles(bumpy_walk(1.05 * edge, steps=200)) != "deep"


@pytest.mark.parametrize("steps", [5, 20, 100])
def test_regime_edges_separate_the_regimes(steps: int) -> None:
    edges = regime_edges(steps)
    for regime, after in (("crawls", "glides"), ("glides", "bounces"), ("bounces", "flies_off")):
        assert parabola_regime(0.999 * edges[regime], steps) == regime
        assert parabola_regime(1.001 * edges[regime], steps) == after
