"""Benchmark problems with known optima: BBOB, classic BO functions, and more.

Every problem is a plain `Problem` object: `evaluate(params)` returns objective and constraint
values by name, so any optimizer can use it.

Example:
    >>> import apogee as ap
    >>> from apogee import problems
    >>> problem = problems.get("branin")
    >>> result = ap.minimize(lambda p: problem.evaluate(p)["value"], problem.space,
    ...                      budget=30, optimizer="sobol", seed=0, progress=False)
    >>> result.value - problem.optimal_value < 5.0
    True
"""

from apogee.problems._problem import Problem
from apogee.problems._registry import FAMILIES, Family, get, names, with_noise

__all__ = ["FAMILIES", "Family", "Problem", "get", "names", "with_noise"]
