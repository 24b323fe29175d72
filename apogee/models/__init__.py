"""Surrogate models (torch, float64): an exact GP and what it is built from.

Models know nothing of studies: they take unit-cube points `n x d` (NaN where a conditional
parameter is inactive), outcomes `n`, and an `InputSpec` saying which columns are categorical
or conditional. Importing this package imports torch.
"""

from apogee.models._fit import FitResult, default_hyperparameters, fit_map, negative_log_posterior
from apogee.models._gp import ExactGP, Hyperparameters, robust_cholesky
from apogee.models._inputs import InputSpec
from apogee.models._kernel import matern52, matern52_from_squared, squared_distances
from apogee.models._priors import lengthscale_prior
from apogee.models._stacked import StackedGP, shares_data
from apogee.models._warping import OutcomeWarping, yeo_johnson

__all__ = [
    "ExactGP",
    "FitResult",
    "Hyperparameters",
    "InputSpec",
    "OutcomeWarping",
    "StackedGP",
    "default_hyperparameters",
    "fit_map",
    "lengthscale_prior",
    "matern52",
    "matern52_from_squared",
    "negative_log_posterior",
    "robust_cholesky",
    "shares_data",
    "squared_distances",
    "yeo_johnson",
]
