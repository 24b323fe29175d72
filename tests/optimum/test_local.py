"""The local GP around the incumbent: which trials it takes, where it applies, what it draws."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import apogee as ap
from apogee.acquisition import OptimizeOptions
from apogee.history import History, StudySpec, TrialRecord, TrialState
from apogee.optimizers.gp import OptimumOptions
from apogee.optimizers.gp._optimum_local import (
    draw_local,
    in_local_cells,
    local_applies,
    neighbours,
)

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


def test_local_cells_are_the_points_nearest_to_a_local_trial() -> None:
    X = np.array([[0.1, 0.5], [0.2, 0.5], [0.9, 0.5]])
    points = np.array([[0.0, 0.5], [0.5, 0.5], [0.6, 0.5], [0.8, 0.9]])
    lengthscales = np.array([1.0, 1.0])
    assert in_local_cells(points, X, np.array([0, 1]), lengthscales).tolist() == [
        True, True, False, False,
    ]  # fmt: skip
    # a long lengthscale along x0 makes x1 decide which trial is nearest
    X = np.array([[0.1, 0.1], [0.9, 0.9]])
    stretched = np.array([100.0, 1.0])
    assert in_local_cells(np.array([[0.95, 0.2]]), X, np.array([0]), stretched).tolist() == [True]
    assert in_local_cells(np.array([[0.95, 0.2]]), X, np.array([0]), lengthscales).tolist() == [
        False
    ]


def test_local_cells_option_is_checked() -> None:
    with pytest.raises(TypeError, match="'local_cells' parameter of OptimumOptions"):
        OptimumOptions(local_cells=1)  # type: ignore[arg-type]


def _sphere_study() -> tuple[ap.Study, float]:
    data = json.loads((Path(__file__).parent / "data" / "sphere_d5_gp_seed0_n50.json").read_text())
    study = ap.create_study("f1", space=ap.Space.from_bounds([(-5.0, 5.0)] * 5), seed=0)
    for *x, value in data["trials"]:
        study.add_trial({f"x{i}": x[i] for i in range(5)}, value)
    return study, float(data["f_opt"])


def test_sphere_history_is_covered_with_the_local_cells_and_missed_without() -> None:
    # 50 GP-engine trials on BBOB f1 (d = 5): the engine clusters them, so the local box is a
    # few thousandths of the cube wide, and the global paths just outside it, next to trials
    # whose values lie within the global model's noise of the best, dip below f*. Seeds 0-5:
    # covered 6 of 6 times with the cells, 1 of 6 without (`benchmarks/.../optimum_calibration.md`).
    study, f_opt = _sphere_study()
    low, high = study.optimum(options=FAST).value_interval or (np.inf, -np.inf)
    assert low <= f_opt <= high
    without = replace(FAST, local_cells=False, track_record=False)  # the cells alone
    low, high = study.optimum(options=without).value_interval or (np.inf, -np.inf)
    assert high < f_opt  # the whole interval below the optimum
    # the model's track record (its first half's predictions against the second half) widens
    # the interval up to f* even without the cells
    low, high = study.optimum(options=replace(without, track_record=True)).value_interval or (
        np.inf,
        -np.inf,
    )
    assert low <= f_opt <= high


def test_local_cells_answers_are_deterministic_with_a_seed() -> None:
    study, _ = _sphere_study()
    first, second = study.optimum(options=FAST, seed=3), study.optimum(options=FAST, seed=3)
    assert first == second
    assert study.optimum(options=FAST, seed=4).value_samples != first.value_samples


def test_bowl_with_known_minimum_between_the_trials_is_covered() -> None:
    # a smooth bowl whose minimum (-2 at x = (0.31, -0.47)) is not a trial, 30 Sobol' trials;
    # seeds 0-3 of the study all cover it with intervals about 1% of the observed range wide
    space = ap.Space({"x0": ap.Float(-1.0, 1.0), "x1": ap.Float(-1.0, 1.0)})
    study = ap.create_study("bowl", space=space, seed=0, optimizer="sobol")
    study.optimize(
        lambda p: 3 * (p["x0"] - 0.31) ** 2 + (p["x1"] + 0.47) ** 2 - 2.0,
        n_trials=30,
        progress=False,
    )
    optimum = study.optimum(options=FAST)
    assert optimum.value_interval is not None and optimum.incumbent_value is not None
    low, high = optimum.value_interval
    assert low <= -2.0 <= high < optimum.incumbent_value  # it sees the improvement left
    observed = study.history().objective_matrix()[:, 0]
    assert high - low < 0.05 * np.ptp(observed)
    # the model's own interval is sharper; its track record (the second half of these Sobol'
    # trials improved more than the first half's model predicted) widens it downwards
    model = study.optimum(options=replace(FAST, track_record=False)).value_interval
    assert model is not None and model[1] - model[0] < 0.02 * np.ptp(observed)
    assert low <= model[0] and model[1] <= high
    for name, true in (("x0", 0.31), ("x1", -0.47)):
        x_low, x_high = optimum.params_interval[name]  # type: ignore[misc]
        assert x_low <= true <= x_high
