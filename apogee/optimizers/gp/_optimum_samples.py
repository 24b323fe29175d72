"""Draws of the global optimum from GP sample paths (imports torch; see `_optimum.py`).

1. Fit a GP to the complete trials of any history, as the GP engine does (warped outcomes, MAP
   hyperparameters); each constraint gets its own GP on standardized values.
2. Draw `S` posterior sample paths of the objective (and of each constraint) by pathwise
   conditioning (`apogee.models._pathwise`).
3. Minimize every path over the space (`_optimum_search.py`: shared candidates scored under all
   paths, batched L-BFGS-B, best response on discrete columns). With constraints, a path's
   minimum is taken over the points its own constraint paths call feasible.
4. Where the search is continuous and unconstrained, a local GP fitted to the trials nearest to
   the incumbent answers inside their bounding box and the global GP outside it, away from
   the local trials (`_optimum_local.py` says why); a draw is the lower of the two minima.
5. Map every path's minimum value back to the user's units through the inverse warping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from apogee.acquisition import Domain, OptimizeOptions, raw_candidates
from apogee.history import History
from apogee.models import ExactGP, InputSpec, OutcomeWarping, fit_map
from apogee.models._pathwise import SamplePaths
from apogee.models._warping_inverse import unwarp
from apogee.optimizers.gp._data import last_fit, subset, training_data
from apogee.optimizers.gp._optimum_local import (
    LocalDraws,
    draw_local,
    in_local_cells,
    local_applies,
    neighbours,
    outcome_warping,
)
from apogee.optimizers.gp._optimum_search import Paths, search_paths

_N_ANCHORS = 5


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


def draw_optima(
    history: History,
    *,
    n_samples: int,
    n_features: int,
    n_starts: int,
    raw_samples: int,
    maxiter: int,
    noise_floor: float,
    local_fraction: float,
    local_cells: bool,
    rng: np.random.Generator,
) -> OptimaDraws:
    """Minima and minimizers of `n_samples` posterior paths fitted to `history`.

    With a local model, each draw is the lower of its local path's minimum over the local box
    and its global path's minimum outside that box (and, with `local_cells`, outside the cells
    of the local trials).

    Raises:
        numpy.linalg.LinAlgError: the GP could not be fitted (the caller reports it).
    """
    space = history.spec.space
    inputs = InputSpec.from_space(space)
    X, y = training_data(history)
    warping = outcome_warping(y)
    gp = fit_gp(inputs, X, warping.transform(y), noise_floor, history)
    constraint_gps, thresholds = [], []
    for column in history.constraint_matrix().T:
        standardize = OutcomeWarping.fit(column, power=False)
        constraint_gps.append(fit_gp(inputs, X, standardize.transform(column), noise_floor, None))
        thresholds.append(float(standardize.transform(np.zeros(1))[0]))
    paths = Paths(
        SamplePaths(gp, n_samples, n_features=n_features, rng=rng),
        tuple(SamplePaths(c, n_samples, n_features=n_features, rng=rng) for c in constraint_gps),
        tuple(thresholds),
    )
    domain = Domain.from_space(space)
    options = OptimizeOptions(n_restarts=n_starts, raw_samples=raw_samples, maxiter=maxiter)
    local = None
    lengthscales = np.asarray(gp.hyper.lengthscales)
    if local_applies(history, local_fraction):
        near = neighbours(X, y, lengthscales, local_fraction)
        local = draw_local(
            X[near], y[near], n_samples=n_samples, n_features=n_features,
            options=options, noise_floor=noise_floor, rng=rng,
        )  # fmt: skip
    anchors = X[np.argsort(y, kind="stable")[:_N_ANCHORS]]
    candidates = np.concatenate((raw_candidates(domain, rng, anchors, options), _latent(X)))
    ends = search_paths(paths, domain, candidates, options)
    pool = domain.canonical(np.concatenate((ends, candidates)))
    values, feasible = paths.all_values(pool)
    if local is not None:  # the global model answers only outside the local box
        owned = local.inside(pool)
        if local_cells:  # ... and away from the local trials
            owned |= in_local_cells(pool, X, near, lengthscales)
        feasible &= ~owned[:, None]
    values = np.where(feasible, values, np.inf)
    best = np.argmin(values, axis=0)  # `S`
    incumbent = _incumbent_point(history)
    minima = values[best, np.arange(n_samples)]
    draws = OptimaDraws(
        np.where(np.isfinite(minima), unwarp(warping, minima), np.inf),
        pool[best],
        unwarp(warping, paths.all_values(incumbent[None, :])[0][0]),
    )
    return draws if local is None else _combined(draws, local)


def _combined(global_draws: OptimaDraws, local: LocalDraws) -> OptimaDraws:
    """Per draw, the lower of the local and the global minimum; the incumbent read locally."""
    use_global = global_draws.values < local.values
    return OptimaDraws(
        np.where(use_global, global_draws.values, local.values),
        np.where(use_global[:, None], global_draws.points, local.points),
        local.at_incumbent,
    )


def fit_gp(
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
