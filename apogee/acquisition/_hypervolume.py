"""Monte-Carlo expected hypervolume improvement over a noisy baseline (in the manner of NEHVI).

Daulton et al. (2021), "Parallel Bayesian Optimization of Multiple Noisy Objectives with
Expected Hypervolume Improvement": the current front is not known exactly when observations
are noisy, so each joint posterior sample `s` gives both a front `P_s` (the sampled values at the
baseline points: observed, pending and already suggested) and a value `y_s(x)` at each
candidate; the acquisition is `mean_s HV(P_s ∪ {y_s(x)}) - HV(P_s)`. Hypervolumes come from
`moocore` (through `apogee.moo`); a candidate sample that `P_s` weakly dominates improves
nothing and is not sent to it.
"""

from __future__ import annotations

import numpy as np

from apogee.moo import hypervolume, nondominated_mask


def expected_hypervolume_improvement(
    baseline: np.ndarray, candidates: np.ndarray, reference: np.ndarray
) -> np.ndarray:
    """`c` mean improvements from samples `s x n x m` (baseline) and `s x c x m` (candidates).

    All values are minimized; `reference` `(m,)` bounds the hypervolume.

    Example:
        >>> import numpy as np
        >>> baseline = np.array([[[0.0, 1.0], [1.0, 0.0]]])
        >>> candidates = np.array([[[0.5, 0.5], [2.0, 2.0]]])
        >>> expected_hypervolume_improvement(baseline, candidates, np.array([2.0, 2.0]))
        array([0.25, 0.  ])
    """
    n_samples, n_candidates, _ = candidates.shape
    total = np.zeros(n_candidates)
    for s in range(n_samples):
        front = baseline[s][nondominated_mask(baseline[s])] if baseline.shape[1] else baseline[s]
        front = front[np.all(front < reference, axis=1)]
        base = hypervolume(front, reference) if len(front) else 0.0
        y = candidates[s]
        inside = np.all(y < reference, axis=1)
        if len(front):
            dominated = np.all(front[None, :, :] <= y[:, None, :], axis=2).any(axis=1)
            inside &= ~dominated
        for c in np.flatnonzero(inside):
            total[c] += hypervolume(np.vstack((front, y[c])), reference) - base
    improvement: np.ndarray = total / n_samples
    return improvement
