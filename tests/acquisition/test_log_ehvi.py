"""Box decomposition of the undominated region and the closed-form log EHVI."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from apogee.acquisition import LogExpectedHypervolumeImprovement, nondominated_boxes
from apogee.moo import hypervolume


class _Constant:
    """A posterior with the same mean and variance everywhere (one objective)."""

    def __init__(self, mean: float, variance: float) -> None:
        self.mean, self.variance = mean, variance

    def posterior(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        shape = X.shape[:-1]
        return (
            torch.full(shape, self.mean, dtype=torch.float64),
            torch.full(shape, self.variance, dtype=torch.float64),
        )


def _front(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    points = rng.random((n, m))
    front: np.ndarray = points / np.linalg.norm(points, axis=1, keepdims=True)
    return front


@pytest.mark.parametrize("m", [2, 3, 4])
def test_boxes_give_the_exact_improvement_of_any_point(m: int) -> None:
    rng = np.random.default_rng(m)
    front, reference = _front(rng, 12, m), np.full(m, 1.2)
    lower, upper = nondominated_boxes(front, reference)
    base = hypervolume(front, reference)
    for y in rng.random((20, m)) * 1.3:
        start = np.maximum(lower, y)
        volume = np.prod(np.clip(upper - start, 0.0, None), axis=1).sum()
        assert volume == pytest.approx(
            hypervolume(np.vstack((front, y)), reference) - base, abs=1e-12
        )


def test_empty_front_is_one_box_up_to_the_reference() -> None:
    lower, upper = nondominated_boxes(np.empty((0, 2)), np.array([1.0, 2.0]))
    assert upper.tolist() == [[1.0, 2.0]] and np.isneginf(lower).all()


@pytest.mark.parametrize(("m", "mean", "sd"), [(2, 0.5, 0.2), (2, 0.2, 1.0), (3, 0.5, 0.2)])
def test_log_ehvi_matches_monte_carlo(m: int, mean: float, sd: float) -> None:
    rng = np.random.default_rng(0)
    front, reference = _front(rng, 10, m), np.full(m, 1.2)
    lower, upper = nondominated_boxes(front, reference)
    acqf = LogExpectedHypervolumeImprovement([_Constant(mean, sd * sd)] * m, lower, upper)
    exact = float(torch.exp(acqf(torch.zeros(1, 1, dtype=torch.float64)))[0])
    base = hypervolume(front, reference)
    draws = mean + sd * rng.standard_normal((4000, m))
    gains = np.array([hypervolume(np.vstack((front, y)), reference) - base for y in draws])
    tolerance = 4 * gains.std() / np.sqrt(len(gains))  # 4 standard errors
    assert abs(exact - gains.mean()) < tolerance


def test_log_ehvi_stays_finite_with_a_gradient_far_from_any_improvement() -> None:
    lower, upper = nondominated_boxes(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([2.0, 2.0]))

    class Far:
        def posterior(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return 50.0 + X[..., 0], torch.full(X.shape[:-1], 0.01, dtype=torch.float64)

    X = torch.zeros(1, 1, dtype=torch.float64, requires_grad=True)
    value = LogExpectedHypervolumeImprovement([Far(), Far()], lower, upper)(X)
    value.sum().backward()
    assert torch.isfinite(value).all() and value.item() < -1e4
    assert X.grad is not None and X.grad.item() < 0  # lowering the objectives helps
