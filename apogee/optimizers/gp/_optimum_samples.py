"""Draws of the global optimum from GP sample paths (imports torch; see `_optimum.py`).

1. Fit a GP to the complete trials of any history, as the GP engine does (warped outcomes, MAP
   hyperparameters); each constraint gets its own GP on standardized values.
2. Draw `S` posterior sample paths of the objective (and of each constraint) by pathwise
   conditioning (`apogee.models._pathwise`).
3. Minimize every path over the space: score shared candidates (Sobol' points, perturbations of
   the best trials, and every observed point) under all paths at once, start `n_starts`
   L-BFGS-B runs per path from its best candidates, all paths in one batched scipy call (the
   restarts are independent, so the summed objective has each one's own gradient), then a
   round of best response on discrete columns per path, as `maximize_acquisition` does. With
   constraints, a path's minimum is taken over the points its own constraint paths call
   feasible; the search itself follows the path plus a smooth penalty on its violation.
4. Map every path's minimum value back to the user's units through the inverse warping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from apogee.acquisition import (
    Domain,
    OptimizeOptions,
    best_response_round,
    maximize_continuous,
    raw_candidates,
    score,
)
from apogee.history import History
from apogee.models import ExactGP, InputSpec, OutcomeWarping, fit_map
from apogee.models._pathwise import SamplePaths
from apogee.models._warping_inverse import unwarp
from apogee.optimizers.gp._data import last_fit, subset, training_data

_N_ANCHORS = 5
# With constraints, the search minimizes each path plus `_PENALTY * relu(c - threshold)^2` for
# each of its constraint paths `c` (standardized units): smooth, and soft enough that L-BFGS-B's
# line search finds its minimum, which lies just past the boundary. `_repair` then bisects back
# along the segment from the (feasible) start to the first point the path calls feasible.
_PENALTY = 1e2
_BISECTIONS = 40
_MAX_POWER = 2.0  # above this exponent the warping's lower tail is bounded: only standardize


@dataclass(frozen=True)
class OptimaDraws:
    """What the sample paths say, in the user's minimization-form units.

    Attributes:
        values: `S` minimum of each path (`+inf` where a path calls every point infeasible).
        points: `S x d` canonical minimizer of each path.
        at_incumbent: `S` value of each path at the incumbent (the best feasible trial).
    """

    values: np.ndarray
    points: np.ndarray
    at_incumbent: np.ndarray


@dataclass(frozen=True)
class _Paths:
    """Objective paths and constraint paths with their feasibility thresholds (model units)."""

    objective: SamplePaths
    constraints: tuple[SamplePaths, ...]
    thresholds: tuple[float, ...]

    def all_values(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Objective `m x S` of every path at canonical `m x d` points, and feasibility `m x S`."""
        points = torch.as_tensor(X, dtype=torch.float64)
        with torch.no_grad():
            values = self.objective.values(points).numpy()
            feasible = np.ones(values.shape, dtype=bool)
            for paths, threshold in zip(self.constraints, self.thresholds, strict=True):
                feasible &= paths.values(points).numpy() <= threshold
        return values, feasible

    def feasible_of(self, X: np.ndarray, owners: torch.Tensor) -> np.ndarray:
        """`b` booleans: is canonical `X[i]` feasible under constraint paths `owners[i]`."""
        points = torch.as_tensor(X, dtype=torch.float64)
        feasible = np.ones(len(X), dtype=bool)
        with torch.no_grad():
            for paths, threshold in zip(self.constraints, self.thresholds, strict=True):
                feasible &= paths.values_of(points, owners).numpy() <= threshold
        return feasible

    def penalized(self, X: torch.Tensor, owners: torch.Tensor) -> torch.Tensor:
        """Path `owners[i]` plus its constraint violation penalty at `X[i]`: `b` values."""
        value = self.objective.values_of(X, owners)
        for paths, threshold in zip(self.constraints, self.thresholds, strict=True):
            violation = torch.relu(paths.values_of(X, owners) - threshold)
            value = value + _PENALTY * violation * violation
        return value


def draw_optima(
    history: History,
    *,
    n_samples: int,
    n_features: int,
    n_starts: int,
    raw_samples: int,
    maxiter: int,
    noise_floor: float,
    rng: np.random.Generator,
) -> OptimaDraws:
    """Minima and minimizers of `n_samples` posterior paths fitted to `history`.

    Raises:
        numpy.linalg.LinAlgError: the GP could not be fitted (the caller reports it).
    """
    space = history.spec.space
    inputs = InputSpec.from_space(space)
    X, y = training_data(history)
    warping = _warping(y)
    gp = _fit(inputs, X, warping.transform(y), noise_floor, history)
    constraint_gps, thresholds = [], []
    for column in history.constraint_matrix().T:
        standardize = OutcomeWarping.fit(column, power=False)
        constraint_gps.append(_fit(inputs, X, standardize.transform(column), noise_floor, None))
        thresholds.append(float(standardize.transform(np.zeros(1))[0]))
    paths = _Paths(
        SamplePaths(gp, n_samples, n_features=n_features, rng=rng),
        tuple(SamplePaths(c, n_samples, n_features=n_features, rng=rng) for c in constraint_gps),
        tuple(thresholds),
    )
    domain = Domain.from_space(space)
    options = OptimizeOptions(n_restarts=n_starts, raw_samples=raw_samples, maxiter=maxiter)
    anchors = X[np.argsort(y, kind="stable")[:_N_ANCHORS]]
    candidates = np.concatenate((raw_candidates(domain, rng, anchors, options), _latent(X)))
    ends = _search(paths, domain, candidates, options)
    pool = domain.canonical(np.concatenate((ends, candidates)))
    values, feasible = paths.all_values(pool)
    values = np.where(feasible, values, np.inf)
    best = np.argmin(values, axis=0)  # `S`
    incumbent = _incumbent_point(history)
    at_incumbent = paths.all_values(incumbent[None, :])[0][0]
    minima = values[best, np.arange(n_samples)]
    return OptimaDraws(
        np.where(np.isfinite(minima), unwarp(warping, minima), np.inf),
        pool[best],
        unwarp(warping, at_incumbent),
    )


