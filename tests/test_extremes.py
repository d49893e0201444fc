"""Every optimizer × scheduler at the lab's extreme settings (smallest and largest learning rate, batch 1 and the full
batch, the most epochs): each request completes with every blown-up run marked diverging, or the compute guard refuses
it with a message in both languages. The same grid through the command line, and a few extreme links in the app.

The extremes are read from the lab's own widgets, so the test follows a slider that changes."""

from __future__ import annotations

import math
from functools import cache
from itertools import product
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.config import ConfigError, RunConfig
from core.optim import OPTIMIZERS, SCHEDULERS
from core.runlog import divergence_reason
from core.training import check_size, train
from tests.test_cli import assert_one_line_error, run_main

ROOT = Path(__file__).resolve().parents[1]
LAB = "pages/6_lab.py"
DATASETS = ("breast_cancer", "diabetes")  # one classification and one regression set: BCE and MSE blow up differently
GRID = list(product(OPTIMIZERS, SCHEDULERS))


@cache
def lab_extremes() -> dict[str, object]:
    """The lab's lowest and highest learning rate, its batch sizes at both ends and its most epochs, as drawn."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page(LAB).run()
    assert not at.exception, [e.value for e in at.exception]
    rates = [float(v) for v in at.select_slider(key="lab.lr").options]
    batches = at.select_slider(key="lab.batch_size").options
    epochs = at.slider(key="lab.epochs").proto.max
    return {"lrs": (min(rates), max(rates)), "batches": (batches[0], batches[-1]), "epochs": int(epochs)}


def configs(dataset: str, optimizer: str, scheduler: str, batch: object) -> list[RunConfig]:
    extremes = lab_extremes()
    size = "full" if batch == extremes["batches"][-1] else int(batch)
    return [
        RunConfig(
            dataset=dataset, optimizer=optimizer, scheduler=scheduler, lr=lr, batch_size=size, epochs=extremes["epochs"]
        )
        for lr in extremes["lrs"]
    ]


def test_the_extremes_are_the_lab_widgets_ends() -> None:
    extremes = lab_extremes()
    low, high = extremes["lrs"]
    assert 0 < low < 1e-3 and high >= 1.0
    assert extremes["batches"][0] == "1" and extremes["batches"][-1] == "N"  # online and full batch, as labelled
    assert extremes["epochs"] >= 100


def refused(runs: list[RunConfig]) -> ConfigError | None:
    try:
        check_size(runs)
    except ConfigError as err:
        return err
    return None


@pytest.mark.parametrize(("optimizer", "scheduler"), GRID)
def test_online_learning_at_the_most_epochs_is_refused_with_what_to_reduce(optimizer: str, scheduler: str) -> None:
    for dataset in DATASETS:
        err = refused(configs(dataset, optimizer, scheduler, lab_extremes()["batches"][0]))
        assert err is not None and err.key == "too_big"
        assert err.message("en") != err.message("ja")
        assert "epochs" in err.message("en") and "エポック" in err.message("ja")
        with pytest.raises(ConfigError, match="limit is 30 s"):
            train(configs(dataset, optimizer, scheduler, "1"))


@pytest.mark.parametrize(("optimizer", "scheduler"), GRID)
@pytest.mark.parametrize("dataset", DATASETS)
def test_full_batch_at_both_learning_rates_completes_and_marks_what_blew_up(
    dataset: str, optimizer: str, scheduler: str
) -> None:
    runs = configs(dataset, optimizer, scheduler, lab_extremes()["batches"][-1])
    assert refused(runs) is None
    result = train(runs)
    assert len(result.runs) == len(runs)
    for run, row in result.runs.iterrows():
        epochs = result.epochs[result.epochs["run"] == run]
        losses = epochs["train_loss"].tolist() + epochs["val_loss"].tolist()
        blew_up = not all(math.isfinite(loss) for loss in losses) or not math.isfinite(row["final_loss"])
        if blew_up:  # a loss that left the numbers must never reach a chart unmarked
            assert row["diverged"] and row["reason"], (run, row.to_dict())
        if row["diverged"]:
            assert epochs["diverged"].all()
            assert divergence_reason(row, "en") and divergence_reason(row, "ja")  # the reason a chart prints
        else:
            assert not blew_up and epochs["diverged"].eq(False).all()
    # the smallest rate never diverges: from the same start it moves the weights by at most 1e-4 per step's gradient
    assert not result.runs.loc[0, "diverged"]


FLAGS_BY_BATCH = {"1": "1", "N": "full"}


@pytest.mark.parametrize(("optimizer", "scheduler"), GRID)
def test_the_command_line_refuses_online_learning_at_the_most_epochs_in_one_line(
    optimizer: str, scheduler: str
) -> None:
    extremes = lab_extremes()
    argv = ["train", "--optimizer", optimizer, "--scheduler", scheduler, "--batch-size", "1"]
    argv += ["--lr", *(f"{lr:g}" for lr in extremes["lrs"]), "--epochs", str(extremes["epochs"])]
    code, out, err = run_main(argv)
    assert_one_line_error(code, err)
    assert out == ""


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_the_command_line_trains_the_full_batch_extremes(optimizer: str) -> None:
    extremes = lab_extremes()
    scheduler = SCHEDULERS[OPTIMIZERS.index(optimizer) % len(SCHEDULERS)]  # every scheduler once over the optimizers
    argv = [
        "train",
        "--optimizer",
        optimizer,
        "--scheduler",
        scheduler,
        "--batch-size",
        "full",
        "--dataset",
        "diabetes",
    ]
    argv += ["--lr", *(f"{lr:g}" for lr in extremes["lrs"]), "--epochs", str(extremes["epochs"])]
    code, out, err = run_main(argv)
    assert code == 0, err
    assert "Traceback" not in err and out.strip()


def open_lab(**query: object) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"lang": "en", **query})
    at.run()
    at.switch_page(LAB).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_lab_at_online_learning_and_the_most_epochs_shows_the_guard_message() -> None:
    extremes = lab_extremes()
    query = {"optimizer": "adam", "scheduler": "onecycle", "lr": f"{extremes['lrs'][1]:g}", "batch_size": "1"}
    at = open_lab(**query, epochs=extremes["epochs"])
    expected = refused([RunConfig.from_params({**query, "epochs": str(extremes["epochs"])})])
    assert expected is not None
    assert [error.value for error in at.error] == [expected.message("en")]


def test_the_lab_at_the_full_batch_extremes_draws_without_an_error() -> None:
    extremes = lab_extremes()
    query = {"optimizer": "sgd", "dataset": "diabetes", "lr": f"{extremes['lrs'][1]:g}", "batch_size": "full"}
    at = open_lab(**query, epochs=extremes["epochs"])
    assert at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart"), "no chart drawn"
    assert not at.error
