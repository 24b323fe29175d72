"""NSGA-III survival: reference directions (Das & Dennis 1998) and niching (Deb & Jain 2014).

K. Deb, H. Jain (2014), "An Evolutionary Many-Objective Optimization Algorithm Using
Reference-Point-Based Nondominated Sorting Approach, Part I", IEEE TEC 18(4). Survival keeps
whole fronts while they fit; the last front is thinned by normalizing the objectives (ideal
point, extreme points, intercepts of their hyperplane; Sec. IV-C), associating each point with
its nearest reference line (IV-D) and filling the least-crowded niches first (IV-E).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.typing import ArrayLike

from apogee.moo._sorting import constrained_ranks

_OFF_AXIS = 1e-6  # weight of the other objectives in the achievement scalarizing function
_MIN_SPAN = 1e-6
_NEAR_IDEAL = 1e-3  # pymoo's threshold: closer to the ideal than this counts as on it


def das_dennis(m: int, partitions: int) -> np.ndarray:
    """`(C(p + m - 1, m - 1), m)` points of the simplex with coordinates in `{0, 1/p, ..., 1}`.

    Example:
        >>> das_dennis(3, 12).shape
        (91, 3)
    """
    if m < 1 or partitions < 1:
        raise ValueError(f"`m >= 1 and partitions >= 1` must hold, but got ({m}, {partitions}).")
    rows = []
    for bars in itertools.combinations(range(partitions + m - 1), m - 1):  # stars and bars
        edges = (-1, *bars, partitions + m - 1)
        rows.append([edges[i + 1] - edges[i] - 1 for i in range(m)])
    return np.asarray(rows, dtype=float) / partitions


def default_partitions(m: int, most: int = 100) -> int:
    """The largest number of partitions whose Das-Dennis set has at most `most` directions."""
    if m <= 1:
        return 1
    partitions = 1
    while math.comb(partitions + m, m - 1) <= most:
        partitions += 1
    return partitions


def _normalize(F: np.ndarray, front: np.ndarray, archive: np.ndarray) -> np.ndarray:
    """`F` mapped so the ideal point is 0 and the hyperplane intercepts are 1 (Sec. IV-C).

    The ideal point, the extreme points and the worst point are taken over `F` and the
    `archive` of earlier objective vectors, as pymoo remembers them across generations.
    Coordinates within `_NEAR_IDEAL` of the ideal count as on it when the extreme points are
    chosen, so of the points on an axis the one nearest the front is the extreme, not the one
    a rounding error further off the other axes. Without a valid hyperplane (singular, or an
    intercept not positive) the nadir falls back to the worst of the first `front`.
    """
    m = F.shape[1]
    seen = np.vstack((F, archive))
    ideal, worst = seen.min(axis=0), seen.max(axis=0)
    shifted = seen - ideal
    shifted[shifted < _NEAR_IDEAL] = 0.0
    weights = np.where(np.eye(m) > 0, 1.0, _OFF_AXIS)
    asf = (shifted[:, None, :] / weights[None, :, :]).max(axis=2)  # `n x m`
    extremes = seen[asf.argmin(axis=0)] - ideal
    try:
        b = np.linalg.solve(extremes, np.ones(m))
        with np.errstate(divide="ignore"):
            intercepts = 1.0 / b
        valid = np.allclose(extremes @ b, 1.0) and bool(np.all(intercepts > _MIN_SPAN))
    except np.linalg.LinAlgError:
        valid = False
    nadir = np.minimum(ideal + intercepts, worst) if valid else F[front].max(axis=0)
    nadir = np.where(nadir - ideal > _MIN_SPAN, nadir, F.max(axis=0))
    span = np.where(nadir - ideal > _MIN_SPAN, nadir - ideal, 1.0)
    normalized: np.ndarray = (F - ideal) / span
    return normalized


def associate(normalized: ArrayLike, directions: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Nearest reference line of each row of `(n, m)` points, and the perpendicular distance."""
    F = np.asarray(normalized, dtype=float)
    units = np.asarray(directions, dtype=float)
    units = units / np.linalg.norm(units, axis=1, keepdims=True)
    along = F @ units.T  # `n x r`: length of the projection on each line
    offset = F[:, None, :] - along[:, :, None] * units[None, :, :]  # `n x r x m`
    distance = np.linalg.norm(offset, axis=2)
    niche = distance.argmin(axis=1)
    return niche, distance[np.arange(len(F)), niche]


def niching_survivors(
    values: ArrayLike,
    violation: ArrayLike | None,
    size: int,
    directions: ArrayLike,
    rng: np.random.Generator,
    archive: ArrayLike | None = None,
) -> np.ndarray:
    """Indices (sorted) of the `size` rows NSGA-III keeps from `(n, m)` minimized `values`.

    `archive` `(k, m)`: objective vectors of earlier generations (feasible), which the
    normalization's ideal, extreme and worst points remember.

    Feasible rows go first (by fronts and niches); when fewer than `size` are feasible, the
    least violated infeasible rows fill up, as in constraint domination. Ties between equally
    crowded niches and members are broken by `rng`.
    """
    F = np.asarray(values, dtype=float)
    n = len(F)
    total = np.zeros(n) if violation is None else np.asarray(violation, dtype=float)
    if n <= size:
        return np.arange(n)
    feasible = np.flatnonzero(total <= 0)
    if len(feasible) <= size:
        infeasible = np.flatnonzero(total > 0)
        order = infeasible[np.lexsort((infeasible, total[infeasible]))]
        return np.sort(np.concatenate((feasible, order[: size - len(feasible)])))
    ranks = constrained_ranks(F[feasible])
    counts = np.cumsum(np.bincount(ranks))
    last = int(np.searchsorted(counts, size))  # the front that does not fit whole
    pool = feasible[ranks <= last]
    if counts[last] == size:
        return np.sort(pool)
    earlier = np.empty((0, F.shape[1])) if archive is None else np.asarray(archive, dtype=float)
    normalized = _normalize(F[pool], np.flatnonzero(ranks[ranks <= last] == 0), earlier)
    niche, distance = associate(normalized, directions)
    in_last = ranks[ranks <= last] == last
    niche_count = np.bincount(niche[~in_last], minlength=len(np.asarray(directions)))
    chosen = _fill_niches(niche, distance, in_last, niche_count, size - int((~in_last).sum()), rng)
    return np.sort(np.concatenate((pool[~in_last], pool[chosen])))


def _fill_niches(
    niche: np.ndarray,
    distance: np.ndarray,
    candidate: np.ndarray,
    niche_count: np.ndarray,
    needed: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Pick `needed` of the `candidate` rows, least crowded niche first (Alg. 4)."""
    available = candidate.copy()
    count = niche_count.copy()
    chosen: list[int] = []
    while len(chosen) < needed:
        open_niches = np.unique(niche[available])
        least = open_niches[count[open_niches] == count[open_niches].min()]
        for j in rng.permutation(least)[: needed - len(chosen)]:
            members = rng.permutation(np.flatnonzero(available & (niche == j)))
            pick = members[np.argmin(distance[members])] if count[j] == 0 else members[0]
            available[pick] = False
            chosen.append(int(pick))
            count[j] += 1
    return np.asarray(chosen, dtype=int)