def _warping(y: np.ndarray) -> OutcomeWarping:
    """The engine's warping, unless its fitted exponent bounds the lower tail (then standardize)."""
    warping = OutcomeWarping.fit(y)
    return warping if warping.lam <= _MAX_POWER else OutcomeWarping.fit(y, power=False)


def _fit(
    inputs: InputSpec,
    X: np.ndarray,
    z: np.ndarray,
    noise_floor: float,
    history: History | None,
) -> ExactGP:
    """A GP on `(X, z)` with MAP hyperparameters fitted on at most 300 of the points."""
    fitted = subset(z, 300)
    warm = None if history is None else last_fit(history, inputs.dim)
    fit = fit_map(
        inputs,
        torch.as_tensor(X[fitted]),
        torch.as_tensor(z[fitted]),
        noise_floor=noise_floor,
        warm_start=warm,
    )
    return ExactGP(inputs, torch.as_tensor(X), torch.as_tensor(z), fit.hyper)


def _search(
    paths: _Paths, domain: Domain, candidates: np.ndarray, options: OptimizeOptions
) -> np.ndarray:
    """`S * n_starts` latent end points: the best candidates of each path, moved downhill."""
    values, feasible = paths.all_values(np.where(domain.active(candidates), candidates, np.nan))
    penalized = np.where(feasible, values, values + _PENALTY)
    n_samples = values.shape[1]
    starts = np.argsort(penalized, axis=0, kind="stable")[: options.n_restarts]  # `r x S`
    X = candidates[starts.T.reshape(-1)]
    owners = torch.arange(n_samples).repeat_interleave(starts.shape[0])
    starts_X = X.copy()
    for _ in range(options.max_rounds):
        X = maximize_continuous(_descent(paths, owners), X, domain, maxiter=options.maxiter)
        if not (domain.discrete or domain.relaxed):
            break
        changed = False
        for s in range(n_samples):
            rows = (owners == s).numpy()
            X[rows], moved = best_response_round(_scorer(paths, domain, s), X[rows], domain)
            changed |= moved
        if not changed:
            break
    return _repair(paths, domain, starts_X, X, owners) if paths.constraints else X


def _repair(
    paths: _Paths, domain: Domain, starts: np.ndarray, ends: np.ndarray, owners: torch.Tensor
) -> np.ndarray:
    """Ends that their own path calls infeasible, moved back towards their starts to the boundary.

    Bisection on `t` in `x(t) = start + t (end - start)` (continuous columns; the others are
    the end's), keeping the feasible side; rows whose `x(0)` is infeasible stay as they are.
    """
    columns = list(domain.continuous)

    def point(t: np.ndarray) -> np.ndarray:
        moved = ends.copy()
        moved[:, columns] = starts[:, columns] + t[:, None] * (ends - starts)[:, columns]
        return domain.canonical(moved)

    low, high = np.zeros(len(ends)), np.ones(len(ends))
    broken = ~paths.feasible_of(domain.canonical(ends), owners)
    broken &= paths.feasible_of(point(low), owners)
    if not broken.any() or not columns:
        return ends
    for _ in range(_BISECTIONS):
        middle = 0.5 * (low + high)
        feasible = paths.feasible_of(point(middle), owners)
        low, high = np.where(feasible, middle, low), np.where(feasible, high, middle)
    repaired = ends.copy()
    repaired[broken] = domain.snap(point(np.where(broken, low, 1.0)))[broken]
    return repaired


def _descent(paths: _Paths, owners: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """What L-BFGS-B maximizes for starts owned by `owners`: minus their penalized paths."""
    return lambda Z: -paths.penalized(Z, owners)


def _scorer(paths: _Paths, domain: Domain, sample: int) -> Callable[[np.ndarray], np.ndarray]:
    """Score of latent points under path `sample` (penalized), for best response."""

    def acquisition(Z: torch.Tensor) -> torch.Tensor:
        return -paths.penalized(Z, torch.full((len(Z),), sample, dtype=torch.long))

    return lambda Z: score(acquisition, domain, Z)


def _latent(X: np.ndarray) -> np.ndarray:
    """Observed canonical points as latent candidates (inactive columns read as 0.5)."""
    return np.where(np.isnan(X), 0.5, X)


def _incumbent_point(history: History) -> np.ndarray:
    best = history.best()
    if best is None:  # constrained study without a feasible trial: the best of all
        complete = history.complete
        best = complete[int(np.argmin(history.objective_matrix()[:, 0]))]
    point: np.ndarray = history.encoded_params([best])[0]
    return point
