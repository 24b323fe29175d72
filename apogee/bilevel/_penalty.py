"""`F2SA`: the fully first-order penalty (value-function) method, no second derivatives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from apogee._util.validation import check_float
from apogee.bilevel._common import (
    OuterStep,
    check_inner,
    check_outer,
    check_unconstrained,
    inner_step_size,
)
from apogee.bilevel._problem import Oracles, descend, grads
from apogee.bilevel._vars import Tensors

_OWNER = "F2SA"


@dataclass
class _F2SAState:
    outer: OuterStep
    inner_lr: float
    penalised: Tensors
    penalty: float


@dataclass(frozen=True)
class F2SA:
    """Fully first-order stochastic approximation of the penalised value-function problem.

    The bilevel problem is replaced by `min_x min_y f(x, y) + λ (g(x, y) − min_z g(x, z))`,
    whose gradient in `x` needs first derivatives only (Kwon, Kwon, Wright & Nowak, "A Fully
    First-Order Method for Stochastic Bilevel Optimization", ICML 2023; the penalty analysis in
    "On Penalty Methods for Nonconvex Bilevel Optimization and First-Order Stochastic
    Approximation", ICLR 2024). Each outer iteration runs `inner_steps` gradient steps for
    both inner sequences on fresh minibatches (one inner batch per step shared by `y` and `z`,
    so the outer direction, which is `λ` times their difference, does not carry `λ` times
    their independent noise: apogee's choice; benchopt draws them independently),

        y ← y − η (∇_y g(x, y) + ∇_y f(x, y) / λ)        (y: minimiser of g + f/λ)
        z ← z − η ∇_y g(x, z)                             (z: minimiser of g),

    steps `x` along `∇_x f(x, y) + λ (∇_x g(x, y) − ∇_x g(x, z))`, and grows `λ` by
    `penalty_growth` (benchopt's schedule). The bias is `O(1/λ)`, so `λ` must grow; `y` and `z`
    must track their minimisers to `o(1/λ)`; `y` steps with `η λ/(λ + 1)`, safe when `f` is
    no curvier than `g`. Use it when Hessian-vector products are too
    expensive or unavailable; it is the only method here with no second derivatives at all.
    The reported inner variables are `z`.

    Args:
        outer_lr: the outer step size (plain SGD).
        inner_lr: `η` for `y` and `z`; `None` takes `1/λ_max(∇²_yy g)` at the start.
        inner_steps: steps of `y` and `z` per outer iteration.
        penalty: `λ_0`.
        penalty_growth: `δλ`, added to `λ` after every outer iteration.
        max_penalty: `λ` stops growing here.

    Example:
        >>> import torch
        >>> from apogee.bilevel import F2SA, BilevelProblem, solve
        >>> problem = BilevelProblem(
        ...     outer=lambda x, y: ((y - 1.0) ** 2).sum(), inner=lambda x, y: ((y - x) ** 2).sum()
        ... )
        >>> result = solve(problem, torch.zeros(3), torch.zeros(3), F2SA(outer_lr=0.2), steps=300)
        >>> bool(torch.allclose(result.outer, torch.ones(3), atol=1e-2))
        True
    """

    name: ClassVar[str] = "f2sa"
    handles_constraints: ClassVar[bool] = False
    outer_lr: float = 0.05
    inner_lr: float | None = None
    inner_steps: int = 10
    penalty: float = 1.0
    penalty_growth: float = 0.1
    max_penalty: float = 1e4

    def __post_init__(self) -> None:
        check_outer(_OWNER, lr=self.outer_lr, optimizer="sgd")
        check_inner(_OWNER, lr=self.inner_lr, steps=self.inner_steps)
        check_float(self.penalty, "penalty", _OWNER, low=0.0, low_open=True)
        check_float(self.penalty_growth, "penalty_growth", _OWNER, low=0.0)
        check_float(self.max_penalty, "max_penalty", _OWNER, low=self.penalty)

    def start(self, oracles: Oracles) -> _F2SAState:
        check_unconstrained(oracles, _OWNER)
        lr = inner_step_size(oracles, self.inner_lr)
        outer = OuterStep(oracles.xs, kind="sgd", lr=self.outer_lr)
        penalised = [y.detach().clone().requires_grad_(True) for y in oracles.ys]
        return _F2SAState(outer=outer, inner_lr=lr, penalised=penalised, penalty=self.penalty)

    def step(self, oracles: Oracles, state: _F2SAState, iteration: int) -> None:
        xs, y, z = oracles.xs, state.penalised, oracles.ys
        lam = state.penalty
        penalised_lr = state.inner_lr * lam / (lam + 1.0)  # g + f/λ is up to (1 + 1/λ)× curvier
        for _ in range(self.inner_steps):
            batch = oracles.inner_batch()  # one batch for y and z: the noise of y − z cancels
            value = oracles.inner_value(xs, y, batch)
            value = value + oracles.outer_value(xs, y, oracles.outer_batch()) / lam
            descend(y, grads(value, y), penalised_lr)
            descend(z, grads(oracles.inner_value(xs, z, batch), z), state.inner_lr)
        outer_grad = grads(oracles.outer_value(xs, y, oracles.outer_batch()), xs)
        inner_batch = oracles.inner_batch()  # one batch for both, so their noise cancels
        at_y = grads(oracles.inner_value(xs, y, inner_batch), xs)
        at_z = grads(oracles.inner_value(xs, z, inner_batch), xs)
        direction = [
            fx + lam * (gy - gz) for fx, gy, gz in zip(outer_grad, at_y, at_z, strict=True)
        ]
        state.outer.apply(direction)
        state.penalty = min(lam + self.penalty_growth, self.max_penalty)
