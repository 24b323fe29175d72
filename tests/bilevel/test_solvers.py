"""Every solver reaches the optimum of the quadratic bilevel problem (2.2), also with minibatches."""

from __future__ import annotations

import pytest
import torch

from apogee.bilevel import (
    AID,
    BOREP,
    F2SA,
    ITD,
    MAID,
    SOLVERS,
    BilevelProblem,
    IndependentInnerError,
    NonFiniteError,
    Solver,
    solve,
)
from tests.bilevel._problems import DTYPE, Quadratic, batch_optimum_rms, stationary_rms

QUADRATIC = Quadratic.make()
X_STAR = QUADRATIC.outer_solution()

# (solver, outer iterations, relative tolerance on ‖x − x*‖ / ‖x*‖): the deterministic bias of
# each method is what bounds the tolerance (F2SA: O(1/λ) at λ = 1000; BO-REP: steps of length η).
DETERMINISTIC: list[tuple[Solver, int, float]] = [
    (AID(outer_lr=1.0, inner_steps=5, linear_steps=5), 60, 1e-8),
    (AID(outer_lr=1.0, linear_method="neumann", linear_steps=30), 60, 1e-6),
    (AID(outer_lr=1.0, linear_method="fixed_point", linear_steps=5), 60, 1e-8),
    (ITD(outer_lr=1.0, unroll_steps=10), 60, 1e-3),
    (F2SA(outer_lr=1.0, penalty_growth=5.0, max_penalty=1000.0), 200, 2e-3),
    (BOREP(outer_lr=0.02, inner_steps=5, linear_steps=5), 300, 0.03),
    (MAID(), 40, 1e-2),
]

# Minibatch runs (batches of 64 for f and for g) and the noise model their tolerance comes
# from. Only the linear terms of the quadratic are sampled, so the hypergradient of the
# problem built from a sample S is `Hₕ (x − x*(S))`, with the covariance of `x*(S) − x*` in
# closed form (`_problems._optimum_noise`). An outer step `x ← x − η d` on such directions has
# the stationary RMS error `stationary_rms(draws, η)` (a Lyapunov equation, exact for this
# model); one draw of 64 per step is the model for AID and ITD (their inner iterates average
# over several batches, so they are no noisier) and for F2SA. BO-REP's steps have length η
# whatever the direction; its momentum averages the directions of about 1/(1 − β) = 10 steps,
# so its error is at most that of one batch's optimum, `batch_optimum_rms(64)`. MAID draws
# samples of up to `max_sample_batches` batches and steps (nearly) to the sample's optimum, so
# its noise is one such sample's: `batch_optimum_rms(64 · 8)`. The tolerance is the full-batch
# bias bound (the deterministic test's, same settings) plus 3× that RMS: for a Gaussian error,
# P(‖e‖ > 3 RMS) <= P(χ²₁ > 9) ≈ 0.003 whatever the directions of the variance.
BATCH = 64


def _noise_rms(solver: Solver) -> float:
    if isinstance(solver, BOREP):
        return batch_optimum_rms(QUADRATIC, BATCH)
    if isinstance(solver, MAID):
        return batch_optimum_rms(QUADRATIC, BATCH * solver.max_sample_batches)
    assert isinstance(solver, AID | ITD | F2SA)
    return stationary_rms(QUADRATIC, BATCH, solver.outer_lr)


STOCHASTIC: list[tuple[Solver, int, float]] = [
    *DETERMINISTIC[:4],
    (BOREP(outer_lr=0.02, inner_steps=5, linear_steps=5), 300, 0.03),
    (MAID(max_sample_batches=8), 40, 1e-2),
]


def _start() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.zeros(10, dtype=DTYPE), torch.zeros(10, dtype=DTYPE)


@pytest.mark.parametrize(("solver", "steps", "tolerance"), DETERMINISTIC, ids=repr)
def test_solver_reaches_quadratic_optimum(solver: Solver, steps: int, tolerance: float) -> None:
    result = solve(QUADRATIC.problem(), *_start(), solver, steps=steps)
    error = float((result.outer - X_STAR).norm() / X_STAR.norm())
    assert error < tolerance
    inner_error = (result.inner - QUADRATIC.inner_solution(result.outer)).norm()
    assert float(inner_error) < max(10 * tolerance * float(X_STAR.norm()), 1e-6)
    assert result.solver == solver.name and len(result.outer_losses) == steps


@pytest.mark.parametrize(("solver", "steps", "bias"), STOCHASTIC, ids=repr)
def test_solver_with_minibatches_within_noise(solver: Solver, steps: int, bias: float) -> None:
    tolerance = bias * float(X_STAR.norm()) + 3.0 * _noise_rms(solver)
    result = solve(QUADRATIC.problem(batch_size=BATCH), *_start(), solver, steps=steps, seed=1)
    assert float((result.outer - X_STAR).norm()) < tolerance
    assert tolerance < 0.5 * float(X_STAR.norm())  # the test can fail: x0 = 0 is far outside


def test_f2sa_with_minibatches_within_noise_of_its_full_batch_run() -> None:
    # A fixed penalty λ = 10 keeps the minibatch noise (multiplied by λ) small but leaves an
    # O(1/λ) bias; comparing with the full-batch run of the same settings removes the bias.
    solver = F2SA(outer_lr=0.5, inner_lr=0.5, penalty=10.0, penalty_growth=0.0, max_penalty=10.0)
    full = solve(QUADRATIC.problem(), *_start(), solver, steps=100)
    result = solve(QUADRATIC.problem(batch_size=BATCH), *_start(), solver, steps=100, seed=1)
    tolerance = 3.0 * _noise_rms(solver)
    assert float((result.outer - full.outer).norm()) < tolerance
    assert tolerance < 0.5 * float(X_STAR.norm())


