"""The GP engine's suggestion: history -> models -> acquisition -> suggestions (imports torch).

Randomness comes only from `generator(seed, number, ...)`, one stream per reserved trial
number; the model fit is deterministic. Trials still running, and the suggestions made earlier
in the same call, join every model (objective and constraints) as kriging believers (observed
at the posterior mean, Ginsbourger et al. 2010): the variance there collapses, so the
acquisition moves elsewhere.

Constraints (`c_k <= 0` is feasible) get one GP each; the acquisition adds the log probability
of feasibility, and while no complete trial is feasible the engine maximizes that probability
alone. The incumbent is the best feasible outcome. Several objectives are, by default, scored by
the log expected hypervolume improvement of one GP per objective (`_ehvi.py`), maximized with
gradients; while nothing is feasible, or with `multi_objective="parego"`, they are scalarized per
suggestion (ParEGO, `apogee.moo.chebyshev_scalarization`) with weights drawn from the stream of
that trial number, and the scalarization is modelled like a single objective.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from apogee._util.rng import generator
from apogee.acquisition import (
    Domain,
    FeasibilityWeighted,
    LogExpectedImprovement,
    LogProbabilityOfFeasibility,
    LogProbabilityOfImprovement,
    OptimizeOptions,
    UpperConfidenceBound,
    maximize_acquisition,
    noisy_incumbent,
    thompson_sample,
)
from apogee.history import History
from apogee.models import ExactGP, Hyperparameters, InputSpec
from apogee.moo import chebyshev_scalarization, normalize_objectives, simplex_weights
from apogee.optimizers.base import Proposal, Suggestion
from apogee.optimizers.gp._data import (
    CONSTRAINT_HYPERPARAMETERS,
    HYPERPARAMETERS,
    last_fit,
    last_fits,
    to_attrs,
)
from apogee.optimizers.gp._ehvi import ehvi_point, fit_hypervolume_models, minimized_reference
from apogee.optimizers.gp._engine import GP
from apogee.optimizers.gp._models import believe, fit_outcome
from apogee.optimizers.sobol import sobol_points

Acquisition = Callable[[torch.Tensor], torch.Tensor]
Constraints = list[tuple[ExactGP, float]]  # (model, threshold on its warped scale)

_STREAM = 0x6770  # keys this engine's random streams apart from other engines'
_WEIGHTS = 1  # sub-stream of a trial number: the ParEGO weights
_N_ANCHORS = 5


@dataclass(frozen=True)
class _Target:
    """The model of what is minimized, its feasible incumbent (None: none yet), and anchors."""

    model: ExactGP
    best_f: float | None
    anchors: np.ndarray
    hyper: Hyperparameters


def suggest(engine: GP, history: History, numbers: Sequence[int], seed: int) -> Proposal:
    """One suggestion per number in `numbers` (see `Engine.suggest`)."""
    space = history.spec.space
    if space.dim == 0:
        return Proposal(tuple(Suggestion(space.decode([])) for _ in numbers))
    X, objectives = history.encoded_params(), history.objective_matrix()
    if len(X) < engine.startup_trials(space.dim):
        points = sobol_points(space.dim, seed, numbers)
        return Proposal(tuple(Suggestion(space.decode(point)) for point in points))
    inputs = InputSpec.from_space(space, flatten=engine.flatten_conditions)
    violation = np.clip(history.constraint_matrix(), 0.0, None).sum(axis=1)
    warm = last_fit(history, space.dim)
    constraints, constraint_attrs = _fit_constraints(engine, inputs, X, history)
    single = objectives.shape[1] == 1
    target = _fit_target(engine, inputs, X, objectives[:, 0], violation, warm) if single else None
    domain = Domain.from_space(space)
    exclude = _tried_points(history)
    believed = history.encoded_params(history.pending)
    constraints = [(believe(model, believed), t) for model, t in constraints]
    target = None if target is None else _believed(target, believed)
    hv = None
    if not single and engine.uses_ehvi(objectives.shape[1]):
        hv = fit_hypervolume_models(engine, inputs, history, violation)
        hv = None if hv is None else hv.believe(believed)
    reference = minimized_reference(engine, history.spec)  # ParEGO's normalization top
    shared_attrs = {**constraint_attrs, **({} if hv is None else hv.attrs())}
    suggestions = []
    for number in numbers:
        rng = generator(seed, _STREAM, number)
        current = target
        if hv is not None:  # several objectives by EHVI
            x = ehvi_point(hv, constraints, domain, rng, exclude=exclude, options=_options(engine))
            hv = hv.believe(x[None, :])
            attrs = dict(shared_attrs)
        else:
            if current is None:  # several objectives: this trial number's scalarization
                values = _parego_values(objectives, seed, number, reference)
                current = _fit_target(engine, inputs, X, values, violation, warm, single=False)
                current = _believed(current, believed)
            x = _next_point(engine, current, constraints, domain, rng, exclude)
            attrs = {HYPERPARAMETERS: to_attrs(current.hyper), **shared_attrs}
        exclude, believed = np.vstack((exclude, x)), np.vstack((believed, x))
        constraints = [(believe(model, x[None, :]), t) for model, t in constraints]
        target = None if target is None else _believed(target, x[None, :])
        suggestions.append(Suggestion(space.decode(x), attrs))
    return Proposal(tuple(suggestions))


def _fit_constraints(
    engine: GP, inputs: InputSpec, X: np.ndarray, history: History
) -> tuple[Constraints, dict[str, object]]:
    """One GP per constraint with its threshold 0 on the warped scale, and their JSON fits."""
    values = history.constraint_matrix()
    if values.shape[1] == 0:
        return [], {}
    warm = last_fits(history, history.spec.space.dim, CONSTRAINT_HYPERPARAMETERS, values.shape[1])
    constraints: Constraints = []
    fits = []
    for k in range(values.shape[1]):
        fitted = fit_outcome(engine, inputs, X, values[:, k], warm[k])
        threshold = float(fitted.warping.transform(np.zeros(1))[0])
        constraints.append((fitted.model, threshold))
        fits.append(to_attrs(fitted.hyper))
    return constraints, {CONSTRAINT_HYPERPARAMETERS: fits}


def _fit_target(
    engine: GP,
    inputs: InputSpec,
    X: np.ndarray,
    values: np.ndarray,
    violation: np.ndarray,
    warm: Hyperparameters | None,
    *,
    single: bool = True,
) -> _Target:
    """The model of the minimized `values` `n`; the incumbent is the best feasible trial.

    `single=False` (a ParEGO scalarization) keeps `log_ei`'s incumbent the best observed value.
    """
    fitted = fit_outcome(engine, inputs, X, values, warm)
    feasible = violation <= 0
    best_f: float | None = None
    if feasible[fitted.kept].any() and _noisy_incumbent(engine, fitted.hyper, single):
        rows = torch.as_tensor(feasible[fitted.kept])
        best_f = noisy_incumbent(fitted.model, fitted.model.X[rows])
    elif feasible.any():
        best_f = float(fitted.warping.transform(np.array([values[feasible].min()]))[0])
    order = np.lexsort((fitted.y, violation[fitted.kept]))  # feasible by value, then least violated
    anchors = X[fitted.kept][order[:_N_ANCHORS]]
    return _Target(fitted.model, best_f, anchors, fitted.hyper)


def _noisy_incumbent(engine: GP, hyper: Hyperparameters, single: bool) -> bool:
    """Whether the incumbent is the best posterior mean: `log_nei`, or (one objective) `log_ei`
    on a fit whose noise variance is above `noisy_above` times the signal variance."""
    if engine.acquisition == "log_nei":
        return True
    if engine.acquisition != "log_ei" or engine.noisy_above is None or not single:
        return False
    return hyper.noise > engine.noisy_above * hyper.outputscale


def _believed(target: _Target, X: np.ndarray) -> _Target:
    return _Target(believe(target.model, X), target.best_f, target.anchors, target.hyper)


def _parego_values(
    objectives: np.ndarray, seed: int, number: int, reference: np.ndarray | None = None
) -> np.ndarray:
    """ParEGO's scalarization of the normalized objectives, with this trial number's weights.

    `reference`: the minimized reference point, the top of the normalization (else the worst).
    """
    weights = simplex_weights(generator(seed, _STREAM, number, _WEIGHTS), objectives.shape[1])
    return chebyshev_scalarization(normalize_objectives(objectives, reference), weights)


def _next_point(
    engine: GP,
    target: _Target,
    constraints: Constraints,
    domain: Domain,
    rng: np.random.Generator,
    exclude: np.ndarray,
) -> np.ndarray:
    options = _options(engine)
    if engine.acquisition == "thompson":
        return thompson_sample(
            target.model,
            domain,
            rng=rng,
            anchors=target.anchors,
            exclude=exclude,
            options=options,
            constraints=constraints,
        )
    x, _ = maximize_acquisition(
        _acquisition(engine, target, constraints),
        domain,
        rng=rng,
        anchors=target.anchors,
        exclude=exclude,
        options=options,
    )
    return x


def _options(engine: GP) -> OptimizeOptions:
    return OptimizeOptions(n_restarts=engine.n_restarts, raw_samples=engine.raw_samples)


def _acquisition(engine: GP, target: _Target, constraints: Constraints) -> Acquisition:
    """The engine's acquisition, weighted by feasibility; feasibility alone while none is known."""
    feasibility = None
    if constraints:
        models, thresholds = zip(*constraints, strict=True)
        if target.best_f is None:  # the feasibility search: the probability alone
            return LogProbabilityOfFeasibility(models, thresholds)
        feasibility = LogProbabilityOfFeasibility(
            models, thresholds, margin=engine.feasibility_margin
        )
    assert target.best_f is not None  # without constraints every complete trial is feasible
    acqf: Acquisition
    if engine.acquisition == "ucb":
        acqf = UpperConfidenceBound(target.model, engine.beta)
    elif engine.acquisition == "pi":
        acqf = LogProbabilityOfImprovement(target.model, target.best_f)
    else:  # "log_ei" and "log_nei" (`best_f` the best posterior mean where noisy)
        acqf = LogExpectedImprovement(target.model, target.best_f)
    return acqf if feasibility is None else FeasibilityWeighted(acqf, feasibility)


def _tried_points(history: History) -> np.ndarray:
    """Canonical points of every trial with parameters (complete, running, failed or queued)."""
    tried = [t for t in history.trials if t.has_params]
    return history.encoded_params(tried)
