"""The local GP around the incumbent: which trials it takes, where it applies, what it draws."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import apogee as ap
from apogee.acquisition import OptimizeOptions
from apogee.history import History, StudySpec, TrialRecord, TrialState
from apogee.optimizers.gp import OptimumOptions
from apogee.optimizers.gp._optimum_local import draw_local, local_applies, neighbours

FAST = OptimumOptions(n_samples=64, raw_samples=256)


def _history(space: ap.Space, constraints: tuple[str, ...] = ()) -> History:
    spec = StudySpec.build(space, constraints=list(constraints))
    return History(spec, (TrialRecord(0, TrialState.COMPLETE, {}, {"value": 0.0}),))


def test_neighbours_are_nearest_in_lengthscale_units_and_at_least_2d_plus_2() -> None:
    X = np.array([[0.5, 0.5], [0.52, 0.9], [0.9, 0.52], [0.1, 0.1], [0.55, 0.4]] * 2)
    y = np.arange(len(X), dtype=float)  # the best trial is the first
    # a long lengthscale along the first column: moving along it costs little
    near = neighbours(X[:5], y[:5], np.array([10.0, 0.1]), fraction=0.2)
    assert near.tolist() == [0, 2, 4, 1, 3]  # k = max(ceil(0.2 * 5), 2 * 2 + 2) = 6 -> all 5
    near = neighbours(X, y, np.array([10.0, 0.1]), fraction=0.1)
    assert len(near) == 6 and near[0] == 0
    assert set(near.tolist()) >= {0, 5, 2, 7}  # the first point and its neighbour along x0


def test_local_model_applies_to_continuous_unconstrained_searches_only() -> None:
    continuous = ap.Space({"x": ap.Float(0, 1), "y": ap.Float(0, 1)})
    assert local_applies(_history(continuous), 0.5)
    assert not local_applies(_history(continuous), 0.0)
    assert not local_applies(_history(continuous, ("c",)), 0.5)
    mixed = ap.Space({"x": ap.Float(0, 1), "kind": ap.Categorical(["a", "b"])})
    assert not local_applies(_history(mixed), 0.5)
    assert not local_applies(_history(ap.Space({"n": ap.Int(1, 5)})), 0.5)


def test_local_draws_stay_in_the_box_and_pass_through_the_incumbent() -> None:
    rng = np.random.default_rng(0)
    X = 0.4 + 0.2 * rng.random((12, 2))
    y = ((X - 0.47) ** 2).sum(axis=1) * 100.0
    draws = draw_local(
        X, y, n_samples=32, n_features=512, options=OptimizeOptions(n_restarts=2, raw_samples=128),
        noise_floor=1e-6, rng=np.random.default_rng(1),
    )  # fmt: skip
    assert draws.low.tolist() == X.min(axis=0).tolist() and draws.high.tolist() == X.max(0).tolist()
    assert draws.inside(draws.points).all()
    assert np.all(draws.values <= draws.at_incumbent + 1e-9)
    assert np.allclose(draws.at_incumbent, y.min(), atol=0.05 * np.ptp(y))
    assert np.median(np.abs(draws.points - 0.47)) < 0.05  # the bowl's bottom is inside the box


def test_local_fraction_is_checked() -> None:
    with pytest.raises(ValueError, match="'local_fraction' parameter of OptimumOptions"):
        OptimumOptions(local_fraction=1.5)


def test_rastrigin_history_is_covered_with_the_local_model_and_missed_without() -> None:
    # 60 GP-engine trials on BBOB f15 (d = 2): the global GP reads the ripples as noise and
    # puts the whole 90% interval of f* above even the best observed value; the local GP
    # around the incumbent covers the true optimum.
    data = json.loads((Path(__file__).parent / "data" / "rastrigin_d2_gp_seed0.json").read_text())
    study = ap.create_study("f15", space=ap.Space.from_bounds([(-5.0, 5.0)] * 2), seed=0)
    for x0, x1, value in data["trials"]:
        study.add_trial({"x0": x0, "x1": x1}, value)
    f_opt = data["f_opt"]
    alone = study.optimum(options=OptimumOptions(n_samples=64, raw_samples=256, local_fraction=0))
    assert alone.value_interval is not None and alone.incumbent_value is not None
    assert alone.value_interval[0] > alone.incumbent_value > f_opt  # missed, above the data
    low, high = study.optimum(options=FAST).value_interval or (np.inf, -np.inf)
    assert low <= f_opt <= high
