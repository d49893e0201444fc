"""Plain-words verdicts of a learning-rate sweep: on hand-made curves and on a real sweep."""

import pandas as pd

from core.config import RunConfig
from core.lessons.verdicts import lr_verdicts
from core.training import train


def frames(curves: dict[float, list[float]], diverged: tuple[float, ...] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Epoch and run frames as the engine returns them, one run per learning rate."""
    rows = [
        {"run": run, "lr": lr, "epoch": epoch, "train_loss": loss}
        for run, (lr, losses) in enumerate(curves.items())
        for epoch, loss in enumerate(losses)
    ]
    runs = pd.DataFrame({"run": range(len(curves)), "lr": list(curves), "diverged": [lr in diverged for lr in curves]})
    return pd.DataFrame(rows), runs


def verdict_by_lr(epochs: pd.DataFrame, runs: pd.DataFrame) -> dict[float, str]:
    return dict(zip(*lr_verdicts(epochs, runs)[["lr", "verdict"]].T.values, strict=True))


def test_hand_made_curves():
    epochs, runs = frames(
        {
            0.001: [1.0, 0.95, 0.9, 0.85, 0.8],  # barely moving: too small
            0.01: [1.0, 0.5, 0.3, 0.2, 0.1],  # the best
            0.1: [1.0, 0.3, 0.6, 0.2, 0.5],  # jumps up and down: too large
            1.0: [1.0, 5.0],  # blew up
        },
        diverged=(1.0,),
    )
    assert verdict_by_lr(epochs, runs) == {0.001: "too_small", 0.01: "good", 0.1: "too_large", 1.0: "diverging"}


def test_all_diverged():
    epochs, runs = frames({1.0: [1.0], 10.0: [1.0]}, diverged=(1.0, 10.0))
    assert set(verdict_by_lr(epochs, runs).values()) == {"diverging"}


def test_the_learning_rate_pages_default_sweep():
    base = RunConfig(dataset="blood_pressure", optimizer="sgd", batch_size=32, epochs=30)
    result = train([base.replace(lr=lr) for lr in (0.001, 0.01, 0.1, 1.0)])
    verdicts = verdict_by_lr(result.epochs, result.runs)
    assert verdicts[0.001] == "too_small" and verdicts[1.0] == "diverging"
    assert verdicts[0.01] == verdicts[0.1] == "good"
