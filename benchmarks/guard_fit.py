"""The compute guard against measured training: thread CPU time of a grid of configs, and the fit of its constants.

For each config it prints the measured seconds, the guard's estimate and their ratio (the guard is an upper bound
where every ratio is at most 1), then a non-negative least-squares fit of the cost model's constants to the
measurements, from which core.training.COSTS is set (raised until it bounds every row).

    python -m benchmarks.guard_fit [--engine fast|reference]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.optimize import nnls

from core.config import RunConfig
from core.training import COSTS, cost_counts, estimated_bytes, estimated_seconds, train, workloads


def rates(count: int, **settings: object) -> list[RunConfig]:
    """`count` runs of one setting, learning rates spread over two decades."""
    return [RunConfig(**settings, lr=1e-3 * 10 ** (2 * i / max(1, count - 1))) for i in range(count)]


GRID = {
    "fast": [
        rates(1, dataset="blood_pressure", model="linear", optimizer="sgd", batch_size=1, epochs=2),
        rates(256, dataset="diabetes", model="linear", optimizer="sgd", batch_size="full", epochs=100),
        rates(32, dataset="blood_pressure", model="linear", optimizer="sgd", batch_size=1, epochs=1),
        rates(8, optimizer="adam", batch_size=32, epochs=20),
        rates(8, optimizer="adam", batch_size=1, epochs=1),
        rates(16, optimizer="adam", batch_size=1, epochs=1, scheduler="onecycle"),
        rates(2, dataset="digits", hidden=(256, 256), optimizer="adam", batch_size=16, epochs=1),
        rates(4, dataset="digits", hidden=(256, 256), batch_size="full", epochs=10),
        rates(64, dataset="blood_pressure", model="linear", batch_size="full", epochs=300),
        rates(1, dataset="digits", hidden=(512, 512, 512), optimizer="adam", batch_size=1, epochs=1, val_fraction=0.5),
    ],
    "reference": [
        rates(2, optimizer="adam", batch_size=32, epochs=5),
        rates(1, optimizer="adam", batch_size=1, epochs=1),
        rates(1, dataset="digits", hidden=(256, 256), optimizer="adam", batch_size=16, epochs=1),
        rates(2, dataset="blood_pressure", model="linear", batch_size="full", epochs=300, scheduler="onecycle"),
        rates(1, dataset="blood_pressure", model="linear", optimizer="sgd", batch_size=1, epochs=1),
        rates(1, dataset="digits", hidden=(256, 256), batch_size="full", epochs=10),
        rates(1, dataset="digits", hidden=(512, 512, 512), optimizer="adam", batch_size=1, epochs=1, val_fraction=0.5),
    ],
}


def measured_seconds(configs: list[RunConfig], engine: str) -> float:
    """Thread CPU seconds of one training (one torch thread), so other load on the machine barely counts."""
    torch.set_num_threads(1)
    start = time.thread_time()
    train(configs, engine)
    return time.thread_time() - start


def counts(configs: list[RunConfig], engine: str) -> list[float]:
    """The cost model's counts, in the order of COSTS."""
    totals = np.zeros(len(COSTS[engine]))
    for w in workloads(configs, engine):
        totals += [cost_counts(w)[name] for name in COSTS[engine]]
    return totals.tolist()


def main() -> None:
    """Print measured against estimated time per config, then the fitted constants."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="fast", choices=list(GRID))
    args = parser.parse_args()
    train(GRID[args.engine][0][:1], args.engine)  # warm-up
    rows, seconds = [], []
    for configs in GRID[args.engine]:
        measured = measured_seconds(configs, args.engine)
        estimate = estimated_seconds(configs, args.engine)
        megabytes = estimated_bytes(configs, args.engine) / 1e6
        c = configs[0].validated()
        name = (
            f"{len(configs)}x {c.dataset} {c.model}{c.hidden} {c.optimizer} b{c.batch_size} e{c.epochs} {c.scheduler}"
        )
        print(
            f"{name:70} measured {measured:7.3f} s  estimate {estimate:7.3f} s  ratio {measured / estimate:.2f}  "
            f"memory bound {megabytes:.0f} MB"
        )
        rows.append(counts(configs, args.engine))
        seconds.append(measured)
    fitted, _ = nnls(np.array(rows), np.array(seconds))
    print("least-squares constants:", dict(zip(COSTS[args.engine], fitted.tolist(), strict=True)))


if __name__ == "__main__":
    main()
