"""Classic Bayesian-optimization test functions with their known global minima.

Definitions, domains and optima follow the Virtual Library of Simulation Experiments
(Surjanovic & Bingham, sfu.ca/~ssurjano), the usual source in BO papers; where the library
rounds, the optimum here is the exact value (Branin, Styblinski-Tang) or the minimizer refined to
machine precision from the published one (Hartmann), and Michalewicz, a separable function, is
solved exactly one coordinate at a time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from apogee._util.validation import check_int
from apogee.problems._problem import Problem, as_params, box_space, vector_function

_CLASSIC = frozenset({"classic"})

# Branin-Hoo constants (a = 1, s = 10).
BRANIN_B = 5.1 / (4 * math.pi**2)
BRANIN_C = 5 / math.pi
BRANIN_R = 6.0
BRANIN_T = 1 / (8 * math.pi)

HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
HARTMANN3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
HARTMANN3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)
HARTMANN6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
HARTMANN6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
# Published minimizers (Surjanovic & Bingham), refined below to machine precision.
HARTMANN3_PUBLISHED = (0.114614, 0.555649, 0.852547)
HARTMANN6_PUBLISHED = (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)
# Exact: the positive-derivative root of 4x^3 - 32x + 5 = 0, and g(x*) = (x*^4 - 16x*^2 + 5x*)/2.
STYBLINSKI_TANG_X = -2.903534027771178
STYBLINSKI_TANG_F = -39.16616570377142
MICHALEWICZ_M = 10


def branin_value(x: np.ndarray, *, b: float = BRANIN_B) -> Any:
    """Branin-Hoo on `[-5, 10] x [0, 15]`; `b` is lowered by the augmented (fidelity) variant.

    `x[0]` and `x[1]` may be numbers or equal-shaped arrays (then the result is an array).
    """
    x1, x2 = x[0], x[1]
    quadratic = (x2 - b * x1**2 + BRANIN_C * x1 - BRANIN_R) ** 2
    return quadratic + 10 * (1 - BRANIN_T) * np.cos(x1) + 10


def hartmann_value(x: np.ndarray, a: np.ndarray, p: np.ndarray, alpha: np.ndarray) -> float:
    """`-sum_i alpha_i exp(-sum_j A_ij (x_j - P_ij)^2)` for `(d,)` x and `(4, d)` A, P."""
    return float(-alpha @ np.exp(-np.sum(a * (x - p) ** 2, axis=1)))


def ackley_value(x: np.ndarray) -> float:
    d = len(x)
    root_mean_square = math.sqrt(float(np.sum(x**2)) / d)
    mean_cosine = float(np.sum(np.cos(2 * math.pi * x))) / d
    return -20 * math.exp(-0.2 * root_mean_square) - math.exp(mean_cosine) + 20 + math.e


def levy_value(x: np.ndarray) -> float:
    w = 1 + (x - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    middle = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + middle + tail)


def rosenbrock_value(x: np.ndarray) -> float:
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (x[:-1] - 1) ** 2))


def styblinski_tang_value(x: np.ndarray) -> float:
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


def michalewicz_terms(x: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The separable terms `-sin(x_i) sin(i x_i^2 / pi)^(2m)` for coordinates numbered `index`."""
    return np.asarray(-np.sin(x) * np.sin(index * x**2 / math.pi) ** (2 * MICHALEWICZ_M))


def michalewicz_value(x: np.ndarray) -> float:
    return float(np.sum(michalewicz_terms(x, np.arange(1, len(x) + 1))))


@cache
def michalewicz_coordinate_minimum(index: int) -> float:
    """The exact minimizer in `[0, pi]` of the `index`-th (1-based) Michalewicz term.

    A grid fine enough to separate the term's wells (their width shrinks like `1 / index`)
    brackets the best one; bounded Brent refines it to machine precision.
    """
    from scipy import optimize

    grid = np.linspace(0.0, math.pi, 2_000 * index + 1)
    values = michalewicz_terms(grid, np.full_like(grid, index))
    best = int(np.argmin(values))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    result = optimize.minimize_scalar(
        lambda t: float(michalewicz_terms(np.array([t]), np.array([index]))[0]),
        bounds=(low, high),
        method="bounded",
        options={"xatol": 1e-14},
    )
    return float(result.x)


def _refine(function: Callable[[np.ndarray], float], start: tuple[float, ...]) -> np.ndarray:
    """Polish a published minimizer in `[0, 1]^d` with L-BFGS-B."""
    from scipy import optimize

    result = optimize.minimize(
        function,
        np.array(start),
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * len(start),
        options={"ftol": 1e-15, "gtol": 1e-12},
    )
    return np.asarray(result.x)


