"""The reference engine: the article's training loop, one config at a time. It is the executable specification."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from core.config import RunConfig
from core.data import Dataset, Split, split_of
from core.models import build_model, initial_weights, layer_sizes, resolve_loss
from core.optim import PER_BATCH_SCHEDULERS, make_optimizer, make_scheduler
from core.runlog import RunLog, accuracy, examples_per_batch, init_seed, order_seed, stop_limit, targets


def criterion_for(loss: str, split: Split) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The scoring rule built from torch.nn losses, as `criterion(outputs, labels)`."""
    if loss == "bce":
        bce = nn.BCEWithLogitsLoss()
        return lambda outputs, labels: bce(outputs[:, 0], labels)
    if loss == "ce":
        return nn.CrossEntropyLoss()
    mse = nn.MSELoss()
    if split.task == "regression":
        return lambda outputs, labels: mse(outputs[:, 0], labels)
    if split.task == "binary":
        return lambda outputs, labels: mse(torch.sigmoid(outputs[:, 0]), labels)
    return lambda outputs, labels: mse(F.softmax(outputs, dim=1), F.one_hot(labels.long(), split.n_classes).float())


def evaluate(model: nn.Module, criterion: Callable, x: torch.Tensor, y: torch.Tensor, task: str) -> tuple[float, float]:
    """Loss and accuracy on a whole split, without touching gradients."""
    if len(x) == 0:
        return math.nan, math.nan
    with torch.no_grad():
        outputs = model(x)
        return criterion(outputs, y).item(), accuracy(outputs, y, task).item()


@dataclass
class Article:
    """The article's objects for one config: data, model, criterion, DataLoader and optimizer, all seeded."""

    split: Split
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    model: nn.Module
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    loader: DataLoader
    optimizer: torch.optim.Optimizer

    @property
    def task(self) -> str:
        """binary, multiclass or regression."""
        return self.split.task


def set_up(config: RunConfig, device: str = "cpu", data: Dataset | None = None) -> Article:
    """Build what the article's loop needs for `config`: the same weights and batch order as the fast engine."""
    split = split_of(config, data)
    loss_name = resolve_loss(config, split)
    y_train, y_val = (y.to(device) for y in targets(split, loss_name))
    x_train, x_val = split.x_train.to(device), split.x_val.to(device)
    sizes = layer_sizes(config, split, loss_name)
    model = build_model(sizes, config.activation, initial_weights(sizes, init_seed(config.seed))).to(device)
    loader = DataLoader(
        TensorDataset(x_train, y_train),
        batch_size=examples_per_batch(config, len(x_train)),
        shuffle=config.shuffle,
        generator=torch.Generator().manual_seed(order_seed(config.seed)),
    )
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr, config.momentum, config.weight_decay)
    criterion = criterion_for(loss_name, split)
    return Article(split, x_train, y_train, x_val, y_val, model, criterion, loader, optimizer)


def train_reference(
    config: RunConfig,
    device: str = "cpu",
    progress: Callable[[float], None] | None = None,
    data: Dataset | None = None,
    article: Article | None = None,
) -> RunLog:
    """Train one config with the plain loop: zero_grad -> forward -> loss -> backward -> step.

    Pass `article` (from set_up) to keep the trained model afterwards."""
    article = article or set_up(config, device, data)
    model, criterion, loader, optimizer = article.model, article.criterion, article.loader, article.optimizer
    x_train, y_train, x_val, y_val, task = article.x_train, article.y_train, article.x_val, article.y_val, article.task
    scheduler = make_scheduler(
        config.scheduler,
        optimizer,
        config.epochs,
        len(loader),
        config.step_size,
        config.gamma,
        config.warmup_epochs,
        config.patience,
    )
    per_batch = config.scheduler in PER_BATCH_SCHEDULERS

    log = RunLog()
    started = time.perf_counter()
    train_loss, _ = evaluate(model, criterion, x_train, y_train, task)
    log.epochs.append((0, train_loss, *evaluate(model, criterion, x_val, y_val, task), 0.0))
    limit = stop_limit(train_loss)
    step = 0
    for epoch in range(1, config.epochs + 1):
        running_loss = 0.0
        for inputs, labels in loader:
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            value, lr = loss.item(), optimizer.param_groups[0]["lr"]
            if not math.isfinite(value) or value > limit:
                log.stopped = (step, epoch, value, lr)
                return log
            grad_norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()])).item()
            log.steps.append((step, epoch, value, lr, grad_norm))
            optimizer.step()
            if scheduler is not None and per_batch:
                scheduler.step()
            running_loss += value
            step += 1
        val_loss, val_accuracy = evaluate(model, criterion, x_val, y_val, task)
        train_loss = running_loss / len(loader)
        log.epochs.append((epoch, train_loss, val_loss, val_accuracy, time.perf_counter() - started))
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(val_loss if math.isfinite(val_loss) else train_loss)
        elif scheduler is not None and not per_batch:
            scheduler.step()
        if progress is not None:
            progress(epoch / config.epochs)
    log.final_loss = evaluate(model, criterion, x_train, y_train, task)[0]  # the state after the last update
    return log
