"""Multi-fidelity problems: augmented Branin and augmented Hartmann-6 (BoTorch's definitions).

A fidelity parameter `s` in `[0, 1]` joins the design variables; `s = 1` is the target fidelity
and lower `s` a cheaper, biased version. Definitions follow BoTorch
(`botorch/test_functions/multi_fidelity.py`): augmented Branin lowers Branin's `b` by
`0.1 (1 - s)`, augmented Hartmann lowers `alpha_1` by `0.1 (1 - s)`. The cost model is
BoTorch's `AffineFidelityCostModel` as its multi-fidelity tutorials use it,
`cost = fixed_cost + s` with `fixed_cost = 5`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from apogee.problems._classic import (
    BRANIN_B,
    HARTMANN6_A,
    HARTMANN6_P,
    HARTMANN_ALPHA,
    branin_value,
    hartmann,
    hartmann_value,
)
from apogee.problems._problem import Problem, Values, as_vector
from apogee.space import Float, Space

FIDELITY = "fidelity"
FIXED_COST = 5.0
_MULTIFIDELITY = frozenset({"multifidelity"})


def affine_cost(params: Mapping[str, Any]) -> float:
    """`fixed_cost + s`: 5 at the lowest fidelity, 6 at the target."""
    return FIXED_COST + float(params[FIDELITY])


def _space(design: list[tuple[float, float]]) -> Space:
    params: dict[str, Float] = {f"x{i}": Float(low, high) for i, (low, high) in enumerate(design)}
    params[FIDELITY] = Float(0.0, 1.0)
    return Space(params)


def augmented_branin() -> Problem:
    """Augmented Branin on `[-5, 10] x [0, 15] x [0, 1]`; minimum `5 / (4 pi)` at every fidelity.

    At `s = 1` it is Branin (minimizers `(-pi, 12.275)`, `(pi, 2.275)`, `(9.42478, 2.475)`); at
    lower `s` the valley moves (e.g. `(pi, 1.38674)` at `s = 0.1`).
    """

    def evaluate(params: Mapping[str, Any]) -> Values:
        x = as_vector(params, 2)
        fidelity = float(params[FIDELITY])
        return {"value": branin_value(x, b=BRANIN_B - 0.1 * (1 - fidelity))}

    return Problem(
        name="augmented-branin",
        space=_space([(-5.0, 10.0), (0.0, 15.0)]),
        objectives={"value": "minimize"},
        optimal_value=5 / (4 * math.pi),
        optimal_params={"x0": math.pi, "x1": 2.275, FIDELITY: 1.0},
        fidelity=FIDELITY,
        tags=_MULTIFIDELITY,
        function=evaluate,
        cost_model=affine_cost,
    )


def augmented_hartmann() -> Problem:
    """Augmented Hartmann-6 on `[0, 1]^7`; minimum -3.32237 (Hartmann-6's) at `s = 1`.

    Lowering `alpha_1` only raises the function, so the target fidelity holds the minimum.
    """
    target = hartmann(6)

    def evaluate(params: Mapping[str, Any]) -> Values:
        alpha = HARTMANN_ALPHA.copy()
        alpha[0] -= 0.1 * (1 - float(params[FIDELITY]))
        return {"value": hartmann_value(as_vector(params, 6), HARTMANN6_A, HARTMANN6_P, alpha)}

    return Problem(
        name="augmented-hartmann6",
        space=_space([(0.0, 1.0)] * 6),
        objectives={"value": "minimize"},
        optimal_value=target.optimal_value,
        optimal_params={**(target.optimal_params or {}), FIDELITY: 1.0},
        fidelity=FIDELITY,
        tags=_MULTIFIDELITY,
        function=evaluate,
        cost_model=affine_cost,
    )
