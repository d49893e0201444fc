"""Model builders: a linear model or an MLP, with initial weights drawn from an explicit generator."""

from __future__ import annotations

import math

import torch
from torch import nn

from core.config import ConfigError, RunConfig
from core.data import Split

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def resolve_loss(config: RunConfig, split: Split) -> str:
    """The loss actually used: `auto` picks MSE for regression, BCE for two classes, CE for more."""
    allowed = {"regression": ("mse",), "binary": ("bce", "ce", "mse"), "multiclass": ("ce", "mse")}[split.task]
    if config.loss == "auto":
        return allowed[0]
    if config.loss not in allowed:
        options = ", ".join(allowed)
        raise ConfigError("loss_task", loss=config.loss, task=split.task, dataset=split.name, allowed=options)
    return config.loss


def layer_sizes(config: RunConfig, split: Split, loss: str) -> list[int]:
    """Widths from input to output; one output unit for regression and BCE/MSE on two classes."""
    out = split.n_classes if (split.task == "multiclass" or loss == "ce") else 1
    return [split.n_features, *config.hidden, out]


def initial_weights(sizes: list[int], seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(weight [out, in], bias [out]) per layer, drawn like nn.Linear's default init from a seeded generator."""
    generator = torch.Generator().manual_seed(seed)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1 / math.sqrt(fan_in)
        weight = torch.empty(fan_out, fan_in).uniform_(-bound, bound, generator=generator)
        bias = torch.empty(fan_out).uniform_(-bound, bound, generator=generator)
        layers.append((weight, bias))
    return layers


def build_model(sizes: list[int], activation: str, weights: list[tuple[torch.Tensor, torch.Tensor]]) -> nn.Sequential:
    """A plain nn.Sequential of Linear layers (activation between them) holding copies of `weights`."""
    modules: list[nn.Module] = []
    for i, (weight, bias) in enumerate(weights):
        linear = nn.Linear(sizes[i], sizes[i + 1])
        with torch.no_grad():
            linear.weight.copy_(weight)
            linear.bias.copy_(bias)
        modules.append(linear)
        if i < len(weights) - 1:
            modules.append(ACTIVATIONS[activation]())
    return nn.Sequential(*modules)
