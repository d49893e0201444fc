"""Every optimizer × scheduler at the widgets' extremes (largest and smallest learning rate, batch 1 and the full batch,
the most epochs): each request trains to finite-or-marked results, or the compute guard refuses it with a message in
both languages that says what to reduce. In core, through the command line and on two pages."""

from __future__ import annotations

import contextlib
import io
import math
from functools import cache

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.__main__ import main
from core.config import BATCH_TICKS, LR_TICKS, MAX_LR, ConfigError, RunConfig
from core.i18n import t
from core.optim import OPTIMIZERS, SCHEDULERS
from core.runlog import divergence_reason
from core.training import EPOCH_COLUMNS, Result, check_size, train
from tests.test_app_pages import charts, open_app

# The extremes as the widgets declare them: the learning-rate lists offer LR_TICKS, and a typed rate is accepted
# up to MAX_LR; the batch slider runs from its smallest size to the full batch.
LOWEST_LR, HIGHEST_LR = min(LR_TICKS), MAX_LR
BATCHES = (min(size for size in BATCH_TICKS if size != "full"), "full")
LAB, LR_PAGE = "pages/6_lab.py", "pages/3_learning_rate.py"
MEASURES = ["train_loss", "val_loss", "val_accuracy"]
REFUSALS = ("too_big", "too_much_memory")
# The fixed opening words of each refusal in English, before its first number.
GUARD_LEADS = {key: t(f"errors.{key}", "en", seconds=1, megabytes=1, limit=1).split("1")[0] for key in REFUSALS}


@cache
def most_epochs() -> int:
    """The largest number of epochs a page's slider offers: the lab's (the learning-rate page's is checked below it)."""
    return open_app("en", LAB, epochs="3").slider(key="lab.epochs").max


def request(optimizer: str, scheduler: str, batch: int | str) -> list[RunConfig]:
    """Both extreme learning rates in one request, as the learning-rate page sends several."""
    base = RunConfig(optimizer=optimizer, scheduler=scheduler, batch_size=batch, epochs=most_epochs())
    return [base.replace(lr=rate) for rate in (LOWEST_LR, HIGHEST_LR)]


def refusal(configs: list[RunConfig]) -> ConfigError | None:
    """The guard's refusal of the request, or None where it lets it train."""
    try:
        check_size(configs)
    except ConfigError as err:
        return err
    return None


def assert_says_what_to_reduce(err: ConfigError) -> None:
    """A refusal by the guard, in both languages, naming the knobs a visitor turns down (epochs and batch size)."""
    assert err.key in REFUSALS
    for lang in ("ja", "en"):
        message = err.message(lang).lower()
        assert "{" not in message
        assert t("lab.knobs.epochs", lang).lower() in message
        assert ("バッチ" if lang == "ja" else "batch") in message


def assert_finite_or_marked(result: Result) -> None:
    """No NaN or infinity in a run that is not marked diverging, and every mark carries a reason in both languages."""
    epochs, runs = result.epochs, result.runs
    assert list(epochs.columns) == EPOCH_COLUMNS
    for _, run in runs.iterrows():
        rows = epochs[epochs["run"] == run["run"]]
        assert (rows["diverged"] == run["diverged"]).all()  # every chart row carries its run's mark
        finite = np.isfinite(rows[MEASURES].to_numpy(dtype=float)).all()
        assert finite or run["diverged"], f"lr {run['lr']}: a non-finite loss left unmarked"
        assert math.isfinite(run["final_loss"]) or run["diverged"]
        for lang in ("ja", "en"):
            reason = divergence_reason(run, lang)
            assert bool(reason) == bool(run["diverged"])
            assert "{" not in reason and "nan" not in reason.lower()


def test_the_extremes_are_the_widgets_bounds() -> None:
    assert LOWEST_LR < 1e-3 and HIGHEST_LR >= 10 and BATCHES[0] == 1 and most_epochs() >= 100


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_extreme_request_trains_finite_or_marked_or_is_refused(optimizer: str) -> None:
    for scheduler in SCHEDULERS:
        for batch in BATCHES:
            configs = request(optimizer, scheduler, batch)
            err = refusal(configs)
            if err is not None:
                assert_says_what_to_reduce(err)
                with pytest.raises(ConfigError):  # train asks the same guard before any work
                    train(configs)
                continue
            result = train(configs)
            assert_finite_or_marked(result)
            low, high = result.runs.sort_values("lr")["diverged"]
            assert not low, f"{optimizer}/{scheduler}/{batch}: the smallest rate cannot blow up"


def test_batch_one_at_the_most_epochs_is_what_the_guard_refuses() -> None:
    # One run alone, the cheapest such request: the guard's estimate is what stops it, not training.
    alone = RunConfig(batch_size=BATCHES[0], epochs=most_epochs(), lr=HIGHEST_LR)
    err = refusal([alone])
    assert err is not None
    assert_says_what_to_reduce(err)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def cli_argv(configs: list[RunConfig]) -> list[str]:
    params = configs[0].to_params()
    argv = ["train", "--lr", *(str(config.lr) for config in configs)]
    for name, value in params.items():
        if name != "lr":
            argv += ["--" + name.replace("_", "-"), value]
    return argv


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_cli_refuses_with_one_line_or_writes_the_epochs(lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", lang)
    for i, optimizer in enumerate(OPTIMIZERS):
        for scheduler in SCHEDULERS:
            for batch in BATCHES:
                configs = request(optimizer, scheduler, batch)
                err = refusal(configs)
                # Trained once per optimizer and once per scheduler (a diagonal of the grid) to keep it cheap.
                if err is None and (lang == "ja" or scheduler != SCHEDULERS[i % len(SCHEDULERS)]):
                    continue
                code, out, errors = run_cli(cli_argv(configs))
                assert "Traceback" not in errors
                if err is not None:
                    assert (code, out) == (2, "")
                    assert errors.splitlines() == [f"python -m core: error: {err.message(lang)}"]
                else:
                    assert code == 0
                    epochs = pd.read_csv(io.StringIO(out))
                    assert list(epochs.columns) == EPOCH_COLUMNS and set(epochs["lr"]) == {LOWEST_LR, HIGHEST_LR}
                    finite = np.isfinite(epochs[MEASURES].to_numpy(dtype=float)).all(axis=1)
                    assert (finite | epochs["diverged"]).all()


@pytest.mark.parametrize("batch", BATCHES)
def test_lab_at_the_extremes_shows_charts_or_the_guards_message(batch: int | str) -> None:
    query = {"lr": str(max(LR_TICKS)), "batch_size": str(batch), "epochs": str(most_epochs())}
    at = open_app("en", LAB, optimizer="sgd", scheduler="onecycle", **query)
    assert_charts_or_refused(at)


def test_learning_rate_page_at_the_extremes_shows_charts_or_the_guards_message() -> None:
    rates = [str(LOWEST_LR), str(HIGHEST_LR)]
    at = open_app("en", LR_PAGE, lr=rates, batch_size=str(BATCHES[0]), epochs="1")
    slider = at.slider(key="learning_rate.epochs")
    assert slider.max <= most_epochs()
    slider.set_value(slider.max).run()
    assert_charts_or_refused(at)


def assert_charts_or_refused(at: AppTest) -> None:
    assert not at.exception
    guard = [e.value for e in at.error if any(e.value.startswith(GUARD_LEADS[key]) for key in REFUSALS)]
    assert charts(at) or guard
