"""Outcome warping: standardize, then a Yeo-Johnson power transform, then standardize again.

A GP assumes roughly Gaussian outcomes. Objectives met in practice are often heavy-tailed
(a few diverging runs) or badly scaled (values near 1e9 that differ in the fifth digit).
Standardizing handles the scale; the Yeo-Johnson transform (Yeo & Johnson 2000), with its
exponent fitted by maximum likelihood as HEBO does (Cowen-Rivers et al. 2022), pulls in long
tails so that the model spends its variance where the optimum is. Every step is increasing, so
the order of outcomes, and with it the incumbent, is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Exponents searched by the maximum-likelihood fit: wide enough for log-like (0) and
# exp-like (2) reshaping, narrow enough that a few points cannot produce wild warps.
LAMBDA_BOUNDS = (-1.0, 3.0)
_MIN_POINTS_TO_WARP = 8


def yeo_johnson(y: np.ndarray, lam: float) -> np.ndarray:
    """The Yeo-Johnson transform of `y` with exponent `lam` (increasing for every `lam`)."""
    out = np.empty_like(y, dtype=float)
    positive = y >= 0
    yp, yn = y[positive], y[~positive]
    out[positive] = np.log1p(yp) if abs(lam) < 1e-12 else np.expm1(lam * np.log1p(yp)) / lam
    out[~positive] = (
        -np.log1p(-yn) if abs(lam - 2) < 1e-12 else -np.expm1((2 - lam) * np.log1p(-yn)) / (2 - lam)
    )
    return out


def _log_likelihood(y: np.ndarray, lam: float) -> float:
    """Profile log-likelihood of `lam` under a Gaussian model of the transformed `y`."""
    transformed = yeo_johnson(y, lam)
    variance = float(transformed.var())
    if not variance > 0 or not math.isfinite(variance):
        return -math.inf
    jacobian = (lam - 1.0) * float(np.sum(np.sign(y) * np.log1p(np.abs(y))))
    return -0.5 * len(y) * math.log(variance) + jacobian


@dataclass(frozen=True)
class OutcomeWarping:
    """An increasing map of outcomes to roughly standard-normal values, fitted to `y`.

    Example:
        >>> import numpy as np
        >>> y = np.array([1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 1e6])
        >>> z = OutcomeWarping.fit(y).transform(y)
        >>> bool(np.all(np.diff(z) > 0) and abs(z.mean()) < 1e-9)
        True
    """

    center: float
    scale: float
    lam: float
    center2: float
    scale2: float

    @classmethod
    def fit(cls, y: np.ndarray, *, power: bool = True) -> OutcomeWarping:
        """Fit to `n` outcomes; `power=False` (or fewer than 8 points) only standardizes."""
        center, scale = _standardizer(y)
        z = (y - center) / scale
        lam = 1.0
        if power and len(y) >= _MIN_POINTS_TO_WARP and np.ptp(z) > 0:
            lam = _best_lambda(z)
        warped = yeo_johnson(z, lam)
        center2, scale2 = _standardizer(warped)
        return cls(center, scale, lam, center2, scale2)

    def transform(self, y: np.ndarray) -> np.ndarray:
        """Warp outcomes `n` (any real values) with the fitted map."""
        z = (np.asarray(y, dtype=float) - self.center) / self.scale
        return (yeo_johnson(z, self.lam) - self.center2) / self.scale2


def _standardizer(y: np.ndarray) -> tuple[float, float]:
    center = float(np.mean(y)) if len(y) else 0.0
    scale = float(np.std(y)) if len(y) > 1 else 0.0
    return center, scale if scale > 0 and math.isfinite(scale) else 1.0


def _best_lambda(z: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar  # deferred: scipy.optimize is slow to import

    result = minimize_scalar(
        lambda lam: -_log_likelihood(z, lam), bounds=LAMBDA_BOUNDS, method="bounded"
    )
    return float(result.x) if np.isfinite(result.fun) else 1.0