def test_maid_grows_its_sample_by_the_norm_test() -> None:
    maid = MAID(max_sample_batches=64, noise_ratio=0.5)
    # variance of d within θ²‖d‖² = 0.25: keep n; above it, n · variance / (θ²‖d‖²), capped
    assert maid._sample_size(variance=0.2, size=1.0, batches=4) == 4
    assert maid._sample_size(variance=1.0, size=1.0, batches=4) == 16
    assert maid._sample_size(variance=100.0, size=1.0, batches=4) == 64
    assert maid._sample_size(variance=1.0, size=0.0, batches=4) == 64
    with pytest.raises(ValueError, match="'max_sample_batches' parameter of MAID"):
        MAID(sample_batches=8, max_sample_batches=4)


def test_same_seed_same_result_and_inputs_untouched() -> None:
    x0, y0 = _start()
    problem = QUADRATIC.problem(batch_size=16)
    first = solve(problem, x0, y0, AID(), steps=5, seed=3)
    second = solve(problem, x0, y0, AID(), steps=5, seed=3)
    other = solve(problem, x0, y0, AID(), steps=5, seed=4)
    assert torch.equal(first.outer, second.outer)
    assert not torch.equal(first.outer, other.outer)
    assert torch.equal(x0, torch.zeros(10, dtype=DTYPE))


def test_result_history_and_callback() -> None:
    seen: list[tuple[int, float]] = []
    result = solve(
        QUADRATIC.problem(),
        *_start(),
        "aid",
        steps=6,
        record_every=2,
        callback=lambda k, v: seen.append((k, v)),
    )
    assert result.iterations == [2, 4, 6] and [k for k, _ in seen] == [2, 4, 6]
    assert result.outer_losses == [v for _, v in seen]
    assert result.seconds == sorted(result.seconds)
    assert result.outer_losses[-1] < result.outer_losses[0]


def test_itd_learns_a_step_size() -> None:
    # g(x, y) = ½‖y − c‖², one unrolled step from y = 0 with step η = x: y₁ = x c; f = ½‖y₁ − c/2‖²
    # so the best step is x* = 1/2.
    target = torch.tensor([1.0, -2.0], dtype=DTYPE)
    problem = BilevelProblem(
        outer=lambda x, y: 0.5 * ((y - target / 2) ** 2).sum(),
        inner=lambda x, y: 0.5 * ((y - target) ** 2).sum(),
    )
    solver = ITD(outer_lr=0.2, inner_lr=lambda x: x, unroll_steps=1, warm_start=False)
    result = solve(
        problem, torch.tensor(0.1, dtype=DTYPE), torch.zeros(2, dtype=DTYPE), solver, steps=100
    )
    assert float(result.outer) == pytest.approx(0.5, abs=1e-6)


def test_bad_solver_inputs() -> None:
    with pytest.raises(ValueError, match="'solver' parameter of solve"):
        solve(QUADRATIC.problem(), *_start(), "newton")
    with pytest.raises(ValueError, match="'outer_lr' parameter of AID"):
        AID(outer_lr=0.0)
    with pytest.raises(ValueError, match="'outer_optimizer' parameter of AID"):
        AID(outer_optimizer="lbfgs")
    constrained = BilevelProblem(
        outer=QUADRATIC.outer, inner=QUADRATIC.inner, inner_constraint=lambda x, y: y.sum()
    )
    with pytest.raises(TypeError, match="Use LVHBA"):
        solve(constrained, *_start(), AID(), steps=1)


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_every_solver_rejects_an_inner_objective_that_ignores_the_outer_variables(
    name: str,
) -> None:
    problem = BilevelProblem(
        outer=QUADRATIC.outer, inner=lambda x, y: QUADRATIC.inner(x.detach(), y)
    )
    with pytest.raises(IndependentInnerError, match="not depend on the outer"):
        solve(problem, *_start(), name, steps=1)


def test_every_solver_reports_non_finite_values() -> None:
    problem = BilevelProblem(
        outer=lambda x, y: QUADRATIC.outer(x, y) / (x - x).sum(), inner=QUADRATIC.inner
    )
    for name in sorted(SOLVERS):
        with pytest.raises(NonFiniteError, match="non-finite"):
            solve(problem, *_start(), name, steps=2)


def test_monitor_keeps_the_best_variables_and_patience_stops() -> None:
    # Monitor: the distance to a point x = 0.5·x* halfway along the path from 0, which AID
    # passes and leaves, so the score falls and then rises.
    target = 0.5 * X_STAR
    scores: list[float] = []

    def monitor(outer: torch.Tensor, inner: torch.Tensor) -> float:
        scores.append(float((outer - target).norm()))
        return scores[-1]

    solver = AID(outer_lr=0.3, inner_steps=5, linear_steps=5)
    result = solve(QUADRATIC.problem(), *_start(), solver, steps=60, monitor=monitor)
    assert result.monitor_values == scores and len(scores) == 60
    best = min(range(60), key=scores.__getitem__)
    assert 0 < best < 59 and result.best_iteration == best + 1
    assert float((result.best_outer - target).norm()) == pytest.approx(scores[best])
    assert float((result.outer - target).norm()) > scores[best]
    stopped = solve(QUADRATIC.problem(), *_start(), solver, steps=60, monitor=monitor, patience=3)
    assert stopped.iterations[-1] == best + 1 + 3 and stopped.best_iteration == best + 1
    plain = solve(QUADRATIC.problem(), *_start(), solver, steps=2)
    assert plain.best_iteration is None and plain.best_outer is None and not plain.monitor_values
    with pytest.raises(ValueError, match="'patience' parameter of solve"):
        solve(QUADRATIC.problem(), *_start(), solver, steps=2, monitor=monitor, patience=0)
