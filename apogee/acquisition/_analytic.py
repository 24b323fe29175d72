"""Analytic acquisition functions of a GP posterior, in minimization form.

Each is a pure function of points, `b x d -> b`, to be maximized. Outcomes are minimized, so
the improvement at `x` is `f* - f(x)`. Following Ament et al. (2023), "Unexpected improvements
to expected improvement", expected improvement is computed in log space: EI underflows to zero
a few standard deviations from the incumbent, where its gradient vanishes too, so an optimizer
started there never moves; `log EI` stays finite and informative as far as `z = -1e150`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import torch

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)
_ASYMPTOTIC_BELOW = -1e3  # below this, the series of log h loses nothing in float64


class Posterior(Protocol):
    """What acquisitions need of a model: marginal mean and variance at `b x d` points."""

    def posterior(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...


def log_h(z: torch.Tensor) -> torch.Tensor:
    """`log(phi(z) + z Phi(z))`, accurate wherever `z^2` is finite (EI = sigma h(z)).

    Three branches, each fed a clamped copy of `z` so that no branch makes inf or NaN (which
    `torch.where` would pass into the gradient):
    - `z > -1`: the direct formula;
    - `-1e3 <= z <= -1`: `h = phi(z) (1 - |z| sqrt(pi/2) erfcx(|z|/sqrt(2)))`, from
      `Phi(z) = erfcx(|z|/sqrt(2)) exp(-z^2/2) / 2`, so nothing underflows;
    - `z < -1e3`: the asymptotic series `h = phi(z) z^-2 (1 - 3 z^-2 + ...)`.
    """
    log_phi = -0.5 * z * z - _LOG_SQRT_2PI
    upper = torch.clamp(z, min=-1.0)
    direct = torch.log(
        torch.exp(-0.5 * upper * upper - _LOG_SQRT_2PI) + upper * torch.special.ndtr(upper)
    )
    middle = torch.clamp(z, min=_ASYMPTOTIC_BELOW, max=-1.0)
    ratio = -middle * _SQRT_HALF_PI * torch.special.erfcx(-middle / math.sqrt(2.0))
    via_erfcx = torch.log1p(-ratio)
    lower = torch.clamp(z, max=_ASYMPTOTIC_BELOW)
    series = -2.0 * torch.log(-lower) + torch.log1p(-3.0 / (lower * lower))
    tail = torch.where(z < _ASYMPTOTIC_BELOW, series, via_erfcx)
    return torch.where(z > -1.0, direct, log_phi + tail)


@dataclass(frozen=True)
class LogExpectedImprovement:
    """`log E[max(f* - f(x), 0)]` under the posterior (Jones et al. 1998; Ament et al. 2023).

    With `best_f` the best observed outcome this is LogEI; with the best posterior mean at the
    observed points (`noisy_incumbent`) it is the plug-in variant for noisy objectives, which
    does not chase a lucky noisy observation (Picheny et al. 2013).

    Example:
        >>> import torch
        >>> from apogee.models import ExactGP, Hyperparameters, InputSpec
        >>> X = torch.tensor([[0.2], [0.8]], dtype=torch.float64)
        >>> gp = ExactGP(InputSpec.continuous(1), X, torch.tensor([0.0, 1.0], dtype=torch.float64),
        ...              Hyperparameters((0.3,), 1.0, 1e-6, 0.0))
        >>> acqf = LogExpectedImprovement(gp, best_f=0.0)
        >>> bool(acqf(torch.tensor([[0.1]], dtype=torch.float64)) > acqf(X[1:]))
        True
    """

    model: Posterior
    best_f: float

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        """`b x d -> b`."""
        mean, variance = self.model.posterior(X)
        sigma = torch.sqrt(variance)
        return torch.log(sigma) + log_h((self.best_f - mean) / sigma)


@dataclass(frozen=True)
class LogProbabilityOfImprovement:
    """`log P(f(x) < f* - xi)` (Kushner 1964), in log space for the same reason as LogEI.

    Example:
        >>> import torch
        >>> from apogee.models import ExactGP, Hyperparameters, InputSpec
        >>> X = torch.tensor([[0.2], [0.8]], dtype=torch.float64)
        >>> gp = ExactGP(InputSpec.continuous(1), X, torch.tensor([0.0, 1.0], dtype=torch.float64),
        ...              Hyperparameters((0.3,), 1.0, 1e-6, 0.0))
        >>> float(LogProbabilityOfImprovement(gp, best_f=0.0)(X[1:])) < -10
        True
    """

    model: Posterior
    best_f: float
    xi: float = 0.0

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        """`b x d -> b`."""
        mean, variance = self.model.posterior(X)
        log_pi: torch.Tensor = torch.special.log_ndtr(
            (self.best_f - self.xi - mean) / torch.sqrt(variance)
        )
        return log_pi


@dataclass(frozen=True)
class UpperConfidenceBound:
    """`-(mu(x) - sqrt(beta) sigma(x))`: the optimistic (lower) bound of a minimized outcome.

    GP-UCB (Srinivas et al. 2010); GameOpt plays its game on this function.

    Example:
        >>> import torch
        >>> from apogee.models import ExactGP, Hyperparameters, InputSpec
        >>> X = torch.tensor([[0.2], [0.8]], dtype=torch.float64)
        >>> gp = ExactGP(InputSpec.continuous(1), X, torch.tensor([0.0, 1.0], dtype=torch.float64),
        ...              Hyperparameters((0.3,), 1.0, 1e-6, 0.0))
        >>> ucb = UpperConfidenceBound(gp, beta=4.0)
        >>> bool(ucb(torch.tensor([[0.5]], dtype=torch.float64)) > ucb(X[:1]))
        True
    """

    model: Posterior
    beta: float = 4.0

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        """`b x d -> b`."""
        mean, variance = self.model.posterior(X)
        return math.sqrt(self.beta) * torch.sqrt(variance) - mean


def noisy_incumbent(model: Posterior, X_observed: torch.Tensor) -> float:
    """The best (lowest) posterior mean at the observed points `n x d`."""
    with torch.no_grad():
        mean, _ = model.posterior(X_observed)
    return float(mean.min())
