"""Sample paths against the exact posterior, and the inverse of the outcome warping."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import torch

from apogee.models import (
    ExactGP,
    Hyperparameters,
    InputSpec,
    OutcomeWarping,
    _pathwise,
    _warping_inverse,
    yeo_johnson,
)
from apogee.models._pathwise import SamplePaths
from apogee.models._warping_inverse import inverse_yeo_johnson, unwarp

N_PATHS = 4000
N_FEATURES = 2048


def _one_dimensional_gp(noise: float) -> ExactGP:
    X = torch.tensor([[0.1], [0.35], [0.4], [0.8]], dtype=torch.float64)
    y = torch.tensor([0.5, -1.0, -0.7, 1.2], dtype=torch.float64)
    return ExactGP(InputSpec.continuous(1), X, y, Hyperparameters((0.2,), 1.3, noise, 0.1))


@pytest.mark.parametrize("noise", [1e-6, 0.05])
def test_paths_match_exact_posterior_mean_and_variance(noise: float) -> None:
    gp = _one_dimensional_gp(noise)
    paths = SamplePaths(gp, N_PATHS, n_features=N_FEATURES, rng=np.random.default_rng(3))
    test = torch.linspace(0.0, 1.0, 9, dtype=torch.float64)[:, None]
    with torch.no_grad():
        values = paths.values(test)  # `9 x S`
        mean, variance = gp.posterior(test)
    sample_mean, sample_var = values.mean(1), values.var(1)
    # Monte-Carlo error: the mean's standard error is sqrt(var / S); a sample variance of S
    # Gaussian draws has relative standard error sqrt(2 / S) (2.2% here). The one shared
    # Fourier basis estimates the prior kernel with standard error at most s sqrt(2 / m).
    basis_error = gp.hyper.outputscale * np.sqrt(2 / N_FEATURES)
    assert torch.all((sample_mean - mean).abs() <= 4 * torch.sqrt(variance / N_PATHS))
    excess = (sample_var - variance).abs() - 4 * np.sqrt(2 / N_PATHS) * variance
    assert torch.all(excess <= basis_error), excess


def test_paths_are_differentiable_and_consistent_per_owner() -> None:
    gp = _one_dimensional_gp(1e-6)
    paths = SamplePaths(gp, 6, n_features=256, rng=np.random.default_rng(0))
    X = torch.rand(6, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    owners = torch.arange(6)
    X.requires_grad_(True)
    own = paths.values_of(X, owners)
    (grad,) = torch.autograd.grad(own.sum(), X)
    assert torch.isfinite(grad).all()
    with torch.no_grad():
        assert torch.allclose(own.detach(), paths.values(X.detach()).diagonal())


def test_same_rng_gives_same_paths() -> None:
    gp = _one_dimensional_gp(1e-6)
    test = torch.linspace(0.0, 1.0, 5, dtype=torch.float64)[:, None]
    first = SamplePaths(gp, 4, n_features=128, rng=np.random.default_rng(7)).values(test)
    second = SamplePaths(gp, 4, n_features=128, rng=np.random.default_rng(7)).values(test)
    assert torch.equal(first, second)


@pytest.mark.parametrize("lam", [-1.0, 0.0, 0.5, 1.0, 2.0, 2.7])
def test_inverse_yeo_johnson_inverts(lam: float) -> None:
    z = np.linspace(-3.0, 3.0, 25)
    assert np.allclose(inverse_yeo_johnson(yeo_johnson(z, lam), lam), z, atol=1e-10)


def test_values_without_preimage_map_to_infinities() -> None:
    # lam = 3: the negative branch is bounded below by -1 / (lam - 2) = -1.
    assert inverse_yeo_johnson(np.array([-1.5]), 3.0)[0] == -np.inf
    # lam = -1: the positive branch is bounded above by -1 / lam = 1.
    assert inverse_yeo_johnson(np.array([1.5]), -1.0)[0] == np.inf


def test_unwarp_inverts_a_fitted_warping() -> None:
    y = np.array([1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 400.0, 7.0, 2.5])
    warping = OutcomeWarping.fit(y)
    assert warping.lam != 1.0
    assert np.allclose(unwarp(warping, warping.transform(y)), y, rtol=1e-9)


def test_doctests() -> None:
    for module in (_pathwise, _warping_inverse):
        assert doctest.testmod(module).failed == 0
