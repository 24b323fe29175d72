"""What every bilevel solver shares: the solver protocol, the outer update, the checks."""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

import torch

from apogee._util.validation import check_choice, check_float, check_int, invalid
from apogee.bilevel._errors import IndependentInnerError
from apogee.bilevel._problem import InnerDerivatives, Oracles, largest_curvature
from apogee.bilevel._vars import Tensors, check_finite

OUTER_OPTIMIZERS = ("sgd", "adam")


class Solver(Protocol):
    """A bilevel solver: options in a frozen dataclass, state in what `start` returns.

    `solve` calls `start` once, then `step` once per outer iteration; both read and update the
    variables in place through `oracles.xs` (outer) and `oracles.ys` (inner).
    """

    name: ClassVar[str]
    handles_constraints: ClassVar[bool]

    def start(self, oracles: Oracles) -> Any:
        """Check the problem, refine the initial point if the method does, return the state."""
        ...

    def step(self, oracles: Oracles, state: Any, iteration: int) -> None:
        """One outer iteration."""
        ...


class OuterStep:
    """Applies a hypergradient to the outer variables with `torch.optim.SGD` or `Adam`."""

    def __init__(self, xs: Tensors, *, kind: str, lr: float) -> None:
        if kind == "adam":
            self.optimizer: torch.optim.Optimizer = torch.optim.Adam(xs, lr=lr)
        else:
            self.optimizer = torch.optim.SGD(xs, lr=lr)
        self.xs = xs

    def apply(self, direction: Tensors) -> None:
        """`x ← x − lr · direction` (Adam: its rescaled version), in place."""
        for x, d in zip(self.xs, direction, strict=True):
            x.grad = d.detach().clone()
        self.optimizer.step()
        for x in self.xs:
            x.grad = None
            check_finite(x.detach(), "the outer variables")


def check_outer(owner: str, *, lr: float, optimizer: str) -> None:
    """The outer learning rate and optimizer name of a solver's options."""
    check_float(lr, "outer_lr", owner, low=0.0, low_open=True)
    check_choice(optimizer, "outer_optimizer", owner, OUTER_OPTIMIZERS)


def check_inner(owner: str, *, lr: float | None, steps: int) -> None:
    """The inner learning rate (`None`: from the curvature) and steps of a solver's options."""
    if lr is not None:
        check_float(lr, "inner_lr", owner, low=0.0, low_open=True)
    check_int(steps, "inner_steps", owner, low=1)


def check_unconstrained(oracles: Oracles, owner: str) -> None:
    """Raise for constraints or a projection: only `LVHBA` handles them."""
    if oracles.problem.constrained:
        raise TypeError(
            invalid("problem", owner, "a problem without inner_constraint or project", "one")
            + " Use LVHBA for a constrained inner problem."
        )


def inner_step_size(oracles: Oracles, lr: float | None) -> float:
    """`lr`, or `1/λ_max(∇²_yy g)` at the initial point; also checks `∇_y g` depends on `x`."""
    derivatives = InnerDerivatives(oracles, oracles.xs, oracles.ys, oracles.inner_batch())
    _probe_cross(oracles, derivatives)  # raises IndependentInnerError
    return lr if lr is not None else 1.0 / largest_curvature(derivatives, oracles.generator)


def check_inner_depends(oracles: Oracles) -> None:
    """Raise `IndependentInnerError` unless `∇_y g` or the inner constraint depends on `x`."""
    derivatives = InnerDerivatives(oracles, oracles.xs, oracles.ys, oracles.inner_batch())
    try:
        _probe_cross(oracles, derivatives)
    except IndependentInnerError:
        if oracles.problem.inner_constraint is None:
            raise
        value = oracles.constraint_value(oracles.xs, oracles.ys).sum()
        if value.requires_grad:
            parts = torch.autograd.grad(value, oracles.xs, allow_unused=True)
            if any(part is not None for part in parts):
                return
        raise


def _probe_cross(oracles: Oracles, derivatives: InnerDerivatives) -> None:
    """`∇²_xy g` applied to a random vector: raises if `∇_y g` does not depend on `x`."""
    probe = [
        torch.randn(y.shape, generator=oracles.generator, dtype=y.dtype).to(y.device)
        for y in oracles.ys
    ]
    derivatives.cross(probe)
