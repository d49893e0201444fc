"""The loss-function lesson: the attending's score sheet, in numbers computed by PyTorch's own losses.

- MSE on a blood pressure: a miss of 2 mmHg costs 4, a miss of 20 costs 400 (ten times the error, a hundred
  times the pain); MAE for contrast.
- Cross-entropy on a malignant case: the penalty -log p for the probability p given to "malignant".
- MSE vs cross-entropy on one sigmoid neuron started confidently wrong: the gradient that reaches the weight,
  and how many epochs of plain SGD each loss needs to put the output under the threshold.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
from torch import nn

from core.data import TASKS

TRUE_PRESSURE = 120.0  # mmHg, the article's patient
ARTICLE_PREDICTIONS = (122.0, 140.0)  # a near miss and a big miss
ARTICLE_PROBABILITIES = (0.9, 0.6, 0.01)  # probability given to "malignant" for a malignant case

# The article's race: one sigmoid neuron sees x = 1 with label 0 but starts at w = b = 2 (output ≈ 0.98).
START_W = 2.0
START_B = 2.0
INPUT_X = 1.0
LABEL_Y = 0.0
LEARNING_RATE = 0.15
THRESHOLD = 0.1
CONFIDENT = 0.9  # an output at least this far from the truth is a confident mistake
MAX_EPOCHS = 5000
MAX_LOGIT = 13.0  # the gradient curve spans z = ±13, past every start the page offers

COMPARED_LOSSES = ("mse", "bce")
LOSS_FOR_TASK = {"regression": "mse", "binary": "bce", "multiclass": "ce"}
TORCH_LOSS = {"mse": "nn.MSELoss", "bce": "nn.BCEWithLogitsLoss", "ce": "nn.CrossEntropyLoss"}


def _scalar(value: float) -> torch.Tensor:
    # float64 so that the tables show the textbook numbers, not float32 rounding
    return torch.tensor([float(value)], dtype=torch.float64)


def squared_penalty(prediction: float, truth: float = TRUE_PRESSURE) -> float:
    """The MSE of one prediction, as nn.MSELoss computes it: (prediction - truth)²."""
    return nn.MSELoss()(_scalar(prediction), _scalar(truth)).item()


def absolute_penalty(prediction: float, truth: float = TRUE_PRESSURE) -> float:
    """The MAE of one prediction, as nn.L1Loss computes it: |prediction - truth|."""
    return nn.L1Loss()(_scalar(prediction), _scalar(truth)).item()


def penalty_table(predictions: tuple[float, ...], truth: float = TRUE_PRESSURE) -> pd.DataFrame:
    """One row per prediction: the error and the squared and absolute penalties."""
    return pd.DataFrame(
        {
            "prediction": [float(p) for p in predictions],
            "error": [float(p) - truth for p in predictions],
            "squared": [squared_penalty(p, truth) for p in predictions],
            "absolute": [absolute_penalty(p, truth) for p in predictions],
        }
    )


def penalty_curve(
    truth: float = TRUE_PRESSURE, low: float = 60.0, high: float = 200.0, points: int = 281
) -> pd.DataFrame:
    """Penalty against error for MSE and MAE, long format: prediction, error, loss ('mse'/'mae'), penalty."""
    predictions = np.linspace(low, high, points)
    guess = torch.tensor(predictions, dtype=torch.float64)
    target = torch.full_like(guess, truth)
    # reduction="none": one penalty per prediction, each the same number the mean would give for a single case
    squared = nn.MSELoss(reduction="none")(guess, target).numpy()
    absolute = nn.L1Loss(reduction="none")(guess, target).numpy()
    frames = [
        pd.DataFrame({"prediction": predictions, "error": predictions - truth, "loss": name, "penalty": penalty})
        for name, penalty in (("mse", squared), ("mae", absolute))
    ]
    return pd.concat(frames, ignore_index=True)


def cross_entropy_penalty(probability: float) -> float:
    """-log p for a malignant case (label 1) given probability p of 'malignant', as nn.BCELoss computes it."""
    return nn.BCELoss()(_scalar(probability), _scalar(1.0)).item()


def cross_entropy_curve(low: float = 1e-3, high: float = 1.0, points: int = 200) -> pd.DataFrame:
    """-log p over probabilities spaced evenly on a log scale (dense where the curve is steep): probability, penalty."""
    probability = np.geomspace(low, high, points)
    guess = torch.tensor(probability, dtype=torch.float64)
    penalty = nn.BCELoss(reduction="none")(guess, torch.ones_like(guess)).numpy()
    return pd.DataFrame({"probability": probability, "penalty": penalty})


def cross_entropy_table(probabilities: tuple[float, ...] = ARTICLE_PROBABILITIES) -> pd.DataFrame:
    """One row per probability given to 'malignant': probability, penalty."""
    return pd.DataFrame(
        {"probability": list(probabilities), "penalty": [cross_entropy_penalty(p) for p in probabilities]}
    )


def sigmoid(z: float) -> float:
    """The logistic function, written so that it never overflows."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def race_start(probability: float, y: float = LABEL_Y, threshold: float = THRESHOLD) -> str:
    """How the neuron starts: "right" (already within the threshold), "confident" (a confident mistake) or "unsure"."""
    miss = abs(probability - y)
    if miss < threshold:
        return "right"
    return "confident" if miss >= CONFIDENT else "unsure"


