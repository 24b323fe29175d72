"""Hypergradients against closed forms (ridge 2.1, quadratic 2.2) and the Neumann identity (2.6)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from apogee.bilevel import (
    METHODS,
    BilevelProblem,
    HypergradientOptions,
    IndependentInnerError,
    LinearSolveError,
    NonFiniteError,
    hypergradient,
)
from apogee.bilevel._linear import fixed_point, neumann
from tests.bilevel._problems import DTYPE, Quadratic, Ridge

LAMBDA = 5.0


@pytest.mark.parametrize("method", METHODS)
def test_ridge_hypergradient_matches_closed_form(method: str) -> None:
    ridge = Ridge.make()
    lam = torch.tensor(LAMBDA, dtype=DTYPE)
    # implicit methods start at the exact inner solution; unrolling starts at zero
    start = torch.zeros(3, dtype=DTYPE) if method == "unrolled" else ridge.solution(LAMBDA)
    options = HypergradientOptions(max_iter=200, tol=1e-13, unroll_steps=300)
    result = hypergradient(ridge.problem(), lam, start, method=method, options=options)
    assert float(result) == pytest.approx(ridge.hypergradient(LAMBDA), rel=1e-9)


def test_unrolled_converges_to_implicit_as_steps_grow() -> None:
    ridge = Ridge.make()
    lam, start = torch.tensor(LAMBDA, dtype=DTYPE), torch.zeros(3, dtype=DTYPE)
    errors = []
    for steps in (5, 20, 80):
        options = HypergradientOptions(unroll_steps=steps, step_size=0.02)
        value = float(
            hypergradient(ridge.problem(), lam, start, method="unrolled", options=options)
        )
        errors.append(abs(value - ridge.hypergradient(LAMBDA)))
    assert errors[0] > errors[1] > errors[2]


def test_truncated_unrolling_differs_and_keeps_last_steps() -> None:
    ridge = Ridge.make()
    lam, start = torch.tensor(LAMBDA, dtype=DTYPE), torch.zeros(3, dtype=DTYPE)
    full = hypergradient(ridge.problem(), lam, start, method="unrolled")
    options = HypergradientOptions(unroll_steps=100, truncate=1)
    one = hypergradient(ridge.problem(), lam, start, method="unrolled", options=options)
    assert float(one) != pytest.approx(float(full), rel=1e-3)
    assert torch.sign(one) == torch.sign(full)


@pytest.mark.parametrize("method", ["cg", "neumann", "fixed_point", "unrolled"])
def test_quadratic_hypergradient_matches_linear_solve(method: str) -> None:
    quadratic = Quadratic.make()
    x = torch.linspace(-1.0, 1.0, 10, dtype=DTYPE)
    y = torch.zeros(10, dtype=DTYPE) if method == "unrolled" else quadratic.inner_solution(x)
    options = HypergradientOptions(max_iter=300, tol=1e-12, unroll_steps=300)
    result = hypergradient(quadratic.problem(), x, y, method=method, options=options)
    torch.testing.assert_close(result, quadratic.hypergradient(x), rtol=1e-9, atol=1e-10)


def test_neumann_with_k_terms_equals_fixed_point_with_k_plus_one_iterations() -> None:
    generator = torch.Generator().manual_seed(3)
    basis, _ = torch.linalg.qr(torch.randn(6, 6, generator=generator, dtype=DTYPE))
    H = (basis * torch.linspace(0.2, 1.0, 6, dtype=DTYPE)) @ basis.T
    b = [torch.randn(6, generator=generator, dtype=DTYPE)]

    def product(v: list[torch.Tensor]) -> list[torch.Tensor]:
        return [H @ v[0]]

    for terms in (0, 1, 4, 9):
        series, _ = neumann(product, b, step=0.7, terms=terms, tol=0.0)
        iterated, _ = fixed_point(product, b, step=0.7, max_iter=terms + 1, tol=0.0)
        torch.testing.assert_close(series[0], iterated[0], rtol=1e-13, atol=1e-14)
    exact = torch.linalg.solve(H, b[0])
    series, info = neumann(product, b, step=0.7, terms=400, tol=0.0)
    torch.testing.assert_close(series[0], exact, rtol=1e-10, atol=1e-12)
    assert info.residual < 1e-12


def test_neumann_identity_holds_for_the_hypergradient() -> None:
    quadratic = Quadratic.make()
    x = torch.linspace(-1.0, 1.0, 10, dtype=DTYPE)
    y = quadratic.inner_solution(x)
    for terms in (2, 7):
        options = HypergradientOptions(
            max_iter=terms, tol=0.0, step_size=0.9, raise_on_failure=False
        )
        series = hypergradient(quadratic.problem(), x, y, method="neumann", options=options)
        options = dataclasses.replace(options, max_iter=terms + 1)
        iterated = hypergradient(quadratic.problem(), x, y, method="fixed_point", options=options)
        torch.testing.assert_close(series, iterated, rtol=1e-12, atol=1e-13)
        assert not torch.allclose(series, quadratic.hypergradient(x), rtol=1e-6)  # truncated


def test_structures_round_trip_tuple_dict_and_module() -> None:
    ridge = Ridge.make()
    w = ridge.solution(LAMBDA)
    lam = torch.tensor(LAMBDA, dtype=DTYPE)
    tuple_problem = BilevelProblem(
        outer=lambda x, y: ridge.outer(x[0], y[0]), inner=lambda x, y: ridge.inner(x[0], y[0])
    )
    as_tuple = hypergradient(tuple_problem, (lam,), (w,))
    assert isinstance(as_tuple, tuple)
    assert float(as_tuple[0]) == pytest.approx(ridge.hypergradient(LAMBDA), rel=1e-9)
    model = torch.nn.Linear(3, 1, bias=False).to(DTYPE)
    with torch.no_grad():
        model.weight.copy_(w.reshape(1, 3))

    def inner(x: dict[str, torch.Tensor], params: dict[str, torch.Tensor]) -> torch.Tensor:
        prediction = torch.func.functional_call(model, params, (ridge.X,)).squeeze(-1)
        weight = params["weight"]
        return 0.5 * ((prediction - ridge.t) ** 2).mean() + 0.5 * x["lam"] * (weight**2).sum()

    def outer(x: dict[str, torch.Tensor], params: dict[str, torch.Tensor]) -> torch.Tensor:
        prediction = torch.func.functional_call(model, params, (ridge.X_val,)).squeeze(-1)
        return ((prediction - ridge.t_val) ** 2).mean()

    as_dict = hypergradient(BilevelProblem(outer=outer, inner=inner), {"lam": lam}, model)
    assert float(as_dict["lam"]) == pytest.approx(ridge.hypergradient(LAMBDA), rel=1e-9)
    assert torch.equal(model.weight.detach(), w.reshape(1, 3))  # inputs are never changed


def test_inner_independent_of_outer_raises() -> None:
    ridge = Ridge.make()
    problem = BilevelProblem(outer=ridge.outer, inner=lambda lam, w: ridge.inner(lam.detach(), w))
    lam = torch.tensor(LAMBDA, dtype=DTYPE)
    for method in METHODS:
        with pytest.raises(IndependentInnerError, match="not depend on the outer"):
            hypergradient(problem, lam, ridge.solution(LAMBDA), method=method)


def test_unconverged_linear_solve_reports_residual() -> None:
    quadratic = Quadratic.make()
    x = torch.ones(10, dtype=DTYPE)
    options = HypergradientOptions(max_iter=2, tol=1e-12)
    with pytest.raises(LinearSolveError, match="relative residual") as caught:
        hypergradient(quadratic.problem(), x, quadratic.inner_solution(x), options=options)
    assert caught.value.residual > 1e-12 and caught.value.iterations == 2


def test_non_scalar_objective_and_non_finite_values_raise() -> None:
    ridge = Ridge.make()
    lam, w = torch.tensor(LAMBDA, dtype=DTYPE), ridge.solution(LAMBDA)
    vector = BilevelProblem(outer=lambda lam, w: ridge.X_val @ w, inner=ridge.inner)
    with pytest.raises(ValueError, match="scalar tensor"):
        hypergradient(vector, lam, w)
    nan = BilevelProblem(outer=lambda lam, w: ridge.outer(lam, w) * torch.nan, inner=ridge.inner)
    with pytest.raises(NonFiniteError, match="non-finite"):
        hypergradient(nan, lam, w)
    with pytest.raises(NonFiniteError, match="initial 'inner'"):
        hypergradient(ridge.problem(), lam, torch.full((3,), torch.inf, dtype=DTYPE))


def test_shape_mismatch_names_the_shapes() -> None:
    ridge = Ridge.make()
    lam = torch.tensor(LAMBDA, dtype=DTYPE)
    with pytest.raises(ValueError, match=r"inner shapes \[\(4,\)\]"):
        hypergradient(ridge.problem(), lam, torch.zeros(4, dtype=DTYPE))


def test_bad_options_use_the_template() -> None:
    with pytest.raises(ValueError, match="'max_iter' parameter of HypergradientOptions"):
        HypergradientOptions(max_iter=0)
    with pytest.raises(ValueError, match="'method' parameter of hypergradient"):
        hypergradient(Ridge.make().problem(), torch.tensor(1.0), torch.zeros(3), method="exact")
    with pytest.raises(TypeError, match="'inner' parameter"):
        hypergradient(Ridge.make().problem(), torch.tensor(1.0), "weights")


@pytest.mark.parametrize("method", METHODS)
def test_minibatch_hypergradient_is_unbiased_within_its_standard_error(method: str) -> None:
    # On the quadratic problem only the linear terms are sampled and every Hessian is fixed,
    # so each estimate is affine in the batch means: its mean over seeds is the full-batch
    # value. Implicit methods at y*(x): d_B − d = −C A⁻¹ (f̄_B − f̄), whose covariance
    # C A⁻¹ Σ_f A⁻¹ Cᵀ / b is exact; unrolled: the standard error from the estimates' spread.
    # The mean of 60 seeds must lie within 4 standard errors in every coordinate.
    quadratic, batch, seeds = Quadratic.make(), 16, 60
    x = torch.linspace(-1.0, 1.0, 10, dtype=DTYPE)
    options = HypergradientOptions(max_iter=100, tol=1e-10, step_size=0.5, unroll_steps=30)
    start = torch.zeros(10, dtype=DTYPE) if method == "unrolled" else quadratic.inner_solution(x)
    problem = quadratic.problem(batch_size=batch)
    estimates = torch.stack(
        [
            hypergradient(problem, x, start, method=method, options=options, seed=seed)
            for seed in range(seeds)
        ]
    )
    full = hypergradient(quadratic.problem(), x, start, method=method, options=options)
    if method == "unrolled":
        error = estimates.std(0) / seeds**0.5
    else:
        torch.testing.assert_close(full, quadratic.hypergradient(x), rtol=1e-9, atol=1e-10)
        gain = quadratic.C @ torch.linalg.inv(quadratic.A)
        covariance = gain @ torch.cov(quadratic.f0.T, correction=0) @ gain.T / batch
        error = torch.sqrt(torch.diagonal(covariance) / seeds)
    assert bool(((estimates.mean(0) - full).abs() < 4.0 * error).all())
    assert float(estimates.std(0).min()) > 0.0  # the estimates are noisy
