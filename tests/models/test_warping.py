"""Outcome warping: increasing, standardizing, and pulling in heavy tails."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from apogee.models import OutcomeWarping, yeo_johnson


@pytest.mark.parametrize("lam", [-0.7, 0.0, 0.5, 1.0, 2.0, 2.6])
def test_yeo_johnson_matches_scipy(lam: float) -> None:
    y = np.linspace(-3, 4, 29)
    np.testing.assert_allclose(yeo_johnson(y, lam), stats.yeojohnson(y, lmbda=lam), rtol=1e-10)


def test_gaussian_outcomes_are_only_standardized() -> None:
    y = np.random.default_rng(0).normal(5.0, 3.0, 400)
    warping = OutcomeWarping.fit(y)
    assert warping.lam == pytest.approx(1.0, abs=0.2)
    z = warping.transform(y)
    assert z.mean() == pytest.approx(0.0, abs=1e-9) and z.std() == pytest.approx(1.0, rel=1e-9)


def test_heavy_tails_are_pulled_in_and_order_is_kept() -> None:
    y = np.exp(np.random.default_rng(1).normal(0.0, 2.5, 200))  # log-normal: a few huge values
    warping = OutcomeWarping.fit(y)
    z = warping.transform(y)
    assert warping.lam < 0.5
    assert np.array_equal(np.argsort(z), np.argsort(y))
    assert abs(stats.skew(z)) < 0.5 * abs(stats.skew((y - y.mean()) / y.std()))


def test_constant_and_tiny_histories() -> None:
    np.testing.assert_allclose(OutcomeWarping.fit(np.full(5, 3.0)).transform(np.full(5, 3.0)), 0.0)
    assert OutcomeWarping.fit(np.array([1.0, 1e9, 2.0])).lam == 1.0  # too few points to warp
    assert OutcomeWarping.fit(np.arange(20.0), power=False).lam == 1.0
