"""The exact GP: posterior against closed form, the mixed kernel, fitting, conditioning."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import apogee as ap
from apogee.models import (
    ExactGP,
    Hyperparameters,
    InputSpec,
    default_hyperparameters,
    fit_map,
    matern52_from_squared,
    negative_log_posterior,
    robust_cholesky,
)
from apogee.models._fit import _Objective


def t(values: object) -> torch.Tensor:
    return torch.as_tensor(np.asarray(values, dtype=float), dtype=torch.float64)


def matern52_np(r: np.ndarray) -> np.ndarray:
    return (1 + math.sqrt(5) * r + 5 * r**2 / 3) * np.exp(-math.sqrt(5) * r)


def test_posterior_matches_closed_form() -> None:
    """Rasmussen & Williams eq. 2.25-2.26 written out with numpy for three points in 2-D."""
    X = np.array([[0.1, 0.2], [0.5, 0.9], [0.8, 0.3]])
    y = np.array([0.3, -1.2, 0.7])
    Xs = np.array([[0.4, 0.4], [0.0, 1.0]])
    ls, s, noise, c = np.array([0.3, 0.6]), 1.7, 0.01, 0.2
    hyper = Hyperparameters(tuple(ls), s, noise, c)

    def k(A: np.ndarray, B: np.ndarray) -> np.ndarray:
        r = np.sqrt((((A[:, None, :] - B[None, :, :]) / ls) ** 2).sum(-1))
        return s * matern52_np(r)

    K = k(X, X) + noise * np.eye(3)
    mean = c + k(Xs, X) @ np.linalg.solve(K, y - c)
    var = s - np.einsum("ij,ji->i", k(Xs, X), np.linalg.solve(K, k(X, Xs)))
    gp = ExactGP(InputSpec.continuous(2), t(X), t(y), hyper)
    got_mean, got_var = gp.posterior(t(Xs))
    np.testing.assert_allclose(got_mean.numpy(), mean, rtol=1e-10)
    np.testing.assert_allclose(got_var.numpy(), var, rtol=1e-10)
    joint_mean, cov = gp.joint_posterior(t(Xs))
    np.testing.assert_allclose(joint_mean.numpy(), mean, rtol=1e-10)
    np.testing.assert_allclose(np.diag(cov.numpy()), var, rtol=1e-10)


def test_categorical_columns_use_hamming_distance() -> None:
    spec = InputSpec((0, 3), (False, False))
    F = spec.embed(t([[0.5, 1 / 6], [0.5, 5 / 6], [0.5, 0.5]]))
    d2 = ((F[:, None, :] - F[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(d2.numpy(), 1.0 - np.eye(3), atol=1e-15)


def test_conditional_columns_inactive_is_at_distance_one() -> None:
    spec = InputSpec((0, 2), (True, True))
    X = t([[0.2, 0.25], [0.7, 0.75], [np.nan, np.nan], [np.nan, np.nan]])
    F = spec.embed(X)
    d2 = ((F[:, None, :] - F[None, :, :]) ** 2).sum(-1).numpy()
    chord = 4 * math.sin(0.5 / 2) ** 2  # active vs active: the chord of 0.5 rad
    assert d2[0, 1] == pytest.approx(chord + 1.0)  # the categorical choices differ too
    assert d2[0, 2] == pytest.approx(2.0)  # one unit per inactive column
    assert d2[2, 3] == 0.0


def test_flatten_reads_inactive_as_half() -> None:
    spec = InputSpec((0,), (False,))
    np.testing.assert_allclose(spec.embed(t([[np.nan]])).numpy(), [[0.5]])
    assert InputSpec.from_space(
        ap.Space({"c": ap.Categorical(["a", "b"]), "x": ap.Float(0, 1, condition=("c", "b"))}),
        flatten=True,
    ).conditional == (False, False)


def test_mixed_kernel_is_positive_semidefinite() -> None:
    rng = np.random.default_rng(0)
    spec = InputSpec((0, 0, 4, 3), (False, True, False, True))
    X = rng.random((60, 4))
    X[rng.random((60, 4)) < 0.3] = np.nan
    X[:, [0, 2]] = np.nan_to_num(X[:, [0, 2]], nan=0.3)  # unconditional columns stay active
    gp = ExactGP(
        spec,
        t(X),
        t(rng.standard_normal(60)),
        Hyperparameters((0.2, 0.3, 0.5, 1.0), 1.0, 1e-6, 0.0),
    )
    K = gp._cov(gp._F, gp._F).numpy()
    assert np.linalg.eigvalsh(K).min() > -1e-10


def test_matern_is_one_at_zero_and_smooth() -> None:
    r2 = torch.tensor([0.0, 1e-14, 0.25], dtype=torch.float64, requires_grad=True)
    k = matern52_from_squared(r2)
    assert float(k[0].detach()) == pytest.approx(1.0, abs=1e-5)
    assert float(k[2].detach()) == pytest.approx(float(matern52_np(np.array(0.5))), rel=1e-12)
    (grad,) = torch.autograd.grad(k.sum(), r2)
    assert torch.isfinite(grad).all()  # d k / d r^2 -> -5/6 at 0: finite


def test_condition_on_equals_a_gp_on_all_points() -> None:
    rng = np.random.default_rng(1)
    X, y = rng.random((12, 3)), rng.standard_normal(12)
    hyper = Hyperparameters((0.3, 0.5, 0.8), 1.3, 1e-4, 0.1)
    spec = InputSpec.continuous(3)
    full = ExactGP(spec, t(X), t(y), hyper)
    updated = ExactGP(spec, t(X[:9]), t(y[:9]), hyper).condition_on(t(X[9:]), t(y[9:]))
    Xs = t(rng.random((5, 3)))
    for a, b in zip(full.posterior(Xs), updated.posterior(Xs), strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)


def test_loss_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(2)
    spec = InputSpec((0, 0, 3), (False, True, False))
    X = rng.random((15, 3))
    X[rng.random(15) < 0.4, 1] = np.nan
    objective = _Objective(spec, t(X), t(rng.standard_normal(15)), 1e-6)
    theta = torch.tensor([-1.0, -0.5, 0.2, 0.3, -3.0, 0.1], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(objective.loss, (theta,), eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize(
    "theta", [[-1.0, -0.5, 0.2, 0.3, -3.0, 0.1], [1.5, -2.0, 0.0, -1.0, -25.0, -0.7]]
)
def test_closed_form_gradient_equals_autograd_of_the_loss(theta: list[float]) -> None:
    """Mixed inputs (conditional numeric, categorical), a large and a floor-level noise."""
    rng = np.random.default_rng(5)
    spec = InputSpec((0, 0, 3), (False, True, False))
    X = rng.random((40, 3))
    X[rng.random(40) < 0.4, 1] = np.nan
    X[:3] = X[3]  # duplicates: zero distances, where the kernel's clamp acts
    objective = _Objective(spec, t(X), t(rng.standard_normal(40)), 1e-6)
    value, grad = objective.value_and_grad(np.array(theta))
    tensor = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    loss = objective.loss(tensor)
    (expected,) = torch.autograd.grad(loss, tensor)
    # At the noise floor with duplicates K is nearly singular (jitter is added), so the two
    # evaluation orders agree to about 1e-11 relative, not to machine precision.
    assert value == pytest.approx(float(loss.detach()), rel=1e-9)
    scale = np.abs(expected.numpy()).max()
    np.testing.assert_allclose(grad, expected.numpy(), rtol=1e-6, atol=1e-7 * scale)


def test_fit_finds_the_irrelevant_dimension() -> None:
    rng = np.random.default_rng(3)
    X = rng.random((40, 2))
    y = np.sin(6 * X[:, 0])
    result = fit_map(InputSpec.continuous(2), t(X), t((y - y.mean()) / y.std()))
    relevant, irrelevant = result.hyper.lengthscales
    assert irrelevant > 5 * relevant
    assert result.hyper.noise < 1e-3  # noiseless data: the noise goes toward its floor
    default = default_hyperparameters(2, noise_floor=1e-6)
    assert result.loss < negative_log_posterior(
        InputSpec.continuous(2), t(X), t((y - y.mean()) / y.std()), default, noise_floor=1e-6
    )


def test_warm_start_from_the_optimum_stays_there() -> None:
    rng = np.random.default_rng(4)
    X = rng.random((30, 3))
    y = t(np.cos(4 * X).sum(1) - np.cos(4 * X).sum(1).mean())
    cold = fit_map(InputSpec.continuous(3), t(X), y)
    warm = fit_map(InputSpec.continuous(3), t(X), y, warm_start=cold.hyper)
    assert warm.loss <= cold.loss + 1e-6
    bad = Hyperparameters((1e-3,) * 3, 50.0, 5.0, 3.0)  # a stale, poor warm start is not used
    assert fit_map(InputSpec.continuous(3), t(X), y, warm_start=bad).loss <= cold.loss + 1e-3


def test_robust_cholesky_survives_duplicates() -> None:
    X = t([[0.3], [0.3], [0.3]])
    gp = ExactGP(
        InputSpec.continuous(1), X, t([1.0, 1.0, 1.0]), Hyperparameters((0.2,), 1.0, 1e-12, 0.0)
    )
    assert torch.isfinite(gp.posterior(t([[0.5]]))[0]).all()
    L = robust_cholesky(torch.ones(3, 3, dtype=torch.float64))
    assert torch.isfinite(L).all()


def test_hyperparameters_vector_round_trip() -> None:
    hyper = Hyperparameters((0.1, 2.0), 1.5, 1e-3, -0.4)
    again = Hyperparameters.from_vector(hyper.to_vector(noise_floor=1e-6), noise_floor=1e-6)
    np.testing.assert_allclose(again.lengthscales, hyper.lengthscales, rtol=1e-12)
    assert again.noise == pytest.approx(hyper.noise, rel=1e-12)
