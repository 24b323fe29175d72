"""scikit-learn tuning problems: mixed conditional spaces and deterministic losses."""

from __future__ import annotations

import numpy as np
import pytest

from apogee import problems

HPO = ["hpo-gb-breast-cancer", "hpo-svm-digits", "hpo-mlp-wine"]


def test_the_three_problems_are_listed_with_mixed_spaces() -> None:
    assert sorted(problems.names("hpo")) == sorted(HPO)
    for name in HPO:
        problem = problems.get(name)
        kinds = {column.kind for column in problem.space.columns}
        assert {"float", "int", "categorical"} <= kinds
        assert any(getattr(problem.space[p], "log", False) for p in problem.space)
        assert problem.space.has_conditions and "conditional" in problem.tags
        assert problem.optimal_value is None


@pytest.mark.slow
@pytest.mark.parametrize("name", HPO)
def test_loss_is_deterministic_and_in_range(name: str) -> None:
    problem = problems.get(name)
    rng = np.random.default_rng(0)
    for point in problem.space.decode_many(rng.random((2, problem.space.dim))):
        first = problem.evaluate(point)["loss"]
        assert first == problem.evaluate(point)["loss"]
        assert 0.0 <= first < 10.0
