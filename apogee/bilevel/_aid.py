"""`AID` (implicit differentiation) and `ITD` (unrolled differentiation) solvers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from apogee._util.validation import check_choice, check_float, check_int, invalid
from apogee.bilevel._common import (
    OuterStep,
    check_inner,
    check_outer,
    check_unconstrained,
    inner_step_size,
)
from apogee.bilevel._hypergrad import (
    HypergradientOptions,
    implicit_hypergradient,
    unrolled_hypergradient,
)
from apogee.bilevel._problem import Oracles, gradient_descent
from apogee.bilevel._vars import Tensors

LINEAR_METHODS = ("cg", "neumann", "fixed_point")


@dataclass
class _AIDState:
    outer: OuterStep
    inner_lr: float
    options: HypergradientOptions
    solution: Tensors | None = None


@dataclass(frozen=True)
class AID:
    """Approximate implicit differentiation: inner gradient steps, then the implicit hypergradient.

    Each outer iteration runs `inner_steps` gradient steps on `g` from the previous inner
    iterate (warm start), solves `∇²_yy g · v = ∇_y f` by `linear_method` with `linear_steps`
    Hessian-vector products from the previous `v`, and steps `x` along `∇_x f − ∇²_xy g · v`
    (Pedregosa 2016, HOAG; Ghadimi & Wang 2018, BSA; Ji, Yang & Liang 2021, stocBiO;
    Blondel et al. 2022 for the modular implicit-differentiation view). The default for smooth,
    strongly convex inner problems, such as a regularised training loss.

    Args:
        outer_lr: the outer step size.
        outer_optimizer: `"sgd"` or `"adam"` (`torch.optim` semantics).
        inner_lr: the inner gradient step; `None` takes `1/λ_max(∇²_yy g)` at the start.
        inner_steps: inner gradient steps per outer iteration.
        linear_method: `"cg"`, `"neumann"` or `"fixed_point"`.
        linear_steps: iterations of the linear solve per outer iteration.

    Example:
        >>> import torch
        >>> from apogee.bilevel import AID, BilevelProblem, solve
        >>> problem = BilevelProblem(
        ...     outer=lambda x, y: ((y - 1.0) ** 2).sum(), inner=lambda x, y: ((y - x) ** 2).sum()
        ... )
        >>> result = solve(problem, torch.zeros(3), torch.zeros(3), AID(outer_lr=0.5), steps=50)
        >>> bool(torch.allclose(result.outer, torch.ones(3), atol=1e-3))
        True
    """

    name: ClassVar[str] = "aid"
    handles_constraints: ClassVar[bool] = False
    outer_lr: float = 0.1
    outer_optimizer: str = "sgd"
    inner_lr: float | None = None
    inner_steps: int = 10
    linear_method: str = "cg"
    linear_steps: int = 10

    def __post_init__(self) -> None:
        check_outer("AID", lr=self.outer_lr, optimizer=self.outer_optimizer)
        check_inner("AID", lr=self.inner_lr, steps=self.inner_steps)
        check_choice(self.linear_method, "linear_method", "AID", LINEAR_METHODS)
        check_int(self.linear_steps, "linear_steps", "AID", low=1)

    def start(self, oracles: Oracles) -> _AIDState:
        check_unconstrained(oracles, "AID")
        lr = inner_step_size(oracles, self.inner_lr)
        options = HypergradientOptions(
            max_iter=self.linear_steps, tol=0.0, step_size=lr, raise_on_failure=False
        )
        outer = OuterStep(oracles.xs, kind=self.outer_optimizer, lr=self.outer_lr)
        return _AIDState(outer=outer, inner_lr=lr, options=options)

    def step(self, oracles: Oracles, state: _AIDState, iteration: int) -> None:
        xs, ys = oracles.xs, oracles.ys
        gradient_descent(oracles, xs, ys, lr=state.inner_lr, steps=self.inner_steps)
        direction, state.solution, _ = implicit_hypergradient(
            oracles, xs, ys, self.linear_method, state.options, state.solution
        )
        state.outer.apply(direction)


@dataclass
class _ITDState:
    outer: OuterStep
    options: HypergradientOptions
    start: Tensors


@dataclass(frozen=True)
class ITD:
    """Iterative (unrolled) differentiation through `unroll_steps` inner gradient steps.

    Each outer iteration runs `K = unroll_steps` steps `y ← y − η ∇_y g` and back-propagates
    `f(x, y_K)` through the last `truncate` of them (Maclaurin et al. 2015; Franceschi et al.
    2017, reverse-mode hypergradient; Shaban et al. 2019, truncated back-propagation). Unlike
    `AID` it needs no inner optimality: it also learns parameters of the inner *optimizer*, such
    as a learning rate (`inner_lr` as a callable of the outer variables). Memory grows with the
    number of tracked steps.

    Args:
        outer_lr: the outer step size.
        outer_optimizer: `"sgd"` or `"adam"`.
        inner_lr: `η`: a float, a callable of the outer variables (a learned step), or `None`
            for `1/λ_max(∇²_yy g)` at the start.
        unroll_steps: `K`, inner steps per outer iteration.
        truncate: back-propagate through the last `T` steps only (`None`: all `K`).
        warm_start: start each unroll from the last `y_K` (`True`) or from the initial inner
            variables (`False`, the classic reverse-mode setting).

    Example:
        >>> import torch
        >>> from apogee.bilevel import ITD, BilevelProblem, solve
        >>> problem = BilevelProblem(
        ...     outer=lambda x, y: ((y - 1.0) ** 2).sum(), inner=lambda x, y: ((y - x) ** 2).sum()
        ... )
        >>> result = solve(problem, torch.zeros(3), torch.zeros(3), ITD(outer_lr=0.5), steps=50)
        >>> bool(torch.allclose(result.outer, torch.ones(3), atol=1e-3))
        True
    """

    name: ClassVar[str] = "itd"
    handles_constraints: ClassVar[bool] = False
    outer_lr: float = 0.1
    outer_optimizer: str = "sgd"
    inner_lr: float | Callable[[Any], torch.Tensor] | None = None
    unroll_steps: int = 20
    truncate: int | None = None
    warm_start: bool = True

    def __post_init__(self) -> None:
        check_outer("ITD", lr=self.outer_lr, optimizer=self.outer_optimizer)
        if self.inner_lr is not None and not callable(self.inner_lr):
            check_float(self.inner_lr, "inner_lr", "ITD", low=0.0, low_open=True)
        check_int(self.unroll_steps, "unroll_steps", "ITD", low=1)
        if self.truncate is not None:
            check_int(self.truncate, "truncate", "ITD", low=1, high=self.unroll_steps)
        if not isinstance(self.warm_start, bool):
            raise TypeError(invalid("warm_start", "ITD", "a bool", self.warm_start))

    def start(self, oracles: Oracles) -> _ITDState:
        check_unconstrained(oracles, "ITD")
        lr = inner_step_size(oracles, None) if self.inner_lr is None else self.inner_lr
        options = HypergradientOptions(
            step_size=lr, unroll_steps=self.unroll_steps, truncate=self.truncate
        )
        outer = OuterStep(oracles.xs, kind=self.outer_optimizer, lr=self.outer_lr)
        start = [y.detach().clone() for y in oracles.ys]
        return _ITDState(outer=outer, options=options, start=start)

    def step(self, oracles: Oracles, state: _ITDState, iteration: int) -> None:
        start = oracles.ys if self.warm_start else state.start
        direction, last = unrolled_hypergradient(oracles, oracles.xs, start, state.options)
        state.outer.apply(direction)
        with torch.no_grad():
            for y, value in zip(oracles.ys, last, strict=True):
                y.copy_(value)
