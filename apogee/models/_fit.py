"""MAP fitting of the GP's hyperparameters with L-BFGS-B, optionally warm-started.

The loss is the negative log marginal likelihood (Rasmussen & Williams 2006, eq. 5.8)
`0.5 (y - c)^T K^{-1} (y - c) + sum(log diag L) + n/2 log(2 pi)` minus the log priors of
`_priors.py`. Its gradient is computed in closed form (about 3x cheaper than autograd through
the Cholesky factor, and the fit is most of a suggestion's time); scipy's L-BFGS-B searches the
log-space vector of `Hyperparameters.to_vector` inside box bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from apogee.models._gp import Hyperparameters, robust_cholesky
from apogee.models._inputs import InputSpec
from apogee.models._kernel import matern52, matern52_and_slope_from_squared, squared_distances
from apogee.models._priors import (
    NOISE_PRIOR,
    OUTPUTSCALE_PRIOR,
    lengthscale_prior,
    log_normal_log_density,
)

_LOG_LS_BOUNDS = (math.log(1e-3), math.log(1e3))
_LOG_OUTPUTSCALE_BOUNDS = (math.log(1e-4), math.log(1e2))
_LOG_EXCESS_NOISE_BOUNDS = (-30.0, math.log(10.0))
_MEAN_BOUNDS = (-10.0, 10.0)


@dataclass(frozen=True)
class FitResult:
    """Fitted hyperparameters and the loss (negative log posterior) they reach."""

    hyper: Hyperparameters
    loss: float


def default_hyperparameters(dim: int, *, noise_floor: float) -> Hyperparameters:
    """Start of the fit: the prior modes of lengthscales and noise, unit signal variance."""
    loc, scale = lengthscale_prior(dim)
    noise = max(math.exp(NOISE_PRIOR[0] - NOISE_PRIOR[1] ** 2), 2.0 * noise_floor)
    return Hyperparameters((math.exp(loc - scale**2),) * dim, 1.0, noise, 0.0)


class _Objective:
    """Negative log posterior of `theta` given fixed embedded training inputs."""

    def __init__(self, inputs: InputSpec, X: torch.Tensor, y: torch.Tensor, noise_floor: float):
        self.F = inputs.embed(X).detach()
        self.owners = inputs.owners()
        self.y = y
        self.dim = inputs.dim
        self.noise_floor = noise_floor
        self.eye = torch.eye(len(y), dtype=torch.float64)

    def loss(self, theta: torch.Tensor) -> torch.Tensor:
        log_ls, log_s, log_excess, mean = theta[: self.dim], theta[-3], theta[-2], theta[-1]
        noise = self.noise_floor + torch.exp(log_excess)
        K = matern52(self.F, self.F, torch.exp(-log_ls)[self.owners], torch.exp(log_s))
        L = robust_cholesky(K + noise * self.eye)
        residual = (self.y - mean)[:, None]
        alpha = torch.cholesky_solve(residual, L)
        return self._negative_log_posterior(L, residual, alpha, log_ls, log_s, noise)

    def _negative_log_posterior(
        self,
        L: torch.Tensor,
        residual: torch.Tensor,
        alpha: torch.Tensor,
        log_ls: torch.Tensor,
        log_s: torch.Tensor,
        noise: torch.Tensor,
    ) -> torch.Tensor:
        """The loss from the Cholesky factor `L`, `residual = y - c` and `alpha = K^-1 residual`."""
        nll = 0.5 * (residual * alpha).sum() + torch.log(L.diagonal()).sum()
        nll = nll + 0.5 * len(self.y) * math.log(2.0 * math.pi)
        log_prior = log_normal_log_density(log_ls, *lengthscale_prior(self.dim))
        log_prior = log_prior + log_normal_log_density(log_s, *OUTPUTSCALE_PRIOR)
        log_prior = log_prior + log_normal_log_density(torch.log(noise), *NOISE_PRIOR)
        return nll - log_prior

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The loss and its gradient in closed form (R&W eq. 5.9), without autograd.

        `d nll / d theta = 0.5 sum(W * dK/d theta)` with `W = K^-1 - alpha alpha^T`. For a
        lengthscale `dK/d log l_j = -2 r2_j dK/d r2`, and the `n x n x p` tensor of `r2_j` is never
        formed: with `M = -W * dK/d r2` (symmetric), a scaled feature `f` contributes
        `sum_ik M_ik (F_if - F_kf)^2 = 2 (sum_i rowsum(M)_i F_if^2 - F_f^T M F_f)`.
        """
        with torch.no_grad():
            try:
                return self._value_and_grad(torch.as_tensor(theta, dtype=torch.float64))
            except np.linalg.LinAlgError:
                return math.inf, np.zeros_like(theta)

    def _value_and_grad(self, theta: torch.Tensor) -> tuple[float, np.ndarray]:
        log_ls, log_s, log_excess, mean = theta[: self.dim], theta[-3], theta[-2], theta[-1]
        excess = torch.exp(log_excess)
        noise, outputscale = self.noise_floor + excess, torch.exp(log_s)
        scaled = self.F * torch.exp(-log_ls)[self.owners]
        correlation, slope = matern52_and_slope_from_squared(squared_distances(scaled, scaled))
        K = outputscale * correlation
        L = robust_cholesky(K + noise * self.eye)
        residual = (self.y - mean)[:, None]
        alpha = torch.cholesky_solve(residual, L)
        W = torch.cholesky_inverse(L) - alpha @ alpha.T  # `n x n`, symmetric
        M = W * (outputscale * slope)  # `-W * dK/d r2`
        row_sums = M.sum(1)[:, None]
        per_feature = 2.0 * ((row_sums * scaled * scaled).sum(0) - (scaled * (M @ scaled)).sum(0))
        grad_ls = torch.zeros(self.dim, dtype=torch.float64).index_add_(0, self.owners, per_feature)
        grad_log_s = 0.5 * (W * K).sum()
        grad_log_excess = 0.5 * W.diagonal().sum() * excess
        grad_mean = -alpha.sum()
        value = self._negative_log_posterior(L, residual, alpha, log_ls, log_s, noise)
        ls_loc, ls_scale = lengthscale_prior(self.dim)
        log_noise = torch.log(noise)
        grad = torch.cat((
            grad_ls - _log_normal_slope(log_ls, ls_loc, ls_scale),
            (grad_log_s - _log_normal_slope(log_s, *OUTPUTSCALE_PRIOR)).reshape(1),
            (grad_log_excess - _log_normal_slope(log_noise, *NOISE_PRIOR) * excess / noise).reshape(1),
            grad_mean.reshape(1),
        ))  # fmt: skip
        return float(value), grad.numpy().copy()


