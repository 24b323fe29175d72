"""apogee's own engines as bench solvers: `apogee-<engine>` for every name in `ENGINES`.

Each run is a plain ask/tell loop over an in-memory study, so the solver time includes
everything `Study.ask` and `Study.tell` do. `auto` is told the run's budget, as
`ap.minimize` tells it (and as the bench tells Nevergrad's NGOpt).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import apogee as ap
from apogee.bench._solver import Evaluate, JSONDict, Solver

if TYPE_CHECKING:
    from apogee.problems import Problem

PREFIX = "apogee-"
# Engines known not to import torch; any other (gp, auto, engines added later) may.
TORCH_FREE_ENGINES = frozenset({"random", "sobol", "nsga2"})


@dataclass(frozen=True)
class ApogeeSolver(Solver):
    """An apogee engine run with its default options.

    Example:
        >>> from apogee.bench import get_solver
        >>> get_solver("apogee-random").settings()["engine"]
        'random'
    """

    engine: str

    @property
    def name(self) -> str:
        return PREFIX + self.engine

    def uses_torch(self) -> bool:
        return self.engine not in TORCH_FREE_ENGINES

    def _study(self, problem: Problem, seed: int, budget: int | None = None) -> ap.Study:
        told = self.engine == "auto" and budget is not None
        return ap.create_study(
            f"bench-{problem.name}",
            space=problem.space,
            optimizer=ap.optimizers.Auto(budget=budget) if told else self.engine,
            seed=seed,
            objectives=dict(problem.objectives),
            constraints=list(problem.constraints),
        )

    def unsupported_reason(self, problem: Problem) -> str | None:
        try:
            self._study(problem, seed=0)
        except ap.UnsupportedError as error:
            return str(error)
        return None

    def settings(self) -> JSONDict:
        settings: JSONDict = {
            "engine": self.engine,
            "options": ap.optimizers.make_engine(self.engine).options(),
        }
        if self.engine == "auto":
            settings["budget"] = "the run's budget, as ap.minimize passes it"
        return settings

    def run(self, problem: Problem, budget: int, seed: int, evaluate: Evaluate) -> None:
        study = self._study(problem, seed, budget)
        for _ in range(budget):
            trial = study.ask()
            study.tell(trial, dict(evaluate(trial.params)))


def apogee_solver_names() -> list[str]:
    """`apogee-<name>` for every engine registered now (engines added later appear too)."""
    return [PREFIX + name for name in sorted(ap.optimizers.ENGINES)]
