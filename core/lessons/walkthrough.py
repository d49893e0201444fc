"""The training loop one line at a time, on a model small enough to read whole.

A linear model predicts systolic blood pressure from two standardised features (age, BMI) of the project's
synthetic blood-pressure patients. Each `next_step()` runs exactly one of the loop's five lines with real PyTorch
objects (`nn.Linear`, `nn.MSELoss`, `torch.optim.SGD`, a shuffling `DataLoader`) and returns a plain snapshot of
what that line changed.

Why the state is a single number: the model, optimizer and data order come from explicit seeded generators, so
replaying `steps` lines from the seed rebuilds exactly the same state. A Streamlit session keeps `steps` only.

Why the standardised scale: the model trains on standardised pressures like every other lesson, so a loss of 1.0
means "as bad as guessing the average pressure for everyone". Snapshots also give the pressures in mmHg and the
typical miss in mmHg (the square root of the loss times the standard deviation).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from core.data import load_split
from core.models import initial_weights

DATASET = "blood_pressure"
FEATURES = ("age", "bmi")
PARAMETERS = ("w_age", "w_bmi", "bias")
BATCH_SIZE = 4
LEARNING_RATE = 0.1

# The five lines of one cycle, in the order the loop runs them.
LINES = ("zero_grad", "forward", "loss", "backward", "step")
CODE = {
    "zero_grad": "optimizer.zero_grad()",
    "forward": "outputs = model(inputs)",
    "loss": "loss = criterion(outputs, labels)",
    "backward": "loss.backward()",
    "step": "optimizer.step()",
}


def steps_after_next_batch(steps: int) -> int:
    """Steps taken once "Next batch" has finished the batch in progress and then run one whole batch."""
    return math.ceil(steps / len(LINES)) * len(LINES) + len(LINES)


class Walkthrough:
    """A real model, optimizer and data loader, advanced one line of the training loop at a time."""

    def __init__(self, seed: int = 0, lr: float = LEARNING_RATE, batch_size: int = BATCH_SIZE) -> None:
        self.seed, self.lr, self.batch_size = seed, lr, batch_size
        split = load_split(DATASET)
        columns = [split.feature_names.index(name) for name in FEATURES]
        self.x = split.x_train[:, columns]
        self.y = split.y_train.unsqueeze(1)  # [patients, 1], the shape of the model's output
        self.target_mean, self.target_std = split.target_mean, split.target_std
        self.feature_scale = [(split.feature_mean[i], split.feature_std[i]) for i in columns]
        self.reset()

    def reset(self) -> dict:
        """Back to the untrained model and the first batch order of this seed."""
        [(weight, bias)] = initial_weights([len(FEATURES), 1], self.seed)
        self.model = nn.Linear(len(FEATURES), 1)
        with torch.no_grad():
            self.model.weight.copy_(weight)
            self.model.bias.copy_(bias)
        self.criterion = nn.MSELoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=self.lr)
        self.loader = DataLoader(
            TensorDataset(self.x, self.y),
            batch_size=self.batch_size,
            shuffle=True,
            generator=torch.Generator().manual_seed(self.seed),
        )
        self.steps_taken = 0
        self.line: str | None = None
        self.epoch = self.batch = 0
        self.inputs = self.labels = self.outputs = self.loss = None
        self.weights_before = self.weights()
        self.start_loss = self._loss_on_everyone()
        self.history: list[dict] = []
        self._loop = self._training_loop()
        return self.snapshot()

    def _training_loop(self) -> Iterator[str]:
        """The loop of the lesson, pausing after each of its five lines."""
        for epoch in itertools.count(1):
            for batch, (inputs, labels) in enumerate(self.loader, start=1):
                self.epoch, self.batch, self.inputs, self.labels = epoch, batch, inputs, labels
                self.outputs = self.loss = None
                self.weights_before = self.weights()
                self.optimizer.zero_grad()
                yield "zero_grad"
                self.outputs = self.model(inputs)
                yield "forward"
                self.loss = self.criterion(self.outputs, labels)
                yield "loss"
                self.loss.backward()
                yield "backward"
                self.optimizer.step()
                self._record()
                yield "step"

    def _loss_on_everyone(self) -> float:
        """The loss on all training patients with the current weights (no gradients kept)."""
        with torch.no_grad():
            return self.criterion(self.model(self.x), self.y).item()

    def _record(self) -> None:
        """One row of the loss history: this batch's loss, and the loss on all training patients after the update."""
        self.history.append(
            {
                "batch": len(self.history) + 1,
                "epoch": self.epoch,
                "batch_in_epoch": self.batch,
                "batch_loss": self.loss.item(),
                "train_loss": self._loss_on_everyone(),
            }
        )

    def advance(self, lines: int) -> None:
        """Run `lines` lines of the loop without building snapshots (fast replay)."""
        for _ in range(lines):
            self.line = next(self._loop)
            self.steps_taken += 1

    def next_step(self) -> dict:
        """Run the next line of the loop and return what it changed."""
        self.advance(1)
        return self.snapshot()

    def next_batch(self) -> dict:
        """Finish the batch in progress, then run one whole batch, stopping after its `optimizer.step()`."""
        self.advance(steps_after_next_batch(self.steps_taken) - self.steps_taken)
        return self.snapshot()

    def weights(self) -> dict[str, float]:
        """The model's parameters by name: one weight per feature, then the bias."""
        values = [*self.model.weight.detach().flatten().tolist(), self.model.bias.item()]
        return dict(zip(PARAMETERS, values, strict=True))

    def gradients(self) -> dict[str, float] | None:
        """The gradient of each parameter, or None while it is cleared (after `zero_grad`, before `backward`)."""
        if self.model.weight.grad is None:
            return None
        values = [*self.model.weight.grad.flatten().tolist(), self.model.bias.grad.item()]
        return dict(zip(PARAMETERS, values, strict=True))

    def to_mmhg(self, standardised: torch.Tensor) -> list[float]:
        """Standardised pressures back in mmHg."""
        return (standardised.detach().flatten() * self.target_std + self.target_mean).tolist()

    def batch_table(self) -> pd.DataFrame | None:
        """The patients of the current batch with whatever the loop knows about them so far."""
        if self.inputs is None:
            return None
        table = pd.DataFrame(
            {
                f"{name}_measured": self.inputs[:, i].numpy() * std + mean
                for i, (name, (mean, std)) in enumerate(zip(FEATURES, self.feature_scale, strict=True))
            }
        )
        table[list(FEATURES)] = self.inputs.numpy()
        table["true_mmhg"] = self.to_mmhg(self.labels)
        table["predicted_mmhg"] = self.to_mmhg(self.outputs) if self.outputs is not None else math.nan
        # The loss is the mean of this column: squared misses on the standardised scale.
        squared = ((self.outputs - self.labels) ** 2).detach().flatten().tolist() if self.loss is not None else math.nan
        table["squared_error"] = squared
        return table

    def snapshot(self) -> dict:
        """Everything a page shows about the current moment, as plain Python and pandas (picklable)."""
        loss = self.loss.item() if self.loss is not None else None
        return {
            "steps": self.steps_taken,
            "line": self.line,
            "line_number": LINES.index(self.line) + 1 if self.line else 0,
            "epoch": self.epoch,
            "batch": self.batch,
            "batches_per_epoch": len(self.loader),
            "batches_done": len(self.history),
            "lr": self.lr,
            "batch_size": self.batch_size,
            "patients": len(self.x),
            "target_std": self.target_std,
            "batch_table": self.batch_table(),
            "loss": loss,
            "typical_miss_mmhg": math.sqrt(loss) * self.target_std if loss is not None else None,
            "weights_before": self.weights_before,
            "weights": self.weights(),
            "gradients": self.gradients(),
            "start_loss": self.start_loss,
            "history": pd.DataFrame(
                self.history, columns=["batch", "epoch", "batch_in_epoch", "batch_loss", "train_loss"]
            ),
        }


