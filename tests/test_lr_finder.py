"""The LR range test against torch-lr-finder (where installed) and against what constant rates really do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from core.charts.valley import WARNING, range_test_chart
from core.config import RunConfig
from core.data import load_split
from core.lessons.lr_finder import (
    DIVERGE,
    END_LR,
    SKIP_END,
    SKIP_START,
    SMOOTHING,
    START_LR,
    STEPS,
    band,
    range_test,
    range_tests,
    rate_at,
    suggested_rates,
    suggestions,
)
from core.models import build_model, initial_weights, layer_sizes, resolve_loss
from core.optim import make_optimizer
from core.reference import criterion_for
from core.runlog import init_seed, order_seed, targets
from core.training import train

SGD_CANCER = RunConfig(dataset="breast_cancer", optimizer="sgd", batch_size=32)


def test_rates_grow_in_equal_ratios_from_start_to_end() -> None:
    rates = np.array([rate_at(step) for step in range(STEPS)])
    assert rates[0] == pytest.approx(START_LR) and rates[-1] == pytest.approx(END_LR)
    np.testing.assert_allclose(rates[1:] / rates[:-1], (END_LR / START_LR) ** (1 / (STEPS - 1)))


def test_range_test_rises_falls_and_stops_at_the_blow_up() -> None:
    test = range_test(SGD_CANCER)
    np.testing.assert_allclose(test["lr"], [rate_at(step) for step in test["step"]])
    assert test["smoothed"].min() < 0.5 * test["smoothed"].iloc[0]  # it learned on the way
    if len(test) < STEPS:  # stopped early: only because the smoothed loss passed DIVERGE × its best
        assert test["smoothed"].iloc[-1] > DIVERGE * test["smoothed"].iloc[:-1].min()


def test_same_seed_same_curve_and_seeds_make_a_band() -> None:
    pd.testing.assert_frame_equal(range_test(SGD_CANCER), range_test(SGD_CANCER))
    tests = range_tests(SGD_CANCER, seeds=(0, 1, 2))
    spread = band(tests)
    assert (spread["low"] <= spread["mean"]).all() and (spread["mean"] <= spread["high"]).all()
    assert (spread["high"] > spread["low"]).any()  # the seeds really differ
    rates = suggested_rates(tests)
    assert list(rates["seed"]) == [0, 1, 2] and (rates["steepest"] <= rates["minimum"]).all()


def test_suggestions_on_a_known_curve() -> None:
    lrs = np.geomspace(1e-4, 1, 40)
    smoothed = 1 / (1 + np.exp(8 * (np.log10(lrs) + 2)))  # steepest fall at 1e-2
    smoothed[-6:] = [2, 3, 4, 5, 6, 7]  # the blow-up
    curve = pd.DataFrame({"step": range(40), "lr": lrs, "loss": smoothed, "smoothed": smoothed})
    picked = suggestions(curve)
    assert picked["steepest"] == pytest.approx(1e-2, rel=0.3)
    assert picked["minimum"] == pytest.approx(lrs[-7])
    assert picked["minimum_over_10"] == pytest.approx(lrs[-7] / 10)
    assert picked["blowup"] == lrs[-1]
    curve.loc[34:, "smoothed"] = [2.0, 8.0, 1.0, 9.0, 12.0, 15.0]  # the blow-up falls back once: not a rate to learn at
    assert suggestions(curve, skip_end=0)["steepest"] == pytest.approx(1e-2, rel=0.3)


@pytest.mark.parametrize(
    "config",
    [SGD_CANCER, RunConfig(dataset="digits", optimizer="sgd"), RunConfig(dataset="blood_pressure", model="linear")],
    ids=["cancer-sgd", "digits-sgd", "pressure-linear-adam"],
)
def test_the_lowest_point_is_too_large_as_a_constant_rate(config: RunConfig) -> None:
    """Held from the first step, the rate at the range test's minimum trains far worse than the steepest-fall one."""
    picked = suggested_rates(range_tests(config)).median()
    result = train([config.replace(lr=picked["steepest"], epochs=20), config.replace(lr=picked["minimum"], epochs=20)])
    final = result.epochs.groupby("run").tail(1).set_index("run")
    steepest, minimum = final.loc[0], final.loc[1]
    assert not steepest["diverged"]
    assert minimum["diverged"] or minimum["train_loss"] > 1.5 * steepest["train_loss"]


