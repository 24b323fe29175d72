"""Named suites: problems, budgets, seeds and solvers of each issue's official grid.

A suite is a list of grids, each a set of problems (names, or every default problem of a tag)
with a budget (fixed, or per dimension) and seeds, run by the suite's solvers. `docs/bench.md`
lists them; `quick` is what developers run before claiming a result (under 15 minutes on two
cores). A suite's apogee engine that this apogee does not register yet is left out with a note,
so the peers of a grid can run before the engine lands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from apogee import problems

BBOB_10D_FUNCTIONS = (1, 2, 6, 8, 10, 15, 17, 21)  # separable, ill-conditioned, multimodal mix
GP_SOLVERS = ("apogee-gp", "optuna-gp", "optuna-tpe", "botorch", "nevergrad-ngopt", "apogee-random")
HPO_SOLVERS = (*GP_SOLVERS, "apogee-gp-flat")  # with the ablation: the GP on the flattened space
POPULATION_SOLVERS = (
    "apogee-cmaes",
    "apogee-de",
    "apogee-auto",
    "pycma",
    "optuna-cmaes",
    "nevergrad-ngopt",
    "scipy-de",
)
QUICK_POPULATION = (
    "apogee-gp",
    "apogee-nsga2",
    "apogee-random",
    "optuna-tpe",
    "optuna-nsga2",
    "pymoo-nsga2",
)
QUICK_CONSTRAINED = (
    "apogee-gp",
    "apogee-nsga2",
    "apogee-random",
    "optuna-tpe",
    "optuna-gp",
    "nevergrad-ngopt",
)
MOO_SOLVERS = (
    "apogee-gp",
    "apogee-nsga2",
    "optuna-gp",
    "optuna-tpe",
    "optuna-nsga2",
    "pymoo-nsga2",
    "botorch",
)


@dataclass(frozen=True)
class Grid:
    """Problems (by name, or all default problems with `tag`) run at one budget rule and seeds.

    Example:
        >>> from apogee.bench import Grid
        >>> Grid(("bbob-f1-d5-i1",), budget_per_dim=20).budget_for(5)
        100
    """

    problems: tuple[str, ...] = ()
    tag: str | None = None
    budget: int | None = None
    budget_per_dim: int | None = None
    seeds: tuple[int, ...] = (0, 1, 2)
    solvers: tuple[str, ...] | None = None  # this grid's own solvers instead of the suite's

    def __post_init__(self) -> None:
        if (self.budget is None) == (self.budget_per_dim is None):
            raise ValueError("A Grid needs exactly one of 'budget' and 'budget_per_dim'.")

    def problem_names(self) -> list[str]:
        named = list(self.problems)
        return named + ([] if self.tag is None else problems.names(self.tag))

    def budget_for(self, dim: int) -> int:
        return self.budget if self.budget is not None else int(self.budget_per_dim or 0) * dim


@dataclass(frozen=True)
class Suite:
    """A named benchmark: its grids, solvers, the time limit of one run, and its record form.

    `compact` suites (long runs of one objective) record only the improving evaluations of each
    run (`RunOptions.compact`).

    Example:
        >>> from apogee.bench import get_suite
        >>> get_suite("quick").grids[0].seeds
        (0, 1)
    """

    name: str
    description: str
    grids: tuple[Grid, ...]
    solvers: tuple[str, ...]
    timeout_s: float = 3600.0
    compact: bool = False


def _bbob(functions: Sequence[int], dims: Sequence[int], suffix: str = "") -> tuple[str, ...]:
    return tuple(f"bbob-f{f}-d{d}-i1{suffix}" for d in dims for f in functions)


ALL_BBOB = tuple(range(1, 25))
MOO_PROBLEMS = ("zdt1-d6", "zdt2-d6", "zdt3-d6", "dtlz2-m3-d6", "branin-currin")

SUITES: dict[str, Suite] = {
    suite.name: suite
    for suite in (
        Suite(
            "quick",
            "Before claiming a result: classic, BBOB, noisy, multi-objective and constrained problems.",
            (
                Grid(
                    ("branin", "hartmann3", "bbob-f8-d5-i1", "branin-noise1"),
                    budget=25,
                    seeds=(0, 1),
                ),
                Grid(("zdt1-d6",), budget=40, seeds=(0, 1), solvers=QUICK_POPULATION),
                Grid(("constrained-branin",), budget=25, seeds=(0, 1), solvers=QUICK_CONSTRAINED),
            ),
            ("apogee-gp", "apogee-random", "optuna-tpe", "optuna-gp", "botorch", "nevergrad-ngopt"),
            timeout_s=600.0,
        ),
        Suite(
            "bbob",
            "The 24 BBOB functions in d = 2, 5 and 10 at 20 evaluations per dimension.",
            (Grid(_bbob(ALL_BBOB, (2, 5, 10)), budget_per_dim=20),),
            GP_SOLVERS,
        ),
        Suite(
            "gp",
            "Issue 5: BBOB d = 2, 5 (all 24), d = 10 (8) at 20 d; noisy; 12x10 categorical; d = 40; HPO.",
            (
                Grid(_bbob(ALL_BBOB, (2, 5)), budget_per_dim=20),
                Grid(_bbob(BBOB_10D_FUNCTIONS, (10,)), budget_per_dim=20),
                Grid(tag="noisy", budget=100),
                Grid(("categorical-v12-c10",), budget=100),
                Grid(_bbob((1, 8, 10, 15), (40,)), budget=200),
                Grid(tag="hpo", budget=60, solvers=HPO_SOLVERS),
            ),
            GP_SOLVERS,
        ),
        Suite(
            "hpo",
            "Mixed-space scikit-learn tuning problems (float, log, int, categorical, conditional).",
            (Grid(tag="hpo", budget=60),),
            HPO_SOLVERS,
        ),
        Suite(
            "population",
            "Issue 6: the 24 BBOB functions in d = 10 and 20 at 100 d and 300 d evaluations.",
            (
                Grid(_bbob(ALL_BBOB, (10, 20)), budget_per_dim=100),
                Grid(_bbob(ALL_BBOB, (10, 20)), budget_per_dim=300),
            ),
            POPULATION_SOLVERS,
            timeout_s=7200.0,
            compact=True,
        ),
        Suite(
            "moo",
            "Issue 7: ZDT1-3 (d = 6), DTLZ2 (3 objectives, d = 6) and Branin-Currin at budget 100.",
            (Grid(MOO_PROBLEMS, budget=100, seeds=(0, 1, 2, 3, 4)),),
            MOO_SOLVERS,
        ),
        Suite(
            "constrained",
            "Issue 7: the engineering design problems and a constrained Branin at budget 100.",
            (Grid(tag="constrained", budget=100, seeds=(0, 1, 2, 3, 4)),),
            ("apogee-gp", "optuna-gp", "optuna-tpe", "botorch", "nevergrad-ngopt", "apogee-random"),
        ),
        Suite(
            "multifidelity",
            "Multi-fidelity problems (augmented Branin and Hartmann-6); costs are recorded.",
            (Grid(tag="multifidelity", budget=60),),
            ("apogee-gp", "botorch", "optuna-tpe", "apogee-random"),
        ),
    )
}


def get_suite(name: str) -> Suite:
    """The suite called `name`; an unknown name lists the valid ones."""
    if name not in SUITES:
        raise ValueError(f"Unknown suite {name!r}. Valid suites are: {', '.join(SUITES)}.")
    return SUITES[name]