def branin() -> Problem:
    """Branin-Hoo, minimum `5 / (4 pi) = 0.397887` at `(-pi, 12.275)`, `(pi, 2.275)`, `(9.42478, 2.475)`."""
    return Problem(
        name="branin",
        space=box_space([(-5.0, 10.0), (0.0, 15.0)]),
        objectives={"value": "minimize"},
        optimal_value=5 / (4 * math.pi),
        optimal_params=as_params([math.pi, 2.275]),
        tags=_CLASSIC,
        function=vector_function(branin_value, 2),
    )


def hartmann(dimension: int) -> Problem:
    """Hartmann-3 (published minimum -3.86278) or Hartmann-6 (-3.32237) on `[0, 1]^d`."""
    if dimension not in (3, 6):
        raise ValueError(f"Hartmann is defined for d = 3 or 6. Got d={dimension!r} instead.")
    a, p, start = (
        (HARTMANN3_A, HARTMANN3_P, HARTMANN3_PUBLISHED)
        if dimension == 3
        else (HARTMANN6_A, HARTMANN6_P, HARTMANN6_PUBLISHED)
    )

    def value(x: np.ndarray) -> float:
        return hartmann_value(x, a, p, HARTMANN_ALPHA)

    minimizer = _refine(value, start)
    return Problem(
        name=f"hartmann{dimension}",
        space=box_space([(0.0, 1.0)] * dimension),
        objectives={"value": "minimize"},
        optimal_value=value(minimizer),
        optimal_params=as_params(minimizer),
        tags=_CLASSIC,
        function=vector_function(value, dimension),
    )


def _scalable(
    name: str, dimension: int, low: float, high: float
) -> tuple[str, list[tuple[float, float]]]:
    check_int(dimension, "dimension", name, low=2)
    return f"{name}-d{dimension}", [(low, high)] * dimension


def ackley(dimension: int) -> Problem:
    """Ackley (a=20, b=0.2, c=2 pi) on `[-32.768, 32.768]^d`, minimum 0 at the origin."""
    name, bounds = _scalable("ackley", dimension, -32.768, 32.768)
    return _zero_minimum(name, bounds, ackley_value, [0.0] * dimension)


def levy(dimension: int) -> Problem:
    """Levy on `[-10, 10]^d`, minimum 0 at `(1, ..., 1)`."""
    name, bounds = _scalable("levy", dimension, -10.0, 10.0)
    return _zero_minimum(name, bounds, levy_value, [1.0] * dimension)


def rosenbrock(dimension: int) -> Problem:
    """Rosenbrock on `[-5, 10]^d`, minimum 0 at `(1, ..., 1)`."""
    name, bounds = _scalable("rosenbrock", dimension, -5.0, 10.0)
    return _zero_minimum(name, bounds, rosenbrock_value, [1.0] * dimension)


def _zero_minimum(
    name: str,
    bounds: list[tuple[float, float]],
    value: Callable[[np.ndarray], float],
    minimizer: list[float],
) -> Problem:
    return Problem(
        name=name,
        space=box_space(bounds),
        objectives={"value": "minimize"},
        optimal_value=0.0,
        optimal_params=as_params(minimizer),
        tags=_CLASSIC,
        function=vector_function(value, len(bounds)),
    )


def styblinski_tang(dimension: int) -> Problem:
    """Styblinski-Tang on `[-5, 5]^d`, minimum `-39.16617 d` at `x_i = -2.903534`."""
    name, bounds = _scalable("styblinski-tang", dimension, -5.0, 5.0)
    return Problem(
        name=name,
        space=box_space(bounds),
        objectives={"value": "minimize"},
        optimal_value=STYBLINSKI_TANG_F * dimension,
        optimal_params=as_params([STYBLINSKI_TANG_X] * dimension),
        tags=_CLASSIC,
        function=vector_function(styblinski_tang_value, dimension),
    )


def michalewicz(dimension: int) -> Problem:
    """Michalewicz (m=10) on `[0, pi]^d`; published minima -1.8013 (d=2), -4.687658 (5), -9.66015 (10)."""
    name, bounds = _scalable("michalewicz", dimension, 0.0, math.pi)
    minimizer = np.array([michalewicz_coordinate_minimum(i) for i in range(1, dimension + 1)])
    return Problem(
        name=name,
        space=box_space(bounds),
        objectives={"value": "minimize"},
        optimal_value=michalewicz_value(minimizer),
        optimal_params=as_params(minimizer),
        tags=_CLASSIC,
        function=vector_function(michalewicz_value, dimension),
    )
