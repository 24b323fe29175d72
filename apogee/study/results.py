"""`minimize`: optimize a function in one call, and the `OptimizeResult` it returns."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from apogee._util.errors import InvalidSpaceError
from apogee._util.validation import check_int
from apogee.history import TrialState
from apogee.optimizers import Auto, Engine, make_engine
from apogee.space import Space
from apogee.storage import Storage
from apogee.study._create import create_study
from apogee.study.study import Study
from apogee.study.trial import Trial


@dataclass(frozen=True)
class OptimizeResult:
    """The outcome of `minimize`: the best parameters and value, and the study behind them.

    `x` is the best point as an array when the problem was given as `bounds`.
    """

    params: Mapping[str, Any]
    value: float
    trial: Trial
    study: Study
    x: np.ndarray | None = None

    def __str__(self) -> str:
        trials = self.study.history().trials
        failed = sum(t.state is TrialState.FAILED for t in trials)
        lines = [
            f"best value: {self.value:.6g} (trial {self.trial.number} of {len(trials)}, {failed} failed)",
            "best params:",
            *(f"  {name} = {value!r}" for name, value in self.params.items()),
        ]
        return "\n".join(lines)


def minimize(
    objective: Callable[..., Any],
    space: Space | Mapping[str, Any] | None = None,
    *,
    bounds: Sequence[tuple[float, float]] | None = None,
    budget: int,
    seed: int | None = None,
    optimizer: str | Engine = "auto",
    storage: str | Storage | None = None,
    study_name: str | None = None,
    callbacks: Sequence[Callable[[Study, Trial], None]] | None = None,
    progress: bool = True,
) -> OptimizeResult:
    """Minimize `objective` over `space` (params dict) or `bounds` (numpy array) in `budget` trials.

    Example:
        >>> import apogee as ap
        >>> result = ap.minimize(lambda x: float(((x - 0.3) ** 2).sum()), bounds=[(-1, 1)] * 2,
        ...                      budget=32, optimizer="sobol", seed=0, progress=False)
        >>> result.x.shape, result.value < 0.1
        ((2,), True)
    """
    check_int(budget, "budget", "minimize", low=1)
    if (space is None) == (bounds is None):
        raise InvalidSpaceError(
            "minimize needs exactly one of `space` (a dict of parameters) or `bounds`."
        )
    if bounds is not None:
        space = Space.from_bounds(bounds)
        names = list(space.names)
        array_objective = objective

        def objective(params: Mapping[str, Any]) -> Any:
            return array_objective(np.array([params[name] for name in names], dtype=float))

    assert space is not None
    engine = make_engine(optimizer)
    if isinstance(engine, Auto) and engine.budget is None:  # `auto` plans with the budget
        engine = dataclasses.replace(engine, budget=budget)
    study = create_study(
        study_name or f"minimize-{uuid.uuid4().hex[:8]}",
        space=space,
        storage=storage,
        optimizer=engine,
        seed=seed,
    )
    study.optimize(objective, n_trials=budget, callbacks=callbacks, progress=progress)
    best = study.best_trial
    x = (
        None
        if bounds is None
        else np.array([best.params[name] for name in study.space.names], dtype=float)
    )
    assert best.value is not None
    return OptimizeResult(dict(best.params), best.value, best, study, x)
