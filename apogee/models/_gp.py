"""An exact Gaussian process: constant mean, Matern-5/2 ARD kernel, Gaussian noise.

Notation of Rasmussen & Williams (2006), Alg. 2.1: `K = k(X, X) + noise * I = L L^T`,
`alpha = K^{-1} (y - c)`, posterior mean `c + k_*^T alpha` and variance
`k(x, x) - |L^{-1} k_*|^2`. All tensors are float64.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from apogee.models._inputs import InputSpec
from apogee.models._kernel import matern52

MIN_VARIANCE = 1e-12  # floor of posterior variances (also StackedGP's)
_JITTERS = (0.0, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4)


@dataclass(frozen=True)
class Hyperparameters:
    """The GP's hyperparameters, as plain floats (JSON-able, so a fit can be stored and reused).

    Example:
        >>> Hyperparameters((0.5, 2.0), 1.0, 1e-4, 0.0).to_vector(noise_floor=1e-6).shape
        (5,)
    """

    lengthscales: tuple[float, ...]
    outputscale: float
    noise: float
    mean: float

    def to_vector(self, *, noise_floor: float) -> np.ndarray:
        """`[log l_1..l_d, log s, log(noise - floor), c]`, the space the fit searches."""
        excess = max(self.noise - noise_floor, 1e-300)
        return np.array(
            [*np.log(self.lengthscales), np.log(self.outputscale), np.log(excess), self.mean]
        )

    @classmethod
    def from_vector(cls, theta: Sequence[float], *, noise_floor: float) -> Hyperparameters:
        values = [float(v) for v in theta]
        return cls(
            tuple(float(np.exp(v)) for v in values[:-3]),
            float(np.exp(values[-3])),
            noise_floor + float(np.exp(values[-2])),
            values[-1],
        )


def robust_cholesky(K: torch.Tensor) -> torch.Tensor:
    """Cholesky factor of `K`, adding growing diagonal jitter if `K` is not numerically PD."""
    scale = float(K.detach().diagonal().mean().clamp(min=1e-12))
    eye = torch.eye(K.shape[-1], dtype=K.dtype)
    for jitter in _JITTERS:
        L: torch.Tensor
        L, info = torch.linalg.cholesky_ex(K + (jitter * scale) * eye if jitter else K)
        if int(info) == 0:
            return L
    raise np.linalg.LinAlgError("the covariance matrix is not positive definite, even with jitter")


class ExactGP:
    """The posterior of a GP given observations `(X, y)` and fixed hyperparameters.

    Args:
        inputs: how to read the columns of `X` (numeric, categorical, conditional).
        X: `n x d` unit-cube points (NaN for inactive columns).
        y: `n` outcomes (standardized by the caller).
        hyper: the hyperparameters.

    Example:
        >>> import torch
        >>> X = torch.tensor([[0.1], [0.5], [0.9]], dtype=torch.float64)
        >>> y = torch.tensor([1.0, -1.0, 0.5], dtype=torch.float64)
        >>> gp = ExactGP(InputSpec.continuous(1), X, y, Hyperparameters((0.3,), 1.0, 1e-6, 0.0))
        >>> mean, variance = gp.posterior(X)
        >>> bool(torch.allclose(mean, y, atol=1e-4)) and bool((variance < 1e-4).all())
        True
    """

    def __init__(
        self, inputs: InputSpec, X: torch.Tensor, y: torch.Tensor, hyper: Hyperparameters
    ) -> None:
        self.inputs = inputs
        self.hyper = hyper
        self.X = X
        self.y = y
        lengthscales = torch.tensor(hyper.lengthscales, dtype=torch.float64)
        self._inv_ls = (1.0 / lengthscales)[inputs.owners()]
        self._outputscale = torch.tensor(hyper.outputscale, dtype=torch.float64)
        self._F = inputs.embed(X)
        K = self._cov(self._F, self._F) + hyper.noise * torch.eye(len(y), dtype=torch.float64)
        self._L = robust_cholesky(K)
        self._alpha = torch.cholesky_solve((y - hyper.mean)[:, None], self._L)[:, 0]

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def features(self) -> torch.Tensor:
        """`n x p` embedded training points."""
        return self._F

    @property
    def inverse_lengthscales(self) -> torch.Tensor:
        """`p` inverse lengthscale of each feature's column."""
        return self._inv_ls

    @property
    def cholesky(self) -> torch.Tensor:
        """`n x n` lower Cholesky factor of the training covariance plus noise."""
        return self._L

    @property
    def alpha(self) -> torch.Tensor:
        """`n` weights `K^{-1} (y - c)` of the posterior mean."""
        return self._alpha

    def _cov(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        return matern52(A, B, self._inv_ls, self._outputscale)

    def posterior(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Marginal posterior of the latent function.

        Args:
            X: `b x d` points (or `... x b x d`).

        Returns:
            mean and variance, each `b` (or `... x b`); differentiable in `X`.
        """
        k_star = self._cov(self.inputs.embed(X), self._F)  # `... x b x n`
        mean = self.hyper.mean + k_star @ self._alpha
        v = torch.linalg.solve_triangular(self._L, k_star.transpose(-1, -2), upper=False)
        variance = self.hyper.outputscale - (v * v).sum(-2)
        return mean, torch.clamp(variance, min=MIN_VARIANCE)

    def joint_posterior(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Joint posterior of the latent function at `m x d` points: mean `m`, covariance `m x m`."""
        F = self.inputs.embed(X)
        k_star = self._cov(F, self._F)
        v = torch.linalg.solve_triangular(self._L, k_star.T, upper=False)
        return self.hyper.mean + k_star @ self._alpha, self._cov(F, F) - v.T @ v

    def condition_on(self, X_new: torch.Tensor, y_new: torch.Tensor) -> ExactGP:
        """The GP with `k x d` more observations, same hyperparameters (block Cholesky update).

        Used for pending points (the kriging believer: `y_new` is the posterior mean), so the
        update costs `O(n^2 k)` instead of a new `O(n^3)` factorization.
        """
        new = ExactGP.__new__(ExactGP)
        new.inputs, new.hyper = self.inputs, self.hyper
        new._inv_ls, new._outputscale = self._inv_ls, self._outputscale
        F_new = self.inputs.embed(X_new)
        B = torch.linalg.solve_triangular(self._L, self._cov(self._F, F_new), upper=False)
        K22 = self._cov(F_new, F_new) + self.hyper.noise * torch.eye(
            len(y_new), dtype=torch.float64
        )
        C = robust_cholesky(K22 - B.T @ B)
        top = torch.cat((self._L, torch.zeros(self.n, len(y_new), dtype=torch.float64)), 1)
        new._L = torch.cat((top, torch.cat((B.T, C), 1)), 0)
        new.X, new.y = torch.cat((self.X, X_new)), torch.cat((self.y, y_new))
        new._F = torch.cat((self._F, F_new))
        new._alpha = torch.cholesky_solve((new.y - self.hyper.mean)[:, None], new._L)[:, 0]
        return new
