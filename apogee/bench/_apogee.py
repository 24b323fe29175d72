"""apogee's own engines as bench solvers: `apogee-<engine>` for every name in `ENGINES`.

Each run is a plain ask/tell loop over an in-memory study, so the solver time includes
everything `Study.ask` and `Study.tell` do. A few named variants (`VARIANTS`) run an engine
with options that differ from its defaults, for ablations such as `apogee-gp-flat`. `auto` is
told the run's budget, as `ap.minimize` tells it (and as the bench tells Nevergrad's NGOpt), and
`gp` the hypervolume reference point of a problem with several objectives, as BoTorch's loop is
told it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import apogee as ap
from apogee.bench._solver import Evaluate, JSONDict, Solver

if TYPE_CHECKING:
    from apogee.optimizers import Engine
    from apogee.problems import Problem

PREFIX = "apogee-"
# Engines known not to import torch; any other (gp, auto, engines added later) may.
TORCH_FREE_ENGINES = frozenset({"random", "sobol", "nsga2"})


@dataclass(frozen=True)
class ApogeeSolver(Solver):
    """An apogee engine run with its default options, or with `options` as a named variant.

    Args:
        engine: a name of `ap.optimizers.ENGINES`.
        variant: suffix of a variant's name, `apogee-<engine>-<variant>` (empty: the defaults).
        options: `(option, value)` pairs that differ from the engine's defaults.

    Example:
        >>> from apogee.bench import get_solver
        >>> get_solver("apogee-random").settings()["engine"]
        'random'
        >>> get_solver("apogee-gp-flat").settings()["options"]["flatten_conditions"]
        True
    """

    engine: str
    variant: str = ""
    options: tuple[tuple[str, object], ...] = ()

    @property
    def name(self) -> str:
        return PREFIX + self.engine + (f"-{self.variant}" if self.variant else "")

    def make_engine(self) -> Engine:
        """The engine this solver runs (validates `options`)."""
        return ap.optimizers.engine_from_options(self.engine, dict(self.options))

    def uses_torch(self) -> bool:
        return self.engine not in TORCH_FREE_ENGINES

    def _study(self, problem: Problem, seed: int, budget: int | None = None) -> ap.Study:
        engine = self.make_engine()
        if isinstance(engine, ap.optimizers.Auto) and budget is not None:
            engine = replace(engine, budget=budget)
        if isinstance(engine, ap.optimizers.GP):
            engine = _with_reference(engine, problem)
        return ap.create_study(
            f"bench-{problem.name}",
            space=problem.space,
            optimizer=engine,
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
            "options": self.make_engine().options(),
        }
        if self.engine == "auto":
            settings["budget"] = "the run's budget, as ap.minimize passes it"
        if self.engine == "gp":
            settings["reference_point"] = (
                "the problem's (several objectives), as BoTorch's loop gets it"
            )
        return settings

    def run(self, problem: Problem, budget: int, seed: int, evaluate: Evaluate) -> None:
        study = self._study(problem, seed, budget)
        for _ in range(budget):
            trial = study.ask()
            study.tell(trial, dict(evaluate(trial.params)))


def _with_reference(engine: ap.optimizers.GP, problem: Problem) -> ap.optimizers.GP:
    """The GP told the problem's reference point, if it has several objectives and one."""
    if engine.reference_point is not None or problem.reference_point is None:
        return engine
    if len(problem.objectives) < 2:  # a single objective's problem has no use for one
        return engine
    return replace(engine, reference_point=tuple(problem.reference_point))


# Ablations of the benchmark: an engine with one design choice switched off.
VARIANTS: dict[str, ApogeeSolver] = {
    solver.name: solver
    for solver in (
        # The GP on the flattened space: inactive conditional parameters read as 0.5 by an
        # ordinary kernel instead of the conditional one (issue 5's ablation row).
        ApogeeSolver("gp", "flat", (("flatten_conditions", True),)),
        # The GP with EHVI for any number of objectives (the default runs ParEGO for four or
        # more, and for three without a reference point).
        ApogeeSolver("gp", "ehvi", (("multi_objective", "ehvi"),)),
    )
}


def apogee_solver_names() -> list[str]:
    """`apogee-<name>` for every engine registered now (later ones appear too), then variants."""
    return [PREFIX + name for name in sorted(ap.optimizers.ENGINES)] + sorted(VARIANTS)
