"""Pareto dominance and hypervolume of objective vectors in minimization form.

Both are delegated to `moocore` (a maintained C implementation), never re-written here.
"""

from __future__ import annotations

import moocore
import numpy as np
from numpy.typing import ArrayLike


def nondominated_mask(values: ArrayLike) -> np.ndarray:
    """`(n,)` mask of the rows of `(n, m)` `values` (all minimized) that no other row dominates.

    Duplicated non-dominated rows are all kept, so equal trials are reported alike.
    """
    points = np.asarray(values, dtype=float)
    if points.ndim != 2:
        raise ValueError(f"`values` must be a 2-D array (n, m). Got shape {points.shape}.")
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    return np.asarray(moocore.is_nondominated(points, keep_weakly=True), dtype=bool)


def hypervolume(values: ArrayLike, reference: ArrayLike) -> float:
    """Volume dominated by `(n, m)` minimized `values` and bounded by the `(m,)` `reference`.

    Rows that do not strictly dominate the reference point contribute nothing.
    """
    points = np.asarray(values, dtype=float)
    ref = np.asarray(reference, dtype=float)
    if points.ndim != 2 or ref.shape != (points.shape[1],):
        raise ValueError(
            f"`reference` must have one entry per objective ({points.shape[-1]}). Got shape {ref.shape}."
        )
    inside = np.all(points < ref, axis=1)
    if not inside.any():
        return 0.0
    return float(moocore.hypervolume(points[inside], ref=ref))
