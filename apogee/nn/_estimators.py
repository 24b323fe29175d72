"""Zeroth-order gradient estimators: the one definition of their math, for every backend.

This module is shared by the torch optimizers of `apogee.nn` and by the numpy ask/tell `zo`
engine of `apogee.optimizers`, so it imports neither torch nor numpy. Every function is plain
arithmetic (`+`, `-`, `*`, `/`) and works the same on Python floats, numpy arrays and torch
tensors; direction *sampling* is backend-specific and stays with each caller.

Notation (MeZO, Malladi et al. 2023; DeepZero, Chen et al. 2024; ZO-Bench, Zhang et al. 2024):
`f` is the loss, `x` the flattened parameters of dimension `d`, `μ` (`mu`) the finite-difference
step, `z` a random direction, `q` the number of directions per step.

Randomized gradient estimate (RGE), averaged over `q` directions `z_1 … z_q`:

    ĝ = (1/q) Σ_j  c · s_j · z_j                                         (RGE)

with the slope `s_j` a finite-difference estimate of the directional derivative `z_jᵀ∇f(x)`
(`two_sided_slope`: `(f(x+μz) − f(x−μz)) / (2μ)`, `one_sided_slope`: `(f(x+μz) − f(x)) / μ`) and
`c = direction_scale(distribution, d)` the scale that makes `E[c z zᵀ] = I`:

* `"gaussian"`, `z ~ N(0, I_d)`: `c = 1`;
* `"sphere"`, `z` uniform on the unit sphere (`E[z zᵀ] = I/d`): `c = d`.

Facts, on a quadratic `f(x) = ½xᵀAx + bᵀx` (exact) and for smooth `f` (bounds):

* The two-sided slope equals `zᵀ∇f(x)` exactly for every `z` and `μ` on a quadratic, so (RGE) is
  unbiased there: `E ĝ = ∇f`. For a general smooth `f`, `E ĝ = ∇f_μ`, the gradient of the
  Gaussian smoothing `f_μ(x) = E f(x + μz)`, and `‖∇f_μ − ∇f‖ ≤ (μ/2) L (d+3)^{3/2}` for
  `L`-smooth `f` (Nesterov & Spokoiny 2017, Lemma 3): the estimator is biased by `O(μ)`.
* The one-sided slope is `zᵀ∇f + (μ/2) zᵀAz` on a quadratic (`forward_difference_bias`): each
  sample is biased, but with symmetric directions the bias `(μ/2)(zᵀAz) z` has mean zero.
* Second moment (`second_moment`): one Gaussian direction gives `E‖ĝ‖² = (d+2)‖∇f‖²`, one
  sphere direction `d‖∇f‖²`; averaging `q` directions divides the covariance by `q`.
* The coordinate-wise estimate (CGE, DeepZero eq. 3) `ĝ_i = (f(x+μe_i) − f(x)) / μ` is the
  one-sided slope along each basis vector: `∂_i f + (μ/2) A_ii` on a quadratic, biased by
  `(μ/2) diag(A)` and deterministic, for `d + 1` evaluations.

Reference-code quirks deliberately not copied: DeepZero's `rge` multiplies unit-norm directions
by `μ` and drops the factor `d/μ`, so its estimate has mean `(μ/d)∇f`; ZO-Bench's "sign" variant
takes the sign of the scalar slope, `sign(s)·z`, where `apogee.nn.ZOSGD(sign=True)` takes the
elementwise sign of the estimate.

Example:
    An ask/tell engine proposes `x ± μ z_j`, receives the values, then combines them:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, mu = np.array([1.0, -2.0]), 1e-3
    >>> f = lambda y: float(y @ y)                      # ∇f(x) = 2x
    >>> z = rng.standard_normal((8, 2))                  # q = 8 Gaussian directions
    >>> slopes = [two_sided_slope(f(x + mu * zj), f(x - mu * zj), mu) for zj in z]
    >>> g = average_estimate(slopes, z, direction_scale("gaussian", 2))
    >>> bool(np.allclose(slopes, z @ (2 * x)))           # exact on a quadratic
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar, cast

from apogee._util.validation import check_choice, check_int, invalid

__all__ = [
    "DISTRIBUTIONS",
    "average_estimate",
    "combine_directions",
    "coordinate_forward_difference",
    "direction_estimate",
    "direction_scale",
    "direction_weights",
    "forward_difference_bias",
    "one_sided_slope",
    "second_moment",
    "two_sided_slope",
]

DISTRIBUTIONS = ("gaussian", "sphere")
"""The direction distributions whose unbiasing scale `direction_scale` knows."""


class Arithmetic(Protocol):
    """What the estimators need of a value: a float, a numpy array or a torch tensor."""

    def __add__(self, other: Any, /) -> Any: ...
    def __sub__(self, other: Any, /) -> Any: ...
    def __mul__(self, other: Any, /) -> Any: ...
    def __rmul__(self, other: Any, /) -> Any: ...
    def __truediv__(self, other: Any, /) -> Any: ...


ArrayT = TypeVar("ArrayT", bound=Arithmetic)


def two_sided_slope(f_plus: ArrayT, f_minus: ArrayT, mu: float) -> ArrayT:
    """The central difference `(f(x+μz) − f(x−μz)) / (2μ)`, an estimate of `zᵀ∇f(x)`.

    MeZO's `projected_grad` (Algorithm 1). Exact on quadratics; error `O(μ²)` for smooth `f`.
    `f_plus` and `f_minus` may be floats or arrays of values (one per direction).
    """
    return cast(ArrayT, (f_plus - f_minus) / (2.0 * mu))


def one_sided_slope(f_plus: ArrayT, f_base: ArrayT | float, mu: float) -> ArrayT:
    """The forward difference `(f(x+μz) − f(x)) / μ`, an estimate of `zᵀ∇f(x)`.

    Costs one evaluation per direction (plus one `f(x)` shared by all directions) instead of
    two, at the price of an `O(μ)` per-sample bias (`forward_difference_bias`).
    """
    return cast(ArrayT, (f_plus - f_base) / mu)


def coordinate_forward_difference(f_plus: ArrayT, f_base: ArrayT | float, mu: float) -> ArrayT:
    """DeepZero's coordinate-wise estimate (CGE, eq. 3): `ĝ_i = (f(x+μe_i) − f(x)) / μ`.

    `f_plus` holds `f(x + μe_i)` for the estimated coordinates, shape `(k,)`; the result has the
    same shape. Coordinates left out (DeepZero's sparsity mask) have `ĝ_i = 0`, which the caller
    writes. Biased by `(μ/2) ∂²_ii f` (exactly `(μ/2) A_ii` on a quadratic) and deterministic.
    """
    return one_sided_slope(f_plus, f_base, mu)


def direction_scale(distribution: str, dim: int) -> float:
    """The factor `c` that makes `c·(zᵀ∇f)·z` unbiased, i.e. `E[c z zᵀ] = I_d`.

    `"gaussian"` (`z ~ N(0, I_d)`, `E[z zᵀ] = I`) gives 1; `"sphere"` (`z` uniform on the unit
    sphere, `E[z zᵀ] = I/d`) gives `d`. DeepZero's `rge` omits this factor (see module notes).

    Raises:
        ValueError: for an unknown distribution or a dimension below 1.
    """
    check_int(dim, "dim", "direction_scale", low=1)
    check_choice(distribution, "distribution", "direction_scale", DISTRIBUTIONS)
    return 1.0 if distribution == "gaussian" else float(dim)


def direction_estimate(slope: ArrayT, direction: Any, scale: float) -> ArrayT:
    """The one-direction estimate `ĝ = c · s · z` (RGE with `q = 1`).

    Broadcasts: `slope` of shape `(n, 1)` against `direction` of shape `(n, d)` gives `n`
    independent estimates, shape `(n, d)`.
    """
    return cast(ArrayT, scale * slope * direction)


def direction_weights(slopes: Sequence[float], scale: float) -> list[float]:
    """The weights `w_j = c · s_j / q` such that (RGE) reads `ĝ = Σ_j w_j z_j`.

    Callers that regenerate each `z_j` from a seed (never storing all of them) use these weights
    with `combine_directions`.

    Raises:
        ValueError: if `slopes` is empty.
    """
    q = len(slopes)
    if q == 0:
        raise ValueError(invalid("slopes", "direction_weights", "non-empty", list(slopes)))
    return [scale * float(s) / q for s in slopes]


def combine_directions(
    weights: Sequence[float],
    directions: Iterable[ArrayT],
    out: ArrayT | None = None,
    *,
    consume: bool = False,
) -> ArrayT:
    """The weighted sum `Σ_j w_j z_j`, consuming `directions` one at a time.

    `directions` may be a generator that regenerates each `z_j` on demand, so at most one
    direction, its product with `w_j` and the running sum are alive at once. With `out` (an
    array of the directions' shape) the sum accumulates into it in place (`out += w_j z_j`) and
    `out` is returned: `out = x, weights = −η w` is the step `x ← x − η ĝ` with no
    gradient-sized buffer. Without it the result is a new array.

    `consume=True` declares the directions scratch (freshly regenerated, used once): each is
    scaled in place (`z_j *= w_j`) instead of copied, which saves one direction-sized temporary.
    Otherwise the directions are left as they were.

    Raises:
        ValueError: if the number of directions differs from the number of weights, or there
            are none.
    """
    if len(weights) == 0:
        raise ValueError(invalid("weights", "combine_directions", "non-empty", list(weights)))
    total: Any = out
    for weight, direction in zip(weights, directions, strict=True):
        term: Any = direction
        if consume:
            term *= weight  # in place for arrays: the caller gave the direction away
        else:
            term = weight * direction  # a new array
        if total is None:
            total = term
        else:
            total += term  # in place for arrays (the first term is ours, or `out` was given)
    return cast(ArrayT, total)


def average_estimate(slopes: Sequence[float], directions: Iterable[ArrayT], scale: float) -> ArrayT:
    """(RGE): `ĝ = (1/q) Σ_j c · s_j · z_j` over the `q` slopes and their directions."""
    return combine_directions(direction_weights(slopes, scale), directions)


def second_moment(
    grad_sq_norm: float, dim: int, distribution: str, num_directions: int = 1
) -> float:
    """`E‖ĝ‖²` of (RGE) with two-sided slopes on a quadratic, given `‖∇f‖²`.

    One direction: Gaussian `E[(zᵀg)² ‖z‖²] = (d+2)‖g‖²`; sphere `d² E[(uᵀg)²] = d‖g‖²`.
    The covariance trace is that minus `‖g‖²`, and averaging `q` independent directions divides
    it by `q`: `E‖ĝ‖² = ‖g‖² (1 + (d+1)/q)` (Gaussian) or `‖g‖² (1 + (d−1)/q)` (sphere).
    """
    direction_scale(distribution, dim)  # validates the distribution name and the dimension
    check_int(num_directions, "num_directions", "second_moment", low=1)
    one = (dim + 2) * grad_sq_norm if distribution == "gaussian" else dim * grad_sq_norm
    return grad_sq_norm + (one - grad_sq_norm) / num_directions


def forward_difference_bias(curvature: ArrayT, mu: float) -> ArrayT:
    """The exact bias `(μ/2) · zᵀAz` of a forward difference on a quadratic.

    `f(x+μz) − f(x) = μ zᵀ∇f + (μ²/2) zᵀAz`, so the one-sided slope exceeds `zᵀ∇f` by
    `(μ/2) zᵀAz`; for CGE (`z = e_i`) the curvature is `A_ii`.
    """
    return cast(ArrayT, (mu / 2.0) * curvature)
