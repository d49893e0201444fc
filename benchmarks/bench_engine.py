"""Paired, interleaved timings of the fast engine against the reference loop (and a schedule against none).

Each case has two contenders trained on the same configs. Every round times both, alternating which goes first, so
a load spike on a shared machine hits both members of a pair about equally; the ratio of each pair is one sample,
and the median and minimum of those samples are printed, in wall-clock and in thread CPU time, with the load
average. Nothing here is asserted: the figures are for people.

    python -m benchmarks.bench_engine [--rounds 5] [--cases sweep,k1,...]

On a machine with CUDA two more cases run by default: the fast engine on the GPU against itself on the CPU, and
against the reference loop on the CPU. (A GPU's work is asynchronous: only the wall-clock figures mean anything
there; each epoch's records synchronise the device.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from core.config import RunConfig
from core.training import train

LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1)


@dataclass(frozen=True)
class Case:
    """Two ways of training: `slow` over `fast` is the paired ratio."""

    title: str
    slow: Callable[[], object]
    fast: Callable[[], object]
    names: tuple[str, str] = ("reference", "fast")


def sweep(rates: int = 8, **settings: object) -> list[RunConfig]:
    """The benchmark sweep (Adam, batch 32, 60 epochs, breast cancer, MLP 30-32-1), `rates` rates from 1e-4 up."""
    defaults = {"dataset": "breast_cancer", "hidden": (32,), "optimizer": "adam", "batch_size": 32, "epochs": 60}
    rates_used = [LEARNING_RATES[i % 8] * (1 + i // 8) for i in range(rates)]
    return [RunConfig(**(defaults | settings), lr=lr) for lr in rates_used]


def engines(title: str, configs: list[RunConfig]) -> Case:
    """Reference loop against fast engine on the same configs."""
    return Case(title, lambda: train(configs, "reference"), lambda: train(configs, "fast"))


def schedule_cost(title: str, configs: list[RunConfig]) -> Case:
    """Fast engine without a schedule against the same configs with one-cycle (a per-batch schedule)."""
    scheduled = [c.replace(scheduler="onecycle") for c in configs]
    return Case(title, lambda: train(configs), lambda: train(scheduled), ("no schedule", "one-cycle"))


CASES = {
    "sweep": lambda: engines("8 rates, Adam, batch 32, 60 epochs, breast cancer MLP 30-32-1", sweep()),
    "k1": lambda: engines("K = 1: one rate, same setting", sweep(1)),
    "batch1": lambda: engines("8 rates, batch 1, 2 epochs", sweep(batch_size=1, epochs=2)),
    "full": lambda: engines("16 rates, full batch, 100 epochs", sweep(16, batch_size="full", epochs=100)),
    "onecycle8": lambda: schedule_cost("8 rates: one-cycle's speed relative to no schedule (1 = free)", sweep()),
    "onecycle64": lambda: schedule_cost("64 rates, 20 epochs: one-cycle's relative speed", sweep(64, epochs=20)),
}


def on_devices(title: str, configs: list[RunConfig], slow_engine: str) -> Case:
    """`slow_engine` on the CPU against the fast engine on the GPU, on the same configs."""
    on_cpu = [c.replace(device="cpu") for c in configs]
    on_gpu = [c.replace(device="cuda") for c in configs]
    return Case(title, lambda: train(on_cpu, slow_engine), lambda: train(on_gpu), (f"{slow_engine} CPU", "fast GPU"))


if torch.cuda.is_available():
    CASES["gpu"] = lambda: on_devices("8 rates: fast engine, GPU against CPU", sweep(), "fast")
    CASES["gpu64"] = lambda: on_devices("64 rates, 20 epochs: GPU against CPU", sweep(64, epochs=20), "fast")
    CASES["gpu_reference"] = lambda: on_devices("8 rates: fast engine on the GPU, reference", sweep(), "reference")


def paired_ratios(case: Case, rounds: int, clock: Callable[[], float]) -> tuple[list[float], list[float], list[float]]:
    """Seconds of each contender per round on `clock`, and the ratio of each pair (alternating who goes first)."""
    slow_times, fast_times, ratios = [], [], []
    for round_ in range(rounds):
        pair = {}
        for name in ("slow", "fast") if round_ % 2 == 0 else ("fast", "slow"):
            start = clock()
            getattr(case, name)()
            pair[name] = clock() - start
        slow_times.append(pair["slow"])
        fast_times.append(pair["fast"])
        ratios.append(pair["slow"] / pair["fast"])
    return slow_times, fast_times, ratios


def main() -> None:
    """Print, per case, the median times and the median and minimum paired ratio, in wall and CPU time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, from: {', '.join(CASES)}")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for key in args.cases.split(","):
        case = CASES[key]()
        case.slow(), case.fast()  # warm-up: one-time library loading is process start-up, not training
        print(case.title)
        # Wall time is what a user waits; thread CPU time is what the work costs, whatever else the machine runs.
        for clock_name, clock in (("wall", time.perf_counter), ("CPU", time.thread_time)):
            slow, fast, ratios = paired_ratios(case, args.rounds, clock)
            print(
                f"  {clock_name:>4}: {case.names[0]} {statistics.median(slow):.3f} s, {case.names[1]} "
                f"{statistics.median(fast):.3f} s (medians of {args.rounds}); paired ratio median "
                f"{statistics.median(ratios):.2f}x, minimum {min(ratios):.2f}x"
            )


if __name__ == "__main__":
    main()
