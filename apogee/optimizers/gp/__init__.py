"""`gp`: Bayesian optimization with an exact Gaussian process (`models/` + `acquisition/`)."""

from apogee.optimizers.gp._engine import ACQUISITIONS, GP

__all__ = ["ACQUISITIONS", "GP"]
