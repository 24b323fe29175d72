"""With `noisy_above` set, `log_ei` takes the noisy incumbent (`log_nei`) exactly on noisy fits."""

from __future__ import annotations

import numpy as np
import pytest

import apogee as ap
from apogee.history import History, StudySpec, TrialRecord, TrialState
from apogee.optimizers import GP
from apogee.optimizers.gp._data import HYPERPARAMETERS

SPACE = ap.Space({"x0": ap.Float(-1, 1), "x1": ap.Float(-1, 1)})
THRESHOLD = 1e-4
SWITCHING = GP(noisy_above=THRESHOLD)


def history(
    n: int, noise_sd: float, seed: int, objectives: tuple[str, ...] = ("value",)
) -> History:
    """`n` uniform points of a 2-D quadratic (range about 0 to 3.4) plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    records = []
    for number in range(n):
        x = rng.uniform(-1, 1, 2)
        values = {
            name: float(((x - 0.3 * (k + 1)) ** 2).sum() + noise_sd * rng.standard_normal())
            for k, name in enumerate(objectives)
        }
        params = {"x0": float(x[0]), "x1": float(x[1])}
        records.append(TrialRecord(number, TrialState.COMPLETE, params, values))
    spec = StudySpec.build(SPACE, objectives=dict.fromkeys(objectives, "minimize"))
    return History(spec, tuple(records))


def suggestion(engine: GP, data: History) -> tuple[dict[str, object], dict[str, object]]:
    proposal = engine.suggest(data, [len(data.trials)], seed=7)
    return dict(proposal.suggestions[0].params), dict(proposal.suggestions[0].attrs)


def noise_ratio(attrs: dict[str, object]) -> float:
    fit = attrs[HYPERPARAMETERS]
    assert isinstance(fit, dict)
    return float(fit["noise"]) / float(fit["outputscale"])


def test_a_noisy_objective_gets_the_noisy_incumbent() -> None:
    data = history(25, noise_sd=0.3, seed=0)  # the fit: noise/signal ~0.03
    params, attrs = suggestion(SWITCHING, data)
    assert noise_ratio(attrs) > THRESHOLD
    assert params == suggestion(GP(acquisition="log_nei"), data)[0]
    assert params != suggestion(GP(), data)[0]  # the default never switches


def test_a_noise_free_objective_keeps_the_best_observed_value() -> None:
    data = history(50, noise_sd=0.0, seed=1)  # the fit reaches noise/signal ~4e-6
    params, attrs = suggestion(SWITCHING, data)
    assert noise_ratio(attrs) < THRESHOLD
    assert params == suggestion(GP(), data)[0]


def test_several_objectives_are_left_as_they_were() -> None:
    data = history(20, noise_sd=0.3, seed=2, objectives=("a", "b"))
    assert suggestion(SWITCHING, data)[0] == suggestion(GP(), data)[0]


def test_bad_noisy_above() -> None:
    with pytest.raises(ValueError, match=r"The 'noisy_above' parameter of GP must be a finite"):
        GP(noisy_above=-1.0)
    with pytest.raises(TypeError, match=r"The 'noisy_above' parameter of GP must be a finite"):
        GP(noisy_above="high")  # type: ignore[arg-type]
