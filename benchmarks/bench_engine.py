"""Fast engine vs reference loop on the same 8-learning-rate sweep, measured in one run.

Adam, batch 32, 60 epochs, breast cancer, MLP 30-32-1. Both engines are warmed up first (one-time library
loading is process start-up, not training), then each is timed `--repeats` times; the best time of each counts.
"""

from __future__ import annotations

import argparse
import time

from core.config import RunConfig
from core.training import train

LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1)


def best_time(configs: list[RunConfig], engine: str, repeats: int) -> float:
    """Shortest wall-clock time of `repeats` trainings."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        train(configs, engine)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Print both times and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    configs = [
        RunConfig(
            dataset="breast_cancer",
            model="mlp",
            hidden=(32,),
            optimizer="adam",
            batch_size=32,
            epochs=args.epochs,
            lr=lr,
        )
        for lr in LEARNING_RATES
    ]
    for engine in ("fast", "reference"):
        train([configs[0].replace(epochs=1)], engine)  # warm-up
    fast = best_time(configs, "fast", args.repeats)
    reference = best_time(configs, "reference", args.repeats)
    print(f"8-LR sweep, {args.epochs} epochs, batch 32, Adam, breast cancer MLP 30-32-1")
    print(f"reference engine: {reference:.2f} s")
    print(f"fast engine:      {fast:.2f} s")
    print(f"ratio:            {reference / fast:.1f}x")


if __name__ == "__main__":
    main()
