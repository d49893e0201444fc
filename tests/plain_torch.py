"""An independent oracle for the batch and schedule claims: the article's loop written with plain torch only.

`nn.Sequential` with torch's own initialisation (seeded by `torch.manual_seed`), `DataLoader(shuffle=...)`,
`torch.optim` and `torch.optim.lr_scheduler` objects built here from torch's documentation. It shares nothing with
the app's engines but the data sets, so a claim that holds here on seeds the registry does not list is no artefact
of the app's own code or of the seeds it was tuned on.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset

from core.data import load_split

OPTIMIZERS = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam}


@dataclass
class Trace:
    """What one plain run recorded: every batch loss per epoch, the validation loss and accuracy after each epoch,
    and the validation accuracy after the update halfway through the first epoch."""

    batch_losses: list[list[float]] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    halfway_accuracy: float = float("nan")

    @property
    def final_train_loss(self) -> float:
        """The mean batch loss of the last epoch (what the app reports as the training loss)."""
        return statistics.fmean(self.batch_losses[-1])


def _scheduler(name: str, optimizer: torch.optim.Optimizer, epochs: int, per_epoch: int, warmup_epochs: int):
    """(scheduler, stepped after every batch?) for the app's schedule names, from torch's classes."""
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5), False
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs), False
    if name == "warmup-cosine":  # linear from 1 % of the rate, then half a cosine down to 0, one step per batch
        warm = warmup_epochs * per_epoch
        parts = [
            lr_scheduler.LinearLR(optimizer, start_factor=0.01, total_iters=warm),
            lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * per_epoch - warm),
        ]
        return lr_scheduler.SequentialLR(optimizer, parts, milestones=[warm]), True
    return None, False


def train_plain(
    dataset: str,
    hidden: tuple[int, ...],
    optimizer: str,
    lr: float,
    batch_size: int,
    epochs: int,
    seed: int,
    schedule: str = "none",
    shuffle: bool = True,
    order: str = "random",
    warmup_epochs: int = 1,
) -> Trace:
    """Train one network the article's way and record what the claims measure."""
    split = load_split(dataset, order=order)
    task = split.task
    y_train, y_val = (y.long() if task == "multiclass" else y for y in (split.y_train, split.y_val))
    outputs = split.n_classes if task == "multiclass" else 1
    torch.manual_seed(seed)
    sizes = [split.n_features, *hidden, outputs]
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers += [nn.Linear(fan_in, fan_out)] + ([nn.ReLU()] if i < len(sizes) - 2 else [])
    model = nn.Sequential(*layers)
    loss_of = {"regression": nn.MSELoss(), "binary": nn.BCEWithLogitsLoss(), "multiclass": nn.CrossEntropyLoss()}[task]

    def criterion(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return loss_of(out if task == "multiclass" else out[:, 0], target)

    def accuracy() -> float:
        with torch.no_grad():
            out = model(split.x_val)
        guess = out.argmax(1) if task == "multiclass" else (out[:, 0] > 0).float()
        return float((guess == y_val).float().mean())

    loader = DataLoader(
        TensorDataset(split.x_train, y_train),
        batch_size=batch_size,
        shuffle=shuffle,
        generator=torch.Generator().manual_seed(seed),
    )
    opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr)
    scheduler, per_batch = _scheduler(schedule, opt, epochs, len(loader), warmup_epochs)
    trace = Trace()
    for epoch in range(epochs):
        losses = []
        for step, (inputs, targets) in enumerate(loader):
            opt.zero_grad()
            loss = criterion(model(inputs), targets)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if per_batch:
                scheduler.step()
            if epoch == 0 and step == len(loader) // 2 and task != "regression":
                trace.halfway_accuracy = accuracy()
        if scheduler is not None and not per_batch:
            scheduler.step()
        trace.batch_losses.append(losses)
        with torch.no_grad():
            trace.val_loss.append(criterion(model(split.x_val), y_val).item())
        trace.val_accuracy.append(accuracy() if task != "regression" else float("nan"))
    return trace
