"""The model's track record: how much of the improvement it predicted came true (imports torch).

Why: the GP's sample paths dip below the data by its lack-of-fit noise, a share of the spread of
*all* values, so on a function whose scale varies (Rosenbrock's walls and valley) the paths claim
an improvement over the incumbent far larger than the one left, and the interval of `f*` ends
below the truth (`benchmarks/results/optimum_calibration.md`). The study's own history can check
that claim: the GP fitted, as the engine fitted it, to the first half of the complete trials
predicts jointly the objective at the trials of the second half. Each joint draw `s` predicts an
improvement `I_s = max(b - min_j f_s(x_j), 0)` over the first half's best value `b`; the trials
realized `R = max(b - min_j y_j, 0)`.

What: if the model's improvements are off by a factor `c` (`R = c I`), then under a flat prior on
`log c` each ratio `R / I_s` is a posterior draw of `c`. The ratios, capped at `MAX_RATIO`, scale
the gaps of the draws of `f*` below the incumbent (`_value_interval` in `_optimum.py`). A model
that predicted improvement where none came gets ratios near 0: its interval then reaches up to
the incumbent. One extra GP fit on half the trials; a joint posterior at the other half.
"""

from __future__ import annotations

import numpy as np
import torch

from apogee.acquisition import joint_draws
from apogee.history import History
from apogee.models import InputSpec
from apogee.models._warping_inverse import unwarp
from apogee.optimizers.gp._data import training_data
from apogee.optimizers.gp._optimum_local import outcome_warping
from apogee.optimizers.gp._optimum_samples import fit_gp

# Ratios above this (a model far too pessimistic on the first half, which has twice the data
# now) widen the interval without covering more: on the 67 stored runs coverage stops growing
# at a cap of 2-3 while the width keeps growing (`optimum_calibration.md`, "The track record").
MAX_RATIO = 3.0


def improvement_ratios(
    history: History, *, n_samples: int, noise_floor: float, rng: np.random.Generator
) -> np.ndarray | None:
    """`n_samples` draws of the factor `c` by which realized improvements scale predicted ones.

    None where the history cannot say: constraints (the improvement of a feasible value is
    another question), or fewer than `max(5, d + 2)` complete trials in the first half.
    """
    if history.spec.constraints:
        return None
    complete = history.complete
    half = len(complete) // 2
    if half < max(5, history.spec.space.dim + 2):
        return None
    X, y = training_data(history)  # rows in the order of `complete`
    first = History(history.spec, tuple(complete[:half]))  # for the engine's stored fit
    warping = outcome_warping(y[:half])
    inputs = InputSpec.from_space(history.spec.space)
    gp = fit_gp(inputs, X[:half], warping.transform(y[:half]), noise_floor, first)
    draws = unwarp(warping, joint_draws(gp, torch.as_tensor(X[half:]), n_samples, rng))
    best = float(np.min(y[:half]))
    predicted = np.maximum(best - draws.min(axis=1), 0.0)  # per joint draw at the second half
    realized = max(best - float(np.min(y[half:])), 0.0)
    return ratios_of(predicted, realized)


def ratios_of(predicted: np.ndarray, realized: float) -> np.ndarray:
    """`min(realized / predicted, MAX_RATIO)` per draw of the predicted improvement.

    A draw that predicted nothing gives 1 when nothing came and `MAX_RATIO` when something did.
    """
    ratios = np.full(len(predicted), 1.0 if realized == 0 else MAX_RATIO)
    positive = predicted > 0
    ratios[positive] = np.minimum(realized / predicted[positive], MAX_RATIO)
    return ratios


def rescaled_values(values: np.ndarray, incumbent: float, ratios: np.ndarray) -> np.ndarray:
    """Every draw of `f*` below `incumbent`, its gap scaled by every ratio (`S x R` values).

    Minimization form: a draw `v < incumbent` becomes `incumbent - c (incumbent - v)`.
    """
    scaled = incumbent - ratios[None, :] * (incumbent - values)[:, None]
    return np.where((values < incumbent)[:, None], scaled, values[:, None]).ravel()
