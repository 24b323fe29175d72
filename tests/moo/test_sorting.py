"""Non-dominated sorting, constraint domination, crowding distance and survival."""

import numpy as np

from apogee.moo import (
    constrained_ranks,
    crowding_distance,
    hypervolume,
    nondominated_mask,
    survivors,
)

POINTS = np.array([[1, 4], [2, 3], [3, 2], [4, 1], [3, 3], [5, 5]], dtype=float)


def test_fronts() -> None:
    assert constrained_ranks(POINTS).tolist() == [0, 0, 0, 0, 1, 2]
    assert nondominated_mask(POINTS).tolist() == [True, True, True, True, False, False]


def test_constraint_domination() -> None:
    # Infeasible points come after every feasible one, ordered by total violation.
    ranks = constrained_ranks(POINTS, [0, 0, 1, 0, 2, 0])
    assert ranks.tolist() == [0, 0, 2, 0, 3, 1]


def test_crowding_distance_by_hand() -> None:
    front = POINTS[:4]
    # Interior points: (3 - 1) / 3 on each objective, summed over two objectives.
    assert crowding_distance(front).tolist() == [np.inf, 4 / 3, 4 / 3, np.inf]


def test_survivors_prefer_fronts_then_spread() -> None:
    line = np.array([[0, 1], [0.1, 0.9], [0.11, 0.89], [0.5, 0.5], [1, 0], [2, 2]], dtype=float)
    kept = survivors(line, None, 4)
    assert 5 not in kept  # dominated
    assert {0, 4, 3} <= set(kept.tolist())  # extremes and the isolated middle point
    assert len(set(kept.tolist()) & {1, 2}) == 1  # of the crowded pair only one survives


def test_hypervolume_ignores_points_beyond_the_reference() -> None:
    assert hypervolume([[1.0, 1.0], [3.0, 0.5]], [2.0, 2.0]) == 1.0
