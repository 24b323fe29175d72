"""Non-dominated sorting with constraint domination, and crowding distance (NSGA-II).

Ranks come from `moocore.pareto_rank`; the constraint rule and the crowding distance follow
Deb et al. (2002), "A Fast and Elitist Multiobjective Genetic Algorithm: NSGA-II".
"""

from __future__ import annotations

import moocore
import numpy as np
from numpy.typing import ArrayLike


def constrained_ranks(values: ArrayLike, violation: ArrayLike | None = None) -> np.ndarray:
    """`(n,)` front index of each row of the `(n, m)` minimized `values` (0 is the best front).

    Constraint domination (Deb 2002, Sec. V): a feasible point (violation 0) beats an infeasible
    one, and of two infeasible points the smaller total violation wins. So feasible points are
    ranked by Pareto fronts, and infeasible ones come after all of them, one front per distinct
    violation, smallest first.
    """
    points = np.asarray(values, dtype=float)
    n = len(points)
    total = np.zeros(n) if violation is None else np.asarray(violation, dtype=float)
    ranks = np.zeros(n, dtype=int)
    feasible = total <= 0
    if feasible.any():
        ranks[feasible] = np.asarray(moocore.pareto_rank(points[feasible]), dtype=int)
    if (~feasible).any():
        offset = int(ranks[feasible].max()) + 1 if feasible.any() else 0
        _, position = np.unique(total[~feasible], return_inverse=True)
        ranks[~feasible] = offset + position
    return ranks


def crowding_distance(values: ArrayLike) -> np.ndarray:
    """`(n,)` crowding distance of the rows of one front `(n, m)`; boundary points get `inf`.

    The sum over objectives of the normalized gap between each point's two neighbours
    (Deb 2002, Sec. III-B); a larger distance means a less crowded region.
    """
    points = np.asarray(values, dtype=float)
    n, m = points.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for objective in range(m):
        order = np.argsort(points[:, objective], kind="stable")
        sorted_values = points[order, objective]
        span = sorted_values[-1] - sorted_values[0]
        distance[order[0]] = distance[order[-1]] = np.inf
        if span > 0:
            distance[order[1:-1]] += (sorted_values[2:] - sorted_values[:-2]) / span
    return distance


def rank_and_crowding(
    values: ArrayLike, violation: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Front index and crowding distance (within its front) of every row."""
    points = np.asarray(values, dtype=float)
    ranks = constrained_ranks(points, violation)
    crowding = np.zeros(len(points))
    for front in np.unique(ranks):
        members = np.flatnonzero(ranks == front)
        crowding[members] = crowding_distance(points[members])
    return ranks, crowding


def survivors(values: ArrayLike, violation: ArrayLike | None, size: int) -> np.ndarray:
    """Indices of the `size` rows NSGA-II keeps: best fronts first, then the least crowded.

    Ties are broken by row order, so the selection is deterministic.
    """
    points = np.asarray(values, dtype=float)
    if len(points) <= size:
        return np.arange(len(points))
    ranks, crowding = rank_and_crowding(points, violation)
    order = np.lexsort((np.arange(len(points)), -crowding, ranks))
    return np.sort(order[:size])
