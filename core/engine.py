"""The fast engine: runs that differ only in learning rate and seed train together as one vectorised model.

Every parameter gets a leading K axis (one slice per run) and the layers become batched matrix products.
A real torch.optim optimizer steps all K slices at learning rate 1; each slice's update is then scaled by that
run's own learning rate. This is exact because for every optimizer offered here the update is linear in the
learning rate and the optimizer's state (momentum, squared-gradient averages) never depends on it. Schedules come
from real torch.optim.lr_scheduler objects: every schedule but plateau is linear in the base LR, so one table at
LR 1 (core.optim.lr_table) times each run's LR gives every run's rates; plateau follows each run's own validation
loss, so it keeps one real scheduler per run on a one-parameter stand-in optimizer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch.nn import functional as F

from core.config import RunConfig
from core.data import Split, load_split
from core.models import initial_weights, layer_sizes, resolve_loss
from core.optim import lr_table, make_optimizer, make_scheduler
from core.runlog import RunLog, accuracy, examples_per_batch, init_seed, order_seed, stop_limit, targets

_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


def shuffle_orders(n: int, epochs: int, seed: int, shuffle: bool) -> torch.Tensor:
    """Index order of every epoch [epochs, n], drawing exactly what DataLoader(shuffle, generator) draws."""
    if not shuffle:
        return torch.arange(n).expand(epochs, n)
    generator = torch.Generator().manual_seed(order_seed(seed))
    orders = []
    for _ in range(epochs):
        # Per epoch, DataLoader's iterator draws a base seed, RandomSampler a permutation, and the exhausted
        # sampler one more (empty-sliced) permutation.
        torch.empty((), dtype=torch.int64).random_(generator=generator)
        orders.append(torch.randperm(n, generator=generator))
        torch.randperm(n, generator=generator)
    return torch.stack(orders)


def batched_loss(loss: str, split: Split, outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean loss of each run [K] from outputs [K, B, C] and labels [K, B]."""
    if loss == "bce":
        return F.binary_cross_entropy_with_logits(outputs[..., 0], labels, reduction="none").mean(1)
    if loss == "ce":
        k, b, c = outputs.shape
        return F.cross_entropy(outputs.reshape(k * b, c), labels.reshape(-1), reduction="none").view(k, b).mean(1)
    if split.task == "regression":
        return ((outputs[..., 0] - labels) ** 2).mean(1)
    if split.task == "binary":
        return ((torch.sigmoid(outputs[..., 0]) - labels) ** 2).mean(1)
    one_hot = F.one_hot(labels, split.n_classes).to(outputs.dtype)
    return ((F.softmax(outputs, dim=-1) - one_hot) ** 2).mean((1, 2))


