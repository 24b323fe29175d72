"""Posterior sample paths of an exact GP, as functions (pathwise conditioning).

Matheron's rule (Wilson et al. 2020, "Efficiently sampling functions from Gaussian process
posteriors", eq. 5): a posterior draw is a prior draw corrected by the data,

    f_s(x) = c + phi(x)^T w_s + k(x, X) (K + noise I)^{-1} (y - c - phi(X)^T w_s - eps_s),

with `eps_s ~ N(0, noise I)`. The prior draw uses `m` random Fourier features (Rahimi & Recht
2007): `phi(x) = sqrt(2 s / m) cos(Omega e(x) / l + b)`, `w_s ~ N(0, I_m)`, `b ~ U(0, 2 pi)`, and
the rows of `Omega` drawn from the spectral density of the Matern-5/2 kernel, a multivariate
Student-t with `2 nu = 5` degrees of freedom (Rasmussen & Williams 2006, eq. 4.15). The update
term uses the exact kernel, so each path interpolates the data as the exact posterior does and
the feature error only affects the prior part, far from data. A path is a deterministic,
differentiable function of `x`, so it can be minimized with L-BFGS like any acquisition.

All samples share one feature basis: evaluating `S` paths at `b` points costs one `b x m`
feature matrix and a `b x m` by `m x S` product, instead of `S` separate bases.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from apogee.models._gp import ExactGP

_STUDENT_DOF = 5.0  # 2 nu for Matern nu = 5/2


class SamplePaths:
    """`S` posterior sample paths of the latent function of `gp`.

    Args:
        gp: the conditioned GP (its hyperparameters, data and Cholesky factor are used).
        n_samples: number of paths `S`.
        n_features: random Fourier features `m` of the prior part.
        rng: the random stream (features, weights and noise draws all come from it).

    Example:
        >>> import numpy as np, torch
        >>> from apogee.models import ExactGP, Hyperparameters, InputSpec
        >>> X = torch.tensor([[0.2], [0.8]], dtype=torch.float64)
        >>> y = torch.tensor([1.0, -1.0], dtype=torch.float64)
        >>> gp = ExactGP(InputSpec.continuous(1), X, y, Hyperparameters((0.3,), 1.0, 1e-6, 0.0))
        >>> paths = SamplePaths(gp, 8, n_features=256, rng=np.random.default_rng(0))
        >>> values = paths.values(X)  # `2 x 8`: every path passes through the data
        >>> bool(torch.allclose(values, y[:, None], atol=1e-2))
        True
    """

    def __init__(
        self, gp: ExactGP, n_samples: int, *, n_features: int, rng: np.random.Generator
    ) -> None:
        p = gp.inputs.n_features
        scale = np.sqrt(_STUDENT_DOF / rng.chisquare(_STUDENT_DOF, n_features))
        self.gp = gp
        self.n_samples = n_samples
        self._omega = torch.as_tensor(rng.standard_normal((n_features, p)) * scale[:, None])
        self._phase = torch.as_tensor(rng.uniform(0.0, 2.0 * math.pi, n_features))
        self._amplitude = math.sqrt(2.0 * gp.hyper.outputscale / n_features)
        self._weights = torch.as_tensor(rng.standard_normal((n_samples, n_features)))  # `S x m`
        noise = math.sqrt(gp.hyper.noise) * rng.standard_normal((gp.n, n_samples))
        prior_at_data = self._features(gp._F) @ self._weights.T  # `n x S`
        residual = (gp.y - gp.hyper.mean)[:, None] - prior_at_data - torch.as_tensor(noise)
        self._update = torch.cholesky_solve(residual, gp._L)  # `n x S`

    def _features(self, F: torch.Tensor) -> torch.Tensor:
        """`... x m` random Fourier features of embedded points `... x p`."""
        projected = (F * self.gp._inv_ls) @ self._omega.T + self._phase
        return self._amplitude * torch.cos(projected)

    def values(self, X: torch.Tensor) -> torch.Tensor:
        """Every path at `b x d` unit-cube points: `b x S`."""
        F = self.gp.inputs.embed(X)
        prior = self._features(F) @ self._weights.T
        return self.gp.hyper.mean + prior + self.gp._cov(F, self.gp._F) @ self._update

    def values_of(self, X: torch.Tensor, owners: torch.Tensor) -> torch.Tensor:
        """Path `owners[i]` at point `X[i]`: `b` values of `b x d` points, differentiable in `X`."""
        F = self.gp.inputs.embed(X)
        prior = (self._features(F) * self._weights[owners]).sum(-1)
        data = (self.gp._cov(F, self.gp._F) * self._update.T[owners]).sum(-1)
        return self.gp.hyper.mean + prior + data
