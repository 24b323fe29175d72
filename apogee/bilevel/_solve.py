"""`solve`: the outer loop every bilevel solver runs in, and its `BilevelResult`."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from apogee._util.validation import check_choice, check_int, invalid
from apogee.bilevel._aid import AID, ITD
from apogee.bilevel._borep import BOREP
from apogee.bilevel._common import Solver
from apogee.bilevel._errors import NonFiniteError
from apogee.bilevel._inexact import MAID
from apogee.bilevel._lvhba import LVHBA
from apogee.bilevel._penalty import F2SA
from apogee.bilevel._problem import BilevelProblem, Oracles

SOLVERS: dict[str, type[Any]] = {
    solver.name: solver for solver in (AID, ITD, F2SA, LVHBA, BOREP, MAID)
}
"""Solver classes by the name `solve(solver=...)` accepts."""

Callback = Callable[[int, float], Any]
"""Called as `callback(iteration, outer_loss)` at every recorded iteration."""

Monitor = Callable[[Any, Any], float]
"""`monitor(outer, inner)`: a held-out score of the current variables (lower is better)."""


@dataclass(frozen=True)
class BilevelResult:
    """What `solve` found and how it got there.

    Attributes:
        outer: the final outer variables, in the layout they were given (a tensor, tuple, dict).
        inner: the final inner variables (the solver's estimate of `y*(outer)`).
        solver: the solver's name.
        iterations: the recorded outer iterations (1-based counts).
        outer_losses: the outer objective at each recorded iteration (on a fresh minibatch when
            the problem samples them).
        seconds: wall time since the start at each recorded iteration.
        monitor_values: the monitor's score at each recorded iteration (empty without one).
        best_iteration: the recorded iteration with the lowest monitor score (None without).
        best_outer: the outer variables at `best_iteration` (None without a monitor).
        best_inner: the inner variables at `best_iteration` (None without a monitor).
    """

    outer: Any
    inner: Any
    solver: str
    iterations: list[int] = field(default_factory=list)
    outer_losses: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    monitor_values: list[float] = field(default_factory=list)
    best_iteration: int | None = None
    best_outer: Any = None
    best_inner: Any = None


def solve(
    problem: BilevelProblem,
    outer: Any,
    inner: Any,
    solver: Solver | str = "aid",
    *,
    steps: int = 100,
    seed: int = 0,
    record_every: int = 1,
    callback: Callback | None = None,
    monitor: Monitor | None = None,
    patience: int | None = None,
) -> BilevelResult:
    """Minimise `f(x, y*(x))` over the outer variables, starting from `outer` and `inner`.

    The inputs are copied, never changed in place.

    Args:
        problem: the bilevel problem.
        outer: the initial outer variables `x` (tensor, sequence, mapping or `nn.Module`).
        inner: the initial inner variables `y`, same kinds.
        solver: a solver (`AID()`, `ITD()`, `F2SA()`, `LVHBA()`, `BOREP()`, `MAID()`, with
            options) or its name (`"aid"`, `"itd"`, `"f2sa"`, `"lvhba"`, `"borep"`, `"maid"`).
        steps: outer iterations.
        seed: seeds the minibatches and every random choice of the solver.
        record_every: evaluate and record the outer loss every this many iterations.
        callback: called with `(iteration, outer_loss)` at every recorded iteration.
        monitor: scores the current `(outer, inner)` at every recorded iteration, typically a
            loss on data the outer objective does not see; the result then also holds the
            variables where the score was lowest (early stopping against overfitting the
            outer objective's data).
        patience: with a monitor, stop once it has not improved for this many records.

    Returns:
        The final variables and the recorded history of the outer loss.

    Example:
        >>> import torch
        >>> from apogee.bilevel import BilevelProblem, solve
        >>> problem = BilevelProblem(
        ...     outer=lambda x, y: ((y - 1.0) ** 2).sum() + 0.1 * (x**2).sum(),
        ...     inner=lambda x, y: ((y - x) ** 2).sum(),
        ... )
        >>> result = solve(problem, torch.zeros(2), torch.zeros(2), "aid", steps=200)
        >>> [round(v, 2) for v in result.outer.tolist()]
        [0.91, 0.91]
    """
    owner = "solve"
    method: Solver
    if isinstance(solver, str):
        method = SOLVERS[check_choice(solver, "solver", owner, sorted(SOLVERS))]()
    elif isinstance(solver, tuple(SOLVERS.values())):
        method = solver
    else:
        expected = "a solver or one of " + ", ".join(sorted(SOLVERS))
        raise TypeError(invalid("solver", owner, expected, solver))
    check_int(steps, "steps", owner, low=1)
    check_int(record_every, "record_every", owner, low=1)
    if monitor is not None and not callable(monitor):
        raise TypeError(invalid("monitor", owner, "a callable or None", monitor))
    if patience is not None:
        check_int(patience, "patience", owner, low=1)
    oracles = Oracles(problem, outer, inner, seed=seed, owner=owner)
    start = time.perf_counter()
    state = method.start(oracles)
    record = _Record(monitor)
    for iteration in range(steps):
        method.step(oracles, state, iteration)
        if (iteration + 1) % record_every == 0 or iteration + 1 == steps:
            with torch.no_grad():
                loss = float(oracles.outer_value(oracles.xs, oracles.ys, oracles.outer_batch()))
            record.add(oracles, iteration + 1, loss, time.perf_counter() - start)
            if callback is not None:
                callback(iteration + 1, loss)
            if patience is not None and record.stale(patience):
                break
    outer_now, inner_now = _snapshot(oracles)
    return BilevelResult(
        outer=outer_now,
        inner=inner_now,
        solver=method.name,
        iterations=record.iterations,
        outer_losses=record.losses,
        seconds=record.seconds,
        monitor_values=record.scores,
        best_iteration=record.best_iteration,
        best_outer=record.best[0] if record.best else None,
        best_inner=record.best[1] if record.best else None,
    )


def _snapshot(oracles: Oracles) -> tuple[Any, Any]:
    """Copies of the current outer and inner variables, in the user's layouts."""
    outer = oracles.x_structure.rebuild([x.detach().clone() for x in oracles.xs])
    return outer, oracles.y_structure.rebuild([y.detach().clone() for y in oracles.ys])


@dataclass
class _Record:
    """The recorded history of a run, and the monitor's best point so far."""

    monitor: Monitor | None
    iterations: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    best_iteration: int | None = None
    best: tuple[Any, Any] | None = None

    def add(self, oracles: Oracles, iteration: int, loss: float, seconds: float) -> None:
        self.iterations.append(iteration)
        self.losses.append(loss)
        self.seconds.append(seconds)
        if self.monitor is None:
            return
        outer, inner = _snapshot(oracles)
        with torch.no_grad():
            score = float(self.monitor(outer, inner))
        if not math.isfinite(score):
            raise NonFiniteError(f"The monitor returned {score} at iteration {iteration}.")
        self.scores.append(score)
        if self.best_iteration is None or score < min(self.scores[:-1]):
            self.best_iteration, self.best = iteration, (outer, inner)

    def stale(self, patience: int) -> bool:
        """Whether the last `patience` monitor scores are all above the best one."""
        if self.best_iteration is None:
            return False
        return self.iterations.index(self.best_iteration) < len(self.iterations) - patience
