"""Batched multi-start L-BFGS-B over the continuous columns of a domain.

The restarts are independent, so the sum of their acquisition values has, in each restart's
block, that restart's own gradient: one scipy call moves all of them and each torch call scores
them together (the batching trick of BoTorch's `gen_candidates_scipy`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from apogee.acquisition._domain import Domain

Acquisition = Callable[[torch.Tensor], torch.Tensor]


def maximize_continuous(
    acqf: Acquisition,
    X: np.ndarray,
    domain: Domain,
    *,
    maxiter: int = 200,
    move_relaxed: bool = True,
) -> np.ndarray:
    """Move the continuous columns of snapped latent starts `b x d` uphill; the others stay.

    The active mask is taken from the starts: discrete columns, and with them the conditions,
    do not change here. Relaxed large-grid columns move freely and are snapped afterwards,
    unless `move_relaxed` is False (best response then moves them to their grid neighbours).

    Returns:
        `b x d` snapped latent points.
    """
    from scipy.optimize import minimize  # deferred: scipy.optimize is slow to import

    relaxed = set(domain.relaxed)
    columns = [j for j in domain.continuous if move_relaxed or j not in relaxed]
    if not columns or maxiter == 0:
        return domain.snap(X)
    active = torch.as_tensor(domain.active(domain.snap(X)))
    base = torch.as_tensor(X, dtype=torch.float64)
    shape = (X.shape[0], len(columns))

    def negative_sum(flat: np.ndarray) -> tuple[float, np.ndarray]:
        moving = torch.tensor(flat.reshape(shape), dtype=torch.float64, requires_grad=True)
        full = base.clone()
        full[:, columns] = moving
        values = acqf(torch.where(active, full, torch.full_like(full, float("nan"))))
        total = -values.sum()
        (grad,) = torch.autograd.grad(total, moving)
        return float(total.detach()), grad.numpy().reshape(-1).copy()

    result = minimize(
        negative_sum,
        X[:, columns].reshape(-1),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * (shape[0] * shape[1]),
        options={"maxiter": maxiter},
    )
    moved = X.copy()
    moved[:, columns] = np.clip(result.x.reshape(shape), 0.0, 1.0)
    return domain.snap(moved)
