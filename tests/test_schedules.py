"""Learning-rate schedules and accuracy against the outside world: closed forms and scikit-learn.

The oracles here are written from the formulas in torch's documentation, never by calling make_scheduler or a torch
scheduler, and accuracy is scored by sklearn.metrics.accuracy_score: both engines share make_scheduler and accuracy,
so comparing the engines with each other cannot test them.
"""

import math

import pytest
import torch
from sklearn.metrics import accuracy_score
from torch.nn import functional as F

from core.__main__ import main
from core.config import RunConfig
from core.data import load_split
from core.i18n import t
from core.models import initial_weights, layer_sizes, resolve_loss
from core.optim import WARMUP_MAX_SHARE, lr_table, schedule_notes
from core.runlog import accuracy, init_seed
from core.training import train

SCHEDULES = ("none", "step", "exponential", "cosine", "onecycle", "warmup-cosine")
# Linear model on the diabetes data, batches of 100 of its 354 training rows: 4 steps per epoch.
STEPS_PER_EPOCH = 4
SETTINGS = {"epochs": 9, "step_size": 3, "gamma": 0.7, "warmup_epochs": 2}


def annealing_cos(start: float, end: float, share: float) -> float:
    """Half a cosine from `start` (share 0) to `end` (share 1)."""
    return end + (start - end) * (1 + math.cos(math.pi * share)) / 2


