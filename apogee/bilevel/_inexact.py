"""`MAID`: the adaptively inexact first-order method with a backtracking line search."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import ClassVar

import torch

from apogee._util.validation import check_float, check_int
from apogee.bilevel._common import check_unconstrained, inner_step_size
from apogee.bilevel._hypergrad import HypergradientOptions, implicit_hypergradient
from apogee.bilevel._problem import Oracles, SampleOracles, descend, inner_gradient
from apogee.bilevel._vars import Tensors, norm

_OWNER = "MAID"


@dataclass
class _MAIDState:
    inner_lr: float
    step: float | None
    inner_tol: float
    linear_tol: float
    batches: int | None  # minibatches per sample; None for a deterministic problem
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
    Armijo test uses the computed values without their error allowance.

    With minibatch samplers (apogee's extension; the paper is deterministic) each iteration
    draws one sample of `n` batches per objective and runs steps 1-3 on the average over that
    sample, so the Armijo test compares two values of the same function. `n` follows the
    norm test of Byrd, Chin, Nocedal & Wu (2012): the sampling variance `s²` of `d` is
    estimated from the hypergradient `d₁` of the sample's first half (its own inner and CG
    solve; `E‖d₁ − d‖² = (n/m − 1) s²` for `m = ⌊n/2⌋` iid batches, to first order), and when
    `s² > noise_ratio² ‖d‖²` the next sample gets `n s² / (noise_ratio² ‖d‖²)` batches (never
    fewer, at most `max_sample_batches`). The sampling error of the hypergradient then stays
    a fraction of its norm, like the inexactness that `ε` and `δ` bound, until `n` reaches
    its cap; from there the iterates wander within the noise of one sample of
    `max_sample_batches` batches. No model of the batches is needed: only the sampler.

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
        sample_batches: minibatches per objective in the first iteration's sample (minibatch
            problems only; at least 2, for the variance estimate).
        max_sample_batches: cap on the batches per sample.
        noise_ratio: the norm test's `θ`: the sampling error of the hypergradient is kept
            below `θ ‖d‖` (in root mean square).

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
    sample_batches: int = 2
    max_sample_batches: int = 64
    noise_ratio: float = 0.5

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
        check_int(self.sample_batches, "sample_batches", _OWNER, low=2)
        check_int(self.max_sample_batches, "max_sample_batches", _OWNER, low=self.sample_batches)
        check_float(self.noise_ratio, "noise_ratio", _OWNER, low=0.0, low_open=True)

    def start(self, oracles: Oracles) -> _MAIDState:
        check_unconstrained(oracles, _OWNER)
        problem = oracles.problem
        sampled = problem.outer_batches is not None or problem.inner_batches is not None
        lr = inner_step_size(oracles, self.inner_lr)
        batches = self.sample_batches if sampled else None
        return _MAIDState(lr, self.initial_step, self.inner_tol, self.linear_tol, batches)

    def step(self, oracles: Oracles, state: _MAIDState, iteration: int) -> None:
        sample = oracles if state.batches is None else SampleOracles.draw(oracles, state.batches)
        xs, ys = oracles.xs, oracles.ys
        self._solve_inner(sample, xs, ys, state)
        options = HypergradientOptions(
            max_iter=10 * sum(y.numel() for y in ys), tol=state.linear_tol, raise_on_failure=False
        )
        direction, state.solution, _ = implicit_hypergradient(
            sample, xs, ys, "cg", options, state.solution
        )
        size = norm(direction)
        if state.step is None:
            state.step = 1.0 / size if size > 0.0 else 1.0
        state.inner_tol = min(state.inner_tol, self.accuracy_ratio * size)
        if isinstance(sample, SampleOracles) and state.batches is not None:
            variance = self._sampling_variance(sample, direction, options, state)
            state.batches = self._sample_size(variance, size, state.batches)
        self._line_search(sample, direction, size, state)

    def _sampling_variance(
        self,
        sample: SampleOracles,
        direction: Tensors,
        options: HypergradientOptions,
        state: _MAIDState,
    ) -> float:
        """`E‖d − E d‖²` of the sample's hypergradient `d`, from its first half's `d₁`.

        With `n` iid batches and `d₁` on the first `m = n//2` (its own inner and linear solve,
        warm-started from the sample's), `E‖d₁ − d‖² = (n/m − 1) E‖d − E d‖²` to first
        order, since `d` averages the batches' contributions.
        """
        count = state.batches or 2
        first = count // 2
        part = sample.part(first)
        ys = [y.detach().clone().requires_grad_(True) for y in sample.ys]
        self._solve_inner(part, sample.xs, ys, state)
        partial, _, _ = implicit_hypergradient(part, sample.xs, ys, "cg", options, state.solution)
        spread = norm([a - b for a, b in zip(partial, direction, strict=True)]) ** 2
        return spread / (count / first - 1.0)

    def _sample_size(self, variance: float, size: float, batches: int) -> int:
        """The norm test: the `n` at which `E‖d − E d‖² <= θ² ‖d‖²`, never fewer, capped.

        `variance` is that of the current sample's `d` (of `batches` batches); it falls like
        `1/n`, so the batches wanted are `batches · variance / (θ² ‖d‖²)`.
        """
        allowed = (self.noise_ratio * size) ** 2
        if variance <= allowed:
            return batches
        wanted = self.max_sample_batches if allowed == 0.0 else ceil(batches * variance / allowed)
        return min(self.max_sample_batches, max(batches, wanted))

    def _line_search(
        self, sample: Oracles, direction: Tensors, size: float, state: _MAIDState
    ) -> None:
        """Backtracking along `−direction` on `sample`; tighten `ε`, `δ` if every step fails."""
        xs, ys = sample.xs, sample.ys
        with torch.no_grad():
            current = float(sample.outer_value(xs, ys, sample.outer_batch()))
        first_step = state.step if state.step is not None else 1.0
        step = first_step
        for _ in range(self.max_backtracks):
            trial_x = [
                (x - step * d).detach().requires_grad_(True)
                for x, d in zip(xs, direction, strict=True)
            ]
            trial_y = [y.detach().clone().requires_grad_(True) for y in ys]
            self._solve_inner(sample, trial_x, trial_y, state)
            with torch.no_grad():
                value = float(sample.outer_value(trial_x, trial_y, sample.outer_batch()))
            if value <= current - self.armijo * step * size**2:
                with torch.no_grad():
                    for old, new in zip([*xs, *ys], [*trial_x, *trial_y], strict=True):
                        old.copy_(new)
                state.step = step * self.grow
                return
            step *= self.shrink
        # Every step failed: blame the accuracy, not the step (MAID's rule): retry next
        # iteration from the same step with tighter tolerances.
        state.step = first_step
        state.inner_tol *= self.tighten
        state.linear_tol *= self.tighten

    def _solve_inner(self, oracles: Oracles, xs: Tensors, ys: Tensors, state: _MAIDState) -> None:
        """Inner gradient steps until `‖∇_y g‖ <= ε` or `max_inner_steps`."""
        batch = oracles.inner_batch()
        for _ in range(self.max_inner_steps):
            gradient = inner_gradient(oracles, xs, ys, batch)
            if norm(gradient) <= state.inner_tol:
                return
            descend(ys, gradient, state.inner_lr)
