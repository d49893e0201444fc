"""The fast engine: runs that differ only in learning rate and seed train together as one vectorised model.

Every parameter gets a leading K axis (one slice per run) and the layers become batched matrix products, with
gradients computed by hand from torch's own backward formulas. A real torch.optim optimizer computes all K slices'
updates at learning rate 1; each run then adds its own learning rate times its update. This is exact because for
every optimizer offered here the update is linear in the learning rate and the optimizer's state (momentum,
squared-gradient averages) never depends on it. Schedules come from real torch.optim.lr_scheduler objects: every
schedule but plateau is linear in the base LR, so one table at LR 1 (core.optim.lr_table) times each run's LR gives
every run's rates; plateau follows each run's own validation loss, so it keeps one real scheduler per run on a
one-parameter stand-in optimizer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence

import torch
from torch.nn import functional as F

from core.config import RunConfig
from core.data import Dataset, Split, split_of
from core.models import initial_weights, layer_sizes, resolve_loss
from core.optim import lr_table, make_optimizer, make_scheduler
from core.runlog import RunLog, accuracy, examples_per_batch, init_seed, order_seed, stop_limit, targets

# Each activation with its backward rule written from its output, as torch's own backward formulas are.
_ACTIVATIONS = {
    "relu": (torch.relu, lambda grad, out: grad.masked_fill_(out <= 0, 0.0)),
    "tanh": (torch.tanh, lambda grad, out: grad.mul_(1 - out * out)),
    "sigmoid": (torch.sigmoid, lambda grad, out: grad.mul_(1 - out).mul_(out)),
}


def shuffle_orders(n: int, seed: int, shuffle: bool) -> Iterator[torch.Tensor]:
    """Index order of each epoch in turn, drawing exactly what DataLoader(shuffle, generator) draws.

    One epoch at a time: a long run of many rates never holds every epoch's order at once."""
    generator = torch.Generator().manual_seed(order_seed(seed))
    while True:
        if not shuffle:
            yield torch.arange(n)
            continue
        # Per epoch, DataLoader's iterator draws a base seed, RandomSampler a permutation, and the exhausted
        # sampler one more (empty-sliced) permutation.
        torch.empty((), dtype=torch.int64).random_(generator=generator)
        order = torch.randperm(n, generator=generator)
        torch.randperm(n, generator=generator)
        yield order


