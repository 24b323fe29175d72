"""The GP engine's suggestion: history -> model -> acquisition -> suggestions (imports torch).

Randomness comes only from `generator(seed, number, ...)`, one stream per reserved trial
number; the model fit is deterministic. Trials still running, and the suggestions made earlier
in the same call, join the model as kriging believers (observed at the posterior mean, Ginsbourger
et al. 2010): the variance there collapses, so the acquisition moves elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from apogee._util.rng import generator
from apogee.acquisition import (
    Domain,
    LogExpectedImprovement,
    LogProbabilityOfImprovement,
    OptimizeOptions,
    UpperConfidenceBound,
    maximize_acquisition,
    noisy_incumbent,
    thompson_sample,
)
from apogee.history import History
from apogee.models import ExactGP, InputSpec, OutcomeWarping, fit_map
from apogee.optimizers.base import Proposal, Suggestion
from apogee.optimizers.gp._data import HYPERPARAMETERS, last_fit, subset, to_attrs, training_data
from apogee.optimizers.gp._engine import GP
from apogee.optimizers.sobol import sobol_points

Acquisition = Callable[[torch.Tensor], torch.Tensor]

_STREAM = 0x6770  # keys this engine's random streams apart from other engines'
_N_ANCHORS = 5


def suggest(engine: GP, history: History, numbers: Sequence[int], seed: int) -> Proposal:
    """One suggestion per number in `numbers` (see `Engine.suggest`)."""
    space = history.spec.space
    if space.dim == 0:
        return Proposal(tuple(Suggestion(space.decode([])) for _ in numbers))
    X, y = training_data(history)
    if len(y) < engine.startup_trials(space.dim):
        points = sobol_points(space.dim, seed, numbers)
        return Proposal(tuple(Suggestion(space.decode(point)) for point in points))
    inputs = InputSpec.from_space(space, flatten=engine.flatten_conditions)
    kept = subset(y, engine.max_points)
    X, y = X[kept], OutcomeWarping.fit(y[kept], power=engine.warping).transform(y[kept])
    fitted = subset(y, engine.fit_points)
    fit = fit_map(
        inputs,
        torch.as_tensor(X[fitted]),
        torch.as_tensor(y[fitted]),
        noise_floor=engine.noise_floor,
        warm_start=last_fit(history, space.dim),
    )
    model = ExactGP(inputs, torch.as_tensor(X), torch.as_tensor(y), fit.hyper)
    best_f = noisy_incumbent(model, model.X) if engine.acquisition == "log_nei" else float(y.min())
    domain = Domain.from_space(space)
    anchors = X[np.argsort(y, kind="stable")[:_N_ANCHORS]]
    exclude = _tried_points(history)
    model = _believe(model, history.encoded_params(history.pending))
    attrs = {HYPERPARAMETERS: to_attrs(fit.hyper)}
    suggestions = []
    for number in numbers:
        rng = generator(seed, _STREAM, number)
        x = _next_point(engine, model, domain, best_f, rng, anchors, exclude)
        exclude = np.vstack((exclude, x))
        model = _believe(model, x[None, :])
        suggestions.append(Suggestion(space.decode(x), attrs))
    return Proposal(tuple(suggestions))


def _next_point(
    engine: GP,
    model: ExactGP,
    domain: Domain,
    best_f: float,
    rng: np.random.Generator,
    anchors: np.ndarray,
    exclude: np.ndarray,
) -> np.ndarray:
    options = OptimizeOptions(n_restarts=engine.n_restarts, raw_samples=engine.raw_samples)
    if engine.acquisition == "thompson":
        return thompson_sample(
            model, domain, rng=rng, anchors=anchors, exclude=exclude, options=options
        )
    acqf: Acquisition
    if engine.acquisition == "ucb":
        acqf = UpperConfidenceBound(model, engine.beta)
    elif engine.acquisition == "pi":
        acqf = LogProbabilityOfImprovement(model, best_f)
    else:  # "log_ei", and "log_nei" whose `best_f` is the best posterior mean
        acqf = LogExpectedImprovement(model, best_f)
    x, _ = maximize_acquisition(
        acqf, domain, rng=rng, anchors=anchors, exclude=exclude, options=options
    )
    return x


def _believe(model: ExactGP, X: np.ndarray) -> ExactGP:
    """The model with `X` observed at its own posterior mean (the kriging believer)."""
    if len(X) == 0:
        return model
    points = torch.as_tensor(X, dtype=torch.float64)
    with torch.no_grad():
        mean, _ = model.posterior(points)
        return model.condition_on(points, mean)


def _tried_points(history: History) -> np.ndarray:
    """Canonical points of every trial with parameters (complete, running, failed or queued)."""
    tried = [t for t in history.trials if t.has_params]
    return history.encoded_params(tried)
