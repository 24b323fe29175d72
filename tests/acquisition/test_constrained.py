"""Log probability of feasibility and feasibility-weighted acquisitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from apogee.acquisition import (
    FeasibilityWeighted,
    LogExpectedImprovement,
    LogProbabilityOfFeasibility,
)
from apogee.acquisition._constrained import BARRIER_WEIGHT
from apogee.models import ExactGP, Hyperparameters, InputSpec


def constraint_model() -> ExactGP:
    X = torch.tensor([[0.1], [0.4], [0.9]], dtype=torch.float64)
    y = torch.tensor([-1.0, 0.5, 2.0], dtype=torch.float64)
    return ExactGP(InputSpec.continuous(1), X, y, Hyperparameters((0.2,), 1.0, 1e-6, 0.0))


def test_log_pof_matches_the_normal_cdf_and_sums_over_constraints() -> None:
    model = constraint_model()
    X = torch.tensor([[0.25], [0.7]], dtype=torch.float64)
    mean, variance = model.posterior(X)
    expected = torch.special.ndtr((0.3 - mean) / variance.sqrt()).log()
    one = LogProbabilityOfFeasibility((model,), (0.3,))(X)
    assert torch.allclose(one, expected, atol=1e-12)
    two = LogProbabilityOfFeasibility((model, model), (0.3, 0.3))(X)
    assert torch.allclose(two, 2 * expected, atol=1e-12)


def test_log_pof_is_finite_with_finite_gradients_far_inside_the_infeasible_region() -> None:
    model = constraint_model()  # the mean is about 2 near x = 0.9 with sigma ~ 1e-3
    X = torch.tensor([[0.9], [0.899]], dtype=torch.float64, requires_grad=True)
    value = LogProbabilityOfFeasibility((model,), (-50.0,))(X)
    value.sum().backward()
    assert torch.isfinite(value).all() and float(value.detach().max()) < -1e3
    assert X.grad is not None and torch.isfinite(X.grad).all()
    # direct log(Phi(z)) underflows to -inf there: the log-space form is what keeps it usable
    mean, variance = model.posterior(X.detach())
    assert math.isinf(float(torch.special.ndtr((-50.0 - mean) / variance.sqrt()).log()[0]))


def test_weighted_acquisition_is_the_sum_of_the_logs() -> None:
    model = constraint_model()
    X = torch.linspace(0, 1, 7, dtype=torch.float64)[:, None]
    log_ei = LogExpectedImprovement(model, best_f=-1.0)
    log_pof = LogProbabilityOfFeasibility((model,), (0.0,))
    weighted = FeasibilityWeighted(log_ei, log_pof)(X)
    assert torch.allclose(weighted, log_ei(X) + log_pof(X))


def test_margin_barrier_is_zero_past_the_margin_and_quadratic_short_of_it() -> None:
    model = constraint_model()
    X = torch.linspace(0, 1, 41, dtype=torch.float64)[:, None]
    plain = LogProbabilityOfFeasibility((model, model), (0.3, 0.1))
    z = plain.z_scores(X)  # `2 x 41`, both signs along the line
    assert z.shape == (2, 41) and (z > 1.0).any() and (z < 0.0).any()
    with_margin = LogProbabilityOfFeasibility((model, model), (0.3, 0.1), margin=0.5)
    barrier = BARRIER_WEIGHT * (torch.clamp(0.5 - z, min=0.0) ** 2).sum(0)
    torch.testing.assert_close(with_margin(X), plain(X) - barrier, rtol=0, atol=1e-12)
    clear = (z >= 0.5).all(0)
    assert clear.any() and torch.equal(with_margin(X)[clear], plain(X)[clear])
    with pytest.raises(ValueError, match="'margin' parameter of LogProbabilityOfFeasibility"):
        LogProbabilityOfFeasibility((model,), (0.0,), margin=float("nan"))


def test_margin_barrier_is_the_same_through_the_stacked_gps() -> None:
    rng = np.random.default_rng(4)
    X = torch.as_tensor(rng.random((20, 2)))
    gps = [
        ExactGP(InputSpec.continuous(2), X, torch.as_tensor(rng.standard_normal(20)),
                Hyperparameters((0.3, 0.6), 1.0, 1e-4, 0.0))
        for _ in range(3)
    ]  # fmt: skip
    query = torch.as_tensor(rng.random((9, 2)))
    stacked = LogProbabilityOfFeasibility(gps, (0.0, 0.2, -0.3), margin=0.5)
    assert stacked._stack is not None
    alone = LogProbabilityOfFeasibility(gps[:1], (0.0,), margin=0.5)
    assert alone._stack is None
    summed = sum(
        LogProbabilityOfFeasibility([gp], [t], margin=0.5)(query)
        for gp, t in zip(gps, (0.0, 0.2, -0.3), strict=True)
    )
    # the barrier reaches 1e6 where a mean is far on the wrong side: compare relatively
    torch.testing.assert_close(stacked(query), summed, rtol=1e-9, atol=1e-10)


def test_expected_hypervolume_improvement_against_direct_volumes() -> None:
    import numpy as np

    from apogee.acquisition import expected_hypervolume_improvement

    reference = np.array([4.0, 4.0])
    # two samples of a two-point baseline and of three candidates
    baseline = np.array([[[1.0, 3.0], [3.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]])
    candidates = np.array(
        [[[2.0, 2.0], [5.0, 0.0], [1.0, 1.0]], [[2.0, 2.0], [3.0, 3.0], [0.5, 0.5]]]
    )
    # sample 0: (2, 2) adds the 1 x 1 square; (5, 0) is outside; (1, 1) adds 9 - 5 = 4
    # sample 1: (2, 2) is dominated; (3, 3) too; (0.5, 0.5) adds 12.25 - 8 = 4.25
    expected = np.array([(1.0 + 0.0) / 2, 0.0, (4.0 + 4.25) / 2])
    assert np.allclose(expected_hypervolume_improvement(baseline, candidates, reference), expected)


def test_log_feasibility_of_stacked_gps_equals_the_sum_over_gps() -> None:
    rng = np.random.default_rng(3)
    X = torch.as_tensor(rng.random((25, 3)))
    gps = [
        ExactGP(InputSpec.continuous(3), X, torch.as_tensor(rng.standard_normal(25)),
                Hyperparameters((0.3, 0.5, 0.8), 1.0 + k, 1e-4, 0.1 * k))
        for k in range(3)
    ]  # fmt: skip
    thresholds = (0.2, -0.1, 0.0)
    query = torch.as_tensor(rng.random((6, 3)))
    stacked = LogProbabilityOfFeasibility(gps, thresholds)(query)
    summed = sum(
        LogProbabilityOfFeasibility([gp], [t])(query) for gp, t in zip(gps, thresholds, strict=True)
    )
    torch.testing.assert_close(stacked, summed, rtol=0, atol=1e-10)
