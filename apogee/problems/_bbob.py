"""The 24 noiseless BBOB functions (Hansen et al. 2009), through COCO's `cocoex` package.

`cocoex.BareProblem("bbob", f, d, i)` builds function `f` in any dimension `d` and instance `i`
without an observer, and states the instance's optimal value `f_opt` and minimizer `x_opt`
(`best_value()`, `best_parameter()`), so regret is measured against COCO's own numbers.
The domain is the box `[-5, 5]^d` where every BBOB optimum lies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apogee._util.validation import check_int
from apogee.problems._problem import Problem, Values, as_params, as_vector, box_space

BBOB_FUNCTIONS = range(1, 25)
BBOB_NAMES = {
    1: "sphere",
    2: "separable ellipsoid",
    3: "Rastrigin",
    4: "Bueche-Rastrigin",
    5: "linear slope",
    6: "attractive sector",
    7: "step ellipsoid",
    8: "Rosenbrock",
    9: "rotated Rosenbrock",
    10: "ellipsoid",
    11: "discus",
    12: "bent cigar",
    13: "sharp ridge",
    14: "different powers",
    15: "rotated Rastrigin",
    16: "Weierstrass",
    17: "Schaffer F7",
    18: "ill-conditioned Schaffer F7",
    19: "composite Griewank-Rosenbrock",
    20: "Schwefel",
    21: "Gallagher 101 peaks",
    22: "Gallagher 21 peaks",
    23: "Katsuura",
    24: "Lunacek bi-Rastrigin",
}


def bbob(function: int, dimension: int, instance: int) -> Problem:
    """BBOB function `function` (1-24) in `dimension` (>= 2) variables, instance `instance` (>= 1).

    Raises:
        ImportError: `cocoex` is missing (install with `pip install coco-experiment`).
    """
    owner = "bbob"
    check_int(function, "function", owner, low=1, high=24)
    check_int(dimension, "dimension", owner, low=2)
    check_int(instance, "instance", owner, low=1)
    try:
        import cocoex
    except ImportError as error:
        raise ImportError(
            "The BBOB problems need the 'coco-experiment' package: pip install coco-experiment"
        ) from error
    coco = cocoex.BareProblem("bbob", function, dimension, instance)

    def evaluate(params: Mapping[str, Any]) -> Values:
        return {"value": float(coco(as_vector(params, dimension)))}

    return Problem(
        name=f"bbob-f{function}-d{dimension}-i{instance}",
        space=box_space([(-5.0, 5.0)] * dimension),
        objectives={"value": "minimize"},
        optimal_value=float(coco.best_value()),
        optimal_params=as_params(coco.best_parameter()),
        tags=frozenset({"bbob"}),
        function=evaluate,
    )
