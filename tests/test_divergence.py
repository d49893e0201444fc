"""The divergence verdict on a labelled set of runs, in both engines.

Labels come from outside the verdict code: the stability limit 2/λmax of full-batch gradient descent on least squares
(core.lessons.theory, checked against torch's own eigenvalues in test_theory), and runs whose curves were inspected:
a spike that recovers is not divergence, a slow geometric rise is.
"""

from functools import cache

import pandas as pd
import pytest

from core.__main__ import main
from core.charts import loss_curves
from core.config import RunConfig
from core.data import load_split
from core.lessons.theory import gd_stability_bound, least_squares_max_eigenvalue
from core.runlog import RunLog, divergence_reason, judge
from core.training import train

ENGINES = ("fast", "reference")


@cache
def max_eigenvalue(dataset: str) -> float:
    """λmax of the mean-squared-error Hessian of a linear model on the training split."""
    return least_squares_max_eigenvalue(load_split(dataset, 0.2).x_train)


def gradient_descent(dataset: str, lr: float, epochs: int = 200) -> RunConfig:
    """Full-batch SGD on a linear model: plain gradient descent on a quadratic bowl."""
    return RunConfig(dataset=dataset, model="linear", optimizer="sgd", batch_size="full", lr=lr, epochs=epochs)


def at_bound(dataset: str, factor: float) -> RunConfig:
    return gradient_descent(dataset, factor * gd_stability_bound(max_eigenvalue(dataset)))


# name -> (config, reason the verdict must give; "" = not diverging)
LABELLED = {
    # 0.995 is 1.009 × 2/λmax: the loss rises slowly but geometrically, 1.5 -> ~1,100 in 200 epochs.
    "blood pressure, GD lr 0.995": (gradient_descent("blood_pressure", 0.995), "rising"),
    "blood pressure, GD at 0.98 × 2/λmax": (at_bound("blood_pressure", 0.98), ""),
    "blood pressure, GD at 1.02 × 2/λmax": (at_bound("blood_pressure", 1.02), "rising"),
    "diabetes, GD at 0.98 × 2/λmax": (at_bound("diabetes", 0.98), ""),
    "diabetes, GD at 1.02 × 2/λmax": (at_bound("diabetes", 1.02), "rising"),
    # Spiky in the first epochs (loss ×3000), then a training loss near 0 and 94 % validation accuracy.
    "breast cancer, RMSprop lr 3": (RunConfig(optimizer="rmsprop", lr=3.0, epochs=50), ""),
    # Loss ×3.7 in epoch 1, then it settles below its start.
    "blood pressure, mini-batch SGD lr 0.5": (
        RunConfig(dataset="blood_pressure", optimizer="sgd", lr=0.5, epochs=30),
        "",
    ),
    # Jumps up and down (×2.7 above its start at worst) and ends near 0.
    "breast cancer, Adam lr 0.3": (RunConfig(optimizer="adam", lr=0.3, epochs=30), ""),
    "diabetes, GD lr 1e-4 (slow)": (gradient_descent("diabetes", 1e-4, epochs=50), ""),
    # One update from a loss of 1 to ~2×10¹¹: only the state after the last update shows it.
    "diabetes, Adam lr 100, one full batch": (
        RunConfig(dataset="diabetes", optimizer="adam", lr=100.0, batch_size="full", epochs=1),
        "ended_above",
    ),
    # The second update makes the loss NaN; the third step would start from it.
    "diabetes MLP, GD lr 100, 3 epochs": (
        RunConfig(dataset="diabetes", hidden=(64, 64), optimizer="sgd", lr=100.0, batch_size="full", epochs=3),
        "stopped_nan",
    ),
    "diabetes MLP, GD lr 100, 2 epochs": (
        RunConfig(dataset="diabetes", hidden=(64, 64), optimizer="sgd", lr=100.0, batch_size="full", epochs=2),
        "end_nan",
    ),
    # The learning-rate page's largest default rate: 10¹² times its start within 5 steps.
    "blood pressure, mini-batch SGD lr 1": (
        RunConfig(dataset="blood_pressure", optimizer="sgd", lr=1.0, epochs=30),
        "stopped_bound",
    ),
}


def record(losses: list[float], final: float | None = None) -> RunLog:
    """A run log with these epoch training losses (epoch 0 first) and this loss after the last update."""
    epochs = [(epoch, loss, loss, float("nan")) for epoch, loss in enumerate(losses)]
    return RunLog(epochs=epochs, final_loss=losses[-1] if final is None else final)


@pytest.mark.parametrize(
    ("losses", "reason"),
    [
        ([1.0 * 1.01**e for e in range(101)], "rising"),  # slow, but geometric for 100 epochs: ×2.7
        ([1.0, 0.5, 0.3, *(0.3 * 1.2**e for e in range(1, 8))], "rising"),  # settles, then climbs ×3.6
        ([1.0, 0.5, 40.0, 3.0, 0.4, 0.3, 0.25, 0.2], ""),  # one spike, recovered
        ([1.0, 0.2, 0.6, 0.1, 0.5, 0.1, 0.7, 0.2, 0.6, 0.3], ""),  # jumps around, no sustained rise
        ([1.0, 0.01, 1e-4, 2e-4, 4e-4, 8e-4, 2e-3, 3e-3], ""),  # a wobble near zero
        ([1.0, 0.9, 0.8, 0.7, 0.6], ""),  # slow but converging
        ([1.0, 0.5, 1.0, 2.0], ""),  # rising, but for too few epochs to call it sustained ...
        ([1.0, 0.5, 1.0, 11.0], "ended_above"),  # ... unless it ends 10 times above its start
    ],
)
def test_the_verdict_reads_the_whole_record(losses, reason):
    verdict = judge(record(losses))
    assert (verdict.diverged, verdict.reason) == (reason != "", reason)