def _log_normal_slope(log_x: torch.Tensor, loc: float, scale: float) -> torch.Tensor:
    """Derivative of `log_normal_log_density` in each `log_x`."""
    return -(log_x - loc) / scale**2 - 1.0


def negative_log_posterior(
    inputs: InputSpec,
    X: torch.Tensor,
    y: torch.Tensor,
    hyper: Hyperparameters,
    *,
    noise_floor: float,
) -> float:
    """The fit's loss at `hyper` (for tests and for choosing a starting point)."""
    theta = torch.tensor(hyper.to_vector(noise_floor=noise_floor), dtype=torch.float64)
    with torch.no_grad():
        return float(_Objective(inputs, X, y, noise_floor).loss(theta))


def fit_map(
    inputs: InputSpec,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    noise_floor: float = 1e-6,
    warm_start: Hyperparameters | None = None,
    maxiter: int = 200,
) -> FitResult:
    """MAP hyperparameters of a GP on `(X, y)`.

    Args:
        inputs: how the columns of `X` are read.
        X: `n x d` unit-cube points (NaN for inactive columns).
        y: `n` standardized outcomes.
        noise_floor: smallest noise variance (keeps `K` well conditioned; deterministic
            objectives reach it).
        warm_start: a previous fit; the search starts from it or from the defaults, whichever
            has the lower loss, so a stale warm start never makes the fit worse.
        maxiter: L-BFGS-B iterations.

    Example:
        >>> import torch
        >>> X = torch.linspace(0, 1, 12, dtype=torch.float64)[:, None]
        >>> result = fit_map(InputSpec.continuous(1), X, torch.sin(6 * X[:, 0]))
        >>> 0.05 < result.hyper.lengthscales[0] < 2.0
        True
    """
    from scipy.optimize import minimize  # deferred: scipy.optimize is slow to import

    objective = _Objective(inputs, X, y, noise_floor)
    starts = [default_hyperparameters(inputs.dim, noise_floor=noise_floor)]
    if warm_start is not None and len(warm_start.lengthscales) == inputs.dim:
        starts.append(warm_start)
    bounds = _bounds(inputs.dim)
    thetas = [np.clip(h.to_vector(noise_floor=noise_floor), *np.array(bounds).T) for h in starts]
    losses = [objective.value_and_grad(theta)[0] for theta in thetas]
    theta0 = thetas[int(np.argmin(losses))]
    result = minimize(
        objective.value_and_grad,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": maxiter},
    )
    theta = result.x if np.isfinite(result.fun) and result.fun <= min(losses) else theta0
    hyper = Hyperparameters.from_vector(theta, noise_floor=noise_floor)
    return FitResult(hyper, float(min(result.fun, min(losses))))


def _bounds(dim: int) -> list[tuple[float, float]]:
    return [_LOG_LS_BOUNDS] * dim + [
        _LOG_OUTPUTSCALE_BOUNDS,
        _LOG_EXCESS_NOISE_BOUNDS,
        _MEAN_BOUNDS,
    ]
