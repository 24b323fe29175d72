"""The large categorical problem: dynamic programming gives the exact minimum."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from apogee import problems
from apogee.problems._categorical import chain_minimum, chain_tables, chain_value


@pytest.mark.parametrize(("n_variables", "n_choices"), [(2, 5), (4, 3), (5, 4), (6, 3)])
def test_dynamic_programming_equals_enumeration(n_variables: int, n_choices: int) -> None:
    unary, pairwise = chain_tables(n_variables, n_choices)
    enumerated = min(
        chain_value(unary, pairwise, np.array(choice))
        for choice in itertools.product(range(n_choices), repeat=n_variables)
    )
    optimum, minimizer = chain_minimum(unary, pairwise)
    assert optimum == pytest.approx(enumerated, abs=1e-12)
    assert chain_value(unary, pairwise, minimizer) == pytest.approx(optimum, abs=1e-12)


def test_the_large_problem_has_twelve_variables_of_ten_choices() -> None:
    problem = problems.get("categorical-v12-c10")
    assert problem.space.dim == 12
    assert all(column.n_choices == 10 for column in problem.space.columns)
    assert "categorical" in problem.tags
    assert problem.optimal_params is not None and problem.optimal_value is not None
    assert problem.evaluate(problem.optimal_params)["value"] == pytest.approx(problem.optimal_value)
    # The tables are fixed by the seed: the same problem in every process.
    assert problem.optimal_value == problems.get("categorical-v12-c10").optimal_value


def test_coordinate_descent_never_beats_the_optimum() -> None:
    problem = problems.get("categorical-v12-c10")
    assert problem.optimal_value is not None
    labels = [f"c{k}" for k in range(10)]
    rng = np.random.default_rng(5)
    for _ in range(20):
        params = {f"x{i}": labels[k] for i, k in enumerate(rng.integers(0, 10, 12))}
        for _sweep in range(5):
            for name in params:
                params[name] = min(
                    labels, key=lambda c: problem.evaluate({**params, name: c})["value"]
                )
        assert problem.evaluate(params)["value"] >= problem.optimal_value - 1e-12
