"""Several objectives by noisy expected hypervolume improvement (`GP(multi_objective="ehvi")`).

One GP per objective on standardized outcomes (no power warping: an affine map per objective
scales every hypervolume by the same factor, so the argmax is that of the raw objectives). Each
suggestion draws `_MC_SAMPLES` joint posterior samples at the baseline (the observed feasible
front, running trials and the suggestions already made in this call) and at the candidates,
and scores `log mean_s HVI_s(x) + log PoF(x)` (`apogee.acquisition.expected_hypervolume_improvement`).
The candidates, scored without gradients, are the engine's ParEGO suggestion for the same trial
number and the inner optimizer's raw samples (Sobol' points, perturbations of the front and of
that suggestion). The reference point is the observed front's nadir plus 10%
of its range, in the standardized space.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from apogee.acquisition import (
    Domain,
    LogProbabilityOfFeasibility,
    OptimizeOptions,
    contains,
    expected_hypervolume_improvement,
    raw_candidates,
    score,
)
from apogee.history import History
from apogee.models import ExactGP, Hyperparameters, InputSpec, robust_cholesky
from apogee.moo import nondominated_mask
from apogee.optimizers.gp._data import OBJECTIVE_HYPERPARAMETERS, last_fits, to_attrs
from apogee.optimizers.gp._engine import GP
from apogee.optimizers.gp._models import fit_outcome

Constraints = list[tuple[ExactGP, float]]

_MC_SAMPLES = 64
_REFERENCE_MARGIN = 0.1
_MIN_SPAN = 0.1  # standardized units: the margin when the front is a single point


@dataclass(frozen=True)
class HypervolumeModels:
    """One GP per objective, the observed feasible front (points), and the reference point."""

    models: list[ExactGP]
    hypers: list[Hyperparameters]
    front: np.ndarray
    reference: np.ndarray

    def attrs(self) -> dict[str, object]:
        return {OBJECTIVE_HYPERPARAMETERS: [to_attrs(h) for h in self.hypers]}


def fit_hypervolume_models(
    engine: GP, inputs: InputSpec, history: History, violation: np.ndarray
) -> HypervolumeModels | None:
    """The models, or None while no complete trial is feasible (feasibility comes first)."""
    X, objectives = history.encoded_params(), history.objective_matrix()
    feasible = violation <= 0
    if not feasible.any():
        return None
    m = objectives.shape[1]
    warm = last_fits(history, history.spec.space.dim, OBJECTIVE_HYPERPARAMETERS, m)
    standardized = dataclasses.replace(engine, warping=False)
    fits = [fit_outcome(standardized, inputs, X, objectives[:, j], warm[j]) for j in range(m)]
    scaled = np.column_stack([f.warping.transform(objectives[:, j]) for j, f in enumerate(fits)])
    values = scaled[feasible]
    on_front = nondominated_mask(values)
    nadir, ideal = values[on_front].max(axis=0), values[on_front].min(axis=0)
    reference = nadir + _REFERENCE_MARGIN * np.maximum(nadir - ideal, _MIN_SPAN)
    front = X[feasible][on_front]
    return HypervolumeModels([f.model for f in fits], [f.hyper for f in fits], front, reference)


def ehvi_point(
    hv: HypervolumeModels,
    constraints: Constraints,
    domain: Domain,
    rng: np.random.Generator,
    *,
    proposed: np.ndarray,
    believed: np.ndarray,
    exclude: np.ndarray,
    options: OptimizeOptions,
) -> np.ndarray:
    """The candidate with the best log EHVI + log PoF; `proposed` if no candidate improves.

    `proposed` (a canonical point `d`, the ParEGO suggestion: gradient-optimized, so it reaches
    the bounds and sharp optima that raw candidates only approach) is one of the candidates,
    and perturbations of it are among the raw ones.
    """
    anchors = np.vstack((proposed, hv.front))
    raw = domain.canonical(raw_candidates(domain, rng, anchors, options))
    keep = [i for i in range(len(raw)) if not contains(exclude, raw[i])]
    candidates = np.vstack((proposed, raw[keep]))
    baseline = np.vstack((hv.front, believed))
    points = torch.as_tensor(np.vstack((baseline, candidates)), dtype=torch.float64)
    normals = rng.standard_normal((len(hv.models), _MC_SAMPLES, len(points)))
    samples = np.stack(
        [_joint_samples(model, points, z) for model, z in zip(hv.models, normals, strict=True)],
        axis=-1,
    )  # `s x (b + c) x m`
    n = len(baseline)
    improvement = expected_hypervolume_improvement(samples[:, :n], samples[:, n:], hv.reference)
    if not (improvement > 0).any():
        return proposed
    value = np.log(np.where(improvement > 0, improvement, np.nan))
    if constraints:
        models, thresholds = zip(*constraints, strict=True)
        value = value + score(LogProbabilityOfFeasibility(models, thresholds), domain, candidates)
    best: np.ndarray = candidates[int(np.nanargmax(value))]
    return best


def _joint_samples(model: ExactGP, points: torch.Tensor, normals: np.ndarray) -> np.ndarray:
    """`s x p` joint posterior draws of the latent function at `p x d` points."""
    with torch.no_grad():
        mean, cov = model.joint_posterior(points)
        L = robust_cholesky(cov)
        draws: np.ndarray = (mean[None, :] + torch.as_tensor(normals) @ L.T).numpy()
    return draws
