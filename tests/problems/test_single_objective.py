"""Known optima of the single-objective problems: reached at the stated minimizer, never beaten."""

from __future__ import annotations

import math

import numpy as np
import pytest

from apogee import problems
from apogee.problems._problem import Problem, as_params

SINGLE_OBJECTIVE = [
    name
    for name in problems.names()
    if problems.get(name).n_objectives == 1 and problems.get(name).optimal_value is not None
]
UNCONSTRAINED = [name for name in SINGLE_OBJECTIVE if not problems.get(name).constraints]


def _random_points(problem: Problem, n: int, seed: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    return problem.space.decode_many(rng.random((n, problem.space.dim)))


@pytest.mark.parametrize("name", SINGLE_OBJECTIVE)
def test_optimal_params_give_the_optimal_value(name: str) -> None:
    problem = problems.get(name)
    assert problem.optimal_params is not None and problem.optimal_value is not None
    value = problem.true_value(problem.optimal_params)["value"]
    assert value == pytest.approx(problem.optimal_value, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("name", UNCONSTRAINED)
def test_random_points_never_beat_the_optimum(name: str) -> None:
    problem = problems.get(name)
    assert problem.optimal_value is not None
    values = [problem.true_value(p)["value"] for p in _random_points(problem, 200, seed=1)]
    assert min(values) >= problem.optimal_value - 1e-9


@pytest.mark.parametrize(
    ("name", "published", "tolerance"),
    [
        ("branin", 0.397887, 1e-6),
        ("hartmann3", -3.86278, 1e-5),
        ("hartmann6", -3.32237, 1e-5),
        ("michalewicz-d2", -1.8013, 1e-4),
        ("michalewicz-d5", -4.687658, 1e-6),
        ("michalewicz-d10", -9.66015, 1e-5),
        ("styblinski-tang-d2", -39.16599 * 2, 1e-3),
    ],
)
def test_optima_agree_with_the_published_values(
    name: str, published: float, tolerance: float
) -> None:
    assert problems.get(name).optimal_value == pytest.approx(published, abs=tolerance)


@pytest.mark.parametrize("name", ["hartmann3", "hartmann6", "michalewicz-d5", "styblinski-tang-d3"])
def test_local_search_from_the_minimizer_finds_nothing_lower(name: str) -> None:
    from scipy import optimize

    problem = problems.get(name)
    assert problem.optimal_params is not None and problem.optimal_value is not None
    start = np.array(list(problem.optimal_params.values()))
    bounds = [(p.low, p.high) for p in problem.space.values()]  # type: ignore[union-attr]
    result = optimize.minimize(
        lambda x: problem.true_value(as_params(np.clip(x, *np.array(bounds).T)))["value"],
        start + 1e-3,
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 4000},
    )
    assert result.fun >= problem.optimal_value - 1e-9


def test_branin_has_three_minimizers() -> None:
    branin = problems.get("branin")
    for x in ([-math.pi, 12.275], [math.pi, 2.275], [3 * math.pi, 2.475]):
        assert branin.true_value(as_params(x))["value"] == pytest.approx(
            5 / (4 * math.pi), abs=1e-12
        )


@pytest.mark.parametrize("function", range(1, 25))
def test_bbob_d40_optimum_and_domain(function: int) -> None:
    problem = problems.get(f"bbob-f{function}-d40-i3")
    assert problem.optimal_params is not None and problem.optimal_value is not None
    assert problem.space.dim == 40
    assert problem.true_value(problem.optimal_params)["value"] == pytest.approx(
        problem.optimal_value, abs=1e-9
    )
    values = [problem.true_value(p)["value"] for p in _random_points(problem, 20, seed=function)]
    assert min(values) > problem.optimal_value
