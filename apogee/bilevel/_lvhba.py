"""`LVHBA`: the Hessian-free method for an inner problem with constraints (LV-HBA)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor

from apogee._util.validation import check_float, invalid
from apogee.bilevel._common import check_inner_depends
from apogee.bilevel._problem import Oracles, descend, grads
from apogee.bilevel._vars import Structure, Tensors, check_finite

_OWNER = "LVHBA"


@dataclass
class _LVHBAState:
    theta: Tensors
    multiplier: Tensor | None
    auxiliary: Tensor | None


@dataclass(frozen=True)
class LVHBA:
    """LV-HBA: a single loop on the proximal Lagrangian value function, first derivatives only.

    For `min_{x, y} F(x, y)` over `y ∈ argmin {f(x, θ) : c(x, θ) <= 0}` (here `F` is the outer
    and `f` the inner objective), Yao, Yu, Zeng, Zhang & Zhang ("Constrained Bi-level
    Optimization: Proximal Lagrangian Value function Approach and Hessian-free Algorithm",
    ICLR 2024) replace the inner problem by the constraint `f(x, y) − v_γ(x, y, z) <= 0` with the
    proximal Lagrangian value function
    `v_γ(x, y, z) = min_θ max_{λ >= 0} f(x, θ) + λᵀc(x, θ) + ‖θ − y‖²/(2γ₁) − ‖λ − z‖²/(2γ₂)`,
    and run one loop of projected gradient steps (their Algorithm 1): `θ` descends and `λ`
    ascends on the inner saddle problem, then `(x, y)` descend on
    `F/c_k + f − v_γ` with `c_k = c (k + 1)^p`, and `z` follows `λ`:

        θ ← θ − η (∇_θ f(x, θ) + λᵀ∇_θ c(x, θ) + (θ − y)/γ₁);   λ ← Π[0,u](λ + η (c(x, θ) − (λ − z)/γ₂))
        x ← x − α (∇_x F/c_k + ∇_x f(x, y) − ∇_x f(x, θ) − λᵀ∇_x c(x, θ))
        y ← y − α (∇_y F/c_k + ∇_y f(x, y) − (y − θ)/γ₁);        (x, y) ← project(x, y)
        z ← Π[0,u](z + β (λ − z)/γ₂)

    The authors' toy example uses `α=0.008, β=0.02, η=0.01, γ₁=γ₂=10, c=0.025, p=0.3`; with
    those, the simultaneous `θ`-`λ` steps oscillate on the `n=10` toy and diverge on `n=100`
    (measured on a line-by-line numpy replica of their script, too). The defaults here,
    `α=0.02, β=0.05, η=0.02, γ₁=γ₂=1, c=1, p=0.49`, damp the saddle (smaller `γ`) and let
    `1/c_k` vanish faster; they reach 1.7% relative error on the `n=10` toy in 2000 steps. The
    saddle steps need damping against the constraint gradients' norm: on the `n=100` toy use
    `alpha=0.01, beta=0.1, eta=0.01, gamma1=gamma2=0.2` (below 6% error in 5000 steps).

    Use it when the inner problem has constraints (`BilevelProblem.inner_constraint`, values
    `<= 0`) that come with a cheap projection of the pair `(x, y)` onto them
    (`BilevelProblem.project`, the paper's set `C`; required with a constraint, since the
    penalty `f − v_γ` can go negative at infeasible `y`); it is also Hessian-free on
    unconstrained problems. Convergence of `x` is slow, like `1/c_k`. The reported inner
    variables are `y`. With minibatch oracles every inner evaluation of one iteration (the
    `θ` step, the `y` step and the value-function part of the `x` step) uses one inner batch,
    so the difference `∇_x f(x, y) − ∇_x f(x, θ)` does not carry the two batches' independent
    noise (apogee's choice; the paper is deterministic).

    Args:
        alpha: `α`, the step of `(x, y)`.
        beta: `β`, the step of `z`.
        eta: `η`, the step of `(θ, λ)`.
        gamma1: `γ₁`, the proximal weight of `θ − y`.
        gamma2: `γ₂`, the proximal weight of `λ − z`.
        bound: `u`, the multipliers live in `[0, u]`.
        c: `c` of the penalty schedule `c_k = c (k + 1)^p`.
        p: `p` of the schedule (`0 < p < 1/2` in the paper's analysis).
        multiplier_init: the initial `λ` and `z`.

    Example:
        >>> import torch
        >>> from apogee.bilevel import LVHBA, BilevelProblem, solve
        >>> problem = BilevelProblem(  # y* = max(x, 1): the constraint 1 - y <= 0 is active
        ...     outer=lambda x, y: ((x - 0.5) ** 2 + (y - 1.5) ** 2).sum(),
        ...     inner=lambda x, y: ((y - x) ** 2).sum(),
        ...     inner_constraint=lambda x, y: 1.0 - y,
        ...     project=lambda x, y: (x, y.clamp(min=1.0)),
        ... )
        >>> result = solve(problem, torch.zeros(1), torch.zeros(1), LVHBA(alpha=0.05), steps=3000)
    """

    name: ClassVar[str] = "lvhba"
    handles_constraints: ClassVar[bool] = True
    alpha: float = 0.02
    beta: float = 0.05
    eta: float = 0.02
    gamma1: float = 1.0
    gamma2: float = 1.0
    bound: float = 1000.0
    c: float = 1.0
    p: float = 0.49
    multiplier_init: float = 1.0

    def __post_init__(self) -> None:
        for name in ("alpha", "beta", "eta", "gamma1", "gamma2", "bound", "c"):
            check_float(getattr(self, name), name, _OWNER, low=0.0, low_open=True)
        check_float(self.p, "p", _OWNER, low=0.0, high=1.0)
        check_float(self.multiplier_init, "multiplier_init", _OWNER, low=0.0, high=self.bound)

    def start(self, oracles: Oracles) -> _LVHBAState:
        problem = oracles.problem
        if problem.inner_constraint is not None and problem.project is None:
            raise ValueError(
                "LVHBA keeps (x, y) feasible by projection (the paper's set C): give the problem "
                "a `project` that maps (x, y) into {c(x, y) <= 0}, e.g. a clamp or a hyperplane "
                "projection; the value-function constraint alone does not enforce feasibility."
            )
        _project(oracles)
        check_inner_depends(oracles)
        theta = [y.detach().clone().requires_grad_(True) for y in oracles.ys]
        if oracles.problem.inner_constraint is None:
            return _LVHBAState(theta=theta, multiplier=None, auxiliary=None)
        size = oracles.constraint_value(oracles.xs, oracles.ys).numel()
        dtype = oracles.ys[0].dtype
        multiplier = torch.full((size,), self.multiplier_init, dtype=dtype).to(oracles.ys[0])
        return _LVHBAState(theta=theta, multiplier=multiplier, auxiliary=multiplier.clone())

    def step(self, oracles: Oracles, state: _LVHBAState, iteration: int) -> None:
        xs, ys, theta = oracles.xs, oracles.ys, state.theta
        batch = oracles.inner_batch()  # one inner batch for the iteration (see the docstring)
        self._saddle_step(oracles, state, batch)
        weight = 1.0 / (self.c * (iteration + 1) ** self.p)  # 1/c_k
        outer = grads(oracles.outer_value(xs, ys, oracles.outer_batch()), [*xs, *ys])
        inner = grads(oracles.inner_value(xs, ys, batch), [*xs, *ys])
        at_theta = grads(_lagrangian(oracles, xs, theta, state.multiplier, batch), xs)
        n = len(xs)
        dx = [weight * F + f - v for F, f, v in zip(outer[:n], inner[:n], at_theta, strict=True)]
        dy = [
            weight * F + f - (y.detach() - t.detach()) / self.gamma1
            for F, f, y, t in zip(outer[n:], inner[n:], ys, theta, strict=True)
        ]
        descend(xs, dx, self.alpha, "outer")
        descend(ys, dy, self.alpha)
        _project(oracles)
        if state.multiplier is not None and state.auxiliary is not None:
            gap = (state.multiplier - state.auxiliary) / self.gamma2
            state.auxiliary = (state.auxiliary + self.beta * gap).clamp(0.0, self.bound)

    def _saddle_step(self, oracles: Oracles, state: _LVHBAState, batch: Any) -> None:
        """One step of `θ` down and `λ` up on the proximal Lagrangian (from the current `λ`)."""
        xs, ys, theta, multiplier = oracles.xs, oracles.ys, state.theta, state.multiplier
        gradient = grads(_lagrangian(oracles, xs, theta, multiplier, batch), theta)
        d_theta = [
            g + (t.detach() - y.detach()) / self.gamma1
            for g, t, y in zip(gradient, theta, ys, strict=True)
        ]
        if multiplier is not None and state.auxiliary is not None:
            with torch.no_grad():
                values = oracles.constraint_value(xs, theta)
            d_multiplier = -values + (multiplier - state.auxiliary) / self.gamma2
            state.multiplier = (multiplier - self.eta * d_multiplier).clamp(0.0, self.bound)
        descend(theta, d_theta, self.eta)


def _lagrangian(
    oracles: Oracles, xs: Tensors, theta: Tensors, multiplier: Tensor | None, batch: Any
) -> Tensor:
    """`f(x, θ) + λᵀc(x, θ)` (just `f` without constraints), on the inner `batch`."""
    value = oracles.inner_value(xs, theta, batch)
    if multiplier is None:
        return value
    return value + torch.dot(multiplier, oracles.constraint_value(xs, theta))


def _project(oracles: Oracles) -> None:
    """`(x, y) ← project(x, y)` in place, if the problem has a projection."""
    project = oracles.problem.project
    if project is None:
        return
    x_structure, y_structure = oracles.x_structure, oracles.y_structure
    with torch.no_grad():
        x = x_structure.rebuild([t.detach() for t in oracles.xs])
        y = y_structure.rebuild([t.detach() for t in oracles.ys])
        result = project(x, y)
        if not isinstance(result, tuple) or len(result) != 2:
            raise TypeError(
                invalid("project", "BilevelProblem", "a function returning (x, y)", result)
            )
        for target, value, what in (
            (oracles.xs, result[0], "outer"),
            (oracles.ys, result[1], "inner"),
        ):
            _, tensors = Structure.of(value, f"projected {what}", "BilevelProblem.project")
            if [t.shape for t in tensors] != [t.shape for t in target]:
                raise ValueError(
                    f"BilevelProblem.project changed the {what} shapes from "
                    f"{[tuple(t.shape) for t in target]} to {[tuple(t.shape) for t in tensors]}."
                )
            for old, new in zip(target, tensors, strict=True):
                old.copy_(new)
            check_finite(torch.cat([t.reshape(-1) for t in target]), f"the projected {what}")
