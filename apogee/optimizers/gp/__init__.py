"""`gp`: Bayesian optimization with an exact Gaussian process (`models/` + `acquisition/`)."""

from apogee.optimizers.gp._engine import ACQUISITIONS, GP, MULTI_OBJECTIVE

__all__ = ["ACQUISITIONS", "GP", "MULTI_OBJECTIVE"]
