"""The estimator math of `apogee.nn._estimators`, on numpy arrays and on torch tensors alike.

Monte-Carlo tolerances: a mean of N i.i.d. samples with variance σ² is compared with its
expectation at 5 standard errors, 5·σ/√N, where σ² is derived in closed form next to each test
(P(|Z| > 5) ≈ 6e-7 per comparison, so a correct estimator passes for essentially every seed,
while the wrong scalings these tests guard against are off by many standard errors).
"""

import ast
import math
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

from apogee.nn import _estimators as est
from tests.nn.conftest import DEVICES

N = 50_000
SIGMAS = 5.0


@dataclass(frozen=True)
class Backend:
    """How one array library draws directions and converts to numpy (the estimators don't)."""

    name: str
    asarray: Callable[[np.ndarray], Any]
    gaussian: Callable[[int, int, int], Any]
    to_numpy: Callable[[Any], np.ndarray]

    def sphere(self, n: int, d: int, seed: int) -> Any:
        z = self.gaussian(n, d, seed)
        norms = (
            (z * z).sum(axis=1, keepdims=True) ** 0.5
            if self.name == "numpy"
            else z.norm(dim=1, keepdim=True)
        )
        return z / norms


def _torch_backend(device: str) -> Backend:
    def gaussian(n: int, d: int, seed: int) -> torch.Tensor:
        generator = torch.Generator(device=device).manual_seed(seed)
        return torch.randn(n, d, generator=generator, dtype=torch.float64, device=device)

    return Backend(
        f"torch-{device}",
        lambda a: torch.as_tensor(a, dtype=torch.float64, device=device),
        gaussian,
        lambda t: t.detach().cpu().numpy(),
    )


BACKENDS = [
    Backend(
        "numpy",
        lambda a: np.asarray(a, dtype=np.float64),
        lambda n, d, seed: np.random.default_rng(seed).standard_normal((n, d)),
        np.asarray,
    ),
    *[_torch_backend(device) for device in DEVICES],
]


@pytest.fixture(params=BACKENDS, ids=lambda backend: backend.name)
def backend(request: pytest.FixtureRequest) -> Backend:
    return request.param  # type: ignore[no-any-return]


