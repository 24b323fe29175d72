"""`MAID`: the adaptively inexact first-order method with a backtracking line search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from apogee._util.errors import UnsupportedError
from apogee._util.validation import check_float, check_int
from apogee.bilevel._common import check_unconstrained, inner_step_size
from apogee.bilevel._hypergrad import HypergradientOptions, implicit_hypergradient
from apogee.bilevel._problem import Oracles, descend, inner_gradient
from apogee.bilevel._vars import Tensors, norm

_OWNER = "MAID"


@dataclass
class _MAIDState:
    inner_lr: float
    step: float | None
    inner_tol: float
    linear_tol: float
    solution: Tensors | None = None


@dataclass(frozen=True)
class MAID:
    """Method of adaptive inexact descent: it picks its own inner and linear-solve accuracy.

    Salehi, Mukherjee, Roberts & Ehrhardt ("An adaptively inexact first-order method for
    bilevel optimization with application to hyperparameter learning", 2023) solve the inner
    problem to a tolerance `ε` and the implicit-differentiation system to a tolerance `δ`, and
    accept an outer step only if an inexact Armijo condition holds; when backtracking fails,
    the hypergradient was not accurate enough, so `ε` and `δ` shrink. Each iteration here:

    1. inner gradient steps until `‖∇_y g(x, y)‖ <= ε` (warm start);
    2. conjugate gradient on `∇²_yy g · v = ∇_y f` to relative residual `δ`, hypergradient `d`;
       `ε` is capped at `accuracy_ratio · ‖d‖`, so accuracy grows as `x` nears stationarity;
    3. backtracking from the step `α`: accept `x − αd` once
       `f(x − αd, ŷ) <= f(x, y) − armijo · α ‖d‖²` (with `ŷ` re-solved to `ε`), then grow `α` by
       `grow`; shrink `α` by `shrink` per rejection; after `max_backtracks` rejections keep `x`,
       restore `α` and shrink `ε` and `δ` by `tighten` (the failure is blamed on accuracy).

    This is a simplified form: the paper's a-posteriori error bounds (from the inner strong
    convexity and Lipschitz constants) are replaced by the `accuracy_ratio` cap, and the
    Armijo test uses the computed values without their error allowance. Use it for
    deterministic (full-batch) problems when you do not want to tune step sizes or inner
    iteration counts; a line search on minibatch losses is not meaningful.

    Args:
        initial_step: the initial outer step `α`; `None` makes the first trial step of length
            1 (`α = 1/‖d‖`), so the scale of the hypergradient does not matter.
        inner_tol: the initial `ε` (on the inner gradient norm).
        linear_tol: the initial `δ` (relative CG residual).
        armijo: the sufficient-decrease constant.
        shrink: `α` factor per rejected step.
        grow: `α` factor after an accepted step.
        tighten: `ε`, `δ` factor after a failed line search.
        accuracy_ratio: `ε <= accuracy_ratio · ‖d‖`.
        max_backtracks: rejections before tightening.
        inner_lr: the inner gradient step; `None` takes `1/λ_max(∇²_yy g)` at the start.
        max_inner_steps: cap on inner steps per inner solve.

    Example:
        >>> import torch
        >>> from apogee.bilevel import MAID, BilevelProblem, solve
        >>> problem = BilevelProblem(
        ...     outer=lambda x, y: ((y - 1.0) ** 2).sum(), inner=lambda x, y: ((y - x) ** 2).sum()
        ... )
        >>> result = solve(problem, torch.zeros(3), torch.zeros(3), "maid", steps=20)
        >>> bool(torch.allclose(result.outer, torch.ones(3), atol=1e-3))
        True
    """

    name: ClassVar[str] = "maid"
    handles_constraints: ClassVar[bool] = False
    initial_step: float | None = None
    inner_tol: float = 1e-2
    linear_tol: float = 1e-2
    armijo: float = 1e-4
    shrink: float = 0.5
    grow: float = 1.5
    tighten: float = 0.5
    accuracy_ratio: float = 0.1
    max_backtracks: int = 8
    inner_lr: float | None = None
    max_inner_steps: int = 1000

    def __post_init__(self) -> None:
        for name in ("inner_tol", "linear_tol", "accuracy_ratio"):
            check_float(getattr(self, name), name, _OWNER, low=0.0, low_open=True)
        for name in ("armijo", "shrink", "tighten"):
            check_float(
                getattr(self, name), name, _OWNER, low=0.0, high=1.0, low_open=True, high_open=True
            )
        if self.initial_step is not None:
            check_float(self.initial_step, "initial_step", _OWNER, low=0.0, low_open=True)
        check_float(self.grow, "grow", _OWNER, low=1.0)
        check_int(self.max_backtracks, "max_backtracks", _OWNER, low=1)
        if self.inner_lr is not None:
            check_float(self.inner_lr, "inner_lr", _OWNER, low=0.0, low_open=True)
        check_int(self.max_inner_steps, "max_inner_steps", _OWNER, low=1)

    def start(self, oracles: Oracles) -> _MAIDState:
        check_unconstrained(oracles, _OWNER)
        problem = oracles.problem
        if problem.outer_batches is not None or problem.inner_batches is not None:
            raise UnsupportedError(
                "MAID needs deterministic (full-batch) objectives: its line search compares "
                "outer losses. Use AID, F2SA or BOREP with minibatch samplers."
            )
        lr = inner_step_size(oracles, self.inner_lr)
        return _MAIDState(lr, self.initial_step, self.inner_tol, self.linear_tol)

    def step(self, oracles: Oracles, state: _MAIDState, iteration: int) -> None:
        xs, ys = oracles.xs, oracles.ys
        self._solve_inner(oracles, xs, ys, state)
        options = HypergradientOptions(
            max_iter=10 * sum(y.numel() for y in ys), tol=state.linear_tol, raise_on_failure=False
        )
        direction, state.solution, _ = implicit_hypergradient(
            oracles, xs, ys, "cg", options, state.solution
        )
        size = norm(direction)
        if state.step is None:
            state.step = 1.0 / size if size > 0.0 else 1.0
        state.inner_tol = min(state.inner_tol, self.accuracy_ratio * size)
        with torch.no_grad():
            current = float(oracles.outer_value(xs, ys, None))
        first_step = state.step
        for _ in range(self.max_backtracks):
            trial_x = [
                (x - state.step * d).detach().requires_grad_(True)
                for x, d in zip(xs, direction, strict=True)
            ]
            trial_y = [y.detach().clone().requires_grad_(True) for y in ys]
            self._solve_inner(oracles, trial_x, trial_y, state)
            with torch.no_grad():
                value = float(oracles.outer_value(trial_x, trial_y, None))
            if value <= current - self.armijo * state.step * size**2:
                with torch.no_grad():
                    for old, new in zip([*xs, *ys], [*trial_x, *trial_y], strict=True):
                        old.copy_(new)
                state.step *= self.grow
                return
            state.step *= self.shrink
        # Every step failed: blame the accuracy, not the step (MAID's rule): retry next
        # iteration from the same step with tighter tolerances.
        state.step = first_step
        state.inner_tol *= self.tighten
        state.linear_tol *= self.tighten

    def _solve_inner(self, oracles: Oracles, xs: Tensors, ys: Tensors, state: _MAIDState) -> None:
        """Inner gradient steps until `‖∇_y g‖ <= ε` or `max_inner_steps`."""
        for _ in range(self.max_inner_steps):
            gradient = inner_gradient(oracles, xs, ys, None)
            if norm(gradient) <= state.inner_tol:
                return
            descend(ys, gradient, state.inner_lr)
