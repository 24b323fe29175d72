"""Bilevel optimization on PyTorch problems: hypergradients, solvers, hyperparameter learning.

State a problem with two plain callables, the outer objective `f(x, y)` and the inner objective
`g(x, y)` (`BilevelProblem`), then take its hypergradient by a named method (`hypergradient`) or
optimise the outer variables with a solver (`solve`). torch is imported with this subpackage,
never by `import apogee`.
"""

from __future__ import annotations

from apogee.bilevel._aid import AID, ITD
from apogee.bilevel._borep import BOREP
from apogee.bilevel._common import Solver
from apogee.bilevel._errors import (
    BilevelError,
    IndependentInnerError,
    LinearSolveError,
    NonFiniteError,
)
from apogee.bilevel._hypergrad import METHODS, HypergradientOptions, hypergradient
from apogee.bilevel._inexact import MAID
from apogee.bilevel._learn import learn_hyperparameters
from apogee.bilevel._learn_settings import HyperparameterResult, LearnSettings
from apogee.bilevel._lvhba import LVHBA
from apogee.bilevel._penalty import F2SA
from apogee.bilevel._problem import BilevelProblem
from apogee.bilevel._solve import SOLVERS, BilevelResult, solve

__all__ = [
    "AID",
    "BOREP",
    "F2SA",
    "ITD",
    "LVHBA",
    "MAID",
    "METHODS",
    "SOLVERS",
    "BilevelError",
    "BilevelProblem",
    "BilevelResult",
    "HypergradientOptions",
    "HyperparameterResult",
    "IndependentInnerError",
    "LearnSettings",
    "LinearSolveError",
    "NonFiniteError",
    "Solver",
    "hypergradient",
    "learn_hyperparameters",
    "solve",
]
