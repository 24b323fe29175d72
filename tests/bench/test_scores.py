"""What the report computes: regret of the observed incumbent, constrained gaps, hypervolume
gaps, the best seen standing in for an unknown optimum, and ranks with ties."""

from __future__ import annotations

import math

import numpy as np
import pytest

from apogee.bench._report import quantiles, ranks
from apogee.bench._scores import REGRET_FLOOR, row_facts, trajectory

SINGLE = {"objectives": {"value": "minimize"}, "constraints": [], "optimal_value": 1.0}


def _evals(observed: list[float], true: list[float] | None = None) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [{"values": {"value": v}} for v in observed]
    for row, value in zip(rows, true or [], strict=False):
        row["true_values"] = {"value": value}
    return rows


def test_regret_follows_the_observed_incumbent_scored_noise_free() -> None:
    facts = row_facts(SINGLE, [])
    # observed 3, 2, 2.5, 1.5 -> incumbents 0, 1, 1, 3; true values 3.1, 2.2, 1.0, 1.01
    curve = trajectory(facts, _evals([3, 2, 2.5, 1.5], [3.1, 2.2, 1.0, 1.01]))
    np.testing.assert_allclose(curve, np.log10([2.1, 1.2, 1.2, 0.01]))


def test_regret_is_floored_and_maximization_is_flipped() -> None:
    facts = row_facts({**SINGLE, "objectives": {"acc": "maximize"}, "optimal_value": 0.9}, [])
    rows = [{"values": {"acc": 0.5}}, {"values": {"acc": 0.9}}]
    np.testing.assert_allclose(trajectory(facts, rows), [math.log10(0.4), math.log10(REGRET_FLOOR)])


def test_unknown_optimum_uses_the_best_value_of_any_run() -> None:
    runs = [{"evaluations": _evals([5.0, 4.0])}, {"evaluations": _evals([3.0])}]
    facts = row_facts({**SINGLE, "optimal_value": None}, runs)
    assert facts.optimum == 3.0 and not facts.optimum_known
    np.testing.assert_allclose(trajectory(facts, runs[0]["evaluations"]), [math.log10(2), 0.0])


def test_constrained_gap_is_infinite_until_a_feasible_point() -> None:
    facts = row_facts({**SINGLE, "constraints": ["g"]}, [])
    rows = [
        {"values": {"value": 0.0, "g": 1.0}},  # infeasible, better than f*: ignored
        {"values": {"value": 11.0, "g": -1.0}},
        {"values": {"value": 2.0, "g": 0.0}},  # g = 0 is feasible
    ]
    np.testing.assert_allclose(trajectory(facts, rows), [math.inf, 1.0, 0.0])


def test_hypervolume_gap_against_the_known_maximum() -> None:
    facts = row_facts(
        {
            "objectives": {"f1": "minimize", "f2": "minimize"},
            "constraints": [],
            "reference_point": [2.0, 2.0],
            "max_hypervolume": 4.0,
        },
        [],
    )
    rows = [{"values": {"f1": 1.0, "f2": 1.0}}, {"values": {"f1": 0.0, "f2": 1.5}}]
    # HV after 1: 1.0; after 2: 1.0 + 1 * 0.5 = 1.5 -> gaps 3.0 and 2.5
    np.testing.assert_allclose(trajectory(facts, rows), np.log10([3.0, 2.5]))


def test_ranks_tie_within_a_tenth_of_a_decade() -> None:
    assert ranks({"a": -3.0, "b": -2.95, "c": -1.0, "d": math.inf}) == {
        "a": 1.0,
        "b": 1.0,
        "c": 3.0,
        "d": 4.0,
    }


@pytest.mark.parametrize(
    ("values", "median"), [([1.0, 2.0, 3.0], 2.0), ([1.0, math.inf, math.inf], 1e9)]
)
def test_quantiles_count_infinite_as_worst(values: list[float], median: float) -> None:
    assert quantiles(np.array(values))[0] == median
