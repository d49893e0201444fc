"""Curvature of a loss (its largest Hessian eigenvalue) and the learning-rate bounds it sets.

Near a minimum every smooth loss looks like a bowl, ½·δᵀHδ. Along an eigenvector of H with eigenvalue λ,
gradient descent multiplies the distance to the minimum by (1 − lr·λ) at each step. The steepest
direction (λmax) is the first to overshoot, so λmax alone decides which learning rates are stable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

MatVec = Callable[[torch.Tensor], torch.Tensor]


def least_squares_max_eigenvalue(features: torch.Tensor, outputs: int = 1, bias: bool = True) -> float:
    """Exact λmax of `nn.MSELoss()` (mean) for a linear model on `features` (N × d).

    With X̃ = [X, 1] (the 1 column is the bias), each output's loss is (1/(N·outputs))·‖X̃w − y‖², whose Hessian is
    2/(N·outputs)·X̃ᵀX̃, the same block for every output; the targets do not matter.
    """
    x = features.to(torch.float64).reshape(len(features), -1)
    if bias:
        x = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], dim=1)
    gram = x.T @ x * (2.0 / (len(x) * outputs))
    return float(torch.linalg.eigvalsh(gram)[-1])


def hessian_vector_product(loss_fn: Callable[[], torch.Tensor], params: Sequence[torch.Tensor]) -> MatVec:
    """A function v ↦ H·v for the Hessian of `loss_fn()` in `params` (flattened), by double backward."""
    params = list(params)
    grads = torch.autograd.grad(loss_fn(), params, create_graph=True)
    sizes = [p.numel() for p in params]

    def product(vector: torch.Tensor) -> torch.Tensor:
        pieces = [piece.view_as(p) for piece, p in zip(vector.split(sizes), params, strict=True)]
        # d/dθ (g(θ)·v) = H·v: one more backward pass instead of ever forming H.
        hv = torch.autograd.grad(grads, params, grad_outputs=pieces, retain_graph=True, allow_unused=True)
        hv = [h if h is not None else torch.zeros_like(p) for h, p in zip(hv, params, strict=True)]
        return torch.cat([h.reshape(-1) for h in hv])

    return product


def _power_iteration(matvec: MatVec, size: int, dtype: torch.dtype, iters: int, tol: float, seed: int) -> float:
    """The eigenvalue of largest magnitude of a symmetric operator (Rayleigh quotient of the power iteration)."""
    generator = torch.Generator().manual_seed(seed)
    vector = torch.randn(size, generator=generator, dtype=torch.float64).to(dtype)
    vector = vector / vector.norm()
    estimate = 0.0
    for _ in range(iters):
        image = matvec(vector)
        new_estimate = float(vector @ image)
        norm = image.norm()
        if norm == 0:
            return 0.0
        vector = image / norm
        if abs(new_estimate - estimate) <= tol * max(abs(new_estimate), 1e-30):
            return new_estimate
        estimate = new_estimate
    return estimate


def max_hessian_eigenvalue(
    loss_fn: Callable[[], torch.Tensor],
    params: Sequence[torch.Tensor],
    iters: int = 500,
    tol: float = 1e-9,
    seed: int = 0,
) -> float:
    """Largest (most positive) Hessian eigenvalue of `loss_fn()` in `params`, by power iteration on H·v.

    Power iteration finds the eigenvalue of largest *magnitude*. If that one is negative (a saddle), a second run on
    H − λ·I, whose spectrum is shifted to be non-negative, finds the top one.
    """
    params = list(params)
    hv = hessian_vector_product(loss_fn, params)
    size = sum(p.numel() for p in params)
    dtype = params[0].dtype
    dominant = _power_iteration(hv, size, dtype, iters, tol, seed)
    if dominant >= 0:
        return dominant
    shifted = _power_iteration(lambda v: hv(v) - dominant * v, size, dtype, iters, tol, seed)
    return shifted + dominant


def model_max_eigenvalue(
    model: nn.Module, loss: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, **power: int | float
) -> float:
    """Largest Hessian eigenvalue of `loss(model(inputs), targets)` in the model's trainable parameters."""
    params = [p for p in model.parameters() if p.requires_grad]
    return max_hessian_eigenvalue(lambda: loss(model(inputs), targets), params, **power)


def gd_stability_bound(max_eigenvalue: float) -> float:
    """Largest stable learning rate of plain gradient descent: 2/λmax.

    Along the steepest direction one step maps the distance δ to (1 − lr·λmax)·δ; it shrinks only if
    |1 − lr·λmax| < 1, that is 0 < lr < 2/λmax. Above it every step overshoots further than the last.
    """
    return 2.0 / max_eigenvalue


def momentum_stability_bound(max_eigenvalue: float, momentum: float) -> float:
    """Largest stable learning rate of heavy-ball momentum (torch SGD, dampening 0): (2 + 2μ)/λmax.

    torch keeps b ← μ·b + g and steps θ ← θ − lr·b. With g = λ·θ this is θₜ₊₁ = (1 + μ − lr·λ)·θₜ − μ·θₜ₋₁, with
    characteristic polynomial r² − (1 + μ − lr·λ)·r + μ. Both roots lie inside the unit circle iff μ < 1 and
    |1 + μ − lr·λ| < 1 + μ, that is lr < (2 + 2μ)/λ; momentum 0.9 nearly doubles the usable step.
    """
    return (2.0 + 2.0 * momentum) / max_eigenvalue


def nesterov_stability_bound(max_eigenvalue: float, momentum: float) -> float:
    """Largest stable learning rate of torch's Nesterov SGD: (2 + 2μ)/((1 + 2μ)·λmax).

    torch steps θ ← θ − lr·(g + μ·b) after b ← μ·b + g. With g = λ·θ and h = lr·λ the characteristic polynomial is
    r² − (1 + μ − h·(1 + μ))·r + μ·(1 − h); it has a root at −1 when h = (2 + 2μ)/(1 + 2μ). The look-ahead makes
    Nesterov more cautious than heavy-ball momentum: with μ = 0.9 about 1.36/λmax instead of 3.8/λmax.
    """
    return (2.0 + 2.0 * momentum) / ((1.0 + 2.0 * momentum) * max_eigenvalue)
