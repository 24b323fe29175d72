"""`BilevelProblem`: a bilevel problem stated with plain PyTorch callables, and its oracles.

The outer objective `f(x, y)` is minimised over the outer variables `x` with `y = y*(x)`, the
minimiser of the inner objective `g(x, y)` over `y` (optionally subject to `c(x, y) <= 0`).
`Oracles` evaluates them for the solvers: it checks that each returns a finite scalar, draws the
minibatches, and computes the derivatives every method needs (gradients, Hessian-vector products,
the mixed second derivative applied to a vector), never a dense Hessian.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from apogee._util.validation import check_int, invalid
from apogee.bilevel._errors import IndependentInnerError
from apogee.bilevel._vars import Structure, Tensors, check_finite, dot, norm

Objective = Callable[..., Tensor]
"""`f(x, y)` or, when the problem has a batch sampler for it, `f(x, y, batch)`: a scalar tensor."""

BatchSampler = Callable[[torch.Generator], Any]
"""Draws one minibatch (anything the objective understands) with the given torch generator."""

_OWNER = "BilevelProblem"


@dataclass(frozen=True)
class BilevelProblem:
    """A bilevel problem: minimise `f(x, y*(x))` where `y*(x)` minimises `g(x, y)`.

    Objectives are plain callables of the outer and inner variables, in the layout the solver
    was given them (a tensor, a tuple, a dict, or for an `nn.Module` the dict of its named
    parameters, to use with `torch.func.functional_call`). With a batch sampler the objective
    also gets the batch, so stochastic (minibatch) oracles need no subclassing.

    Args:
        outer: `f(x, y[, batch])`, the outer (validation) objective, a scalar tensor.
        inner: `g(x, y[, batch])`, the inner (training) objective, a scalar tensor; it must
            depend on `x`, otherwise `x` cannot move the inner solution.
        inner_constraint: `c(x, y)`, a tensor of constraint values that must be `<= 0` at the
            inner solution (only `LVHBA` handles it).
        project: `(x, y) -> (x, y)`, the Euclidean projection onto a simple set the pair must
            stay in (only `LVHBA` uses it), returning the same layouts.
        outer_batches: draws a minibatch for `f`; `None` means `f` takes no batch.
        inner_batches: draws a minibatch for `g`; `None` means `g` takes no batch.

    Example:
        >>> import torch
        >>> from apogee.bilevel import BilevelProblem, hypergradient
        >>> X, t = torch.randn(20, 3, dtype=torch.float64), torch.randn(20, dtype=torch.float64)
        >>> problem = BilevelProblem(
        ...     outer=lambda lam, w: ((X @ w - t) ** 2).mean(),
        ...     inner=lambda lam, w: 0.5 * ((X @ w - t) ** 2).mean() + 0.5 * lam * (w @ w),
        ... )
        >>> lam, w = torch.tensor(1.0, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
        >>> grad = hypergradient(problem, lam, w, method="unrolled")
    """

    outer: Objective
    inner: Objective
    inner_constraint: Objective | None = None
    project: Callable[[Any, Any], tuple[Any, Any]] | None = None
    outer_batches: BatchSampler | None = None
    inner_batches: BatchSampler | None = None

    def __post_init__(self) -> None:
        for name in ("outer", "inner"):
            if not callable(getattr(self, name)):
                raise TypeError(invalid(name, _OWNER, "a callable", getattr(self, name)))
        for name in ("inner_constraint", "project", "outer_batches", "inner_batches"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise TypeError(invalid(name, _OWNER, "a callable or None", value))

    @property
    def constrained(self) -> bool:
        """Whether the inner problem has constraints or a projection."""
        return self.inner_constraint is not None or self.project is not None


class Oracles:
    """Checked evaluations and derivatives of a problem's objectives on flat tensor lists."""

    def __init__(
        self, problem: BilevelProblem, outer: Any, inner: Any, *, seed: int, owner: str
    ) -> None:
        if not isinstance(problem, BilevelProblem):
            raise TypeError(invalid("problem", owner, "a BilevelProblem", problem))
        self.problem = problem
        self.owner = owner
        self.x_structure, self.xs = Structure.of(outer, "outer", owner)
        self.y_structure, self.ys = Structure.of(inner, "inner", owner)
        seed = check_int(seed, "seed", owner, low=0)
        self.generator = torch.Generator().manual_seed(seed)

    def outer_batch(self) -> Any:
        """A fresh minibatch for `f`, or `None` without a sampler."""
        sampler = self.problem.outer_batches
        return None if sampler is None else sampler(self.generator)

    def inner_batch(self) -> Any:
        """A fresh minibatch for `g`, or `None` without a sampler."""
        sampler = self.problem.inner_batches
        return None if sampler is None else sampler(self.generator)

    def outer_value(self, xs: Tensors, ys: Tensors, batch: Any) -> Tensor:
        """`f(x, y[, batch])`, checked to be a finite scalar."""
        sampled = self.problem.outer_batches is not None
        return self._call(self.problem.outer, "outer objective", xs, ys, batch, sampled)

    def inner_value(self, xs: Tensors, ys: Tensors, batch: Any) -> Tensor:
        """`g(x, y[, batch])`, checked to be a finite scalar."""
        sampled = self.problem.inner_batches is not None
        return self._call(self.problem.inner, "inner objective", xs, ys, batch, sampled)

    def constraint_value(self, xs: Tensors, ys: Tensors) -> Tensor:
        """`c(x, y)` flattened to `(m,)`, finite; raises if the problem has no constraint."""
        constraint = self.problem.inner_constraint
        if constraint is None:
            raise TypeError(invalid("inner_constraint", _OWNER, "a callable here", None))
        value = self._evaluate(constraint, "inner constraint", xs, ys, None, False)
        return value.reshape(-1)

    def _call(
        self, fn: Objective, what: str, xs: Tensors, ys: Tensors, batch: Any, sampled: bool
    ) -> Tensor:
        value = self._evaluate(fn, what, xs, ys, batch, sampled)
        if value.numel() != 1:
            raise ValueError(
                f"The {what} must return a scalar tensor (shape ()), but it returned shape "
                f"{tuple(value.shape)}; reduce it with .mean() or .sum()."
            )
        return value.reshape(())

    def _evaluate(
        self, fn: Objective, what: str, xs: Tensors, ys: Tensors, batch: Any, sampled: bool
    ) -> Tensor:
        x, y = self.x_structure.rebuild(xs), self.y_structure.rebuild(ys)
        try:
            value = fn(x, y, batch) if sampled else fn(x, y)
        except RuntimeError as error:
            if "size" not in str(error) and "shape" not in str(error):
                raise
            raise ValueError(
                f"The {what} failed on outer shapes {_shapes(xs)} and inner shapes "
                f"{_shapes(ys)}: {error}"
            ) from error
        if not isinstance(value, Tensor):
            raise TypeError(f"The {what} must return a torch tensor, got {type(value).__name__}.")
        check_finite(value, f"the {what}'s value")
        return value


class SampleOracles(Oracles):
    """The oracles of `base` on one fixed sample: lists of minibatches, drawn beforehand.

    Every call averages the objective over its sample's batches, so all evaluations through
    this view (an inner solve, a hypergradient, a line search) see one deterministic function;
    the batch arguments the callers pass (the sample that `outer_batch` and `inner_batch`
    return) are ignored. An objective without a sampler has the sample `[None]`.
    """

    def __init__(self, base: Oracles, inner_sample: list[Any], outer_sample: list[Any]) -> None:
        self.base = base
        self.problem, self.owner, self.generator = base.problem, base.owner, base.generator
        self.x_structure, self.xs = base.x_structure, base.xs
        self.y_structure, self.ys = base.y_structure, base.ys
        self.inner_sample, self.outer_sample = inner_sample, outer_sample

    @classmethod
    def draw(cls, base: Oracles, count: int) -> SampleOracles:
        """`count` fresh batches for each objective that has a sampler."""
        sampled = base.problem.inner_batches is not None, base.problem.outer_batches is not None
        inner = [base.inner_batch() for _ in range(count)] if sampled[0] else [None]
        outer = [base.outer_batch() for _ in range(count)] if sampled[1] else [None]
        return cls(base, inner, outer)

    def part(self, count: int) -> SampleOracles:
        """The view on the first `count` batches of each sampled objective."""
        return SampleOracles(self.base, self.inner_sample[:count], self.outer_sample[:count])

    def outer_batch(self) -> Any:
        """The fixed outer sample (a list of batches)."""
        return self.outer_sample

    def inner_batch(self) -> Any:
        """The fixed inner sample (a list of batches)."""
        return self.inner_sample

    def outer_value(self, xs: Tensors, ys: Tensors, batch: Any) -> Tensor:
        """`f` averaged over the fixed outer sample."""
        values = [self.base.outer_value(xs, ys, b) for b in self.outer_sample]
        return torch.stack(values).mean()

    def inner_value(self, xs: Tensors, ys: Tensors, batch: Any) -> Tensor:
        """`g` averaged over the fixed inner sample."""
        values = [self.base.inner_value(xs, ys, b) for b in self.inner_sample]
        return torch.stack(values).mean()


def _shapes(tensors: Sequence[Tensor]) -> list[tuple[int, ...]]:
    return [tuple(t.shape) for t in tensors]


def grads(
    value: Tensor, wrt: Sequence[Tensor], *, create_graph: bool = False, retain_graph: bool = False
) -> Tensors:
    """`∂value/∂wrt`, with zeros for tensors `value` does not depend on."""
    if not value.requires_grad:
        return [torch.zeros_like(w) for w in wrt]
    out = torch.autograd.grad(
        value,
        list(wrt),
        create_graph=create_graph,
        retain_graph=retain_graph or create_graph,
        allow_unused=True,
    )
    return [torch.zeros_like(w) if g is None else g for g, w in zip(out, wrt, strict=True)]


def inner_gradient(oracles: Oracles, xs: Tensors, ys: Tensors, batch: Any) -> Tensors:
    """`∇_y g(x, y)`, detached."""
    return [g.detach() for g in grads(oracles.inner_value(xs, ys, batch), ys)]


def gradient_descent(oracles: Oracles, xs: Tensors, ys: Tensors, *, lr: float, steps: int) -> None:
    """`steps` steps `y ← y − lr ∇_y g(x, y)` in place, a fresh inner batch each step."""
    for _ in range(steps):
        descend(ys, inner_gradient(oracles, xs, ys, oracles.inner_batch()), lr)


def descend(variables: Tensors, gradient: Sequence[Tensor], lr: float, what: str = "inner") -> None:
    """`v ← v − lr · gradient` in place, checked finite (`what` names them in the error)."""
    with torch.no_grad():
        for v, g in zip(variables, gradient, strict=True):
            v.sub_(lr * g)
            check_finite(v, f"the {what} variables")


class InnerDerivatives:
    """The inner gradient `∇_y g` with its graph, for Hessian-vector and mixed products."""

    def __init__(self, oracles: Oracles, xs: Tensors, ys: Tensors, batch: Any) -> None:
        self.xs, self.ys = xs, ys
        self.gradient = grads(oracles.inner_value(xs, ys, batch), ys, create_graph=True)

    def hvp(self, vector: Sequence[Tensor]) -> Tensors:
        """`∇²_yy g · vector`, detached (one backward pass through `∇_y g`)."""
        product = dot(self.gradient, vector)
        return [h.detach() for h in grads(product, self.ys, retain_graph=True)]

    def cross(self, vector: Sequence[Tensor]) -> Tensors:
        """`∇²_xy g · vector` (shaped like `x`); raises if `∇_y g` does not depend on `x`."""
        product = dot(self.gradient, vector)
        used: tuple[Tensor | None, ...] = (None,)
        if product.requires_grad:
            used = torch.autograd.grad(product, self.xs, retain_graph=True, allow_unused=True)
        if all(part is None for part in used):
            raise IndependentInnerError(
                "The inner objective's gradient does not depend on the outer variables, so they "
                "cannot move the inner solution: use the outer variables inside the inner "
                "objective (not their .item() or a detached copy)."
            )
        return [
            torch.zeros_like(x) if p is None else p.detach()
            for p, x in zip(used, self.xs, strict=True)
        ]


def largest_curvature(
    derivatives: InnerDerivatives, generator: torch.Generator, *, iterations: int = 30
) -> float:
    """`λ_max(∇²_yy g)` by power iteration on Hessian-vector products (a step-size scale)."""
    vector = [
        torch.randn(y.shape, generator=generator, dtype=y.dtype).to(y.device)
        for y in derivatives.ys
    ]
    estimate = 0.0
    for _ in range(iterations):
        size = norm(vector)
        if size == 0.0:
            break
        vector = [v / size for v in vector]
        product = derivatives.hvp(vector)
        estimate = float(dot(vector, product))
        vector = product
    if not estimate > 0.0:
        raise ValueError(
            "The inner objective has no positive curvature at these variables (largest "
            f"Hessian eigenvalue estimate {estimate:.3g}); give an explicit step size."
        )
    return estimate