def parameter_table(snapshot: dict) -> pd.DataFrame:
    """Per parameter: the value before this batch, its gradient, the SGD change −lr × gradient, and the value after.

    Gradients and changes are NaN while cleared; "after" is NaN until `optimizer.step()` has run, and is then the
    model's own updated weight (not recomputed here), so a page can show both sides of w − lr × grad.
    """
    gradients = snapshot["gradients"] or {}
    stepped = snapshot["line"] == "step"
    rows = []
    for name in PARAMETERS:
        gradient = gradients.get(name, math.nan)
        after = snapshot["weights"][name] if stepped else math.nan
        rows.append([name, snapshot["weights_before"][name], gradient, -snapshot["lr"] * gradient, after])
    return pd.DataFrame(rows, columns=["parameter", "before", "gradient", "change", "after"])


def loop_code(lr: float, batch_size: int) -> list[str]:
    """The loop as the page prints it, setup included; each of LINES appears verbatim."""
    return [
        "model = nn.Linear(2, 1)",
        "criterion = nn.MSELoss()",
        f"optimizer = optim.SGD(model.parameters(), lr={lr:g})",
        f"loader = DataLoader(data, batch_size={batch_size}, shuffle=True)",
        "",
        "for epoch in range(num_epochs):",
        "    for inputs, labels in loader:",
        *(f"        {CODE[line]}" for line in LINES),
    ]


def snapshot_after(steps: int, seed: int = 0, lr: float = LEARNING_RATE) -> dict:
    """The snapshot after `steps` lines of the loop, rebuilt from the seed."""
    walk = Walkthrough(seed, lr)
    walk.advance(steps)
    return walk.snapshot()
