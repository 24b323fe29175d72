"""Fit one GP per outcome (objective, scalarized objectives or constraint) on its warped scale.

Every outcome gets the same machinery: a subset of at most `max_points` trials, its own
warping (standardize, power transform), MAP hyperparameters on at most `fit_points` of them,
warm-started from the fit stored with the previous suggestion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from apogee.models import ExactGP, Hyperparameters, InputSpec, OutcomeWarping, fit_map
from apogee.optimizers.gp._data import subset
from apogee.optimizers.gp._engine import GP


@dataclass(frozen=True)
class FittedOutcome:
    """A GP of one outcome, conditioned on the rows `kept` of the training data.

    `model` sees the warped outcomes `y` (`len(kept)`); `warping` maps raw values (such as a
    constraint's threshold 0) onto that scale.
    """

    model: ExactGP
    warping: OutcomeWarping
    hyper: Hyperparameters
    kept: np.ndarray
    y: np.ndarray


def fit_outcome(
    engine: GP,
    inputs: InputSpec,
    X: np.ndarray,
    values: np.ndarray,
    warm_start: Hyperparameters | None,
) -> FittedOutcome:
    """Fit a GP to the `n` raw outcomes `values` at the `n x d` canonical points `X`."""
    kept = subset(values, engine.max_points)
    warping = OutcomeWarping.fit(values[kept], power=engine.warping)
    X_kept, y = X[kept], warping.transform(values[kept])
    fitted = subset(y, engine.fit_points)
    fit = fit_map(
        inputs,
        torch.as_tensor(X_kept[fitted]),
        torch.as_tensor(y[fitted]),
        noise_floor=engine.noise_floor,
        warm_start=warm_start,
    )
    model = ExactGP(inputs, torch.as_tensor(X_kept), torch.as_tensor(y), fit.hyper)
    return FittedOutcome(model, warping, fit.hyper, kept, y)


def believe(model: ExactGP, X: np.ndarray) -> ExactGP:
    """The model with `X` observed at its own posterior mean (the kriging believer)."""
    if len(X) == 0:
        return model
    points = torch.as_tensor(X, dtype=torch.float64)
    with torch.no_grad():
        mean, _ = model.posterior(points)
        return model.condition_on(points, mean)