def train_together(
    configs: Sequence[RunConfig], device: str = "cpu", progress: Callable[[float], None] | None = None
) -> list[RunLog]:
    """Train K configs that differ only in lr and seed as one vectorised model; one RunLog per config.

    All configs must share one group key (RunConfig.group_key): one data set, model, optimizer and schedule. A schedule
    changes nothing but the learning rate, which is what makes one unit-LR optimizer step exact for every run; this is
    why one-cycle is built with cycle_momentum=False (core.optim.make_scheduler).
    """
    base = configs[0]
    if any(c.group_key() != base.group_key() for c in configs):
        raise ValueError("train_together needs configs that differ only in lr and seed")
    k = len(configs)
    split = load_split(base.dataset, base.val_fraction, order=base.order)
    loss_name = resolve_loss(base, split)
    y_train, y_val = (y.to(device) for y in targets(split, loss_name))
    x_train, x_val = split.x_train.to(device), split.x_val.to(device)
    n = len(x_train)
    batch_size = examples_per_batch(base, n)
    steps_per_epoch = math.ceil(n / batch_size)
    total_steps = steps_per_epoch * base.epochs
    sizes = layer_sizes(base, split, loss_name)
    activation = _ACTIVATIONS[base.activation]

    # All parameters of run i live in row i of one flat leaf tensor, so the optimizer, the update scaling and the
    # gradient norms are a handful of tensor operations whatever the depth of the model.
    inits = [initial_weights(sizes, init_seed(c.seed)) for c in configs]
    theta = torch.stack([torch.cat([t.flatten() for w, b in run for t in (w.T, b)]) for run in inits])
    theta = theta.to(device).requires_grad_()
    layers, offset = [], 0  # (fan_in, fan_out, where the weights start, where the bias starts) per layer
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers.append((fan_in, fan_out, offset, offset + fan_in * fan_out))
        offset += (fan_in + 1) * fan_out
    optimizer = make_optimizer(base.optimizer, [theta], 1.0, base.momentum, base.weight_decay, fused=device == "cpu")

    def forward(x: torch.Tensor) -> torch.Tensor:
        for i, (fan_in, fan_out, start, bias) in enumerate(layers):
            weight = theta[:, start:bias].view(k, fan_in, fan_out)
            x = torch.baddbmm(theta[:, None, bias : bias + fan_out], x, weight)
            if i < len(layers) - 1:
                x = activation(x)
        return x

    def evaluate(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if len(x) == 0:
            return torch.full((k,), math.nan), torch.full((k,), math.nan)
        with torch.no_grad():
            outputs = forward(x.expand(k, *x.shape))
            labels = y.expand(k, *y.shape)
            return batched_loss(loss_name, split, outputs, labels).cpu(), accuracy(outputs, labels, split.task).cpu()

    # Learning rates [steps, K]: the schedule's table at LR 1 times each run's LR; plateau's are filled per epoch.
    plateau = base.scheduler == "plateau"
    if plateau:
        stand_ins = [make_optimizer("sgd", [torch.zeros(1, requires_grad=True)], c.lr) for c in configs]
        schedulers = [
            make_scheduler("plateau", s, base.epochs, steps_per_epoch, gamma=base.gamma, patience=base.patience)
            for s in stand_ins
        ]
        lrs = torch.empty(total_steps, k)
    else:
        lrs = torch.outer(lr_table(base, steps_per_epoch), torch.tensor([c.lr for c in configs], dtype=torch.float64))
    lrs = lrs.float().to(device)
    orders = torch.stack([shuffle_orders(n, base.epochs, c.seed, base.shuffle) for c in configs], 1).to(device)

    logs = [RunLog() for _ in configs]
    train_loss, _ = evaluate(x_train, y_train)
    val_loss, val_accuracy = evaluate(x_val, y_val)
    for i, log in enumerate(logs):
        log.epochs.append((0, train_loss[i].item(), val_loss[i].item(), val_accuracy[i].item()))
    limits = torch.tensor([stop_limit(v) for v in train_loss.tolist()], device=device)
    lr_column = lrs[:, :, None]  # [steps, K, 1]: broadcasts over each run's row of parameters
    alive = torch.ones(k, dtype=torch.bool)
    step_loss = torch.zeros(total_steps, k, device=device)
    step_grad = torch.zeros(total_steps, k, device=device)
    before = torch.empty_like(theta)
    step = 0
    for epoch in range(1, base.epochs + 1):
        if plateau:
            lrs[step : step + steps_per_epoch] = torch.tensor([s.param_groups[0]["lr"] for s in stand_ins])
        for start in range(0, n, batch_size):
            index = orders[epoch - 1, :, start : start + batch_size]
            theta.grad = None
            losses = batched_loss(loss_name, split, forward(x_train[index]), y_train[index])
            losses.sum().backward()  # runs share no parameters, so each row gets its own run's gradient
            with torch.no_grad():
                step_loss[step] = losses
                step_grad[step] = theta.grad.norm(dim=1)
                before.copy_(theta)
                optimizer.step()
                theta.copy_(before.lerp_(theta, lr_column[step]))  # each run's unit-LR update times its own LR
            step += 1
        # The stop bound is checked once per epoch: a run past it keeps computing in its own row until then (rows
        # never mix, so nothing reaches the other runs), and its records end just before it passed it (_fill_steps).
        window = step_loss[step - steps_per_epoch : step]
        alive &= (torch.isfinite(window) & (window <= limits)).all(0).cpu()
        val_loss, val_accuracy = evaluate(x_val, y_val)
        train_loss = window.mean(0).cpu()
        for i in alive.nonzero().flatten().tolist():
            logs[i].epochs.append((epoch, train_loss[i].item(), val_loss[i].item(), val_accuracy[i].item()))
            if plateau:
                metric = val_loss[i].item()
                schedulers[i].step(metric if math.isfinite(metric) else train_loss[i].item())
        if progress is not None:
            progress(epoch / base.epochs)
        if not alive.any():
            break
    final_loss, _ = evaluate(x_train, y_train)  # the state after the last update is judged too
    for i in alive.nonzero().flatten().tolist():
        logs[i].final_loss = final_loss[i].item()
    tables = (t[:step].cpu() for t in (step_loss, lrs, step_grad))
    _fill_steps(logs, *tables, limits.cpu(), steps_per_epoch)
    return logs


def _fill_steps(
    logs: list[RunLog],
    losses: torch.Tensor,
    lrs: torch.Tensor,
    grads: torch.Tensor,
    limits: torch.Tensor,
    steps_per_epoch: int,
) -> None:
    """Per-step records up to where each run was stopped, and where it was, from the [steps, K] tables."""
    bad = ~(torch.isfinite(losses) & (losses <= limits))
    for i, log in enumerate(logs):
        blown = bad[:, i].nonzero().flatten()
        end = blown[0].item() if len(blown) else len(losses)
        log.steps = [
            (s, s // steps_per_epoch + 1, loss, lr, grad)
            for s, (loss, lr, grad) in enumerate(
                zip(losses[:end, i].tolist(), lrs[:end, i].tolist(), grads[:end, i].tolist(), strict=True)
            )
        ]
        if len(blown):
            log.stopped = (end, end // steps_per_epoch + 1, losses[end, i].item(), lrs[end, i].item())
