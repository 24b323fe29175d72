"""The GP engine: the contract, pending and failed trials, integers, reproducibility, options."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

import apogee as ap
from apogee.history import History, StudySpec, TrialRecord, TrialState
from apogee.optimizers import GP, Engine
from apogee.optimizers.gp import ACQUISITIONS
from apogee.optimizers.gp._data import HYPERPARAMETERS, subset
from apogee.testing import OptimizerContract
from apogee.testing._optimizer_contract import contract_objective, contract_space


class TestGPContract(OptimizerContract):
    def make_engine(self) -> Engine:
        return GP(n_startup=5)


def quadratic_history(n: int, dim: int, seed: int, **extra: TrialRecord) -> History:
    space = ap.Space({f"x{i}": ap.Float(-1, 1) for i in range(dim)})
    rng = np.random.default_rng(seed)
    records = []
    for number in range(n):
        params = {f"x{i}": float(v) for i, v in enumerate(rng.uniform(-1, 1, dim))}
        value = sum((v - 0.3) ** 2 for v in params.values())
        records.append(TrialRecord(number, TrialState.COMPLETE, params, {"value": value}))
    return History(StudySpec.build(space), tuple(records))


def test_torch_is_imported_only_when_the_engine_suggests() -> None:
    code = (
        "import sys, apogee, apogee.optimizers; assert 'torch' not in sys.modules; "
        "apogee.optimizers.GP(); assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_finds_the_minimum_of_a_quadratic_far_better_than_random() -> None:
    space = ap.Space({f"x{i}": ap.Float(-1, 1) for i in range(3)})
    best = {}
    for engine in ("gp", "random"):
        study = ap.create_study(engine, space=space, optimizer=engine, seed=0)
        study.optimize(
            lambda p: sum((v - 0.3) ** 2 for v in p.values()), n_trials=20, progress=False
        )
        best[engine] = study.best_value
    assert best["gp"] < 1e-2 and best["gp"] < 0.1 * best["random"], best


def test_same_seed_and_history_same_suggestion_with_a_stored_fit() -> None:
    history = quadratic_history(15, 3, seed=0)
    first = GP().suggest(history, [15], seed=4)
    stored = first.suggestions[0].attrs[HYPERPARAMETERS]
    json.dumps(stored, allow_nan=False)
    trials = list(history.trials)
    trials[-1] = trials[-1].evolve(system_attrs={HYPERPARAMETERS: stored})
    warm = History(history.spec, tuple(trials))
    assert GP().suggest(warm, [15], seed=4) == GP().suggest(warm, [15], seed=4)
    assert GP().suggest(history, [15], seed=4) == first
    assert GP().suggest(history, [15], seed=5) != first


def test_pending_trials_give_distinct_useful_suggestions() -> None:
    space = ap.Space({"x": ap.Float(0, 1), "y": ap.Float(0, 1)})
    study = ap.create_study("pending", space=space, optimizer=GP(n_startup=6), seed=0)
    objective = lambda p: (p["x"] - 0.2) ** 2 + (p["y"] - 0.7) ** 2  # noqa: E731
    study.optimize(objective, n_trials=10, progress=False)
    asked = [study.ask() for _ in range(3)] + study.ask_batch(3)  # none told: all pending
    points = np.array([[trial.params["x"], trial.params["y"]] for trial in asked])
    distances = np.linalg.norm(points[:, None] - points[None, :], axis=-1)
    assert distances[np.triu_indices(6, 1)].min() > 1e-3
    assert all(trial.state is TrialState.RUNNING for trial in study.trials[-6:])


def test_no_duplicate_integer_suggestions() -> None:
    space = ap.Space({"a": ap.Int(0, 3), "b": ap.Int(-2, 2), "c": ap.Categorical(["u", "v"])})
    study = ap.create_study("ints", space=space, optimizer=GP(n_startup=5), seed=1)
    study.optimize(
        lambda p: (p["a"] - 1) ** 2 + p["b"] ** 2 + (p["c"] == "v"), n_trials=30, progress=False
    )
    seen = [json.dumps(trial.params, sort_keys=True) for trial in study.trials]
    assert len(set(seen)) == len(seen) == 30
    batch = study.ask_batch(4)
    assert len({json.dumps(t.params, sort_keys=True) for t in batch} - set(seen)) == 4


def test_failed_trials_are_ignored_by_the_model() -> None:
    history = quadratic_history(12, 2, seed=2)
    failed = [
        TrialRecord(12 + i, TrialState.FAILED, {"x0": v, "x1": -v}, fail_reason="crashed")
        for i, v in enumerate((0.31, -0.9, 0.5))
    ]
    with_failures = History(history.spec, history.trials + tuple(failed))
    plain = GP().suggest(history, [15], seed=0)
    assert GP().suggest(with_failures, [15], seed=0) == plain


def test_a_study_with_crashes_and_nan_keeps_going() -> None:
    def flaky(params: dict) -> float:
        if params["n"] in (2, 5):
            raise RuntimeError("crash")
        return contract_objective(params)

    study = ap.create_study("flaky", space=contract_space(), optimizer=GP(n_startup=5), seed=0)
    study.optimize(flaky, n_trials=16, progress=False)
    states = [trial.state for trial in study.trials]
    assert len(states) == 16 and states.count(TrialState.COMPLETE) >= 5


@pytest.mark.parametrize("acquisition", ACQUISITIONS)
def test_every_acquisition_suggests_valid_distinct_points(acquisition: str) -> None:
    space = contract_space()
    study = ap.create_study(
        "acq", space=space, optimizer=GP(acquisition=acquisition, n_startup=5), seed=2
    )
    study.optimize(contract_objective, n_trials=8, progress=False)
    batch = study.ask_batch(3)
    for trial in batch:
        space.validate(trial.params)
    assert len({json.dumps(t.params, sort_keys=True) for t in batch}) == 3


@pytest.mark.parametrize("flatten", [False, True])
def test_conditional_space_native_and_flattened(flatten: bool) -> None:
    space = ap.Space(
        {
            "model": ap.Categorical(["linear", "tree"]),
            "alpha": ap.Float(1e-4, 1.0, log=True, condition=("model", "linear")),
            "depth": ap.Int(1, 12, condition=("model", "tree")),
        }
    )

    def objective(p: dict) -> float:
        if p["model"] == "linear":
            return 1.0 + (math.log10(p["alpha"]) + 2) ** 2
        return abs(p["depth"] - 7) / 7

    study = ap.create_study(
        "cond", space=space, optimizer=GP(n_startup=5, flatten_conditions=flatten), seed=3
    )
    study.optimize(objective, n_trials=18, progress=False)
    assert study.best_params["model"] == "tree" and study.best_value < 0.3


def test_heavy_tailed_and_badly_scaled_objective() -> None:
    space = ap.Space({"x": ap.Float(-3, 3), "y": ap.Float(-3, 3)})
    study = ap.create_study("tails", space=space, optimizer="gp", seed=4)
    objective = lambda p: 1e9 + math.exp(3 * abs(p["x"] - 1) + 3 * abs(p["y"] + 1))  # noqa: E731
    study.optimize(objective, n_trials=25, progress=False)
    assert study.best_value - 1e9 < 20  # the minimum is 1e9 + 1; random search gets ~250


def test_subset_keeps_the_best_and_spreads_the_rest() -> None:
    y = np.arange(100.0)[::-1]
    kept = subset(y, 10)
    assert len(kept) == 10 and set(range(95, 100)) <= set(kept.tolist())
    assert np.array_equal(subset(y[:5], 10), np.arange(5))


def test_bad_options() -> None:
    with pytest.raises(ValueError, match=r"The 'acquisition' parameter of GP must be one of"):
        GP(acquisition="ei")
    with pytest.raises(
        ValueError, match=r"'n_restarts' parameter of GP must be an int in \[1, inf\). Got 0"
    ):
        GP(n_restarts=0)
    with pytest.raises(TypeError, match="'warping' parameter of GP must be a bool"):
        GP(warping=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'max_points' parameter of GP"):
        GP(fit_points=500, max_points=100)
    with pytest.raises(ValueError, match="'feasibility_margin' parameter of GP"):
        GP(feasibility_margin=float("inf"))


def test_accepts_several_objectives_and_constraints_but_not_ucb_with_constraints() -> None:
    space = ap.Space({"x": ap.Float(0, 1)})
    GP().check(StudySpec.build(space, objectives={"a": "minimize", "b": "minimize"}))
    GP().check(StudySpec.build(space, constraints=["c"]))
    with pytest.raises(ap.UnsupportedError, match="cannot weight 'ucb' by the constraints"):
        GP(acquisition="ucb").check(StudySpec.build(space, constraints=["c"]))
    with pytest.raises(ValueError, match="'multi_objective' parameter of GP"):
        GP(multi_objective="nsga")


@pytest.mark.slow
def test_one_suggestion_at_1000_trials_and_50_dimensions() -> None:
    # Its time is measured by benchmarks/gp_suggest_time.py, not asserted here (shared machines).
    history = quadratic_history(1000, 50, seed=5)
    proposal = GP().suggest(history, [1000], seed=0)
    history.spec.space.validate(proposal.suggestions[0].params)


@pytest.mark.parametrize(
    "module",
    [
        "apogee.models._inputs",
        "apogee.models._gp",
        "apogee.models._fit",
        "apogee.models._warping",
        "apogee.acquisition._analytic",
        "apogee.acquisition._constrained",
        "apogee.acquisition._hypervolume",
        "apogee.acquisition._domain",
        "apogee.acquisition._optimize",
        "apogee.optimizers.gp._engine",
        "apogee.moo._scalarize",
        "apogee.moo._niching",
        "apogee.optimizers.nsga3",
        "apogee.plot._figures",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


def test_multi_objective_auto_is_ehvi_for_two_objectives_or_three_with_a_reference() -> None:
    assert GP().multi_objective == "auto"
    assert GP().uses_ehvi(2) and not GP().uses_ehvi(3)
    assert GP(reference_point=(1.0, 1.0, 1.0)).uses_ehvi(3)
    assert not GP(reference_point=(1.0,) * 4).uses_ehvi(4)
    assert GP(multi_objective="ehvi").uses_ehvi(3)
    assert not GP(multi_objective="parego").uses_ehvi(2)
