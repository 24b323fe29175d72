"""Several objectives by log expected hypervolume improvement (`GP(multi_objective="ehvi")`).

One GP per objective on standardized outcomes (no power warping: an affine map per objective
scales every hypervolume by the same factor, so the argmax is that of the raw objectives). The
baseline front is the posterior mean at the feasible observed points, so a noisy observation
that got lucky does not set it (the plug-in version of noisy EHVI); running trials and the
suggestions already made in this call join it at their posterior mean and are believed by the
models (kriging believer), so batch suggestions spread out. The acquisition
(`apogee.acquisition.LogExpectedHypervolumeImprovement`, plus the log probability of
feasibility with constraints) is maximized with gradients like the single-objective ones. The
reference point is the user's (`GP(reference_point=...)`, mapped through each objective's
standardization) or else the worst feasible posterior mean plus 10% of the observed range, per
objective in the standardized space (as Optuna's GPSampler does): a reference at the front's
own nadir collapses onto a front of one point, and EHVI then only refines that point.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from apogee.acquisition import (
    Domain,
    FeasibilityWeighted,
    LogExpectedHypervolumeImprovement,
    LogProbabilityOfFeasibility,
    OptimizeOptions,
    maximize_acquisition,
    nondominated_boxes,
)
from apogee.history import History, StudySpec
from apogee.models import ExactGP, Hyperparameters, InputSpec
from apogee.moo import nondominated_mask
from apogee.optimizers.gp._data import OBJECTIVE_HYPERPARAMETERS, last_fits, to_attrs
from apogee.optimizers.gp._engine import GP
from apogee.optimizers.gp._models import FittedOutcome, believe, fit_outcome

Constraints = list[tuple[ExactGP, float]]
Acquisition = Callable[[torch.Tensor], torch.Tensor]

_REFERENCE_MARGIN = 0.1
_MIN_SPAN = 0.1  # standardized units: the margin when all observations are equal
_N_ANCHORS = 10


@dataclass(frozen=True)
class HypervolumeModels:
    """One GP per objective, the baseline outcomes, the front's points, and the reference.

    `baseline` `(k, m)`: posterior means (standardized) of the feasible observed points, then
    of the believed ones; `anchors`: canonical points of the observed front, to search around.
    """

    models: list[ExactGP]
    hypers: list[Hyperparameters]
    baseline: np.ndarray
    anchors: np.ndarray
    reference: np.ndarray

    def attrs(self) -> dict[str, object]:
        return {OBJECTIVE_HYPERPARAMETERS: [to_attrs(h) for h in self.hypers]}

    def believe(self, X: np.ndarray) -> HypervolumeModels:
        """Every model with `X` `k x d` observed at its posterior mean, which joins the baseline."""
        if len(X) == 0:
            return self
        means = _posterior_means(self.models, X)
        models = [believe(model, X) for model in self.models]
        baseline = np.vstack((self.baseline, means))
        return dataclasses.replace(self, models=models, baseline=baseline)


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
    models = [f.model for f in fits]
    baseline = _posterior_means(models, X[feasible])
    on_front = nondominated_mask(baseline)
    minimized = minimized_reference(engine, history.spec)
    if minimized is None:
        worst, best = baseline.max(axis=0), baseline.min(axis=0)
        reference = worst + _REFERENCE_MARGIN * np.maximum(worst - best, _MIN_SPAN)
    else:
        reference = _standardized_reference(minimized, fits)
    anchors = X[feasible][on_front][:_N_ANCHORS]
    return HypervolumeModels(models, [f.hyper for f in fits], baseline, anchors, reference)


def ehvi_point(
    hv: HypervolumeModels,
    constraints: Constraints,
    domain: Domain,
    rng: np.random.Generator,
    *,
    exclude: np.ndarray,
    options: OptimizeOptions,
) -> np.ndarray:
    """The canonical point `d` maximizing log EHVI (+ log PoF) over the baseline front."""
    lower, upper = nondominated_boxes(hv.baseline, hv.reference)
    ehvi = LogExpectedHypervolumeImprovement(hv.models, lower, upper)
    acqf: Acquisition = ehvi
    if constraints:
        models, thresholds = zip(*constraints, strict=True)
        acqf = FeasibilityWeighted(ehvi, LogProbabilityOfFeasibility(models, thresholds))
    x, _ = maximize_acquisition(
        acqf, domain, rng=rng, anchors=hv.anchors, exclude=exclude, options=options
    )
    return x


def minimized_reference(engine: GP, spec: StudySpec) -> np.ndarray | None:
    """The engine's reference point `(m,)` in minimization form (None: it has none)."""
    if engine.reference_point is None:
        return None
    minimized: np.ndarray = np.array(spec.signs) * np.array(engine.reference_point)
    return minimized


def _standardized_reference(minimized: np.ndarray, fits: list[FittedOutcome]) -> np.ndarray:
    """The minimized reference `(m,)` on the models' (standardized) scale."""
    pairs = zip(fits, minimized, strict=True)
    return np.array([fit.warping.transform(np.array([value]))[0] for fit, value in pairs])


def _posterior_means(models: list[ExactGP], X: np.ndarray) -> np.ndarray:
    """`k x m` posterior means of the models at canonical points `k x d`."""
    points = torch.as_tensor(X, dtype=torch.float64)
    with torch.no_grad():
        return np.column_stack([model.posterior(points)[0].numpy() for model in models])
