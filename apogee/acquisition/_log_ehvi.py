"""Log expected hypervolume improvement of independent Gaussian objectives, in closed form.

The region a new point can add to the hypervolume, the part of the box below the reference
point that the current front does not dominate, is cut into disjoint boxes once
(`nondominated_boxes`); the improvement of an outcome vector `y` is the summed volume of the
boxes clipped to `[y, reference]`. Each clipped volume is a product over objectives of
`(u - max(l, y_j))^+ = (u - y_j)^+ - (l - y_j)^+`, so with independent Gaussian posteriors its
expectation is exact (Yang et al. 2019, "Efficient computation of expected hypervolume
improvement using box decomposition algorithms"): a product of differences of expected
improvements `sigma h(z)`. Everything is computed in log space with the `log h` of LogEI (Ament
et al. 2023, "Unexpected improvements to expected improvement"), so the value stays finite and
its gradient informative far from any box, where the improvement itself underflows to zero.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from apogee.acquisition._analytic import Posterior, log_h
from apogee.moo import nondominated_mask

_ELEMENTS = 4_000_000  # per chunk of `b x boxes x m`: bounds the memory of one call
_LOG_HALF = -math.log(2.0)
_CLOSEST = -1e-15  # log of the ratio of the two expected improvements of a side, at most


def nondominated_boxes(front: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint boxes `(k, m)` lower and upper corners covering what `front` leaves undominated.

    The points are minimized; the boxes tile `{z < reference}` minus the region the `(n, m)`
    `front` dominates. The first `m - 1` axes are cut at the front's coordinates into a grid of
    columns; each column is open below on the last axis and ends where the best point covering
    the whole column starts (or at the reference). Lower corners may be `-inf`.

    Example:
        >>> lower, upper = nondominated_boxes(np.array([[1.0, 1.0]]), np.array([2.0, 2.0]))
        >>> upper.tolist()
        [[1.0, 2.0], [2.0, 1.0]]
    """
    reference = np.asarray(reference, dtype=float)
    points = np.asarray(front, dtype=float).reshape(-1, len(reference))
    points = points[np.all(points < reference, axis=1)]
    if len(points):
        points = points[nondominated_mask(points)]
    m = len(reference)
    edges = [
        np.concatenate(([-np.inf], np.unique(points[:, j]), [reference[j]])) for j in range(m - 1)
    ]
    cells = np.array(list(itertools.product(*(range(len(e) - 1) for e in edges))), dtype=int)
    cells = cells.reshape(-1, m - 1)
    low = np.column_stack([edges[j][cells[:, j]] for j in range(m - 1)])
    high = np.column_stack([edges[j][cells[:, j] + 1] for j in range(m - 1)])
    covers = np.all(points[None, :, : m - 1] <= low[:, None, :], axis=2)  # `cells x n`
    best = np.where(covers, points[None, :, m - 1], np.inf).min(axis=1, initial=np.inf)
    lower = np.column_stack((low, np.full(len(low), -np.inf)))
    upper = np.column_stack((high, np.minimum(best, reference[m - 1])))
    return lower, upper


def _log1mexp(x: torch.Tensor) -> torch.Tensor:
    """`log(1 - exp(x))` for `x < 0`, accurate near 0 and far below it (Maechler 2012)."""
    near = torch.clamp(x, min=_LOG_HALF)
    far = torch.clamp(x, max=_LOG_HALF)
    return torch.where(x > _LOG_HALF, torch.log(-torch.expm1(near)), torch.log1p(-torch.exp(far)))


@dataclass(frozen=True)
class LogExpectedHypervolumeImprovement:
    """`log E[HVI(f(x))]` for independent GPs of `m` minimized objectives (exact, closed form).

    Args:
        models: one posterior per objective (on the scale of `lower`/`upper`).
        lower, upper: `(k, m)` boxes of the undominated region (`nondominated_boxes`).

    Example:
        >>> import torch
        >>> from apogee.models import ExactGP, Hyperparameters, InputSpec
        >>> X = torch.tensor([[0.1], [0.9]], dtype=torch.float64)
        >>> hyper = Hyperparameters((0.3,), 1.0, 1e-6, 0.0)
        >>> f1 = ExactGP(InputSpec.continuous(1), X, torch.tensor([0.0, 1.0], dtype=torch.float64), hyper)
        >>> f2 = ExactGP(InputSpec.continuous(1), X, torch.tensor([1.0, 0.0], dtype=torch.float64), hyper)
        >>> lower, upper = nondominated_boxes(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([2.0, 2.0]))
        >>> acqf = LogExpectedHypervolumeImprovement((f1, f2), lower, upper)
        >>> bool(acqf(torch.tensor([[0.5]], dtype=torch.float64)) > acqf(X[:1]))
        True
    """

    models: Sequence[Posterior]
    lower: np.ndarray
    upper: np.ndarray

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        """`b x d -> b`."""
        stats = [model.posterior(X) for model in self.models]
        mean = torch.stack([s[0] for s in stats], dim=-1)  # `b x m`
        sigma = torch.sqrt(torch.stack([s[1] for s in stats], dim=-1))
        per_chunk = max(1, _ELEMENTS // max(1, self.lower.size))
        values = [
            self._log_improvement(mean[i : i + per_chunk], sigma[i : i + per_chunk])
            for i in range(0, len(mean), per_chunk)
        ]
        return torch.cat(values) if values else torch.empty(0, dtype=torch.float64)

    def _log_improvement(self, mean: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """`b` log EHVI from `b x m` posterior means and standard deviations."""
        lower = torch.as_tensor(self.lower, dtype=torch.float64)
        upper = torch.as_tensor(self.upper, dtype=torch.float64)
        bounded = torch.isfinite(lower)
        finite_lower = torch.where(bounded, lower, upper - 1.0)
        mu, sd = mean[:, None, :], sigma[:, None, :]
        log_upper = log_h((upper - mu) / sd)  # `b x k x m`: log E[(u - y)^+] - log sigma
        log_lower = log_h((finite_lower - mu) / sd)
        ratio = torch.clamp(log_lower - log_upper, max=_CLOSEST)
        sides = torch.log(sd) + log_upper + torch.where(bounded, _log1mexp(ratio), 0.0)
        return torch.logsumexp(sides.sum(dim=-1), dim=-1)
