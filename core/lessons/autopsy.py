"""Why a run blew up: the sharpness of the loss at the start (λmax of its Hessian) against the learning rate.

Gradient descent is stable along a direction of curvature λ only while lr·λ < 2 (core.lessons.theory). At the
start of training the steepest direction has curvature λmax, so lr·λmax > 2 predicts that plain SGD on the full batch
overshoots further at every step. For a linear model with MSE the Hessian is the same everywhere, so the prediction
is exact; for a network the curvature changes as it learns, so it is a first diagnosis, not a verdict.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from core.config import RunConfig
from core.data import load_split
from core.lessons.theory import hessian_vector_product
from core.models import build_model, initial_weights, layer_sizes, resolve_loss
from core.reference import criterion_for, set_up, train_reference
from core.runlog import init_seed, targets
from core.sensitivity import parting_epoch

LANCZOS_STEPS = 40  # Hessian-vector products per estimate: ample for the top eigenvalue of these models


def initial_sharpness(config: RunConfig) -> float:
    """λmax of the training loss's Hessian at the run's initial weights, on the whole training set (float64)."""
    config = config.validated()
    split = load_split(config.dataset, config.val_fraction, order=config.order)
    sizes = layer_sizes(config, split, resolve_loss(config, split))
    return sharpness(config, build_model(sizes, config.activation, initial_weights(sizes, init_seed(config.seed))))


def final_sharpness(config: RunConfig) -> float:
    """λmax of the training loss's Hessian after training `config` (the article's loop), or NaN for a run that was
    stopped. The edge 2/λmax at the start is a bound that training moves: this is where it has moved to."""
    return after_training(config, check_rounding=False).sharpness


@dataclass(frozen=True)
class AfterTraining:
    """One run of the article's loop, examined at its end."""

    sharpness: float  # λmax after the last epoch (NaN for a run that was stopped)
    parting: int | None  # core.sensitivity.parting_epoch of the run (None: it reproduces, or it was not checked)


def after_training(config: RunConfig, check_rounding: bool = True) -> AfterTraining:
    """λmax at the end of `config`'s run and, from the same reference training, the epoch where the page's curve of
    it parts from the article's loop (core.sensitivity.parting_epoch): one reference run for both."""
    config = config.validated()
    torch.set_num_threads(1)  # as core.training.train: tiny models train faster on one thread
    article = set_up(config, "cpu")
    log = train_reference(config, "cpu", article=article)
    end = math.nan if log.stopped is not None else sharpness(config, article.model)
    return AfterTraining(end, parting_epoch(config, script=log) if check_rounding else None)


def sharpness(config: RunConfig, model: nn.Module) -> float:
    """λmax of the Hessian of `config`'s training loss at `model`'s weights, on the whole training set (float64)."""
    split = load_split(config.dataset, config.val_fraction, order=config.order)
    loss_name = resolve_loss(config, split)
    y_train, _ = targets(split, loss_name)
    model = copy.deepcopy(model).double()
    criterion = criterion_for(loss_name, split)
    x = split.x_train.double()
    y = y_train if loss_name == "ce" else y_train.double()
    params = list(model.parameters())
    return lanczos_max_eigenvalue(hessian_vector_product(lambda: criterion(model(x), y), params), params)


def lanczos_max_eigenvalue(
    product: Callable[[torch.Tensor], torch.Tensor], params: list, steps: int = LANCZOS_STEPS
) -> float:
    """Largest eigenvalue of a symmetric operator from a few Lanczos steps (full re-orthogonalisation).

    Lanczos finds the extreme eigenvalues in far fewer products than power iteration, which crawls when the top two
    are close; with `steps` ≥ the number of parameters it is exact."""
    size = sum(p.numel() for p in params)
    dtype = params[0].dtype
    basis = [torch.randn(size, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(dtype)]
    basis[0] /= basis[0].norm()
    alphas, betas = [], []
    for _ in range(min(steps, size)):
        image = product(basis[-1])
        alphas.append(float(basis[-1] @ image))
        for vector in basis:  # keep the new direction orthogonal to every earlier one
            image = image - (vector @ image) * vector
        norm = float(image.norm())
        if norm < 1e-10 * max(1.0, abs(alphas[-1])):
            break
        betas.append(norm)
        basis.append(image / norm)
    k = len(alphas)
    tridiagonal = torch.diag(torch.tensor(alphas, dtype=torch.float64))
    off = torch.tensor(betas[: k - 1], dtype=torch.float64)
    tridiagonal += torch.diag(off, 1) + torch.diag(off, -1)
    return float(torch.linalg.eigvalsh(tridiagonal)[-1])


def stability_ratio(lr: float, sharpness: float) -> float:
    """lr × λmax: below 2 the steepest direction settles, above 2 every step overshoots further."""
    return lr * sharpness


def first_spike(steps: torch.Tensor | list[float], factor: float = 10.0, warmup: int = 5) -> int | None:
    """The first step whose gradient norm exceeds `factor` × the median of the steps before it (None if none).

    The first `warmup` steps only set the baseline: a fresh network's gradients are large anyway."""
    norms = torch.as_tensor(steps, dtype=torch.float64)
    for step in range(warmup, len(norms)):
        if not torch.isfinite(norms[step]) or norms[step] > factor * norms[:step].median():
            return step
    return None


@dataclass(frozen=True)
class Blowup:
    """The largest diverging rate of a sweep, examined."""

    run: pd.Series  # its row of core.lessons.verdicts.judged_runs (lr, reason, where it was stopped)
    spike: tuple[int, float, float] | None  # the first gradient-norm spike: step, median norm before it, norm at it
    product: float  # lr × λmax, against 2


def largest_blowup(judged: pd.DataFrame, steps: pd.DataFrame, sharpness: float) -> Blowup | None:
    """The diverging run with the largest rate in `judged`, its first gradient spike in `steps`, and lr × λmax."""
    diverging = judged[judged["verdict"] == "diverging"]
    if diverging.empty:
        return None
    row = diverging.loc[diverging["lr"].idxmax()]
    own = steps[steps["run"] == row["run"]]
    norms = own["grad_norm"].to_numpy()
    at = first_spike(norms.tolist())
    spike = None if at is None else (int(own["step"].iloc[at]), float(pd.Series(norms[:at]).median()), float(norms[at]))
    return Blowup(row, spike, stability_ratio(row["lr"], sharpness))
