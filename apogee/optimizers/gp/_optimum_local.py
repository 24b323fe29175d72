"""A local GP around the incumbent, for the draws of the optimum (imports torch).

Why: one stationary GP fitted to all trials describes the neighbourhood of the optimum badly
when the function's scale varies across the space (the steep walls and flat valley of
Rosenbrock, the ripples of Rastrigin on a large bowl). Its lack of fit there becomes fitted
noise, and the noise, a fixed fraction of the spread of *all* values, is far larger than the
improvements still possible near the incumbent: every sample path then dips below the data by
a few noise standard deviations and the interval of `f*` lies below the truth
(`benchmarks/results/optimum_calibration.md`).

What: the `k` trials nearest to the incumbent (distance scaled by the global lengthscales, so
"near" means "correlated"; `k = ceil(fraction * n)`, at least `2 d + 2`) get a GP of their own,
on their bounding box rescaled to the unit cube (so the lengthscale priors keep their meaning)
and with outcomes warped on their own spread. Its sample paths are minimized over that box;
the global paths are minimized outside it, and (`OptimumOptions.local_cells`, the default)
also away from the cells of the local trials: the points nearer, in lengthscale units, to a
local trial than to any other trial. Next to the local trials the global model is coarser than the local data
(its lack-of-fit noise lets its paths pass below trials whose values are within that noise of
the best), so it does not answer there. A draw of `f*` is the lower of the two minima. This
is a partition model (a local model where the data are dense, the global one elsewhere), as
trust-region BO (TuRBO, Eriksson et al. 2019) uses local GPs for the same reason. Points of
a local cell outside the box are answered by neither model: the local model would extrapolate
past its data there; `benchmarks/results/optimum_calibration.md` measures what this costs.

Only for searches over continuous columns without constraints (the bounding box of a mixed
or conditional space is not a box of the unit cube); elsewhere the global model alone is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from apogee.acquisition import Domain, OptimizeOptions, raw_candidates
from apogee.history import History
from apogee.models import ExactGP, InputSpec, OutcomeWarping, fit_map
from apogee.models._pathwise import SamplePaths
from apogee.models._warping_inverse import unwarp
from apogee.optimizers.gp._optimum_search import Paths, search_paths

_MIN_WIDTH = 1e-9  # a box side narrower than this (all local points share a value) is widened
_MAX_POWER = 2.0  # above this exponent the warping's lower tail is bounded: only standardize


@dataclass(frozen=True)
class LocalDraws:
    """Minima of the local paths over the local box, in the user's minimization-form units.

    Attributes:
        values: `S` minimum of each local path.
        points: `S x d` canonical minimizer of each local path.
        at_incumbent: `S` value of each local path at the incumbent.
        low, high: `d` corners of the local box in the unit cube.
    """

    values: np.ndarray
    points: np.ndarray
    at_incumbent: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def inside(self, X: np.ndarray) -> np.ndarray:
        """`m` booleans: which canonical points `m x d` lie in the local box."""
        inside: np.ndarray = np.all((self.low <= X) & (self.high >= X), axis=1)
        return inside


def in_local_cells(
    points: np.ndarray, X: np.ndarray, near: np.ndarray, lengthscales: np.ndarray
) -> np.ndarray:
    """`m` booleans: is the trial nearest to each point one of the local trials `near`.

    Args:
        points: `m x d` canonical points.
        X: `n x d` canonical trials.
        near: indices of the local trials.
        lengthscales: `d` global lengthscales (the distance is measured in their units).
    """
    local = np.zeros(len(X), dtype=bool)
    local[near] = True
    P, T = points / lengthscales, X / lengthscales
    # `|p - t|^2` up to the `|p|^2` that every trial shares: an `m x n` matrix, no `m x n x d`
    squared = (T * T).sum(axis=1)[None, :] - 2.0 * P @ T.T
    owned: np.ndarray = local[np.argmin(squared, axis=1)]
    return owned


def local_applies(history: History, fraction: float) -> bool:
    """Whether the local model is used: a fraction > 0, continuous columns, no constraints."""
    domain = Domain.from_space(history.spec.space)
    continuous = not domain.discrete and not domain.relaxed
    return fraction > 0 and continuous and not history.spec.constraints


def neighbours(
    X: np.ndarray, y: np.ndarray, lengthscales: np.ndarray, fraction: float
) -> np.ndarray:
    """Indices of the `k` trials nearest to the best one, in lengthscale units (stable order)."""
    n, d = X.shape
    k = min(n, max(math.ceil(fraction * n), 2 * d + 2))
    best = int(np.argmin(y))
    distance = np.linalg.norm((X - X[best]) / lengthscales, axis=1)
    return np.argsort(distance, kind="stable")[:k]


def outcome_warping(y: np.ndarray) -> OutcomeWarping:
    """The engine's warping, unless its fitted exponent bounds the lower tail (then standardize)."""
    warping = OutcomeWarping.fit(y)
    return warping if warping.lam <= _MAX_POWER else OutcomeWarping.fit(y, power=False)


def draw_local(
    X: np.ndarray,
    y: np.ndarray,
    *,
    n_samples: int,
    n_features: int,
    options: OptimizeOptions,
    noise_floor: float,
    rng: np.random.Generator,
) -> LocalDraws:
    """Fit a GP to the local trials `(X, y)` and minimize its paths over their bounding box."""
    low, high = X.min(axis=0), X.max(axis=0)
    width = np.where(high - low > _MIN_WIDTH, high - low, 1.0)
    U = (X - low) / width  # the local points in the box's own unit cube
    warping = outcome_warping(y)
    z = warping.transform(y)
    box = InputSpec.continuous(X.shape[1])
    fit = fit_map(box, torch.as_tensor(U), torch.as_tensor(z), noise_floor=noise_floor)
    gp = ExactGP(box, torch.as_tensor(U), torch.as_tensor(z), fit.hyper)
    paths = Paths(SamplePaths(gp, n_samples, n_features=n_features, rng=rng), (), ())
    domain = Domain.box(X.shape[1])
    order = np.argsort(y, kind="stable")
    candidates = np.concatenate((raw_candidates(domain, rng, U[order[:5]], options), U))
    pool = np.concatenate((search_paths(paths, domain, candidates, options), candidates))
    values = paths.all_values(pool)[0]
    best = np.argmin(values, axis=0)
    return LocalDraws(
        unwarp(warping, values[best, np.arange(n_samples)]),
        low + pool[best] * width,
        unwarp(warping, paths.all_values(U[order[:1]])[0][0]),
        low,
        high,
    )
