"""Multi-fidelity problems: the target fidelity holds the optimum, and cost grows with fidelity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from apogee import problems


@pytest.mark.parametrize("name", ["augmented-branin", "augmented-hartmann6"])
def test_target_fidelity_reproduces_the_base_function(name: str) -> None:
    problem = problems.get(name)
    base = problems.get("branin" if name == "augmented-branin" else "hartmann6")
    assert problem.fidelity == "fidelity" and "multifidelity" in problem.tags
    rng = np.random.default_rng(0)
    for point in base.space.decode_many(rng.random((50, base.space.dim))):
        target = problem.evaluate({**point, "fidelity": 1.0})["value"]
        assert target == pytest.approx(base.evaluate(point)["value"], rel=1e-12)


def test_augmented_branin_minimizers_at_lower_fidelities() -> None:
    # BoTorch lists these minimizers of AugmentedBranin (value 0.397887 at each).
    problem = problems.get("augmented-branin")
    for x0, x1, fidelity in [
        (-math.pi, 12.275, 1.0),
        (math.pi, 1.38674, 0.1),
        (math.pi, 1.78152, 0.5),
        (math.pi, 2.17630, 0.9),
    ]:
        value = problem.evaluate({"x0": x0, "x1": x1, "fidelity": fidelity})["value"]
        assert value == pytest.approx(0.397887, abs=1e-5)


def test_lower_fidelity_only_raises_augmented_hartmann() -> None:
    problem = problems.get("augmented-hartmann6")
    assert problem.optimal_params is not None and problem.optimal_value is not None
    assert problem.evaluate(problem.optimal_params)["value"] == pytest.approx(problem.optimal_value)
    assert problem.optimal_value == pytest.approx(-3.32237, abs=1e-5)
    rng = np.random.default_rng(1)
    for point in problem.space.decode_many(rng.random((50, 7))):
        low = problem.evaluate(point)["value"]
        high = problem.evaluate({**point, "fidelity": 1.0})["value"]
        assert low >= high - 1e-12


def test_cost_is_affine_in_the_fidelity() -> None:
    problem = problems.get("augmented-branin")
    assert problem.cost({"x0": 0.0, "x1": 0.0, "fidelity": 0.0}) == 5.0
    assert problem.cost({"x0": 0.0, "x1": 0.0, "fidelity": 1.0}) == 6.0
    assert problems.get("branin").cost({"x0": 0.0, "x1": 0.0}) == 1.0
