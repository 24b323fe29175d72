"""Every solver reaches the optimum of the quadratic bilevel problem (2.2), also with minibatches."""

from __future__ import annotations

import pytest
import torch

from apogee._util.errors import UnsupportedError
from apogee.bilevel import AID, BOREP, F2SA, ITD, MAID, BilevelProblem, Solver, solve
from tests.bilevel._problems import DTYPE, Quadratic, batch_optimum_rms

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

STOCHASTIC: list[tuple[Solver, int]] = [
    (AID(outer_lr=1.0, inner_steps=5, linear_steps=5), 60),
    (ITD(outer_lr=1.0, unroll_steps=10), 60),
    (F2SA(outer_lr=0.5, inner_lr=0.5, penalty=10.0, penalty_growth=0.0, max_penalty=10.0), 150),
    (BOREP(outer_lr=0.02, inner_steps=5, linear_steps=5), 300),
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


@pytest.mark.parametrize(("solver", "steps"), STOCHASTIC, ids=repr)
def test_solver_with_minibatches_within_noise(solver: Solver, steps: int) -> None:
    # Tolerance from the noise: 3× the RMS distance from x* of the optimum of a problem built
    # from a single batch of 64 (the solver's iterates average many batches, so end closer).
    tolerance = 3.0 * batch_optimum_rms(QUADRATIC, 64, draws=400)
    result = solve(QUADRATIC.problem(batch_size=64), *_start(), solver, steps=steps, seed=1)
    assert float((result.outer - X_STAR).norm()) < tolerance
    assert tolerance < 0.5 * float(X_STAR.norm())  # the test can fail: x0 = 0 is far outside


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
    with pytest.raises(UnsupportedError, match="deterministic"):
        solve(QUADRATIC.problem(batch_size=8), *_start(), MAID(), steps=1)
    constrained = BilevelProblem(
        outer=QUADRATIC.outer, inner=QUADRATIC.inner, inner_constraint=lambda x, y: y.sum()
    )
    with pytest.raises(TypeError, match="Use LVHBA"):
        solve(constrained, *_start(), AID(), steps=1)
