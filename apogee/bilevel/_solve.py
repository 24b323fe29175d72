"""`solve`: the outer loop every bilevel solver runs in, and its `BilevelResult`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from apogee._util.validation import check_choice, check_int, invalid
from apogee.bilevel._aid import AID, ITD
from apogee.bilevel._borep import BOREP
from apogee.bilevel._common import Solver
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
    """

    outer: Any
    inner: Any
    solver: str
    iterations: list[int] = field(default_factory=list)
    outer_losses: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


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
    oracles = Oracles(problem, outer, inner, seed=seed, owner=owner)
    start = time.perf_counter()
    state = method.start(oracles)
    iterations: list[int] = []
    losses: list[float] = []
    seconds: list[float] = []
    for iteration in range(steps):
        method.step(oracles, state, iteration)
        if (iteration + 1) % record_every == 0 or iteration + 1 == steps:
            with torch.no_grad():
                loss = float(oracles.outer_value(oracles.xs, oracles.ys, oracles.outer_batch()))
            iterations.append(iteration + 1)
            losses.append(loss)
            seconds.append(time.perf_counter() - start)
            if callback is not None:
                callback(iteration + 1, loss)
    return BilevelResult(
        outer=oracles.x_structure.rebuild([x.detach().clone() for x in oracles.xs]),
        inner=oracles.y_structure.rebuild([y.detach().clone() for y in oracles.ys]),
        solver=method.name,
        iterations=iterations,
        outer_losses=losses,
        seconds=seconds,
    )
