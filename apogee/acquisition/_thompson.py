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

_JITTER = 1e-9


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
    draw = _joint_draw(model, points, rng)
    violation = np.zeros(len(candidates))
    for constraint, threshold in constraints:
        violation += np.clip(_joint_draw(constraint, points, rng) - threshold, 0.0, None)
    if constraints and not (violation <= 0).any():
        best: np.ndarray = candidates[int(np.argmin(violation))]
        return best
    chosen: np.ndarray = candidates[int(np.argmin(np.where(violation <= 0, draw, np.inf)))]
    return chosen


def _joint_draw(
    model: JointPosterior, points: torch.Tensor, rng: np.random.Generator
) -> np.ndarray:
    """One draw `m` of the latent function at `m x d` points."""
    with torch.no_grad():
        mean, cov = model.joint_posterior(points)
        scale = float(cov.diagonal().mean().clamp(min=1e-12))
        eye = torch.eye(len(mean), dtype=torch.float64)
        L, _ = torch.linalg.cholesky_ex(cov + _JITTER * scale * eye)
        if not torch.isfinite(L).all():  # fall back to independent draws
            L = torch.diag(cov.diagonal().clamp(min=0.0).sqrt())
        z = torch.as_tensor(rng.standard_normal(len(mean)), dtype=torch.float64)
        draw: np.ndarray = (mean + L @ z).numpy()
    return draw