def gradient_on_weight(loss: str, probability: float, x: float = INPUT_X, y: float = LABEL_Y) -> float:
    """dL/dw of one sigmoid neuron with output σ = probability, in closed form.

    MSE: dL/dz = 2(σ - y)·σ(1 - σ), so the slope σ' = σ(1 - σ) of the saturated sigmoid shrinks the signal.
    BCE: dL/dz = σ - y, the σ' cancels. Either way dL/dw = dL/dz · x.
    """
    if loss == "mse":
        return 2.0 * (probability - y) * probability * (1.0 - probability) * x
    if loss == "bce":
        return (probability - y) * x
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(COMPARED_LOSSES)}")


def gradient_curve(points: int = 401, x: float = INPUT_X, y: float = LABEL_Y) -> pd.DataFrame:
    """|dL/dw| against the neuron's output for MSE and BCE, long format: probability, loss, gradient."""
    # evenly spaced in z = w·x + b, so the saturated ends (where MSE goes quiet) get as many points as the middle
    probability = 1.0 / (1.0 + np.exp(-np.linspace(-MAX_LOGIT, MAX_LOGIT, points)))
    rows = [
        {"probability": p, "loss": loss, "gradient": abs(gradient_on_weight(loss, p, x, y))}
        for loss in COMPARED_LOSSES
        for p in probability
    ]
    return pd.DataFrame(rows)


def _loss_of(loss: str, logit: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if loss == "mse":
        return nn.MSELoss()(torch.sigmoid(logit), target)
    if loss == "bce":
        # sigmoid and binary cross-entropy in one step, stable even for a very confident neuron
        return nn.BCEWithLogitsLoss()(logit, target)
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(COMPARED_LOSSES)}")


def epochs_until(
    loss: str,
    lr: float = LEARNING_RATE,
    w: float = START_W,
    b: float = START_B,
    x: float = INPUT_X,
    y: float = LABEL_Y,
    threshold: float = THRESHOLD,
    max_epochs: int = MAX_EPOCHS,
) -> tuple[int | None, pd.DataFrame]:
    """Train one sigmoid neuron on the single case (x, y) with torch.optim.SGD until |output - y| < threshold.

    Returns the number of epochs (one case, so one SGD step per epoch) or None if `max_epochs` were not enough,
    and the path: epoch, w, b, output, loss value and dL/dw before that epoch's step.
    """
    weight = nn.Parameter(_scalar(w))
    bias = nn.Parameter(_scalar(b))
    optimizer = torch.optim.SGD([weight, bias], lr=lr)
    inputs, target = _scalar(x), _scalar(y)
    rows = []
    for epoch in range(max_epochs + 1):
        optimizer.zero_grad()
        logit = weight * inputs + bias
        value = _loss_of(loss, logit, target)
        value.backward()
        output = torch.sigmoid(logit).item()
        rows.append(
            {
                "epoch": epoch,
                "w": weight.item(),
                "b": bias.item(),
                "output": output,
                "loss_value": value.item(),
                "gradient": weight.grad.item(),
            }
        )
        if abs(output - y) < threshold:
            return epoch, pd.DataFrame(rows)
        if epoch < max_epochs:
            optimizer.step()
    return None, pd.DataFrame(rows)


def race(
    lr: float = LEARNING_RATE,
    w: float = START_W,
    b: float = START_B,
    threshold: float = THRESHOLD,
    max_epochs: int = MAX_EPOCHS,
) -> tuple[dict[str, int | None], pd.DataFrame]:
    """MSE and BCE from the same start: epochs each needs, and both paths in long format (with a `loss` column)."""
    epochs: dict[str, int | None] = {}
    paths = []
    for loss in COMPARED_LOSSES:
        epochs[loss], path = epochs_until(loss, lr, w, b, INPUT_X, LABEL_Y, threshold, max_epochs)
        paths.append(path.assign(loss=loss))
    return epochs, pd.concat(paths, ignore_index=True)


def loss_for_datasets() -> pd.DataFrame:
    """The app's data sets with their task and the loss that fits it: dataset, task, loss, torch_loss."""
    rows = [
        {"dataset": name, "task": task, "loss": LOSS_FOR_TASK[task], "torch_loss": TORCH_LOSS[LOSS_FOR_TASK[task]]}
        for name, task in TASKS.items()
    ]
    return pd.DataFrame(rows)
