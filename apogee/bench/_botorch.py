"""BoTorch's standard loop, written with BoTorch's public API, as a bench solver.

Pinned settings (issue 5): `2d + 1` scrambled Sobol points, then one point per iteration from a
`SingleTaskGP` (BoTorch's default priors and outcome standardization, fitted by
`fit_gpytorch_mll`) and `optimize_acqf(num_restarts=10, raw_samples=512)` over the unit cube.
One objective: `qLogExpectedImprovement`; with constraints, the same with BoTorch's constraint
weighting on extra model outputs; several objectives: `qLogNoisyExpectedHypervolumeImprovement`
at the problem's reference point. Integers and categoricals are rounded by `Space.decode`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from apogee.bench._solver import Evaluate, JSONDict, Solver, objective_signs
from apogee.bench._spaces import model_point

if TYPE_CHECKING:
    from apogee.problems import Problem

NUM_RESTARTS = 10
RAW_SAMPLES = 512


@dataclass(frozen=True)
class BoTorchSolver(Solver):
    """SingleTaskGP + qLogEI (qLogNEHVI for several objectives) + optimize_acqf.

    Example:
        >>> from apogee.bench import get_solver
        >>> get_solver("botorch").settings()["num_restarts"]
        10
    """

    modules: ClassVar[tuple[str, ...]] = (
        "torch",
        "scipy.stats",
        "gpytorch.mlls",
        "botorch.fit",
        "botorch.models",
        "botorch.optim.optimize",
        "botorch.acquisition.logei",
        "botorch.acquisition.multi_objective.logei",
    )
    distributions: ClassVar[tuple[str, ...]] = ("botorch", "gpytorch", "torch")

    def uses_torch(self) -> bool:
        return True

    @property
    def name(self) -> str:
        return "botorch"

    def unsupported_reason(self, problem: Problem) -> str | None:
        if len(problem.objectives) > 1 and problem.reference_point is None:
            return f"qLogNEHVI needs a reference point; {problem.name} has none"
        return None

    def settings(self) -> JSONDict:
        return {
            "model": "SingleTaskGP (defaults, Standardize outcomes)",
            "fit": "fit_gpytorch_mll(ExactMarginalLogLikelihood)",
            "acquisition": "qLogExpectedImprovement; qLogNoisyExpectedHypervolumeImprovement "
            "(prune_baseline=True) for several objectives; constraints as extra outputs",
            "initial_points": "2d+1 scrambled Sobol",
            "num_restarts": NUM_RESTARTS,
            "raw_samples": RAW_SAMPLES,
            "q": 1,
        }

    def run(self, problem: Problem, budget: int, seed: int, evaluate: Evaluate) -> None:
        import torch
        from scipy.stats import qmc

        warnings.filterwarnings("ignore")  # BoTorch's fitting and Sobol-balance warnings
        torch.manual_seed(seed)
        space = problem.space
        signs = np.array(objective_signs(problem))
        points: list[np.ndarray] = []
        outputs: list[list[float]] = []

        def observe(unit: np.ndarray) -> None:
            values = evaluate(space.decode(unit))
            points.append(model_point(space, unit))
            objectives = [-s * values[n] for s, n in zip(signs, problem.objectives, strict=True)]
            outputs.append(objectives + [values[c] for c in problem.constraints])

        n_initial = min(budget, 2 * space.dim + 1)
        for unit in qmc.Sobol(space.dim, scramble=True, seed=seed).random(n_initial):
            observe(unit)
        for _ in range(budget - n_initial):
            observe(_next_point(problem, np.array(points), np.array(outputs)))


def _next_point(problem: Problem, points: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """The maximizer of the acquisition over `[0, 1]^d`, given `(n, d)` points, `(n, k)` outputs."""
    import torch
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.optim.optimize import optimize_acqf
    from gpytorch.mlls import ExactMarginalLogLikelihood  # type: ignore[import-untyped]

    X = torch.tensor(points, dtype=torch.float64)
    Y = torch.tensor(outputs, dtype=torch.float64)
    model = SingleTaskGP(X, Y)
    fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    bounds = torch.stack([torch.zeros(X.shape[1]), torch.ones(X.shape[1])]).to(X)
    candidate, _ = optimize_acqf(
        _acquisition(problem, model, X, Y),
        bounds=bounds,
        q=1,
        num_restarts=NUM_RESTARTS,
        raw_samples=RAW_SAMPLES,
    )
    return np.asarray(candidate.detach().numpy()[0], dtype=float)


def _acquisition(problem: Problem, model: Any, X: Any, Y: Any) -> Any:
    """qLogEI or qLogNEHVI; outputs are the objectives (maximized) then the constraints."""
    from botorch.acquisition.logei import qLogExpectedImprovement
    from botorch.acquisition.multi_objective.logei import (
        qLogNoisyExpectedHypervolumeImprovement,
    )
    from botorch.acquisition.multi_objective.objective import IdentityMCMultiOutputObjective
    from botorch.acquisition.objective import GenericMCObjective

    m = len(problem.objectives)
    constraints = [_output(m + i) for i in range(len(problem.constraints))] or None
    if m > 1 and problem.reference_point is not None:  # unsupported_reason requires one
        signs = objective_signs(problem)
        ref = [-s * r for s, r in zip(signs, problem.reference_point, strict=True)]
        return qLogNoisyExpectedHypervolumeImprovement(
            model,
            ref_point=ref,
            X_baseline=X,
            prune_baseline=True,
            objective=IdentityMCMultiOutputObjective(outcomes=list(range(m))),
            constraints=constraints,
        )
    feasible = (Y[:, 1:] <= 0).all(dim=-1)
    best_f = Y[feasible, 0].max() if bool(feasible.any()) else Y[:, 0].min()
    return qLogExpectedImprovement(
        model,
        best_f=best_f,
        objective=GenericMCObjective(_first_output),
        constraints=constraints,
    )


def _output(index: int) -> Callable[[Any], Any]:
    """The model output `index` of samples `Z` of shape `... x k` (a constraint, <= 0 feasible)."""

    def column(Z: Any) -> Any:
        return Z[..., index]

    return column


def _first_output(Z: Any, X: Any = None) -> Any:
    """The objective: output 0 of samples `Z` of shape `... x k`."""
    return Z[..., 0]
