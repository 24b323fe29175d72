"""NSGA-II: the contract, generations rebuilt from storage, convergence, constraints."""

import math

import moocore
import numpy as np
import pytest

import apogee as ap
from apogee.optimizers import NSGA2, Engine
from apogee.optimizers.nsga2 import GENERATION, POPULATION
from apogee.testing import OptimizerContract


class TestNSGA2Contract(OptimizerContract):
    def make_engine(self) -> Engine:
        return NSGA2(population_size=4)


def zdt1(params: dict) -> dict:
    x = np.array([params[f"x{i}"] for i in range(6)])
    g = 1 + 9 * x[1:].mean()
    return {"f1": x[0], "f2": g * (1 - math.sqrt(x[0] / g))}


ZDT_SPACE = ap.Space({f"x{i}": ap.Float(0, 1) for i in range(6)})
ZDT_OBJECTIVES = {"f1": "minimize", "f2": "minimize"}


def zdt1_igd(study: ap.Study) -> float:
    front = np.array([[t.values["f1"], t.values["f2"]] for t in study.pareto_front()])
    f1 = np.linspace(0, 1, 1000)
    return float(moocore.igd(front, ref=np.column_stack([f1, 1 - np.sqrt(f1)])))


def test_converges_on_zdt1_far_better_than_random() -> None:
    runs = {}
    for name, engine in (("nsga2", NSGA2(population_size=20)), ("random", "random")):
        study = ap.create_study(
            name, space=ZDT_SPACE, optimizer=engine, objectives=ZDT_OBJECTIVES, seed=0
        )
        study.optimize(zdt1, n_trials=600, progress=False)
        runs[name] = zdt1_igd(study)
    assert runs["nsga2"] < 0.25 * runs["random"], runs  # measured here: 0.117 against 0.82


def test_generations_and_stored_population() -> None:
    study = ap.create_study(
        "g", space=ZDT_SPACE, optimizer=NSGA2(population_size=5), objectives=ZDT_OBJECTIVES, seed=1
    )
    study.optimize(zdt1, n_trials=17, progress=False)
    generations = [t.system_attrs[GENERATION] for t in study.trials]
    assert generations == [0] * 5 + [1] * 5 + [2] * 5 + [3] * 2
    stored = study.attrs[POPULATION]
    assert stored["generation"] == 2 and len(stored["numbers"]) == 5
    # A fresh engine (another process, after a restart) continues from the storage alone.
    reloaded = ap.load_study("g", storage=study.storage)
    reloaded.optimize(zdt1, n_trials=3, progress=False)
    assert [t.system_attrs[GENERATION] for t in reloaded.trials][-3:] == [3, 3, 3]


def test_constraint_domination_finds_the_feasible_region() -> None:
    space = ap.Space({"x": ap.Float(0, 1), "y": ap.Float(0, 1)})

    def constrained(params: dict) -> dict:
        x, y = params["x"], params["y"]
        return {"f1": x, "f2": 1 - x + y, "c": 0.6 - x - y}  # feasible only when x + y >= 0.6

    study = ap.create_study(
        "c",
        space=space,
        optimizer=NSGA2(population_size=12),
        objectives=ZDT_OBJECTIVES,
        constraints=["c"],
        seed=2,
    )
    study.optimize(constrained, n_trials=240, progress=False)
    last = study.trials[-36:]
    feasible = [t for t in last if t.values is not None and t.values["c"] <= 0]
    # the front lies on the boundary x + y = 0.6, so children straddle it: measured 0.72, 0.83
    # and 0.81 for seeds 2, 3, 4 (with pymoo's 90% mutation rate and duplicate elimination)
    assert len(feasible) >= 0.7 * len(last)
    assert all(t.values["c"] <= 0 for t in study.pareto_front())


def test_bad_options() -> None:
    with pytest.raises(
        ValueError, match=r"'population_size' parameter of NSGA2 must be an int in \[2, inf\)"
    ):
        NSGA2(population_size=1)
    with pytest.raises(ValueError, match="'crossover_probability' parameter of NSGA2"):
        NSGA2(crossover_probability=1.5)
