"""Moments of the ZO estimate as the optimizers draw it: seeded directions, q > 1, one-sided, bias.

`test_nn_estimators.py` checks the estimator math on directions drawn by numpy or torch
directly; here the directions are the optimizers' own, regenerated from `(seed, step, j, k)` by
`DirectionStream`: either through whole `ZOSGD` steps (`lr = 1`, restarted from `x₀`, so
`ĝ = x₀ − x₁`), or, for the second moments that need more samples, as `ĝ = (1/q) Σ_j (z_jᵀg) z_j`
from the stream itself (`test_nn_zo.py` checks that a step is exactly that). A mean of `N` samples
is compared with its expectation at 5 standard errors (`SIGMAS`), from the closed-form variance
where the test derives one and from the sample variance otherwise.
"""

import math

import pytest
import torch

from apogee.nn import ZOSGD
from apogee.nn._directions import DirectionStream
from apogee.nn._estimators import second_moment
from tests.nn._problems import Quadratic

SIGMAS = 5.0


def _estimates(
    f: object, x0: torch.Tensor, n: int, device: torch.device, **options: object
) -> torch.Tensor:
    """`n` estimates `ĝ = x₀ − x₁` of one-step `ZOSGD(lr=1)` runs from `x₀`, shape `(n, d)`."""
    x = torch.nn.Parameter(x0.clone())
    optimizer = ZOSGD([x], lr=1.0, **options)  # type: ignore[arg-type]
    rows = torch.empty(n, x0.shape[0], dtype=x0.dtype, device=device)
    for i in range(n):
        with torch.no_grad():
            x.copy_(x0)
        optimizer.step(lambda: f(x))  # type: ignore[operator]
        rows[i] = x0 - x.detach()
    return rows


def _seeded_estimates(g: torch.Tensor, seed: int, n: int, q: int) -> torch.Tensor:
    """`n` estimates `(1/q) Σ_j (z_jᵀg) z_j`, `z_j` as steps `0 … n−1` regenerate them, `(n, d)`."""
    param = torch.nn.Parameter(torch.zeros_like(g))
    rows = torch.empty(n, g.shape[0], dtype=g.dtype, device=g.device)
    for step in range(n):
        stream = DirectionStream((param,), seed, step, q, "gaussian")
        directions = [stream.gaussian(j, 0) for j in range(q)]
        rows[step] = sum((z @ g) * z for z in directions) / q
    return rows


def _start(dim: int, seed: int, device: torch.device) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(dim, generator=generator, dtype=torch.float64).to(device)


def test_second_moment_of_the_seeded_directions(device: torch.device) -> None:
    # ĝ = (zᵀg)z, X = ‖ĝ‖²: E X = (d+2)‖g‖², Var X = ‖g‖⁴(2k² + 30k + 96) with k = d − 1
    # (derived in test_nn_estimators.test_second_moment). Seeds that repeated or correlated
    # the coordinates of z across steps would move the mean by many standard errors.
    d, n = 4, 4000
    quadratic = Quadratic.random(d, seed=20, device=device)
    x0 = _start(d, seed=21, device=device)
    g = quadratic.grad(x0)
    g2 = float(g @ g)
    estimates = _seeded_estimates(g, seed=23, n=n, q=1)
    second = float((estimates * estimates).sum(1).mean())
    k = d - 1
    tolerance = SIGMAS * math.sqrt(g2**2 * (2 * k**2 + 30 * k + 96) / n)
    assert abs(second - (d + 2) * g2) <= tolerance, (second, (d + 2) * g2, tolerance)
    assert abs(second - d * g2) > tolerance  # d + 2 is told apart from d


def test_averaging_q_seeded_directions_divides_the_covariance(device: torch.device) -> None:
    # With q = 4 directions a step, E‖ĝ‖² = ‖g‖²(1 + (d+1)/q). Were the q slices of a step
    # the same draw, it would stay (d+2)‖g‖²: the q directions of a step are independent.
    d, q, n = 4, 4, 4000
    quadratic = Quadratic.random(d, seed=24, device=device)
    x0 = _start(d, seed=25, device=device)
    g = quadratic.grad(x0)
    g2 = float(g @ g)
    estimates = _seeded_estimates(g, seed=27, n=n, q=q)
    squared = (estimates * estimates).sum(1)
    expected = second_moment(g2, d, "gaussian", num_directions=q)
    tolerance = SIGMAS * float(squared.std()) / math.sqrt(n)
    assert abs(float(squared.mean()) - expected) <= tolerance
    assert abs((d + 2) * g2 - expected) > 3 * tolerance
    mean_tolerance = SIGMAS * estimates.std(0) / math.sqrt(n)
    assert torch.all((estimates.mean(0) - g).abs() <= mean_tolerance)


@pytest.mark.parametrize("distribution", ["gaussian", "sphere"])
def test_one_sided_estimate_is_unbiased_on_a_quadratic(
    device: torch.device, distribution: str
) -> None:
    # Each one-sided sample is off by (μ/2)(zᵀAz)·c·z, but that term is odd in z, so its mean is
    # zero: E ĝ = ∇f on a quadratic, as for two-sided differences (reference §2.7).
    d, n, mu = 4, 1500, 0.3
    quadratic = Quadratic.random(d, seed=28, device=device)
    x0 = _start(d, seed=29, device=device)
    g = quadratic.grad(x0)
    estimates = _estimates(
        quadratic, x0, n, device, mu=mu, difference="one_sided", distribution=distribution, seed=31
    )
    tolerance = SIGMAS * estimates.std(0) / math.sqrt(n)
    assert torch.all((estimates.mean(0) - g).abs() <= tolerance), (estimates.mean(0), g)


def test_two_sided_estimate_is_biased_by_the_smoothing_off_quadratics(device: torch.device) -> None:
    # f(x) = Σ x_i³: the central difference is Σ 3x_i² z_i + μ² Σ z_i³, so
    # E ĝ_i = 3x_i² + μ² E z_i⁴ = ∇_i f + 3μ², the gradient of the smoothing
    # f_μ(x) = E f(x + μz) (∇f_μ = 3(x² + μ²)). The documented O(μ²)-for-odd-terms bias is there.
    n, mu = 1500, 0.5
    x0 = torch.tensor([0.3, -0.5, 0.2, 0.4], dtype=torch.float64, device=device)
    estimates = _estimates(lambda x: (x**3).sum(), x0, n, device, mu=mu, seed=33)
    tolerance = SIGMAS * estimates.std(0) / math.sqrt(n)
    smoothed = 3 * (x0**2 + mu**2)
    assert torch.all((estimates.mean(0) - smoothed).abs() <= tolerance)
    assert torch.all((estimates.mean(0) - 3 * x0**2).abs() > tolerance)  # not ∇f itself
