"""`BOREP`: bilevel optimization under unbounded smoothness (normalized momentum, refinement)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from apogee._util.validation import check_float, check_int
from apogee.bilevel._common import check_inner, check_unconstrained, inner_step_size
from apogee.bilevel._problem import InnerDerivatives, Oracles, descend, gradient_descent, grads
from apogee.bilevel._vars import Tensors, norm, zeros_like

_OWNER = "BOREP"


@dataclass
class _BOREPState:
    inner_lr: float
    momentum: Tensors
    solution: Tensors


@dataclass(frozen=True)
class BOREP:
    """BO-REP: normalized momentum on the outer variables, refined and periodic inner updates.

    Hao, Gong & Liu ("Bilevel Optimization under Unbounded Smoothness: A New Algorithm and
    Convergence Analysis", ICLR 2024) target outer objectives whose smoothness grows with the
    gradient norm (recurrent networks, transformers). Their Algorithm 1, as here:

    - *initialization refinement*: `refine_steps` inner gradient steps at the initial `x`;
    - *periodic updates*: every `update_interval` outer iterations, `inner_steps` inner steps
      (the inner solution moves by at most `η·interval` in between, so it stays accurate);
    - each iteration, `linear_steps` gradient steps on `½ vᵀ∇²_yy g v − vᵀ∇_y f` (one
      Hessian-vector product each, warm-started), the hypergradient estimate
      `d = ∇_x f − ∇²_xy g · v`, momentum `m ← β m + (1 − β) d` and the *normalized* step
      `x ← x − η m / ‖m‖`, whose length does not depend on the gradient's scale.

    Each outer step has length exactly `η` (`outer_lr`), so the iterates settle within `O(η)`
    of a stationary point; pick `η` as the accuracy you need. Use it for outer objectives with
    exploding gradients or badly scaled hypergradients.

    Args:
        outer_lr: `η`, the length of every outer step.
        momentum: `β`.
        inner_lr: the inner gradient step; `None` takes `1/λ_max(∇²_yy g)` at the start.
        inner_steps: inner steps at each periodic update.
        update_interval: outer iterations between inner updates.
        refine_steps: inner steps of the initialization refinement.
        linear_steps: gradient steps on the linear-system variable `v` per iteration.

    Example:
        >>> import torch
        >>> from apogee.bilevel import BOREP, BilevelProblem, solve
        >>> problem = BilevelProblem(
        ...     outer=lambda x, y: ((y - 1.0) ** 2).sum(), inner=lambda x, y: ((y - x) ** 2).sum()
        ... )
        >>> result = solve(problem, torch.zeros(3), torch.zeros(3), BOREP(outer_lr=0.01), steps=300)
        >>> bool(torch.allclose(result.outer, torch.ones(3), atol=0.05))
        True
    """

    name: ClassVar[str] = "borep"
    handles_constraints: ClassVar[bool] = False
    outer_lr: float = 0.01
    momentum: float = 0.9
    inner_lr: float | None = None
    inner_steps: int = 10
    update_interval: int = 2
    refine_steps: int = 100
    linear_steps: int = 5

    def __post_init__(self) -> None:
        check_float(self.outer_lr, "outer_lr", _OWNER, low=0.0, low_open=True)
        check_float(self.momentum, "momentum", _OWNER, low=0.0, high=1.0, high_open=True)
        check_inner(_OWNER, lr=self.inner_lr, steps=self.inner_steps)
        check_int(self.update_interval, "update_interval", _OWNER, low=1)
        check_int(self.refine_steps, "refine_steps", _OWNER, low=0)
        check_int(self.linear_steps, "linear_steps", _OWNER, low=1)

    def start(self, oracles: Oracles) -> _BOREPState:
        check_unconstrained(oracles, _OWNER)
        lr = inner_step_size(oracles, self.inner_lr)
        gradient_descent(oracles, oracles.xs, oracles.ys, lr=lr, steps=self.refine_steps)
        return _BOREPState(lr, zeros_like(oracles.xs), zeros_like(oracles.ys))

    def step(self, oracles: Oracles, state: _BOREPState, iteration: int) -> None:
        xs, ys = oracles.xs, oracles.ys
        if iteration % self.update_interval == 0:
            gradient_descent(oracles, xs, ys, lr=state.inner_lr, steps=self.inner_steps)
        outer = grads(oracles.outer_value(xs, ys, oracles.outer_batch()), [*xs, *ys])
        fx, fy = outer[: len(xs)], outer[len(xs) :]
        derivatives = InnerDerivatives(oracles, xs, ys, oracles.inner_batch())
        v = state.solution
        for _ in range(self.linear_steps):  # v ← v − lr (Hv − ∇_y f)
            residual = [h - b for h, b in zip(derivatives.hvp(v), fy, strict=True)]
            v = [a - state.inner_lr * r for a, r in zip(v, residual, strict=True)]
        state.solution = v
        estimate = [a - b for a, b in zip(fx, derivatives.cross(v), strict=True)]
        beta = self.momentum
        state.momentum = [
            beta * m + (1 - beta) * d for m, d in zip(state.momentum, estimate, strict=True)
        ]
        size = norm(state.momentum)
        if size > 0.0:
            descend(xs, [m / size for m in state.momentum], self.outer_lr, "outer")
