"""Constrained problems: the stated minimizer is feasible, has the stated value, is not beaten."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from apogee import problems
from apogee.problems._problem import Problem

CONSTRAINED = problems.names("constrained")
# Best known feasible values in the literature, for the formulations implemented.
LITERATURE = {
    "pressure-vessel": (6059.714, 1e-3),
    "welded-beam": (1.724852, 1e-6),
    "tension-compression-spring": (0.012665, 1e-6),
    "speed-reducer": (2994.471, 1e-3),
    "constrained-branin": (0.397887, 1e-6),
}


def _feasible(problem: Problem, values: dict[str, float]) -> bool:
    return all(values[name] <= 0 for name in problem.constraints)


def test_the_five_problems_are_listed() -> None:
    assert sorted(CONSTRAINED) == sorted(LITERATURE)


@pytest.mark.parametrize("name", CONSTRAINED)
def test_minimizer_is_feasible_with_the_stated_value(name: str) -> None:
    problem = problems.get(name)
    assert problem.optimal_params is not None and problem.optimal_value is not None
    values = problem.evaluate(problem.optimal_params)
    assert set(values) == {"value", *problem.constraints}
    assert max(values[c] for c in problem.constraints) <= 1e-12
    assert values["value"] == pytest.approx(problem.optimal_value, rel=1e-12)
    published, tolerance = LITERATURE[name]
    assert problem.optimal_value == pytest.approx(published, abs=tolerance)


@pytest.mark.parametrize("name", CONSTRAINED)
def test_feasible_random_points_never_beat_the_optimum(name: str) -> None:
    problem = problems.get(name)
    assert problem.optimal_value is not None
    rng = np.random.default_rng(7)
    points = problem.space.decode_many(rng.random((5000, problem.space.dim)))
    values = [problem.evaluate(p) for p in points]
    feasible = [v["value"] for v in values if _feasible(problem, v)]
    assert feasible, "a uniform sample should contain some feasible points"
    assert min(feasible) >= problem.optimal_value


@pytest.mark.parametrize("name", ["welded-beam", "tension-compression-spring", "speed-reducer"])
def test_slsqp_from_the_minimizer_finds_no_better_feasible_point(name: str) -> None:
    problem = problems.get(name)
    assert problem.optimal_params is not None and problem.optimal_value is not None
    names = list(problem.optimal_params)
    start = np.array([float(v) for v in problem.optimal_params.values()])
    bounds = [(problem.space[n].low, problem.space[n].high) for n in names]  # type: ignore[union-attr]
    fixed = [isinstance(problem.optimal_params[n], int) for n in names]

    def values(x: np.ndarray) -> dict[str, float]:
        params = {
            n: (int(np.rint(v)) if f else float(v)) for n, v, f in zip(names, x, fixed, strict=True)
        }
        return problem.evaluate(params)

    result = optimize.minimize(
        lambda x: values(x)["value"],
        np.where(fixed, start, start * 1.01),
        method="SLSQP",
        bounds=[(s, s) if f else b for s, b, f in zip(start, bounds, fixed, strict=True)],
        constraints=[
            {
                "type": "ineq",
                "fun": lambda x: -np.array([values(x)[c] for c in problem.constraints]),
            }
        ],
        options={"ftol": 1e-14, "maxiter": 500},
    )
    found = values(result.x)
    if _feasible(problem, found):
        assert found["value"] >= problem.optimal_value * (1 - 1e-9)
