"""Random scalarizations of several objectives (ParEGO, Knowles 2006).

ParEGO turns a multi-objective problem into a sequence of single-objective ones: each
suggestion draws a weight vector uniformly from the simplex and minimizes the augmented
Chebyshev scalarization of the objectives normalized to `[0, 1]`. The max term reaches
non-convex parts of the front that a weighted sum cannot; the small sum term breaks ties
between weakly dominated points.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

AUGMENTATION = 0.05  # rho of Knowles (2006)


def simplex_weights(rng: np.random.Generator, m: int) -> np.ndarray:
    """`(m,)` weights drawn uniformly from the probability simplex (normalized exponentials)."""
    draws = rng.exponential(size=m)
    weights: np.ndarray = draws / draws.sum()
    return weights


def normalize_objectives(values: ArrayLike, upper: ArrayLike | None = None) -> np.ndarray:
    """`(n, m)` minimized `values` mapped to `[0, 1]` per column (a constant column maps to 0).

    `upper` `(m,)` (a minimized reference point) takes the place of the largest value where it
    is above the smallest one, so the points beyond it map above 1.
    """
    points = np.asarray(values, dtype=float)
    low, high = points.min(axis=0), points.max(axis=0)
    if upper is not None:
        reference = np.asarray(upper, dtype=float)
        high = np.where(reference > low, reference, high)
    span = high - low
    normalized: np.ndarray = (points - low) / np.where(span > 0, span, 1.0)
    return normalized


def chebyshev_scalarization(
    values: ArrayLike, weights: ArrayLike, rho: float = AUGMENTATION
) -> np.ndarray:
    """`(n,)` augmented Chebyshev values `max_j w_j f_j + rho sum_j w_j f_j` of `(n, m)` `values`.

    Example:
        >>> import numpy as np
        >>> chebyshev_scalarization(np.array([[0.0, 1.0], [0.5, 0.5]]), np.array([0.5, 0.5]))
        array([0.525, 0.275])
    """
    weighted = np.asarray(values, dtype=float) * np.asarray(weights, dtype=float)
    scalar: np.ndarray = weighted.max(axis=1) + rho * weighted.sum(axis=1)
    return scalar
