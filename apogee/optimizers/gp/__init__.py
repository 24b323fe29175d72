"""`gp`: Bayesian optimization with an exact Gaussian process (`models/` + `acquisition/`)."""

from apogee.optimizers.gp._engine import ACQUISITIONS, GP, MULTI_OBJECTIVE
from apogee.optimizers.gp._optimum import OptimumOptions, OptimumPosterior, posterior_of_optimum

__all__ = [
    "ACQUISITIONS",
    "GP",
    "MULTI_OBJECTIVE",
    "OptimumOptions",
    "OptimumPosterior",
    "posterior_of_optimum",
]
