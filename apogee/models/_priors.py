"""Priors of the GP's hyperparameters, and the default starting point of the fit.

Lengthscales: LogNormal(sqrt(2) + log(d) / 2, sqrt(3)) (Hvarfner, Hellsten & Nardi 2024,
"Vanilla Bayesian optimization performs great in high dimensions"): the prior median grows like
sqrt(d), so a model in 50 dimensions starts smooth instead of fitting noise, which is what makes
plain BO work up to d = 50. As in BoTorch, where these numbers were set, the density is that of
the lengthscale itself (MAP in log space then includes the Jacobian `-log l`).
Noise variance: LogNormal(-4, 1), BoTorch's default with the prior above (outcomes standardized).
Signal variance: LogNormal(0, 1), weak and centred on the unit variance of standardized outcomes.
"""

from __future__ import annotations

import math

import torch

NOISE_PRIOR = (-4.0, 1.0)
OUTPUTSCALE_PRIOR = (0.0, 1.0)


def lengthscale_prior(dim: int) -> tuple[float, float]:
    """`(loc, scale)` of the LogNormal prior on each lengthscale in `dim` dimensions."""
    return math.sqrt(2.0) + 0.5 * math.log(max(dim, 1)), math.sqrt(3.0)


def log_normal_log_density(log_x: torch.Tensor, loc: float, scale: float) -> torch.Tensor:
    """Sum of LogNormal(loc, scale) log-densities at `x = exp(log_x)` (any shape)."""
    z = (log_x - loc) / scale
    return (-0.5 * z * z - log_x - math.log(scale) - 0.5 * math.log(2.0 * math.pi)).sum()
