"""Minimizing posterior sample paths over a domain, all paths at once (imports torch).

Shared candidates are scored under every path; each path's best candidates start L-BFGS-B,
all paths in one batched scipy call (the starts are independent, so the summed objective has
each one's own gradient), then a round of best response on discrete columns per path, as
`maximize_acquisition` does. With constraints, the search follows each path plus a smooth
penalty on its own constraint paths' violation, and end points that their paths call
infeasible are bisected back to the boundary.
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
    score,
)
from apogee.models._pathwise import SamplePaths

# With constraints, the search minimizes each path plus `_PENALTY * relu(c - threshold)^2` for
# each of its constraint paths `c` (standardized units): smooth, and soft enough that L-BFGS-B's
# line search finds its minimum, which lies just past the boundary. `_repair` then bisects back
# along the segment from the (feasible) start to the first point the path calls feasible.
_PENALTY = 1e2
_BISECTIONS = 40


@dataclass(frozen=True)
class Paths:
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


def search_paths(
    paths: Paths, domain: Domain, candidates: np.ndarray, options: OptimizeOptions
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
    paths: Paths, domain: Domain, starts: np.ndarray, ends: np.ndarray, owners: torch.Tensor
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


def _descent(paths: Paths, owners: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """What L-BFGS-B maximizes for starts owned by `owners`: minus their penalized paths."""
    return lambda Z: -paths.penalized(Z, owners)


def _scorer(paths: Paths, domain: Domain, sample: int) -> Callable[[np.ndarray], np.ndarray]:
    """Score of latent points under path `sample` (penalized), for best response."""

    def acquisition(Z: torch.Tensor) -> torch.Tensor:
        return -paths.penalized(Z, torch.full((len(Z),), sample, dtype=torch.long))

    return lambda Z: score(acquisition, domain, Z)
