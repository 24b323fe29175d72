"""Optuna's samplers as bench solvers: TPE (multivariate), GPSampler, CmaEsSampler, NSGAIISampler.

Each sampler runs with Optuna's defaults (TPE with `multivariate=True`, as the issues ask), over an
in-memory study, asked and told one trial at a time with Optuna's own parameter types; conditional
parameters are asked define-by-run. Constraints reach the samplers that take them through
`Trial.set_constraint` (Optuna 5; `constraints_func` before), values <= 0 feasible as in apogee.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from apogee.bench._solver import Evaluate, JSONDict, Solver, unsupported_by_capabilities
from apogee.bench._spaces import suggest_optuna

if TYPE_CHECKING:
    from apogee.problems import Problem

# sampler key -> (Optuna class name, handles several objectives, handles constraints, options)
SAMPLERS: dict[str, tuple[str, bool, bool, dict[str, Any]]] = {
    "tpe": ("TPESampler", True, True, {"multivariate": True}),
    "gp": ("GPSampler", True, True, {}),
    "cmaes": ("CmaEsSampler", False, False, {}),
    "nsga2": ("NSGAIISampler", True, True, {}),
}


def _has_set_constraint() -> bool:
    """Optuna 5 takes constraints with `Trial.set_constraint`; Optuna 4 by `constraints_func`."""
    import optuna

    return hasattr(optuna.trial.Trial, "set_constraint")


def _constraint_values(frozen_trial: Any) -> list[float]:
    return list(frozen_trial.user_attrs["constraints"])


@dataclass(frozen=True)
class OptunaSolver(Solver):
    """One Optuna sampler with its defaults.

    Example:
        >>> from apogee.bench import get_solver
        >>> get_solver("optuna-tpe").settings()["sampler"]
        'TPESampler'
    """

    sampler: str
    modules: ClassVar[tuple[str, ...]] = ("optuna",)
    distributions: ClassVar[tuple[str, ...]] = ("optuna",)

    def uses_torch(self) -> bool:
        return self.sampler == "gp"

    @property
    def name(self) -> str:
        return f"optuna-{self.sampler}"

    def unsupported_reason(self, problem: Problem) -> str | None:
        _, multi, constrained, _ = SAMPLERS[self.sampler]
        return unsupported_by_capabilities(
            problem, multi_objective=multi, constraints=constrained, name=self.name
        )

    def settings(self) -> JSONDict:
        class_name, _, _, options = SAMPLERS[self.sampler]
        return {"sampler": class_name, "options": dict(options), "others": "Optuna defaults"}

    def _make_sampler(self, problem: Problem, seed: int) -> Any:
        import optuna

        class_name, _, _, options = SAMPLERS[self.sampler]
        extra = dict(options)
        if problem.constraints and not _has_set_constraint():
            extra["constraints_func"] = _constraint_values
        return getattr(optuna.samplers, class_name)(seed=seed, **extra)

    def run(self, problem: Problem, budget: int, seed: int, evaluate: Evaluate) -> None:
        import warnings

        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        study = optuna.create_study(
            directions=[str(d) for d in problem.objectives.values()],  # type: ignore[misc]
            sampler=self._make_sampler(problem, seed),
        )
        for _ in range(budget):
            trial = study.ask()
            values = evaluate(suggest_optuna(trial, problem.space))
            for constraint in problem.constraints:
                if _has_set_constraint():
                    trial.set_constraint(constraint, values[constraint])
                else:
                    trial.set_user_attr("constraints", [values[c] for c in problem.constraints])
            study.tell(trial, [values[name] for name in problem.objectives])