def batched_loss(
    loss: str, split: Split, outputs: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss of each run [K] from outputs [K, B, C] and labels [K, B], and its gradient by the outputs."""
    k, b, c = outputs.shape
    if loss == "ce":
        losses = F.cross_entropy(outputs.reshape(k * b, c), labels.reshape(-1), reduction="none").view(k, b).mean(1)
        return losses, (F.softmax(outputs, -1) - F.one_hot(labels, c)).mul_(1 / b)
    if loss == "bce":
        logits = outputs[..., 0]
        losses = F.binary_cross_entropy_with_logits(logits, labels, reduction="none").mean(1)
        return losses, (torch.sigmoid(logits) - labels).mul_(1 / b)[..., None]
    if split.task == "regression":
        error = outputs[..., 0] - labels
        return (error**2).mean(1), (error * 2).mul_(1 / b)[..., None]
    if split.task == "binary":
        probability = torch.sigmoid(outputs[..., 0])
        error = probability - labels
        gradient = (error * 2).mul_(1 / b).mul_(1 - probability).mul_(probability)
        return (error**2).mean(1), gradient[..., None]
    probabilities = F.softmax(outputs, -1)
    error = probabilities - F.one_hot(labels, c)
    by_probability = (error * 2).mul_(1 / (b * c))
    gradient = probabilities * (by_probability - (by_probability * probabilities).sum(-1, keepdim=True))
    return (error**2).mean((1, 2)), gradient


def train_together(
    configs: Sequence[RunConfig],
    device: str = "cpu",
    progress: Callable[[float], None] | None = None,
    data: Dataset | None = None,
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
    split = split_of(base, data)
    loss_name = resolve_loss(base, split)
    y_train, y_val = (y.to(device) for y in targets(split, loss_name))
    x_train, x_val = split.x_train.to(device), split.x_val.to(device)
    n = len(x_train)
    batch_size = examples_per_batch(base, n)
    steps_per_epoch = math.ceil(n / batch_size)
    total_steps = steps_per_epoch * base.epochs
    sizes = layer_sizes(base, split, loss_name)
    activation, activation_backward = _ACTIVATIONS[base.activation]

    # All parameters of run i live in row i of one flat tensor, so the update, the weight decay and the gradient
    # norms are a handful of tensor operations whatever the depth of the model. Each layer's weight [K, in, out]
    # and bias [K, 1, out] is a view of it, and their gradients are views of one flat tensor of the same layout.
    inits = [initial_weights(sizes, init_seed(c.seed)) for c in configs]
    theta = torch.stack([torch.cat([t.flatten() for w, b in run for t in (w.T, b)]) for run in inits]).to(device)
    grad = torch.zeros_like(theta)
    layers, gradients, offset = [], [], 0  # (weight, bias) of each layer, in theta and in grad
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        bias = offset + fan_in * fan_out
        end = bias + fan_out
        for flat, views in ((theta, layers), (grad, gradients)):
            views.append((flat[:, offset:bias].view(k, fan_in, fan_out), flat[:, bias:end].view(k, 1, fan_out)))
        offset = end
    # The optimizer steps a zero "delta" whose gradient is theta's at learning rate 1, so delta becomes exactly
    # torch's unit update; each run then adds its own lr x delta. That is exact because every update offered here
    # is linear in the learning rate and the optimizer's state never depends on it. Weight decay is applied here,
    # as torch documents it: coupled (added to the gradient) or, for AdamW, decoupled (theta *= 1 - lr x decay).
    delta = torch.zeros_like(theta)
    delta.grad = grad
    optimizer = make_optimizer(base.optimizer, [delta], 1.0, base.momentum, base.weight_decay, fused=device == "cpu")
    group = optimizer.param_groups[0]
    decay, group["weight_decay"] = group["weight_decay"], 0.0
    decoupled = group.get("decoupled_weight_decay", False)

    def forward(x: torch.Tensor) -> list[torch.Tensor]:
        """The input of every layer, then the outputs."""
        values = [x]
        for i, (weight, bias) in enumerate(layers):
            values.append(torch.baddbmm(bias, values[-1], weight))
            if i < len(layers) - 1:
                values[-1] = activation(values[-1])
        return values

    def backward(values: list[torch.Tensor], by_outputs: torch.Tensor) -> None:
        """Backpropagation by hand into `grad`, with the formulas of torch's baddbmm and activation backward.

        At these sizes autograd's graph bookkeeping costs more than the arithmetic; the reference loop, which uses
        autograd, checks these gradients in the tests."""
        for i in reversed(range(len(layers))):
            torch.bmm(values[i].transpose(1, 2), by_outputs, out=gradients[i][0])
            torch.sum(by_outputs, 1, keepdim=True, out=gradients[i][1])
            if i > 0:
                by_outputs = activation_backward(torch.bmm(by_outputs, layers[i][0].transpose(1, 2)), values[i])

    def evaluate(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if len(x) == 0:
            return torch.full((k,), math.nan), torch.full((k,), math.nan)
        outputs = forward(x.expand(k, *x.shape))[-1]
        labels = y.expand(k, *y.shape)
        losses, _ = batched_loss(loss_name, split, outputs, labels)
        return losses.cpu(), accuracy(outputs, labels, split.task).cpu()

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
    orders = [shuffle_orders(n, c.seed, base.shuffle) for c in configs]

    logs = [RunLog() for _ in configs]
    started = time.perf_counter()
    train_loss, _ = evaluate(x_train, y_train)
    val_loss, val_accuracy = evaluate(x_val, y_val)
    for i, log in enumerate(logs):
        log.epochs.append((0, train_loss[i].item(), val_loss[i].item(), val_accuracy[i].item(), 0.0))
    limits = torch.tensor([stop_limit(v) for v in train_loss.tolist()], device=device)
    lr_column = lrs[:, :, None]  # [steps, K, 1]: broadcasts over each run's row of parameters
    alive = torch.ones(k, dtype=torch.bool)
    step_loss = torch.zeros(total_steps, k, device=device)
    step_grad = torch.zeros(total_steps, k, device=device)
    step = 0
    for epoch in range(1, base.epochs + 1):
        if plateau:
            lrs[step : step + steps_per_epoch] = torch.tensor([s.param_groups[0]["lr"] for s in stand_ins])
        order = torch.stack([next(runs_order) for runs_order in orders]).to(device)
        for start in range(0, n, batch_size):
            index = order[:, start : start + batch_size]
            values = forward(x_train[index])
            losses, by_outputs = batched_loss(loss_name, split, values[-1], y_train[index])
            backward(values, by_outputs)
            step_loss[step] = losses
            torch.linalg.vector_norm(grad, dim=1, out=step_grad[step])
            lr = lr_column[step]
            if decay and decoupled:
                theta.mul_(1 - lr * decay)
            elif decay:
                grad.add_(theta, alpha=decay)
            optimizer.step()
            theta.addcmul_(delta, lr)
            delta.zero_()
            step += 1
        # The stop bound is checked once per epoch: a run past it keeps computing in its own row until then (rows
        # never mix, so nothing reaches the other runs), and its records end just before it passed it (_fill_steps).
        window = step_loss[step - steps_per_epoch : step]
        alive &= (torch.isfinite(window) & (window <= limits)).all(0).cpu()
        val_loss, val_accuracy = evaluate(x_val, y_val)
        train_loss = window.mean(0).cpu()
        seconds = time.perf_counter() - started
        for i in alive.nonzero().flatten().tolist():
            logs[i].epochs.append((epoch, train_loss[i].item(), val_loss[i].item(), val_accuracy[i].item(), seconds))
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
