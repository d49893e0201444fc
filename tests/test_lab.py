"""The lab's logic against independent oracles: train() run by run, the data split's own labels, plain arithmetic."""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from core.charts.lab import band_chart, image_bytes
from core.config import ConfigError, RunConfig
from core.data import load_split
from core.lab import (
    DEFAULT_TEXT,
    confusion,
    differing,
    grid_configs,
    grid_table,
    read_run,
    run_table,
    run_text,
    seed_band,
    seed_configs,
    with_x_axes,
)
from core.training import train

SMALL = RunConfig(epochs=4)


@pytest.mark.parametrize(
    "config",
    [
        RunConfig(),
        RunConfig(lr=0.1, batch_size=8),
        RunConfig(dataset="digits", hidden=(64, 32), scheduler="step", step_size=3, gamma=0.3, shuffle=False),
        RunConfig(model="linear", optimizer="nesterov", weight_decay=0.01, batch_size="full", order="sorted"),
    ],
)
def test_run_text_round_trips(config: RunConfig) -> None:
    assert read_run(run_text(config)) == config.validated()


def test_run_text_is_the_change_from_the_defaults() -> None:
    assert run_text(RunConfig(lr=0.1, batch_size=8)) == "lr:0.1;batch_size:8"
    assert run_text(RunConfig()) == DEFAULT_TEXT


@pytest.mark.parametrize("text", ["", "lr", "lr:abc", "colour:red", "lr:0.1;;batch_size:0", "epochs:1e9"])
def test_bad_run_texts_are_refused(text: str) -> None:
    with pytest.raises((ValueError, ConfigError)):
        read_run(text)


def test_differing_names_the_changed_knobs() -> None:
    first = RunConfig()
    assert differing([first, first.replace(lr=0.1), first.replace(batch_size=8, seed=3)]) == [
        set(),
        {"lr"},
        {"batch_size", "seed"},
    ]


def test_run_table_keeps_changed_knobs_and_final_numbers() -> None:
    configs = [SMALL, SMALL.replace(lr=0.01)]
    result = train(configs)
    table = run_table(configs, ["#1", "#2"], result.epochs)
    assert list(table["lr"]) == ["0.001", "0.01"] and "dataset" not in table
    last = result.epochs[result.epochs["epoch"] == 4].set_index("run")
    np.testing.assert_allclose(table["val_loss"], last["val_loss"])
    # The CSV download is this table, read back the same.
    back = pd.read_csv(io.StringIO(table.to_csv(index=False)), dtype={"epochs": str, "lr": str})
    pd.testing.assert_frame_equal(back, table, check_dtype=False)


def test_updates_and_examples_follow_the_recorded_steps() -> None:
    configs = [SMALL, SMALL.replace(batch_size=8), SMALL.replace(batch_size="full")]
    result = train(configs)
    frame = with_x_axes(result.epochs, configs)
    n = len(load_split("breast_cancer").x_train)
    for run in range(len(configs)):
        rows = frame[frame["run"] == run]
        steps = result.steps[result.steps["run"] == run]
        recorded = [int((steps["epoch"] <= epoch).sum()) for epoch in rows["epoch"]]
        assert list(rows["updates"]) == recorded  # the engine's own step records, counted
        assert list(rows["examples"]) == [epoch * n for epoch in rows["epoch"]]


def test_seed_band_is_the_runs_own_min_mean_max() -> None:
    configs = seed_configs(SMALL.replace(seed=7))
    assert [config.seed for config in configs] == [7, 8, 9, 10, 11]
    band = seed_band(train(configs).epochs)
    alone = np.array([train([config]).epochs["val_loss"].to_numpy() for config in configs])  # one run at a time
    np.testing.assert_allclose(band["mean"], alone.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(band["low"], alone.min(axis=0), rtol=1e-4)
    np.testing.assert_allclose(band["high"], alone.max(axis=0), rtol=1e-4)
    assert (band["low"] <= band["mean"]).all() and (band["mean"] <= band["high"]).all()


def test_grid_best_cell_is_the_lowest_stable_final_loss_and_diverging_cells_are_marked() -> None:
    base = RunConfig(dataset="blood_pressure", model="linear", optimizer="sgd", epochs=8)
    configs = grid_configs(base, [0.01, 0.3, 3.0], [32, "full"], ["sgd"])
    result = train(configs)
    table = grid_table(configs, result.epochs, result.runs)
    finals, diverged = [], []
    for config in configs:  # one run at a time, judged on its own
        alone = train([config])
        finals.append(alone.epochs["val_loss"].iloc[-1] if len(alone.epochs) == config.epochs + 1 else math.nan)
        diverged.append(bool(alone.runs["diverged"].iloc[0]))
    assert list(table["diverged"]) == diverged and any(diverged)
    assert (table.loc[table["diverged"], "reason"] != "").all()
    stable = [loss if not bad else math.inf for loss, bad in zip(finals, diverged, strict=True)]
    assert table["best"].sum() == 1 and table.index[table["best"]][0] == int(np.argmin(stable))


@pytest.mark.parametrize("config", [SMALL, RunConfig(dataset="digits", epochs=3, batch_size=64)])
def test_confusion_matches_accuracy_and_class_counts(config: RunConfig) -> None:
    counts = confusion(config)
    right = counts.loc[counts["true"] == counts["predicted"], "count"].sum()
    accuracy = train([config], engine="reference").epochs["val_accuracy"].iloc[-1]
    assert right / counts["count"].sum() == pytest.approx(accuracy, abs=1e-6)
    labels = load_split(config.dataset).y_val.long().numpy()
    rows = counts.groupby("true")["count"].sum()
    assert list(rows) == list(np.bincount(labels, minlength=len(rows)))


def test_chart_images_are_real_png_and_svg() -> None:
    band = pd.DataFrame({"epoch": [0, 1], "mean": [1.0, 0.5], "low": [0.9, 0.4], "high": [1.1, 0.6], "runs": 2})
    titles = {name: name for name in ("epoch", "mean", "low", "high", "val_loss")}
    chart = band_chart(band, titles)
    assert image_bytes(chart, "png").startswith(b"\x89PNG\r\n\x1a\n")
    assert ET.fromstring(image_bytes(chart, "svg")).tag == "{http://www.w3.org/2000/svg}svg"
