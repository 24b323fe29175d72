"""`gp`: Bayesian optimization with an exact Gaussian process (`models/` + `acquisition/`)."""

from apogee.optimizers.gp._engine import ACQUISITIONS, GP
from apogee.optimizers.gp._optimum import OptimumOptions, OptimumPosterior, posterior_of_optimum

__all__ = ["ACQUISITIONS", "GP", "OptimumOptions", "OptimumPosterior", "posterior_of_optimum"]