def _quadratic(d: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    root = rng.standard_normal((d, d))
    A = root @ root.T / d + np.eye(d)
    return A, rng.standard_normal(d), rng.standard_normal(d)  # A, b, x


def test_two_sided_slope_is_exact_on_a_quadratic(backend: Backend) -> None:
    # f(x ± μz) = f(x) ± μ zᵀ∇f + (μ²/2) zᵀAz: the curvature cancels in the difference.
    A, b, x = (backend.asarray(a) for a in _quadratic(6, seed=0))
    z = backend.gaussian(20, 6, 1)
    grad = A @ x + b
    for mu in (1e-4, 1e-2, 1.0, 10.0):
        plus = x + mu * z
        minus = x - mu * z
        f_plus = 0.5 * ((plus @ A) * plus).sum(1) + plus @ b
        f_minus = 0.5 * ((minus @ A) * minus).sum(1) + minus @ b
        slopes = est.two_sided_slope(f_plus, f_minus, mu)
        np.testing.assert_allclose(
            backend.to_numpy(slopes), backend.to_numpy(z @ grad), rtol=1e-9, atol=1e-9 * mu**2
        )


def test_one_sided_slope_bias_is_half_mu_curvature(backend: Backend) -> None:
    A, b, x = (backend.asarray(a) for a in _quadratic(5, seed=2))
    z = backend.gaussian(10, 5, 3)
    mu = 0.3
    f = lambda y: 0.5 * ((y @ A) * y).sum(-1) + y @ b  # noqa: E731
    slopes = est.one_sided_slope(f(x + mu * z), f(x), mu)
    curvature = ((z @ A) * z).sum(1)  # zᵀAz
    expected = z @ (A @ x + b) + est.forward_difference_bias(curvature, mu)
    np.testing.assert_allclose(backend.to_numpy(slopes), backend.to_numpy(expected), rtol=1e-10)


def test_coordinate_forward_difference_bias_is_half_mu_diag(backend: Backend) -> None:
    # DeepZero CGE on a quadratic: ĝ_i = ∂_i f + (μ/2) A_ii exactly (reference §2.7).
    A_np, b_np, x_np = _quadratic(7, seed=4)
    A, b, x = (backend.asarray(a) for a in (A_np, b_np, x_np))
    mu = 0.05
    f = lambda y: 0.5 * ((y @ A) * y).sum(-1) + y @ b  # noqa: E731
    basis = backend.asarray(np.eye(7))
    estimate = est.coordinate_forward_difference(f(x + mu * basis), f(x), mu)
    expected = A_np @ x_np + b_np + est.forward_difference_bias(np.diag(A_np), mu)
    np.testing.assert_allclose(backend.to_numpy(estimate), expected, rtol=1e-10)


@pytest.mark.parametrize("distribution", ["gaussian", "sphere"])
def test_estimate_is_unbiased(backend: Backend, distribution: str) -> None:
    # ĝ = c (zᵀg) z. Its coordinate variance, from E z_i z_j z_k z_l:
    #   Gaussian (c = 1):  Var ĝ_i = ‖g‖² + 2g_i² − g_i² = ‖g‖² + g_i²;
    #   sphere   (c = d):  E[u_i u_j u_k u_l] = (δδ + δδ + δδ)/(d(d+2)), so
    #                      Var ĝ_i = d(‖g‖² + 2g_i²)/(d+2) − g_i².
    d = 6
    g_np = np.array([1.0, -2.0, 0.5, 0.0, 3.0, -1.0])
    g = backend.asarray(g_np)
    z = backend.gaussian(N, d, 5) if distribution == "gaussian" else backend.sphere(N, d, 5)
    scale = est.direction_scale(distribution, d)
    estimates = est.direction_estimate((z @ g)[:, None], z, scale)
    mean = backend.to_numpy(estimates.mean(0))
    g2 = g_np @ g_np
    gaussian_variance = g2 + g_np**2
    sphere_variance = d * (g2 + 2 * g_np**2) / (d + 2) - g_np**2
    variance = gaussian_variance if distribution == "gaussian" else sphere_variance
    tolerance = SIGMAS * np.sqrt(variance / N)
    assert np.all(np.abs(mean - g_np) <= tolerance), (mean, g_np, tolerance)
    # DeepZero's `rge` drops the scale: its mean would be g/d, tens of standard errors away.
    if distribution == "sphere":
        assert np.any(np.abs(mean / d - g_np) > 10 * tolerance)


@pytest.mark.parametrize("distribution", ["gaussian", "sphere"])
def test_second_moment(backend: Backend, distribution: str) -> None:
    # X = ‖ĝ‖². Gaussian, with g = ‖g‖e₁ and R = Σ_{i>1} z_i² ~ χ²_{d−1} (k = d − 1):
    #   X = ‖g‖² z₁²(z₁² + R), E X = ‖g‖²(3 + k) = (d+2)‖g‖²,
    #   E X² = ‖g‖⁴(E z₁⁸ + 2 E z₁⁶ E R + E z₁⁴ E R²) = ‖g‖⁴(105 + 30k + 3k(k+2)),
    #   Var X = ‖g‖⁴(2k² + 30k + 96).
    # Sphere: X = d²(uᵀg)², E X = d‖g‖², E(uᵀg)⁴ = 3‖g‖⁴/(d(d+2)),
    #   Var X = ‖g‖⁴ d²(3d/(d+2) − 1).
    d = 6
    g_np = np.array([1.0, -2.0, 0.5, 0.0, 3.0, -1.0])
    g2 = float(g_np @ g_np)
    g = backend.asarray(g_np)
    z = backend.gaussian(N, d, 7) if distribution == "gaussian" else backend.sphere(N, d, 7)
    estimates = est.direction_estimate((z @ g)[:, None], z, est.direction_scale(distribution, d))
    second = float(backend.to_numpy((estimates * estimates).sum(1).mean()))
    expected = est.second_moment(g2, d, distribution)
    k = d - 1
    if distribution == "gaussian":
        assert expected == (d + 2) * g2
        variance = g2**2 * (2 * k**2 + 30 * k + 96)
    else:
        assert expected == d * g2
        variance = g2**2 * d**2 * (3 * d / (d + 2) - 1)
    tolerance = SIGMAS * math.sqrt(variance / N)
    assert abs(second - expected) <= tolerance
    if distribution == "gaussian":  # (d+2) is told apart from d: 2‖g‖² is many errors away
        assert abs(second - d * g2) > 2 * tolerance


def test_averaging_q_directions_divides_the_covariance(backend: Backend) -> None:
    # E‖ḡ‖² = ‖g‖²(1 + (d+1)/q). The variance of ‖ḡ‖² has no short closed form, so the
    # tolerance uses the sample variance of the N replicates (5 standard errors, CLT).
    d, q, n = 5, 4, 20_000
    g_np = np.array([0.5, -1.0, 2.0, 0.0, 1.0])
    g = backend.asarray(g_np)
    z = backend.gaussian(n * q, d, 11)
    slopes = z @ g
    scale = est.direction_scale("gaussian", d)
    averages = [
        est.average_estimate(
            list(map(float, slopes[i * q : (i + 1) * q])), z[i * q : (i + 1) * q], scale
        )
        for i in range(200)
    ]
    # average_estimate (a loop over directions) agrees with the vectorized form on 200 replicates:
    vectorized = est.direction_estimate(slopes[:, None], z, scale).reshape(n, q, d).mean(1)
    for i, average in enumerate(averages):
        np.testing.assert_allclose(
            backend.to_numpy(average), backend.to_numpy(vectorized[i]), rtol=1e-12, atol=1e-12
        )
    squared = backend.to_numpy((vectorized * vectorized).sum(1))
    expected = est.second_moment(float(g_np @ g_np), d, "gaussian", num_directions=q)
    assert expected == pytest.approx(float(g_np @ g_np) * (1 + (d + 1) / q))
    assert abs(squared.mean() - expected) <= SIGMAS * squared.std(ddof=1) / math.sqrt(n)


def test_combine_directions_consumes_a_generator_and_copies(backend: Backend) -> None:
    directions = [backend.asarray(np.full(3, float(j + 1))) for j in range(4)]
    weights = [0.5, -1.0, 2.0, 0.25]
    total = est.combine_directions(weights, (direction for direction in directions))
    np.testing.assert_allclose(backend.to_numpy(total), np.full(3, 0.5 - 2.0 + 6.0 + 1.0))
    np.testing.assert_array_equal(backend.to_numpy(directions[0]), np.ones(3))  # untouched
    with pytest.raises(ValueError):
        est.combine_directions(weights, directions[:3])
    with pytest.raises(ValueError):
        est.combine_directions([], [])
    # With `out`, the sum accumulates into it in place (the ZO update x ← x − η ĝ).
    out = backend.asarray(np.array([1.0, 2.0, 3.0]))
    returned = est.combine_directions(weights, iter(directions), out=out)
    assert returned is out
    np.testing.assert_allclose(backend.to_numpy(out), np.array([1.0, 2.0, 3.0]) + 5.5)
    # consume=True scales each (scratch) direction in place: same sum, no copies.
    scratch = [backend.asarray(np.full(3, float(j + 1))) for j in range(4)]
    total = est.combine_directions(weights, iter(scratch), consume=True)
    np.testing.assert_allclose(backend.to_numpy(total), np.full(3, 5.5))
    np.testing.assert_allclose(backend.to_numpy(scratch[3]), np.full(3, 4.0 * 0.25))


def test_scalar_inputs_and_weights() -> None:
    assert est.two_sided_slope(3.0, 1.0, 0.5) == 2.0
    assert est.one_sided_slope(3.0, 1.0, 0.5) == 4.0
    assert est.direction_weights([1.0, 3.0], 10.0) == [5.0, 15.0]
    assert est.direction_scale("gaussian", 100) == 1.0
    assert est.direction_scale("sphere", 100) == 100.0
    assert est.second_moment(2.0, 10, "sphere", 3) == pytest.approx(2.0 * (1 + 9 / 3))


def test_invalid_arguments_use_the_message_template() -> None:
    with pytest.raises(
        ValueError, match=r"The 'distribution' parameter of direction_scale must be one of"
    ):
        est.direction_scale("uniform", 3)
    with pytest.raises(
        ValueError, match=r"The 'dim' parameter of direction_scale must be an int in \[1, inf\)"
    ):
        est.direction_scale("gaussian", 0)
    with pytest.raises(
        ValueError, match=r"The 'slopes' parameter of direction_weights must be non-empty"
    ):
        est.direction_weights([], 1.0)


def test_estimators_module_does_not_import_torch() -> None:
    script = (
        "import sys\n"
        "import apogee.nn._estimators, apogee.nn\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert sorted(apogee.nn.__all__) == ['AdamP', 'CoordinateZO', 'ForwardGradient', 'Lion', 'ZOAdam', 'ZOSGD']\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    with open(est.__file__, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in ("torch", "numpy")}, imported
