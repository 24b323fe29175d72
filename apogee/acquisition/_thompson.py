"""Thompson sampling over a finite candidate set (Thompson 1933; Kandasamy et al. 2018).

One joint draw of the latent function at the candidates; the candidate where the draw is lowest
is the suggestion. Each trial number seeds its own draw, so parallel workers explore different
plausible optima without any other coordination.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import torch

from apogee.acquisition._domain import Domain
from apogee.acquisition._optimize import OptimizeOptions, contains, raw_candidates


class JointPosterior(Protocol):
    """What Thompson sampling needs of a model: the joint posterior at `m x d` points."""

    def joint_posterior(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...


def thompson_sample(
    model: JointPosterior,
    domain: Domain,
    *,
    rng: np.random.Generator,
    anchors: np.ndarray | None = None,
    exclude: np.ndarray | None = None,
    options: OptimizeOptions | None = None,
    constraints: Sequence[tuple[JointPosterior, float]] = (),
) -> np.ndarray:
    """The canonical candidate `d` that minimizes one joint posterior draw.

    Candidates are those of `raw_candidates` (Sobol' points and perturbations of the anchors),
    less the points in `exclude`. With `constraints` (models of `c_k(x) <= t_k`), each is drawn
    too, and the draw is minimized over the candidates feasible under the drawn constraints;
    where none is, the candidate with the smallest drawn total violation is returned.
    """
    options = options or OptimizeOptions()
    anchors = np.empty((0, domain.dim)) if anchors is None else anchors
    candidates = domain.canonical(raw_candidates(domain, rng, anchors, options))
    keep = [
        i for i in range(len(candidates)) if exclude is None or not contains(exclude, candidates[i])
    ]
    if keep:
        candidates = candidates[keep]
    points = torch.as_tensor(candidates, dtype=torch.float64)
    draw = joint_draws(model, points, 1, rng)[0]
    violation = np.zeros(len(candidates))
    for constraint, threshold in constraints:
        violation += np.clip(joint_draws(constraint, points, 1, rng)[0] - threshold, 0.0, None)
    if constraints and not (violation <= 0).any():
        best: np.ndarray = candidates[int(np.argmin(violation))]
        return best
    chosen: np.ndarray = candidates[int(np.argmin(np.where(violation <= 0, draw, np.inf)))]
    return chosen


def joint_draws(
    model: JointPosterior, points: torch.Tensor, n: int, rng: np.random.Generator
) -> np.ndarray:
    """`n x m` joint draws of the latent function at `m x d` points.

    The square root of the covariance comes from its eigendecomposition with negative
    eigenvalues clipped to 0: exact where the covariance is positive semidefinite, and it
    keeps the correlations of near-duplicate points, where a Cholesky factor needs jitter.
    """
    with torch.no_grad():
        mean, cov = (t.numpy() for t in model.joint_posterior(points))
    eigenvalues, eigenvectors = np.linalg.eigh(0.5 * (cov + cov.T))
    root = eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    draws: np.ndarray = mean[None, :] + rng.standard_normal((n, len(mean))) @ root.T
    return draws
