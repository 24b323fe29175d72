"""Acquisition functions against direct computations, far tails and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from apogee.acquisition import (
    LogExpectedImprovement,
    LogProbabilityOfImprovement,
    UpperConfidenceBound,
    log_h,
    noisy_incumbent,
)
from apogee.models import ExactGP, Hyperparameters, InputSpec


def t(values: object) -> torch.Tensor:
    return torch.as_tensor(np.asarray(values, dtype=float), dtype=torch.float64)


def small_gp() -> ExactGP:
    rng = np.random.default_rng(0)
    X = rng.random((8, 2))
    y = np.sin(5 * X[:, 0]) + X[:, 1]
    return ExactGP(InputSpec.continuous(2), t(X), t(y), Hyperparameters((0.3, 0.5), 1.0, 1e-4, 0.3))


def test_log_ei_matches_direct_expected_improvement() -> None:
    gp = small_gp()
    Xs = t(np.random.default_rng(1).random((20, 2)))
    best_f = float(gp.y.min())
    mean, variance = (v.detach().numpy() for v in gp.posterior(Xs))
    sigma = np.sqrt(variance)
    z = (best_f - mean) / sigma
    ei = sigma * (z * stats.norm.cdf(z) + stats.norm.pdf(z))
    got = LogExpectedImprovement(gp, best_f)(Xs).detach().numpy()
    np.testing.assert_allclose(got, np.log(ei), rtol=1e-9)


def test_log_h_is_exact_where_naive_log_ei_underflows() -> None:
    z = np.array([-40.0, -200.0, -1e3, -1e5, -1e10])
    with np.errstate(divide="ignore"):
        naive = np.log(stats.norm.pdf(z) + z * stats.norm.cdf(z))
    assert np.all(~np.isfinite(naive))  # h(z) underflows to 0 in float64
    # log h = log phi(z) - 2 log|z| + log(1 - 3/z^2 + 15/z^4 - 105/z^6 + ...) (Mills' ratio series)
    series = -0.5 * z**2 - 0.5 * math.log(2 * math.pi) - 2 * np.log(-z)
    series += np.log1p(-3 / z**2 + 15 / z**4 - 105 / z**6 + 945 / z**8)
    np.testing.assert_allclose(log_h(t(z)).numpy(), series, rtol=1e-12)


def test_log_h_is_continuous_across_its_branches() -> None:
    for edge in (-1.0, -1e3):
        below, above = np.nextafter(edge, -np.inf), np.nextafter(edge, np.inf)
        values = log_h(t([below, edge, above])).numpy()
        np.testing.assert_allclose(values, values[1], rtol=1e-9)
    z = np.array([-0.999, -0.5, 0.0, 3.0, 30.0])
    direct = np.log(stats.norm.pdf(z) + z * stats.norm.cdf(z))
    np.testing.assert_allclose(log_h(t(z)).numpy(), direct, rtol=1e-12)


def test_log_h_gradient_matches_finite_differences() -> None:
    z = t([-2e3, -500.0, -30.0, -3.0, -1.5, -0.5, 0.7, 4.0]).requires_grad_(True)
    assert torch.autograd.gradcheck(log_h, (z,), eps=1e-6, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("make", ["log_ei", "pi", "ucb"])
def test_gradients_in_x_match_finite_differences(make: str) -> None:
    gp = small_gp()
    best_f = float(gp.y.min())
    acqf = {
        "log_ei": LogExpectedImprovement(gp, best_f),
        "pi": LogProbabilityOfImprovement(gp, best_f),
        "ucb": UpperConfidenceBound(gp, 4.0),
    }[make]
    X = t(np.random.default_rng(2).random((6, 2))).requires_grad_(True)
    assert torch.autograd.gradcheck(acqf, (X,), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_pi_and_ucb_match_direct_formulas() -> None:
    gp = small_gp()
    Xs = t(np.random.default_rng(3).random((10, 2)))
    mean, variance = (v.detach().numpy() for v in gp.posterior(Xs))
    sigma = np.sqrt(variance)
    pi = LogProbabilityOfImprovement(gp, 0.1, xi=0.05)(Xs).detach().numpy()
    np.testing.assert_allclose(pi, stats.norm.logcdf((0.1 - 0.05 - mean) / sigma), rtol=1e-10)
    ucb = UpperConfidenceBound(gp, 2.25)(Xs).detach().numpy()
    np.testing.assert_allclose(ucb, 1.5 * sigma - mean, rtol=1e-10)


def test_noisy_incumbent_is_the_best_posterior_mean() -> None:
    gp = small_gp()
    assert noisy_incumbent(gp, gp.X) == pytest.approx(float(gp.posterior(gp.X)[0].min()))
