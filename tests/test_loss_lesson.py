"""The loss lesson's numbers, checked against PyTorch's losses, autograd, math.log and a plain-float SGD loop; the
page's words and marks picked from them."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from core.config import RunConfig
from core.data import TASKS, load_split
from core.i18n import t
from core.lessons import loss_words as words
from core.lessons import losses as lesson
from core.models import resolve_loss


def plain_sgd_epochs(
    loss: str, lr: float, w: float, b: float, x: float, y: float, threshold: float, half: bool = False
) -> tuple[int, list[tuple[float, float]]]:
    """The same race in plain floats: w <- w - lr·dL/dw, b <- b - lr·dL/db with hand-derived derivatives."""
    path = []
    for epoch in range(100_000):
        z = w * x + b
        s = 1.0 / (1.0 + math.exp(-z))
        path.append((w, b))
        if abs(s - y) < threshold:
            return epoch, path
        # MSE (no ½, as nn.MSELoss): d/dz (s - y)² = 2(s - y)·s(1 - s); BCE: d/dz = s - y
        dz = (s - y) * s * (1 - s) * (1.0 if half else 2.0) if loss == "mse" else s - y
        w, b = w - lr * dz * x, b - lr * dz
    raise AssertionError("the plain loop did not finish")


def test_article_pressure_pair_from_nn_mseloss() -> None:
    table = lesson.penalty_table(lesson.ARTICLE_PREDICTIONS)
    for row in table.itertuples():
        oracle = nn.MSELoss()(torch.tensor([row.prediction]), torch.tensor([lesson.TRUE_PRESSURE])).item()
        assert row.squared == pytest.approx(oracle)
        assert row.squared == pytest.approx(row.error**2)
        assert row.absolute == pytest.approx(abs(row.error))
    near, far = table["squared"]
    assert (near, far) == (pytest.approx((122 - 120) ** 2), pytest.approx((140 - 120) ** 2))
    # ten times the error, a hundred times the pain
    error_ratio = table["error"].iloc[1] / table["error"].iloc[0]
    assert far / near == pytest.approx(error_ratio**2)
    assert error_ratio == pytest.approx(10)


def test_penalty_curve_is_squared_and_absolute_error() -> None:
    curve = lesson.penalty_curve()
    mse = curve[curve["loss"] == "mse"]
    mae = curve[curve["loss"] == "mae"]
    assert np.allclose(mse["penalty"], mse["error"] ** 2)
    assert np.allclose(mae["penalty"], mae["error"].abs())
    assert np.allclose(mse["error"], mse["prediction"] - lesson.TRUE_PRESSURE)
    # small misses cost less under MSE than MAE, big ones far more: the crossing is at an error of 1 mmHg
    small = np.abs(mse["error"].to_numpy()) < 1
    squared, absolute = mse["penalty"].to_numpy(), mae["penalty"].to_numpy()
    assert (squared[small] <= absolute[small]).all()
    assert (squared[~small] >= absolute[~small]).all()


@pytest.mark.parametrize("probability", lesson.ARTICLE_PROBABILITIES)
def test_minus_log_p_matches_math_log(probability: float) -> None:
    assert lesson.cross_entropy_penalty(probability) == pytest.approx(-math.log(probability), rel=1e-12)


def test_cross_entropy_table_and_curve() -> None:
    table = lesson.cross_entropy_table()
    assert np.allclose(table["penalty"], [-math.log(p) for p in table["probability"]])
    curve = lesson.cross_entropy_curve()
    assert np.allclose(curve["penalty"], -np.log(curve["probability"]))
    # the lower the probability given to the truth, the higher the penalty, and without bound
    assert (np.diff(curve["penalty"]) < 0).all()
    assert lesson.cross_entropy_penalty(1e-6) > lesson.cross_entropy_penalty(1e-3) > lesson.cross_entropy_penalty(0.01)


@pytest.mark.parametrize("loss", lesson.COMPARED_LOSSES)
@pytest.mark.parametrize("probability", [0.02, 0.3, 0.5, 0.8, 0.982, 0.999])
@pytest.mark.parametrize(("x", "y"), [(1.0, 0.0), (1.0, 1.0), (-0.7, 0.0), (2.5, 1.0)])
def test_gradient_closed_form_matches_autograd(loss: str, probability: float, x: float, y: float) -> None:
    z = math.log(probability / (1 - probability))
    w = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(z - 0.3 * x, dtype=torch.float64, requires_grad=True)
    output = torch.sigmoid(w * x + b).reshape(1)
    target = torch.tensor([y], dtype=torch.float64)
    # nn.BCELoss on the sigmoid output: a different route from the lesson's BCEWithLogitsLoss
    value = (nn.MSELoss() if loss == "mse" else nn.BCELoss())(output, target)
    (grad_w,) = torch.autograd.grad(value, [w])
    assert lesson.gradient_on_weight(loss, probability, x, y) == pytest.approx(grad_w.item(), rel=1e-9, abs=1e-12)


def test_gradient_curve_shows_the_vanishing_mse_signal() -> None:
    curve = lesson.gradient_curve()
    mse = curve[curve["loss"] == "mse"].set_index("probability")["gradient"]
    bce = curve[curve["loss"] == "bce"].set_index("probability")["gradient"]
    p = mse.index.to_numpy()
    # the MSE gradient is the BCE one times 2σ' = 2σ(1 - σ), never more than half of it
    assert np.allclose(mse.to_numpy(), bce.to_numpy() * 2 * p * (1 - p))
    assert (mse <= bce / 2 + 1e-15).all()
    start = lesson.sigmoid(lesson.START_W * lesson.INPUT_X + lesson.START_B)
    ratio = lesson.gradient_on_weight("bce", start) / lesson.gradient_on_weight("mse", start)
    assert ratio == pytest.approx(1 / (2 * start * (1 - start)))
    assert ratio > 25  # confidently wrong: cross-entropy's signal is dozens of times stronger


def test_article_race_matches_plain_sgd_and_errata() -> None:
    epochs, paths = lesson.race()
    for loss in lesson.COMPARED_LOSSES:
        count, plain_path = plain_sgd_epochs(
            loss, lesson.LEARNING_RATE, lesson.START_W, lesson.START_B, lesson.INPUT_X, lesson.LABEL_Y, lesson.THRESHOLD
        )
        assert epochs[loss] == count
        path = paths[paths["loss"] == loss]
        assert np.allclose(path[["w", "b"]].to_numpy(), np.array(plain_path), rtol=0, atol=1e-12)
        assert path["output"].iloc[-1] < lesson.THRESHOLD <= path["output"].iloc[-2]
    assert (epochs["mse"], epochs["bce"]) == (234, 50)  # the figures in ERRATA.md (nn.MSELoss has no ½)
    assert epochs["bce"] < epochs["mse"]


def test_textbook_half_mse_is_the_slower_figure_of_the_issue() -> None:
    half, _ = plain_sgd_epochs("mse", 0.15, 2.0, 2.0, 1.0, 0.0, 0.1, half=True)
    full, _ = lesson.epochs_until("mse")
    # halving the loss halves the gradient, so roughly twice the epochs (about 470)
    assert 2 * full - 5 <= half <= 2 * full + 5


@pytest.mark.parametrize(("lr", "w", "b"), [(0.05, 2.0, 2.0), (0.5, 3.0, 1.0), (1.0, 1.0, 0.5), (0.15, -1.0, 1.5)])
def test_other_settings_match_plain_sgd_and_cross_entropy_wins(lr: float, w: float, b: float) -> None:
    counts = {}
    for loss in lesson.COMPARED_LOSSES:
        counts[loss], _ = lesson.epochs_until(loss, lr=lr, w=w, b=b)
        assert counts[loss] == plain_sgd_epochs(loss, lr, w, b, 1.0, 0.0, lesson.THRESHOLD)[0]
    assert counts["bce"] <= counts["mse"]


def test_epochs_until_gives_up_after_max_epochs() -> None:
    epochs, path = lesson.epochs_until("mse", w=5.0, b=5.0, max_epochs=100)
    assert epochs is None
    assert path["epoch"].tolist() == list(range(101))
    assert lesson.epochs_until("bce", w=-3.0, b=0.0)[0] == 0  # already right: nothing to learn


def test_loss_for_each_dataset_follows_the_app_rule() -> None:
    table = lesson.loss_for_datasets()
    assert set(table["dataset"]) == set(TASKS)
    for row in table.itertuples():
        split = load_split(row.dataset)
        assert row.loss == resolve_loss(RunConfig(dataset=row.dataset), split)
        assert hasattr(nn, row.torch_loss.removeprefix("nn."))


@pytest.mark.parametrize("w", [-3.0, -1.0, 0.0, 0.5, 2.0, 6.0])
@pytest.mark.parametrize("b", [-3.0, 0.0, 2.0])
def test_race_start_matches_the_epochs_plain_sgd_needs(w: float, b: float) -> None:
    output = 1 / (1 + math.exp(-(w * lesson.INPUT_X + b)))
    kind = lesson.race_start(output)
    expected = "right" if output < 0.1 else "confident" if output >= 0.9 else "unsure"
    assert kind == expected
    # "right" exactly when not one SGD step is needed (torch, used directly, as the oracle).
    logit = torch.tensor(w * lesson.INPUT_X + b, dtype=torch.float64)
    assert (kind == "right") == (torch.sigmoid(logit).item() < lesson.THRESHOLD)
    assert (kind == "right") == (lesson.epochs_until("bce", w=w, b=b, max_epochs=50)[0] == 0)


@pytest.mark.parametrize(
    ("start", "mse", "bce", "outcome"),
    [
        (0.05, None, None, "already_right"),
        (0.98, None, 12, "stuck"),
        (0.98, 40, 12, "faster"),
        (0.6, 12, 12, "not_faster"),
        (0.6, 10, 12, "not_faster"),
    ],
)
def test_race_outcome_follows_the_start_and_the_epochs(
    start: float, mse: int | None, bce: int | None, outcome: str
) -> None:
    assert words.race_outcome(start, {"mse": mse, "bce": bce}) == outcome


def test_race_words_carry_the_ratio_only_when_cross_entropy_wins() -> None:
    outcome, said, talk = words.race_words("en", 0.98, {"mse": 40, "bce": 10})
    assert outcome == "faster" and said != talk
    assert said == t(
        "loss_functions.race.faster",
        "en",
        ratio=4.0,
        start=0.98,
        threshold=lesson.THRESHOLD,
        max=lesson.MAX_EPOCHS,
        mse="40",
        bce="10",
    )
    outcome, said, _ = words.race_words("en", 0.98, {"mse": None, "bce": 10})
    assert outcome == "stuck" and str(lesson.MAX_EPOCHS) in said


def test_the_current_mark_replaces_the_example_it_sits_on() -> None:
    marks = words.mse_marks("en", lesson.ARTICLE_PREDICTIONS[1])
    assert marks["prediction"].tolist() == [lesson.ARTICLE_PREDICTIONS[0], lesson.ARTICLE_PREDICTIONS[1]]
    assert marks["now"].tolist() == [False, True]
    assert len(words.cross_entropy_marks("en", 0.5)) == len(lesson.ARTICLE_PROBABILITIES) + 1


def test_tasks_table_names_every_dataset_with_its_torch_loss() -> None:
    table = words.tasks_table("ja")
    assert table.index.tolist() == [t(f"common.datasets.{name}", "ja") for name in TASKS]
    assert table[t("loss_functions.tasks.torch", "ja")].tolist() == [
        lesson.TORCH_LOSS[lesson.LOSS_FOR_TASK[task]] for task in TASKS.values()
    ]


def test_chart_titles_and_curve_titles() -> None:
    assert words.chart_titles("en", "ce", "mark") == {"mark_title": t("loss_functions.ce.chart_mark", "en")}
    unreached = words.curve_title("en", "MSE", None)
    assert t("loss_functions.race.not_reached", "en", max=lesson.MAX_EPOCHS) in unreached
