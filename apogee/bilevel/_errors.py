"""The errors `apogee.bilevel` raises on purpose, each saying what went wrong and what to try."""

from __future__ import annotations

from apogee._util.errors import ApogeeError


class BilevelError(ApogeeError, ValueError):
    """Base class of the bilevel errors: the problem, as stated, cannot be solved as asked."""


class IndependentInnerError(BilevelError):
    """The inner objective's gradient does not depend on the outer variables.

    Then the inner solution does not move with the outer variables, so no hypergradient method
    can learn them; usually the outer variables were not used inside the inner objective, or
    were detached (`.item()`, `.detach()`, a numpy round trip) before use.
    """


class NonFiniteError(BilevelError):
    """An objective, a gradient or an iterate became NaN or infinite."""


class LinearSolveError(BilevelError, RuntimeError):
    """The linear system of implicit differentiation was not solved to the asked tolerance.

    Attributes:
        residual: the relative residual `‖Hv − b‖ / ‖b‖` reached.
        iterations: the number of iterations run.
    """

    def __init__(self, message: str, *, residual: float, iterations: int) -> None:
        super().__init__(message)
        self.residual = residual
        self.iterations = iterations
