"""Matrix-free solvers of `H v = b` for implicit differentiation (`H = ∇²_yy g`).

Each takes the product `v ↦ H v` (a Hessian-vector product) and never forms `H`. Conjugate
gradient needs `H` symmetric positive definite; the Neumann series and the fixed-point iteration
need a step `η` with `ρ(I − ηH) < 1` (`0 < η < 2/λ_max` for SPD `H`). With `v_0 = 0`, the
fixed-point iteration `v ← v + η(b − Hv)` after `K + 1` iterations equals the Neumann sum
`η Σ_{k=0..K} (I − ηH)^k b` with `K` terms (hypertorch's identity), which the tests pin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from torch import Tensor

from apogee.bilevel._vars import Tensors, dot, norm, zeros_like

Product = Callable[[Sequence[Tensor]], Tensors]
"""`v ↦ H v` on lists of tensors shaped like the inner variables."""


@dataclass(frozen=True)
class SolveInfo:
    """How a linear solve ended: relative residual `‖b − Hv‖/‖b‖` and iterations run."""

    residual: float
    iterations: int


def _axpy(alpha: float, x: Sequence[Tensor], y: Sequence[Tensor]) -> Tensors:
    """`y + alpha x`."""
    return [b + alpha * a for a, b in zip(x, y, strict=True)]


def _residual(product: Product, b: Sequence[Tensor], v: Sequence[Tensor]) -> Tensors:
    """`b − H v`."""
    return _axpy(-1.0, product(v), b)


def _start(
    product: Product, b: Sequence[Tensor], initial: Sequence[Tensor] | None
) -> tuple[Tensors, Tensors]:
    """The starting point (`initial` or 0) and its residual `b − H v`."""
    if initial is None:
        return zeros_like(b), list(b)
    v = [t.detach().clone() for t in initial]
    return v, _residual(product, b, v)


def conjugate_gradient(
    product: Product,
    b: Sequence[Tensor],
    *,
    max_iter: int,
    tol: float,
    initial: Sequence[Tensor] | None = None,
) -> tuple[Tensors, SolveInfo]:
    """Solve `H v = b` by conjugate gradient (Hestenes & Stiefel 1952), from `initial` or 0."""
    scale = norm(b)
    if scale == 0.0:
        return zeros_like(b), SolveInfo(0.0, 0)
    v, r = _start(product, b, initial)
    p = [t.clone() for t in r]
    rr = float(dot(r, r))
    iterations = 0
    while iterations < max_iter and rr**0.5 > tol * scale:
        hp = product(p)
        curvature = float(dot(p, hp))
        if not curvature > 0.0:
            break  # H is not positive definite along p: CG cannot go on; reported below
        alpha = rr / curvature
        v = _axpy(alpha, p, v)
        r = _axpy(-alpha, hp, r)
        rr_next = float(dot(r, r))
        p = _axpy(rr_next / rr, p, r) if rr > 0 else r
        rr = rr_next
        iterations += 1
    return v, SolveInfo(rr**0.5 / scale, iterations)


def neumann(
    product: Product, b: Sequence[Tensor], *, step: float, terms: int, tol: float
) -> tuple[Tensors, SolveInfo]:
    """`v = η Σ_{k=0..K} (I − ηH)^k b`, stopping early once a term is below `tol ‖b‖`.

    The term after the last one added, `(I − ηH)^{K+1} b`, is exactly the residual `b − Hv`,
    so the relative residual costs nothing extra.
    """
    scale = norm(b)
    if scale == 0.0:
        return zeros_like(b), SolveInfo(0.0, 0)
    term, total = list(b), [t.clone() for t in b]
    for k in range(1, terms + 1):
        term = _axpy(-step, product(term), term)  # (I − ηH)^k b: the residual of η Σ_{j<k}
        if norm(term) <= tol * scale:
            return [step * t for t in total], SolveInfo(norm(term) / scale, k - 1)
        total = _axpy(1.0, term, total)
    term = _axpy(-step, product(term), term)
    return [step * t for t in total], SolveInfo(norm(term) / scale, terms)


def fixed_point(
    product: Product,
    b: Sequence[Tensor],
    *,
    step: float,
    max_iter: int,
    tol: float,
    initial: Sequence[Tensor] | None = None,
) -> tuple[Tensors, SolveInfo]:
    """Iterate `v ← v + η(b − Hv)` from `initial` or 0 until `‖b − Hv‖ <= tol ‖b‖`."""
    scale = norm(b)
    if scale == 0.0:
        return zeros_like(b), SolveInfo(0.0, 0)
    v, residual = _start(product, b, initial)
    for iteration in range(max_iter):
        if norm(residual) <= tol * scale:
            return v, SolveInfo(norm(residual) / scale, iteration)
        v = _axpy(step, residual, v)
        residual = _residual(product, b, v)
    return v, SolveInfo(norm(residual) / scale, max_iter)
