"""`hypergradient`: the gradient of `f(x, y*(x))` by implicit differentiation or unrolling.

Implicit differentiation (AID) uses the inner optimality condition `∇_y g(x, y*) = 0`: by the
implicit function theorem `dy*/dx = −(∇²_yy g)⁻¹ ∇²_yx g`, so

    ∇h(x) = ∇_x f − ∇²_xy g · v,   where   ∇²_yy g · v = ∇_y f          (1)

(Pedregosa 2016; Blondel et al. 2022, "Efficient and Modular Implicit Differentiation", eq. 2).
The system (1) is solved with Hessian-vector products only: conjugate gradient, a truncated
Neumann series, or the fixed-point iteration (Grazzi et al. 2020 give the three as one family).
Unrolled differentiation (ITD) runs `K` steps `y ← y − η ∇_y g` and back-propagates `f` through
the last `T` of them (Franceschi et al. 2017; truncation: Shaban et al. 2019).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from apogee._util.validation import check_choice, check_float, check_int, invalid
from apogee.bilevel._errors import IndependentInnerError, LinearSolveError
from apogee.bilevel._linear import SolveInfo, conjugate_gradient, fixed_point, neumann
from apogee.bilevel._problem import (
    BilevelProblem,
    InnerDerivatives,
    Oracles,
    grads,
    largest_curvature,
)
from apogee.bilevel._vars import Tensors, check_finite

METHODS = ("cg", "neumann", "fixed_point", "unrolled")
"""The hypergradient methods `hypergradient(method=...)` knows."""

_OWNER = "HypergradientOptions"

StepSize = float | Callable[[Any], torch.Tensor] | None
"""A fixed step, a function of the outer variables (a learned step, unrolled only), or None."""


@dataclass(frozen=True)
class HypergradientOptions:
    """Options of the hypergradient methods; each method reads the fields it needs.

    Args:
        max_iter: CG iterations, Neumann terms `K` (the sum runs over `k = 0..K`), or
            fixed-point iterations.
        tol: stop once the relative residual `‖∇_y f − Hv‖ / ‖∇_y f‖` is below it.
        step_size: `η` of the Neumann series, the fixed-point map and the unrolled inner steps;
            `None` takes `1/λ_max(∇²_yy g)` by 30 power iterations. For `"unrolled"` it may be a
            callable of the outer variables (then a learned learning rate gets a gradient).
        unroll_steps: `K`, the inner gradient steps of `"unrolled"`.
        truncate: back-propagate through only the last `T` unrolled steps (`None`: all `K`).
        raise_on_failure: raise `LinearSolveError` (with the residual) when the solve does not
            reach `tol` within `max_iter`; solvers set it to `False` and warm-start instead.
    """

    max_iter: int = 100
    tol: float = 1e-10
    step_size: StepSize = None
    unroll_steps: int = 100
    truncate: int | None = None
    raise_on_failure: bool = True

    def __post_init__(self) -> None:
        check_int(self.max_iter, "max_iter", _OWNER, low=1)
        check_float(self.tol, "tol", _OWNER, low=0.0)
        if self.step_size is not None and not callable(self.step_size):
            check_float(self.step_size, "step_size", _OWNER, low=0.0, low_open=True)
        check_int(self.unroll_steps, "unroll_steps", _OWNER, low=1)
        if self.truncate is not None:
            check_int(self.truncate, "truncate", _OWNER, low=1, high=self.unroll_steps)
        if not isinstance(self.raise_on_failure, bool):
            raise TypeError(invalid("raise_on_failure", _OWNER, "a bool", self.raise_on_failure))


def hypergradient(
    problem: BilevelProblem,
    outer: Any,
    inner: Any,
    *,
    method: str = "cg",
    options: HypergradientOptions | None = None,
    seed: int = 0,
) -> Any:
    """The hypergradient `∇_x f(x, y*(x))` at the outer variables `outer`.

    For the implicit methods (`"cg"`, `"neumann"`, `"fixed_point"`) `inner` must be an
    (approximate) inner solution: the error of the result is of the order of the inner error.
    For `"unrolled"`, `inner` is the starting point of the `K` unrolled inner steps.

    Args:
        problem: the bilevel problem.
        outer: the outer variables `x` (tensor, sequence, mapping or `nn.Module`).
        inner: the inner variables `y`, same kinds.
        method: `"cg"`, `"neumann"`, `"fixed_point"` or `"unrolled"`.
        options: iteration counts, tolerance and step size; defaults if `None`.
        seed: seeds the minibatches (stochastic oracles) and the power iteration.

    Returns:
        The hypergradient in the layout of `outer` (a tensor, a tuple or a dict).

    Raises:
        LinearSolveError: the linear system did not reach `options.tol` (with the residual).
        IndependentInnerError: the inner objective does not depend on the outer variables.
        NonFiniteError: an objective or gradient was NaN or infinite.
    """
    check_choice(method, "method", "hypergradient", METHODS)
    options = HypergradientOptions() if options is None else options
    if not isinstance(options, HypergradientOptions):
        raise TypeError(invalid("options", "hypergradient", "HypergradientOptions", options))
    oracles = Oracles(problem, outer, inner, seed=seed, owner="hypergradient")
    if method == "unrolled":
        result, _ = unrolled_hypergradient(oracles, oracles.xs, oracles.ys, options)
    else:
        result, _, _ = implicit_hypergradient(oracles, oracles.xs, oracles.ys, method, options)
    return oracles.x_structure.rebuild(result)


def implicit_hypergradient(
    oracles: Oracles,
    xs: Tensors,
    ys: Tensors,
    method: str,
    options: HypergradientOptions,
    initial: Tensors | None = None,
) -> tuple[Tensors, Tensors, SolveInfo]:
    """`∇h(x)` by (1); returns it, the solution `v` (to warm-start the next solve) and its info."""
    value = oracles.outer_value(xs, ys, oracles.outer_batch())
    outer_grad = grads(value, [*xs, *ys])
    fx, fy = outer_grad[: len(xs)], outer_grad[len(xs) :]
    derivatives = InnerDerivatives(oracles, xs, ys, oracles.inner_batch())
    v, info = solve_linear(derivatives, fy, method, options, oracles.generator, initial)
    cross = derivatives.cross(v)
    result = [(a - b).detach() for a, b in zip(fx, cross, strict=True)]
    for part in result:
        check_finite(part, "the hypergradient")
    return result, v, info


def solve_linear(
    derivatives: InnerDerivatives,
    rhs: Tensors,
    method: str,
    options: HypergradientOptions,
    generator: torch.Generator,
    initial: Tensors | None = None,
) -> tuple[Tensors, SolveInfo]:
    """Solve `∇²_yy g · v = rhs` by `method`; raise `LinearSolveError` if asked and unsolved."""
    if method == "cg":
        v, info = conjugate_gradient(
            derivatives.hvp, rhs, max_iter=options.max_iter, tol=options.tol, initial=initial
        )
    else:
        step = options.step_size
        if step is None:
            step = 1.0 / largest_curvature(derivatives, generator)
        elif callable(step):
            raise TypeError(invalid("step_size", _OWNER, f"a float for {method!r}", step))
        if method == "neumann":
            v, info = neumann(
                derivatives.hvp, rhs, step=step, terms=options.max_iter, tol=options.tol
            )
        else:
            v, info = fixed_point(
                derivatives.hvp,
                rhs,
                step=step,
                max_iter=options.max_iter,
                tol=options.tol,
                initial=initial,
            )
    if options.raise_on_failure and info.residual > options.tol:
        raise LinearSolveError(
            f"The {method!r} solve of the implicit-differentiation system did not converge: "
            f"relative residual {info.residual:.3g} > tol {options.tol:.3g} after "
            f"{info.iterations} iterations. Solve the inner problem more accurately, raise "
            "max_iter, or check that the inner objective is strongly convex near its solution.",
            residual=info.residual,
            iterations=info.iterations,
        )
    return v, info


def unrolled_hypergradient(
    oracles: Oracles, xs: Tensors, ys: Tensors, options: HypergradientOptions
) -> tuple[Tensors, Tensors]:
    """Back-propagate `f(x, y_K)` through the last `T` of `K` inner steps from `ys`.

    Returns the hypergradient and the last inner iterate `y_K` (detached, to warm-start).
    """
    step = _unrolled_step(oracles, xs, ys, options)
    steps, tracked = options.unroll_steps, options.truncate or options.unroll_steps
    current = [y.detach() for y in ys]
    for k in range(steps):
        keep_graph = k >= steps - tracked
        if not keep_graph or k == steps - tracked:
            current = [y.detach().requires_grad_(True) for y in current]
        value = oracles.inner_value(xs, current, oracles.inner_batch())
        gradient = grads(value, current, create_graph=keep_graph)
        eta = step(xs) if keep_graph else step(xs).detach()
        current = [y - eta * g for y, g in zip(current, gradient, strict=True)]
        if not keep_graph:
            current = [y.detach() for y in current]
    value = oracles.outer_value(xs, current, oracles.outer_batch())
    outer_depends = torch.autograd.grad(value, xs, allow_unused=True, retain_graph=True)
    if all(part is None for part in outer_depends) or not _reaches(current, xs):
        raise IndependentInnerError(
            "The unrolled inner iterates do not depend on the outer variables: use them inside "
            "the inner objective (or as the learned step size), not a detached copy."
        )
    result = [
        torch.zeros_like(x) if g is None else g.detach()
        for g, x in zip(outer_depends, xs, strict=True)
    ]
    for part in result:
        check_finite(part, "the hypergradient")
    return result, [y.detach() for y in current]


def _reaches(current: Tensors, xs: Tensors) -> bool:
    """Whether the unrolled inner iterates carry a graph back to some outer variable."""
    outputs = [y.sum() for y in current if y.requires_grad]
    if not outputs:
        return False
    parts = torch.autograd.grad(outputs, xs, allow_unused=True, retain_graph=True)
    return any(part is not None for part in parts)


def _unrolled_step(
    oracles: Oracles, xs: Tensors, ys: Tensors, options: HypergradientOptions
) -> Callable[[Tensors], torch.Tensor]:
    """The inner step `η` as a function of the flat outer variables."""
    step = options.step_size
    if callable(step):
        learned = step
        return lambda flat: learned(oracles.x_structure.rebuild(flat))
    if step is None:
        derivatives = InnerDerivatives(oracles, xs, ys, oracles.inner_batch())
        step = 1.0 / largest_curvature(derivatives, oracles.generator)
    fixed = torch.tensor(step, dtype=ys[0].dtype, device=ys[0].device)
    return lambda flat: fixed