def torch_lr_finder_test(config: RunConfig) -> tuple[dict[str, list[float]], float]:
    """torch-lr-finder's history and its suggestion for `config`, given the same model, data order and criterion."""
    finder_module = pytest.importorskip("torch_lr_finder")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    split = load_split(config.dataset)
    loss_name = resolve_loss(config, split)
    y_train, _ = targets(split, loss_name)
    sizes = layer_sizes(config, split, loss_name)
    model = build_model(sizes, config.activation, initial_weights(sizes, init_seed(config.seed)))
    loader = DataLoader(
        TensorDataset(split.x_train, y_train),
        batch_size=config.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(order_seed(config.seed)),
    )
    optimizer = make_optimizer(config.optimizer, model.parameters(), START_LR)
    finder = finder_module.LRFinder(model, optimizer, criterion_for(loss_name, split), device="cpu")
    finder.range_test(
        loader, start_lr=START_LR, end_lr=END_LR, num_iter=STEPS, smooth_f=SMOOTHING, diverge_th=int(DIVERGE)
    )
    _, axis = plt.subplots()
    _, their_pick = finder.plot(skip_start=SKIP_START, skip_end=SKIP_END, suggest_lr=True, ax=axis)
    plt.close("all")
    return finder.history, their_pick


def test_same_curve_and_suggestion_as_torch_lr_finder() -> None:
    """torch-lr-finder is the independent oracle: same curve, and where its steepest fall lies before the lowest
    point, the same suggestion."""
    config = SGD_CANCER
    ours = range_test(config)
    theirs, their_pick = torch_lr_finder_test(config)
    assert len(theirs["lr"]) == len(ours)
    np.testing.assert_allclose(ours["lr"], theirs["lr"], rtol=1e-9)
    np.testing.assert_allclose(ours["smoothed"], theirs["loss"], rtol=1e-5)
    picked = suggestions(ours)
    assert their_pick < picked["minimum"]
    assert picked["steepest"] == pytest.approx(their_pick, rel=1e-9)


def test_the_steepest_fall_is_read_before_the_lowest_point() -> None:
    """On the learning-rate page's opening settings torch-lr-finder's rule lands past the lowest point, in the
    blow-up (the issue's 0.811 against 0.266); ours reads the same gradient before it."""
    config = RunConfig(dataset="blood_pressure", optimizer="sgd", batch_size=32)
    ours = suggestions(range_test(config))
    _, their_pick = torch_lr_finder_test(config)
    assert their_pick > ours["minimum"] > ours["steepest"]
    assert ours["steepest"] < ours["minimum_over_10"] * 10 < ours["blowup"]


def test_a_suggestion_at_or_past_the_lowest_point_is_drawn_in_the_warning_colour() -> None:
    curve = pd.DataFrame({"step": range(3), "lr": [0.01, 0.1, 1.0], "mean": [1.0, 0.5, 2.0]})
    band_frame = curve.assign(low=curve["mean"] * 0.9, high=curve["mean"] * 1.1)
    picks = {"steepest": 0.05, "past": 0.5, "minimum": 0.1}
    spec = range_test_chart(band_frame, picks, {"lr": "lr", "loss": "loss", "suggestion": "s"}, minimum=0.1).to_dict()
    scale = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")["encoding"]["color"]["scale"]
    colours = dict(zip(scale["domain"], scale["range"], strict=True))
    assert colours["past"] == colours["minimum"] == WARNING != colours["steepest"]
