"""The local GP around the incumbent: which trials it takes, where it applies, what it draws."""

from __future__ import annotations

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


def _ripples() -> ap.Study:
    """Rastrigin-like ripples on a bowl, sampled as BO would: spread, then near the best."""
    rng = np.random.default_rng(4)
    X = np.concatenate((rng.uniform(-1, 1, (16, 2)), 0.08 * rng.standard_normal((16, 2))))
    space = ap.Space({"a": ap.Float(-1.0, 1.0), "b": ap.Float(-1.0, 1.0)})
    study = ap.create_study("r", space=space, seed=3, optimizer="random")
    for x in np.clip(X, -1, 1):
        z = 4.0 * x
        value = 20.0 + float(np.sum(z**2 - 10.0 * np.cos(2 * np.pi * z)))
        study.add_trial({"a": float(x[0]), "b": float(x[1])}, value)
    return study


def test_local_model_is_deterministic_and_differs_from_the_global_one() -> None:
    study = _ripples()
    first, second = study.optimum(options=FAST), study.optimum(options=FAST)
    assert first == second and first.known
    alone = study.optimum(options=OptimumOptions(n_samples=64, raw_samples=256, local_fraction=0))
    assert alone.known and alone.value_samples != first.value_samples
    assert first.value_interval is not None and first.value_interval[0] <= 0.0  # f* = 0 covered


def test_local_fraction_is_checked() -> None:
    with pytest.raises(ValueError, match="'local_fraction' parameter of OptimumOptions"):
        OptimumOptions(local_fraction=1.5)