def test_a_rise_is_reported_per_epoch_over_its_length():
    verdict = judge(record([2.0, 1.0, *(1.0 * 1.07**e for e in range(1, 41))]))
    assert verdict.rise_epochs == 40 and verdict.growth == pytest.approx(1.07)


@cache
def result(name: str, engine: str):
    return train([LABELLED[name][0]], engine)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", LABELLED)
def test_labelled_run_gets_its_verdict(name, engine):
    run = result(name, engine).runs.iloc[0]
    reason = LABELLED[name][1]
    assert (bool(run["diverged"]), run["reason"]) == (reason != "", reason)
    assert result(name, engine).epochs["diverged"].eq(run["diverged"]).all()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", [n for n, (_, reason) in LABELLED.items() if reason == "rising"])
def test_a_geometric_rise_grows_as_theory_says(name, engine):
    """Above 2/λmax the top mode's error is multiplied by (lr·λmax − 1) per step, the loss by its square."""
    config = LABELLED[name][0]
    run = result(name, engine).runs.iloc[0]
    assert run["growth"] == pytest.approx((config.lr * max_eigenvalue(config.dataset) - 1) ** 2, rel=0.01)
    assert run["rise_epochs"] >= 150 and run["end_ratio"] > 100
    assert run["final_loss"] > result(name, engine).epochs["train_loss"].iloc[-1]  # still rising after the last update


@pytest.mark.parametrize("engine", ENGINES)
def test_spiky_runs_really_spiked_and_then_recovered(engine):
    for name in ("breast cancer, RMSprop lr 3", "blood pressure, mini-batch SGD lr 0.5", "breast cancer, Adam lr 0.3"):
        epochs = result(name, engine).epochs
        start, peak, end = epochs["train_loss"].iloc[0], epochs["train_loss"].max(), epochs["train_loss"].iloc[-1]
        assert peak > 2.5 * start and end < start
    rmsprop = result("breast cancer, RMSprop lr 3", engine)
    assert rmsprop.epochs["val_accuracy"].iloc[-1] > 0.9 and len(rmsprop.epochs) == 51


@pytest.mark.parametrize("engine", ENGINES)
def test_the_state_after_the_last_update_is_judged(engine):
    run = result("diabetes, Adam lr 100, one full batch", engine).runs.iloc[0]
    epochs = result("diabetes, Adam lr 100, one full batch", engine).epochs
    assert epochs["train_loss"].max() < 2  # the losses measured before each step saw nothing
    assert run["end_ratio"] > 1e10 and pd.isna(run["stopped_step"])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_stopped_run_keeps_its_curve_up_to_the_stop(engine):
    for name, step in (("diabetes MLP, GD lr 100, 3 epochs", 2), ("blood pressure, mini-batch SGD lr 1", 4)):
        outcome = result(name, engine)
        run = outcome.runs.iloc[0]
        assert run["stopped_step"] == step and len(outcome.steps) == step
        assert outcome.epochs["epoch"].max() == run["stopped_epoch"] - 1


def test_the_command_line_gives_the_reason(tmp_path, capsys):
    args = [
        "train",
        "--lr",
        "0.001",
        "100",
        "--epochs",
        "1",
        "--batch-size",
        "full",
        "--dataset",
        "diabetes",
        "--optimizer",
        "adam",
    ]
    assert main([*args, "--csv", str(tmp_path / "runs.csv")]) == 0
    lines = capsys.readouterr().err.splitlines()
    expected = "python -m core: note: run 1 (learning rate 100) diverges: the loss ended 1.9×10¹¹"
    assert len(lines) == 1 and lines[0].startswith(expected)
    assert pd.read_csv(tmp_path / "runs.csv").groupby("lr")["diverged"].all().to_dict() == {0.001: False, 100.0: True}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_chart_marks_where_a_diverging_run_stops_or_ends_with_its_reason(lang):
    configs = [LABELLED[name][0] for name in ("blood pressure, GD lr 0.995", "diabetes, GD lr 1e-4 (slow)")]
    rising = train(configs[:1])
    stopped = result("blood pressure, mini-batch SGD lr 1", "fast")
    for outcome, epoch in ((rising, 200), (stopped, 1)):
        marks = loss_curves(outcome.epochs, lang, runs=outcome.runs).layer[2].data
        assert marks["epoch"].tolist() == [epoch]
        assert marks["status"].tolist() == [divergence_reason(outcome.runs.iloc[0], lang)]
    assert len(loss_curves(train(configs[1:]).epochs, lang).layer) == 2  # nothing diverges: no marks


@pytest.mark.parametrize("log_y", [False, True])
def test_runs_stopped_in_the_same_epoch_get_their_marks_one_under_the_other(log_y):
    configs = [RunConfig(dataset="blood_pressure", optimizer="sgd", lr=lr, epochs=10) for lr in (0.1, 3.0, 10.0, 100.0)]
    outcome = train(configs)
    stopped = outcome.runs[outcome.runs["diverged"].astype(bool)]
    assert stopped["stopped_epoch"].nunique() == 1 and len(stopped) == 3  # three runs stop in one epoch
    chart = loss_curves(outcome.epochs, "en", runs=outcome.runs, log_y=log_y)
    plotted = chart.layer[0].data["loss"]
    tops = chart.layer[3].data["top"].tolist()  # the ✖ layer
    assert tops[0] == plotted.max() and tops == sorted(tops, reverse=True) and len(set(tops)) == 3
    assert min(tops) >= plotted.min()  # all inside the plotted range
