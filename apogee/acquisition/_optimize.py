"""Maximize an acquisition over a mixed domain: raw samples, then continuous and discrete moves.

1. Score `raw_samples` scrambled Sobol' points, the best observed points (`anchors`) themselves,
   and perturbations of them at scales from 0.05 down to 5e-4 of the cube: the incumbent's
   neighbourhood is where improvement is most likely, random points alone rarely land in it in
   10+ dimensions, and late in a run the region worth sampling there can be very small. On a
   constrained optimum at a corner of several active constraints it is a sliver no random
   perturbation finds reliably, while L-BFGS-B started at the incumbent itself climbs into it.
2. Keep the `n_restarts` best as starts; alternate L-BFGS-B on the continuous columns with a
   round of best response on the discrete ones, until no discrete column moves. After the
   first round only the starts that best response moved go back to L-BFGS-B (the others are
   where it left them), and relaxed large-grid columns stay on their grid there: best response
   moves them to neighbouring values, so a continuous step and its snap cannot undo each other.
3. Return the best end point that is not in `exclude` (observed, pending or already suggested
   points), falling back to the best raw candidate that is not; in a fully discrete space this
   is what keeps parallel suggestions distinct.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from apogee._util.validation import check_float, check_int
from apogee.acquisition._continuous import Acquisition, maximize_continuous
from apogee.acquisition._discrete import best_response_round
from apogee.acquisition._domain import Domain

_CHUNK = 2048  # points per torch call when scoring without gradients


@dataclass(frozen=True)
class OptimizeOptions:
    """Budget of the inner optimizer.

    Example:
        >>> OptimizeOptions(n_restarts=4).raw_samples
        512
    """

    n_restarts: int = 10
    raw_samples: int = 512
    local_samples: int = 128
    local_scale: float = 0.05
    local_scale_min: float = 5e-4
    maxiter: int = 200
    max_rounds: int = 5

    def __post_init__(self) -> None:
        owner = "OptimizeOptions"
        check_int(self.n_restarts, "n_restarts", owner, low=1)
        check_int(self.raw_samples, "raw_samples", owner, low=1)
        check_int(self.local_samples, "local_samples", owner, low=0)
        check_float(self.local_scale, "local_scale", owner, low=0.0, low_open=True)
        check_float(
            self.local_scale_min, "local_scale_min", owner, low=0.0, low_open=True,
            high=self.local_scale,
        )  # fmt: skip
        check_int(self.maxiter, "maxiter", owner, low=0)
        check_int(self.max_rounds, "max_rounds", owner, low=1)


def score(acqf: Acquisition, domain: Domain, X: np.ndarray) -> np.ndarray:
    """Acquisition values `m` of snapped latent points `m x d`, in chunks, without gradients."""
    masked = np.where(domain.active(X), X, np.nan)
    values = []
    with torch.no_grad():
        for start in range(0, len(X), _CHUNK):
            chunk = torch.as_tensor(masked[start : start + _CHUNK], dtype=torch.float64)
            values.append(acqf(chunk).numpy())
    return np.concatenate(values) if values else np.empty(0)


def raw_candidates(
    domain: Domain, rng: np.random.Generator, anchors: np.ndarray, options: OptimizeOptions
) -> np.ndarray:
    """Snapped latent candidates: Sobol' points, then Gaussian perturbations of `anchors`.

    Args:
        anchors: `k x d` canonical points (NaN allowed) to search around, best first.
    """
    from scipy.stats import qmc  # deferred: scipy.stats is slow to import

    with warnings.catch_warnings():  # scipy warns when the count is not a power of two
        warnings.simplefilter("ignore", UserWarning)
        sobol = qmc.Sobol(domain.dim, scramble=True, seed=rng).random(options.raw_samples)
    if len(anchors) == 0 or options.local_samples == 0:
        return domain.snap(sobol)
    latent = np.where(np.isnan(anchors), rng.random(anchors.shape), anchors)
    local = latent[np.arange(options.local_samples) % len(latent)]
    discrete = _is_discrete(domain)
    # Each perturbation's scale is log-uniform in [local_scale_min, local_scale]: late in a run the
    # acquisition can peak in a region around the incumbent far smaller than one scale resolves
    # (constrained optima on a boundary: within 0.002 of the cube), and a single coarse scale
    # then lands every sample outside it.
    low, high = math.log(options.local_scale_min), math.log(options.local_scale)
    scales = np.exp(low + (high - low) * rng.random((len(local), 1)))
    noise = scales * rng.standard_normal(local.shape)
    local = np.where(discrete, local, local + noise)
    if domain.discrete:  # each discrete column redrawn with probability 1 / (their count)
        redraw = discrete & (rng.random(local.shape) < 1.0 / len(domain.discrete))
        local = np.where(redraw, rng.random(local.shape), local)
    return domain.snap(np.concatenate((sobol, local)))


def maximize_acquisition(
    acqf: Acquisition,
    domain: Domain,
    *,
    rng: np.random.Generator,
    anchors: np.ndarray | None = None,
    exclude: np.ndarray | None = None,
    options: OptimizeOptions | None = None,
) -> tuple[np.ndarray, float]:
    """The canonical point `d` (NaN where inactive) with the highest acquisition found, and its value.

    Example:
        >>> import torch
        >>> acqf = lambda X: -((X - 0.3) ** 2).sum(-1)
        >>> x, value = maximize_acquisition(acqf, Domain.box(2), rng=np.random.default_rng(0))
        >>> np.allclose(x, 0.3, atol=1e-4)
        True
    """
    options = options or OptimizeOptions()
    no_points = np.empty((0, domain.dim))
    anchors = no_points if anchors is None else anchors
    exclude = no_points if exclude is None else exclude
    candidates = np.concatenate(
        (
            raw_candidates(domain, rng, anchors, options),
            domain.snap(np.nan_to_num(anchors, nan=0.5)),
        )
    )
    values = score(acqf, domain, candidates)
    order = np.argsort(-values, kind="stable")
    X = candidates[order[: options.n_restarts]]
    moved = np.ones(len(X), dtype=bool)
    for round_number in range(options.max_rounds):
        X[moved] = maximize_continuous(
            acqf, X[moved], domain, maxiter=options.maxiter, move_relaxed=round_number == 0
        )
        if not (domain.discrete or domain.relaxed):
            break
        before = X
        X, changed = best_response_round(lambda Z: score(acqf, domain, Z), X, domain)
        if not changed:
            break
        moved = (before != X).any(axis=1)  # the others are still at their continuous optimum
    pool = np.concatenate((X, candidates[order]))
    pool_values = np.concatenate((score(acqf, domain, X), values[order]))
    return _best_allowed(domain.canonical(pool), pool_values, exclude)


def _best_allowed(
    pool: np.ndarray, values: np.ndarray, exclude: np.ndarray
) -> tuple[np.ndarray, float]:
    """The highest-valued row of `pool` not in `exclude` (the best row if all are excluded)."""
    finite = np.where(np.isfinite(values), values, -np.inf)
    for i in np.argsort(-finite, kind="stable"):
        if not contains(exclude, pool[i]):
            return pool[i], float(values[i])
    best = int(np.argmax(finite))
    return pool[best], float(values[best])


def contains(points: np.ndarray, x: np.ndarray, atol: float = 1e-9) -> bool:
    """Whether canonical `x` (NaN = inactive) equals a row of `points` `n x d`."""
    if len(points) == 0:
        return False
    same = np.isclose(points, x[None, :], rtol=0.0, atol=atol, equal_nan=True)
    return bool(same.all(axis=1).any())


def _is_discrete(domain: Domain) -> np.ndarray:
    flags = np.zeros(domain.dim, dtype=bool)
    flags[list(domain.discrete)] = True
    return flags
