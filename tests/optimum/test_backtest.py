"""The model's track record: ratios of realized to predicted improvement, and what they widen."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import apogee as ap
from apogee.history import History
from apogee.optimizers.gp import OptimumOptions
from apogee.optimizers.gp._optimum_backtest import (
    MAX_RATIO,
    improvement_ratios,
    ratios_of,
    rescaled_values,
)

FAST = OptimumOptions(n_samples=64, raw_samples=256)
SPACE = ap.Space({"x0": ap.Float(-1.0, 1.0), "x1": ap.Float(-1.0, 1.0)})


CENTRE = np.array([0.3, -0.2])


def _bowl(x0: float, x1: float) -> float:
    return (x0 - 0.3) ** 2 + (x1 + 0.2) ** 2


def _bump(x0: float, x1: float) -> float:
    """The bowl with a narrow bump on its centre: a smooth model expects its minimum there."""
    return _bowl(x0, x1) + 2.0 * float(np.exp(-_bowl(x0, x1) / (2 * 0.05**2)))


def _study(sign: float = 1.0, direction: str = "minimize") -> ap.Study:
    """10 trials away from the bump, then 10 on it: the improvement the model expected never came."""
    rng = np.random.default_rng(0)
    study = ap.create_study("bump", space=SPACE, seed=0, direction=direction)
    points = rng.uniform(-1.0, 1.0, (200, 2))
    first = points[np.linalg.norm(points - CENTRE, axis=1) > 0.25][:10]
    later = CENTRE + rng.uniform(-0.02, 0.02, (10, 2))
    best_first = min(_bump(*x) for x in first)
    assert all(_bump(*x) > best_first for x in later)
    for x0, x1 in (*first, *later):
        study.add_trial({"x0": float(x0), "x1": float(x1)}, sign * _bump(x0, x1))
    return study


def test_ratios_are_realized_over_predicted_capped() -> None:
    predicted = np.array([0.0, 1.0, 2.0, 0.01])
    assert ratios_of(predicted, 1.0).tolist() == [MAX_RATIO, 1.0, 0.5, MAX_RATIO]
    assert ratios_of(predicted, 0.0).tolist() == [1.0, 0.0, 0.0, 0.0]


def test_rescaled_values_scale_only_the_gaps_below_the_incumbent() -> None:
    scaled = rescaled_values(np.array([1.0, 3.0, 6.0]), 5.0, np.array([0.0, 0.5]))
    assert scaled.tolist() == [5.0, 3.0, 5.0, 4.0, 6.0, 6.0]


def test_no_ratios_with_constraints_or_too_few_trials() -> None:
    rng = np.random.default_rng(1)
    constrained = ap.create_study("c", space=SPACE, seed=0, constraints=["c"])
    for x0, x1 in rng.uniform(-1.0, 1.0, (20, 2)):
        constrained.add_trial({"x0": x0, "x1": x1}, {"value": _bowl(x0, x1), "c": x0 - 0.5})
    short = ap.create_study("s", space=SPACE, seed=0)
    for x0, x1 in rng.uniform(-1.0, 1.0, (9, 2)):  # 4 in the first half: fewer than 5
        short.add_trial({"x0": x0, "x1": x1}, _bowl(x0, x1))
    for study in (constrained, short):
        history: History = study.history()
        assert improvement_ratios(history, n_samples=8, noise_floor=1e-6, rng=rng) is None


def test_ratios_are_zero_when_nothing_predicted_came() -> None:
    ratios = improvement_ratios(
        _study().history(), n_samples=64, noise_floor=1e-6, rng=np.random.default_rng(0)
    )
    assert ratios is not None and ratios.shape == (64,)
    # a draw that predicted an improvement there gets 0; one that predicted none, 1 (no news)
    assert set(ratios.tolist()) == {0.0, 1.0} and np.mean(ratios == 0.0) > 0.5


@pytest.mark.parametrize(("sign", "direction"), [(1.0, "minimize"), (-1.0, "maximize")])
def test_interval_reaches_the_incumbent_when_nothing_came(sign: float, direction: str) -> None:
    study = _study(sign, direction)
    optimum = study.optimum(options=FAST)
    model = study.optimum(options=replace(FAST, track_record=False))
    assert optimum.value_interval is not None and model.value_interval is not None
    low, high = optimum.value_interval
    incumbent = optimum.incumbent_value
    if direction == "minimize":
        assert high == incumbent and model.value_interval[1] <= incumbent
        assert low == model.value_interval[0]
    else:
        assert low == incumbent and model.value_interval[0] >= incumbent
        assert high == model.value_interval[1]
    # the probabilities stay the model's
    assert optimum.prob_incumbent_optimal == model.prob_incumbent_optimal


def test_track_record_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="track_record"):
        OptimumOptions(track_record=1)  # type: ignore[arg-type]
