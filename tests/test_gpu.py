"""Device choice: CUDA when present, the CPU otherwise; CPU and GPU curves agree; they never share a cache entry."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

import core.ui.runs as runs
from core.config import ConfigError, RunConfig
from core.training import resolve_device, train

CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="no CUDA device on this machine")
# Stable settings: rounding differences between devices stay at rounding size (near the stability edge they grow).
STABLE = [
    RunConfig(epochs=5),
    RunConfig(dataset="digits", optimizer="momentum", lr=0.05, batch_size=64, epochs=4, scheduler="cosine"),
    RunConfig(dataset="diabetes", model="linear", optimizer="sgd", lr=0.01, batch_size="full", epochs=20),
    RunConfig(dataset="blood_pressure", optimizer="rmsprop", lr=0.003, batch_size=16, epochs=4, scheduler="onecycle"),
]


def test_auto_follows_what_torch_finds(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"
    assert resolve_device("cpu") == "cpu"  # an explicit choice stands


def test_cuda_without_a_gpu_is_a_clear_message(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError) as refused:
        train([RunConfig(epochs=1, device="cuda")])
    assert refused.value.message("en") and refused.value.message("ja")
    assert "CUDA" in refused.value.message("en") and "CUDA" in refused.value.message("ja")


def test_cpu_and_gpu_results_never_share_a_cache_entry(monkeypatch):
    """The resolved device is part of the cache key: the same config on another device trains again."""
    runs.RESULTS.clear()
    trained = []

    def counting_train(configs, engine="fast", progress=None):
        trained.append(configs)
        return train([c.replace(device="cpu") for c in configs], engine, progress)

    monkeypatch.setattr(runs, "train", counting_train)
    config = (RunConfig(epochs=1, device="cpu"),)
    runs.cached_train(config)
    runs.cached_train(config)
    assert len(trained) == 1  # the same device: served from the cache
    monkeypatch.setattr(runs, "resolve_device", lambda name: "cuda")
    runs.cached_train(config)
    assert len(trained) == 2  # the same config on the GPU: not the CPU's entry
    runs.RESULTS.clear()


@needs_cuda
@pytest.mark.parametrize("engine", ["fast", "reference"])
@pytest.mark.parametrize("config", STABLE, ids=lambda c: f"{c.dataset}-{c.optimizer}-{c.batch_size}")
def test_gpu_gives_the_cpu_curves_on_stable_runs(config, engine):
    configs = [config.replace(lr=config.lr * factor) for factor in (0.5, 1.0)]
    on_cpu = train([c.replace(device="cpu") for c in configs], engine)
    on_gpu = train([c.replace(device="cuda") for c in configs], engine)
    assert not on_cpu.runs["diverged"].any()
    for column in ("train_loss", "val_loss", "val_accuracy"):
        pd.testing.assert_series_equal(on_cpu.epochs[column], on_gpu.epochs[column], rtol=1e-4, atol=1e-5)
    pd.testing.assert_series_equal(on_cpu.steps["loss"], on_gpu.steps["loss"], rtol=1e-4, atol=1e-5)


@needs_cuda
def test_auto_trains_on_the_gpu_when_there_is_one():
    assert resolve_device(RunConfig().device) == "cuda"
