"""The inverse of `OutcomeWarping`: model-space values back to the user's outcome units.

Every step of the warping is increasing, so quantiles and minima map through the inverse
unchanged in rank. The Yeo-Johnson transform is onto the real line only for exponents in
`[0, 2]`: above 2 its negative branch is bounded below (at `-1 / (lam - 2)`), below 0 its
positive branch is bounded above (at `-1 / lam`). Values past such a bound have no preimage;
they map to `-inf` or `+inf`, which says honestly that the model puts them beyond every
finite outcome.
"""

from __future__ import annotations

import numpy as np

from apogee.models._warping import OutcomeWarping

_EXACT = 1e-12  # exponents this close to 0 or 2 use the logarithmic branch


def inverse_yeo_johnson(t: np.ndarray, lam: float) -> np.ndarray:
    """`z` with `yeo_johnson(z, lam) == t`; `-inf`/`+inf` where `t` has no preimage."""
    t = np.asarray(t, dtype=float)
    out = np.empty_like(t)
    positive = t >= 0
    tp, tn = t[positive], t[~positive]
    with np.errstate(divide="ignore", invalid="ignore"):
        if abs(lam) < _EXACT:
            out[positive] = np.expm1(tp)
        else:
            base = 1.0 + lam * tp
            out[positive] = np.where(base > 0, np.expm1(np.log(base) / lam), np.inf)
        if abs(lam - 2.0) < _EXACT:
            out[~positive] = -np.expm1(-tn)
        else:
            base = 1.0 - (2.0 - lam) * tn
            out[~positive] = np.where(base > 0, -np.expm1(np.log(base) / (2.0 - lam)), -np.inf)
    return out


def unwarp(warping: OutcomeWarping, values: np.ndarray) -> np.ndarray:
    """Outcomes in the user's (minimization-form) units of model-space `values` (any shape)."""
    transformed = np.asarray(values, dtype=float) * warping.scale2 + warping.center2
    return inverse_yeo_johnson(transformed, warping.lam) * warping.scale + warping.center
