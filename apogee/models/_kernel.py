"""The Matern-5/2 kernel with one lengthscale per column (ARD), on embedded inputs.

`k(x, x') = s * (1 + sqrt(5) r + 5 r^2 / 3) * exp(-sqrt(5) r)` with
`r^2 = sum_f ((e_f(x) - e_f(x')) / l_{owner(f)})^2`, `e` the embedding of `InputSpec` (Rasmussen
& Williams 2006, eq. 4.17). Matern-5/2 rather than the squared exponential because it allows
the rougher functions met in practice (the BO tutorial, Sec. 3.1; BoTorch's and Optuna's default).
"""

from __future__ import annotations

import math

import torch

_SQRT5 = math.sqrt(5.0)
# Squared distances below this are read as this: the gradient of sqrt is then finite, and the
# kernel changes by about 1e-12 relative, far below the noise floor.
_MIN_SQUARED_DISTANCE = 1e-12


def matern52_from_squared(r2: torch.Tensor) -> torch.Tensor:
    """Matern-5/2 correlation from squared scaled distances `r2` (any shape)."""
    r2 = torch.clamp(r2, min=_MIN_SQUARED_DISTANCE)
    r = torch.sqrt(r2)
    return (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * torch.exp(-_SQRT5 * r)


def matern52_and_slope_from_squared(r2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The Matern-5/2 correlation at squared scaled distances `r2`, and minus its derivative in `r2`.

    `-dk/d(r^2) = (5/6) (1 + sqrt(5) r) exp(-sqrt(5) r)`: what a closed-form gradient of the
    marginal likelihood in the lengthscales needs (`_fit.py`), with the same clamp as above.
    """
    r2 = torch.clamp(r2, min=_MIN_SQUARED_DISTANCE)
    r = torch.sqrt(r2)
    decay = torch.exp(-_SQRT5 * r)
    return (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * decay, (5.0 / 6.0) * (1.0 + _SQRT5 * r) * decay


def squared_distances(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """`... x n x m` squared Euclidean distances between rows of `... x n x p` and `m x p`.

    Uses `|a|^2 + |b|^2 - 2 a.b` (one matrix product, no `n x m x p` intermediate), which is what
    keeps memory flat at n = 1,000 and d = 50.
    """
    a2 = (A * A).sum(-1, keepdim=True)
    b2 = (B * B).sum(-1)
    return torch.clamp(a2 + b2 - 2.0 * A @ B.transpose(-1, -2), min=0.0)


def matern52(
    A: torch.Tensor, B: torch.Tensor, inv_lengthscales: torch.Tensor, outputscale: torch.Tensor
) -> torch.Tensor:
    """Covariance between embedded points.

    Args:
        A: `... x n x p` features.
        B: `m x p` features.
        inv_lengthscales: `p` inverse lengthscale of each feature's column.
        outputscale: scalar signal variance `s`.

    Returns:
        `... x n x m` covariance.
    """
    return outputscale * matern52_from_squared(
        squared_distances(A * inv_lengthscales, B * inv_lengthscales)
    )
