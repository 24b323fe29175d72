"""The marginal posteriors of several GPs that share their training points, computed together.

A constrained acquisition asks one GP per constraint for its posterior at the same points, at
every step of the inner optimizer. The GPs differ in hyperparameters and outcomes but not in
their inputs, so their kernels against the training points can be formed as one batched
`m x b x n` tensor and solved with one batched triangular solve: a handful of torch calls
instead of `m` times as many, which is what the inner optimizer's time is made of.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from apogee.models._gp import MIN_VARIANCE, ExactGP
from apogee.models._kernel import matern52_from_squared


class StackedGP:
    """Several `ExactGP`s on the same `n x d` training points, queried together.

    Args:
        models: `m` GPs whose inputs and training points are the same (see `shares_data`).

    Example:
        >>> import torch
        >>> from apogee.models import Hyperparameters, InputSpec
        >>> X = torch.tensor([[0.1], [0.5], [0.9]], dtype=torch.float64)
        >>> gps = [ExactGP(InputSpec.continuous(1), X, y, Hyperparameters((l,), 1.0, 1e-6, 0.0))
        ...        for y, l in ((X[:, 0], 0.3), (-X[:, 0], 0.7))]
        >>> mean, variance = StackedGP(gps).posterior(X)
        >>> tuple(mean.shape), bool(torch.allclose(mean[1], -X[:, 0], atol=1e-4))
        ((2, 3), True)
    """

    def __init__(self, models: Sequence[ExactGP]) -> None:
        if not models or not shares_data(models):
            raise ValueError(
                "`models` must be one or more GPs on the same inputs and training points, but "
                f"got {len(models)} GPs that differ in them."
            )
        first = models[0]
        self.inputs = first.inputs
        self._inv_ls = torch.stack([m.inverse_lengthscales for m in models])[:, None, :]
        self._outputscale = torch.tensor(
            [m.hyper.outputscale for m in models], dtype=torch.float64
        )[:, None]
        self._mean = torch.tensor([m.hyper.mean for m in models], dtype=torch.float64)[:, None]
        self._L = torch.stack([m.cholesky for m in models])
        self._alpha = torch.stack([m.alpha for m in models])[:, :, None]
        self._B = first.features[None, :, :] * self._inv_ls  # `m x n x p` scaled training features
        self._b2 = (self._B * self._B).sum(-1)[:, None, :]  # `m x 1 x n`

    def posterior(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Means and variances `m x b` of the latent functions at `b x d` points; differentiable."""
        A = self.inputs.embed(X)[None, :, :] * self._inv_ls  # `m x b x p`
        a2 = (A * A).sum(-1, keepdim=True)
        r2 = torch.clamp(a2 + self._b2 - 2.0 * A @ self._B.transpose(-1, -2), min=0.0)
        k_star = self._outputscale[:, :, None] * matern52_from_squared(r2)  # `m x b x n`
        mean = self._mean + (k_star @ self._alpha)[:, :, 0]
        v = torch.linalg.solve_triangular(self._L, k_star.transpose(-1, -2), upper=False)
        variance = self._outputscale - (v * v).sum(-2)
        return mean, torch.clamp(variance, min=MIN_VARIANCE)


def shares_data(models: Sequence[object]) -> bool:
    """Whether `models` are `ExactGP`s with one input spec and the same training points."""
    if not all(isinstance(m, ExactGP) for m in models):
        return False
    gps = [m for m in models if isinstance(m, ExactGP)]
    first = gps[0]
    return all(
        gp.inputs == first.inputs
        and gp.X.shape == first.X.shape
        and torch.equal(torch.nan_to_num(gp.X, nan=-1.0), torch.nan_to_num(first.X, nan=-1.0))
        for gp in gps[1:]
    )