def closed_form(scheduler: str, epochs: int, steps_per_epoch: int, step_size: int, gamma: float, warmup_epochs: int):
    """Learning-rate factor of every optimizer step, at base LR 1, from each schedule's formula."""
    total = epochs * steps_per_epoch
    warm = min(warmup_epochs * steps_per_epoch, math.floor(WARMUP_MAX_SHARE * total))
    peak = 0.3 * total - 1  # one-cycle: torch's pct_start 0.3; the step at which the rate is highest
    start, end = 1 / 25, 1 / 25 / 1e4  # one-cycle: div_factor 25, final_div_factor 1e4
    factors = []
    for step in range(total):
        epoch = step // steps_per_epoch  # epoch schedules step after every epoch, so epoch e runs at factor(e)
        if scheduler == "none":
            factors.append(1.0)
        elif scheduler == "step":
            factors.append(gamma ** (epoch // step_size))
        elif scheduler == "exponential":
            factors.append(gamma**epoch)
        elif scheduler == "cosine":
            factors.append((1 + math.cos(math.pi * epoch / epochs)) / 2)
        elif scheduler == "onecycle" and step <= peak:
            factors.append(annealing_cos(start, 1.0, step / peak))
        elif scheduler == "onecycle":
            factors.append(annealing_cos(1.0, end, (step - peak) / (total - 1 - peak)))
        elif scheduler == "warmup-cosine" and step < warm:
            factors.append(0.01 + (1 - 0.01) * step / warm)  # linear warmup from 1 % of the rate
        elif scheduler == "warmup-cosine":
            factors.append((1 + math.cos(math.pi * (step - warm) / (total - warm))) / 2)
    return torch.tensor(factors, dtype=torch.float64)


def linear_diabetes(**settings) -> RunConfig:
    return RunConfig(dataset="diabetes", model="linear", optimizer="sgd", batch_size=100, **settings)


@pytest.mark.parametrize("scheduler", SCHEDULES)
def test_lr_table_at_lr_1_is_the_closed_form(scheduler):
    config = linear_diabetes(scheduler=scheduler, **SETTINGS)
    table = lr_table(config, STEPS_PER_EPOCH)
    torch.testing.assert_close(table, closed_form(scheduler, steps_per_epoch=STEPS_PER_EPOCH, **SETTINGS))


@pytest.mark.parametrize("engine", ["fast", "reference"])
@pytest.mark.parametrize("scheduler", SCHEDULES)
def test_both_engines_apply_the_closed_form_lr_at_every_step(scheduler, engine):
    rates = (0.01, 0.03)
    result = train([linear_diabetes(scheduler=scheduler, lr=lr, **SETTINGS) for lr in rates], engine)
    factors = closed_form(scheduler, steps_per_epoch=STEPS_PER_EPOCH, **SETTINGS)
    for run, lr in enumerate(rates):
        applied = torch.tensor(result.steps[result.steps["run"] == run]["lr_applied"].to_numpy())
        torch.testing.assert_close(applied, lr * factors, rtol=1e-6, atol=0)


def test_plateau_cuts_the_rate_after_patience_flat_epochs_in_both_engines():
    """ReduceLROnPlateau's documented rule, replayed on the validation losses the run recorded."""
    patience, gamma, epochs = 1, 0.5, 20
    config = RunConfig(optimizer="adam", lr=0.01, scheduler="plateau", patience=patience, gamma=gamma, epochs=epochs)
    for engine in ("fast", "reference"):
        result = train([config], engine)
        lr, best, flat, expected = config.lr, math.inf, 0, [config.lr]
        for loss in result.epochs["val_loss"].iloc[1:epochs]:  # scored after epochs 1 .. epochs-1
            if loss < best * (1 - 1e-4):  # mode "min", relative threshold 1e-4
                best, flat = loss, 0
            else:
                flat += 1
            if flat > patience:
                lr, flat = lr * gamma, 0
            expected.append(lr)
        steps = result.steps.groupby("epoch")["lr_applied"]
        assert (steps.nunique() == 1).all()  # the rate changes only between epochs
        assert steps.first().tolist() == pytest.approx(expected, rel=1e-6)
        assert min(expected) <= config.lr * gamma**2  # the run did plateau, twice at least


def test_a_warmup_that_does_not_fit_is_shortened_and_said_so():
    """warmup-cosine for 1 epoch of 15 steps with 2 warmup epochs asked: it warms for 30 % of them, then decays."""
    config = RunConfig(scheduler="warmup-cosine", epochs=1, warmup_epochs=2, lr=0.01)  # 455 rows, batch 32: 15 steps
    applied = train([config]).steps["lr_applied"].to_numpy()
    warm = math.floor(0.3 * 15)
    assert len(applied) == 15 and applied.argmax() == warm
    assert applied[-1] < 0.05 * applied.max()  # the cosine decay really happens
    (key, params), *others = schedule_notes(config, 15)
    assert key == "notes.warmup_shortened" and params["asked"] == 30 and params["used"] == warm and others == []
    assert schedule_notes(config.replace(epochs=20), 15) == []  # 30 of 300 steps fit


def test_plateau_has_no_table():
    with pytest.raises(ValueError, match="validation loss"):
        lr_table(RunConfig(scheduler="plateau"), 10)


def test_binary_accuracy_is_sklearns_on_one_logit():
    logits = torch.tensor([[-2.0], [0.0], [0.3], [5.0], [-0.1], [1e-6], [-7.0], [0.0]])
    labels = torch.tensor([0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    predicted = (torch.sigmoid(logits[:, 0]) > 0.5).long()  # a probability of exactly 0.5 counts as benign
    assert accuracy(logits, labels, "binary").item() == pytest.approx(accuracy_score(labels.long(), predicted))


def test_multiclass_accuracy_is_sklearns_on_the_first_largest_score():
    scores = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.1, 0.0, -1.0], [0.0, 0.0, 4.0], [5.0, 1.0, 5.0]])
    labels = torch.tensor([1, 2, 0, 2, 2])
    predicted = scores.numpy().argmax(1)  # numpy, like torch, names the first of tied classes
    assert accuracy(scores, labels, "multiclass").item() == pytest.approx(accuracy_score(labels, predicted))


def test_accuracy_of_k_runs_at_once_is_sklearns_per_run():
    generator = torch.Generator().manual_seed(3)
    scores = torch.randn(4, 50, 10, generator=generator)
    labels = torch.randint(0, 10, (50,), generator=generator)
    per_run = accuracy(scores, labels.expand(4, 50), "multiclass")
    expected = [accuracy_score(labels, run.numpy().argmax(1)) for run in scores]
    assert per_run.tolist() == pytest.approx(expected)


@pytest.mark.parametrize("dataset", ["breast_cancer", "digits"])
def test_both_engines_report_sklearns_validation_accuracy_at_the_start(dataset):
    """Epoch 0's validation accuracy against scikit-learn on predictions of a forward pass written here in torch."""
    config = RunConfig(dataset=dataset, hidden=(16,), activation="tanh", epochs=1, seed=4)
    split = load_split(dataset, config.val_fraction)
    sizes = layer_sizes(config, split, resolve_loss(config, split))
    x = split.x_val
    for i, (weight, bias) in enumerate(initial_weights(sizes, init_seed(config.seed))):
        x = F.linear(x, weight, bias)
        x = torch.tanh(x) if i < len(sizes) - 2 else x
    predicted = (x[:, 0] > 0).long() if dataset == "breast_cancer" else x.argmax(1)
    expected = accuracy_score(split.y_val.long(), predicted)
    for engine in ("fast", "reference"):
        epochs = train([config], engine).epochs
        assert epochs.loc[epochs["epoch"] == 0, "val_accuracy"].item() == pytest.approx(expected, abs=1e-6)


def test_the_command_line_says_when_a_warmup_is_shortened(tmp_path, capsys):
    args = ["train", "--lr", "0.01", "--epochs", "1", "--scheduler", "warmup-cosine", "--csv", str(tmp_path / "a.csv")]
    assert main(args) == 0
    assert (
        capsys.readouterr().err
        == f"python -m core: note: {t('notes.warmup_shortened', 'en', asked=30, used=4, total=15, share='30%')}\n"
    )
