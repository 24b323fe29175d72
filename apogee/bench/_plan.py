"""From a suite (or a list of problems) and the command line's overrides to the list of jobs.

Every name is checked before anything runs: an unknown problem or solver, or a peer that is not
installed, is an error; a solver that cannot run a problem (one objective only, no constraints)
leaves that pair out with a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from apogee import problems
from apogee.bench._apogee import PREFIX
from apogee.bench._registry import get_solver, solver_names
from apogee.bench._runner import Job
from apogee.bench._solver import Solver
from apogee.bench._suites import Grid, get_suite

CUSTOM_SUITE = "custom"


@dataclass(frozen=True)
class Plan:
    """The jobs to run, the time limit per run, what was left out and why, and the record form.

    Example:
        >>> from apogee.bench import make_plan
        >>> plan = make_plan(problem_names=["branin"], solvers=["apogee-random"], budget=5)
        >>> [(job.problem, job.seed) for job in plan.jobs]
        [('branin', 0), ('branin', 1), ('branin', 2)]
    """

    suite: str
    jobs: tuple[Job, ...]
    timeout_s: float
    notes: tuple[str, ...]
    compact: bool = False  # record only improving evaluations (the suite's choice)


def _solvers(names: Sequence[str], from_suite: bool, notes: list[str]) -> list[Solver]:
    registered = set(solver_names())
    solvers: list[Solver] = []
    for name in names:
        if from_suite and name.startswith(PREFIX) and name not in registered:
            notes.append(f"{name} left out: this apogee has no engine '{name[len(PREFIX) :]}' yet")
            continue
        solver = get_solver(name)
        solver.check_installed()
        solvers.append(solver)
    return solvers


def make_plan(
    *,
    suite: str | None = None,
    problem_names: Sequence[str] | None = None,
    solvers: Sequence[str] | None = None,
    seeds: Sequence[int] | None = None,
    budget: int | None = None,
    timeout_s: float | None = None,
) -> Plan:
    """The jobs of `suite`, or of `problem_names` (then `solvers` and `budget` are required)."""
    notes: list[str] = []
    compact = False
    if suite is not None:
        chosen = get_suite(suite)
        grids, solver_list, limit = chosen.grids, solvers or chosen.solvers, chosen.timeout_s
        compact = chosen.compact
        if problem_names:
            grids = tuple(
                Grid(
                    tuple(n for n in g.problem_names() if n in problem_names),
                    budget=g.budget,
                    budget_per_dim=g.budget_per_dim,
                    seeds=g.seeds,
                    solvers=g.solvers,
                )
                for g in grids
            )
    else:
        if not problem_names or not solvers or budget is None:
            raise ValueError("Without --suite, give --problems, --solvers and --budget.")
        grids, solver_list, limit = (Grid(tuple(problem_names), budget=budget),), solvers, 3600.0
    jobs: list[Job] = []
    for grid in grids:
        names = solver_list if solvers is not None or grid.solvers is None else grid.solvers
        resolved = _solvers(names, from_suite=solvers is None, notes=notes)
        for problem_name in grid.problem_names():
            problem = problems.get(problem_name)
            for solver in resolved:
                reason = solver.unsupported_reason(problem)
                if reason is not None:
                    notes.append(f"{solver.name} on {problem.name} left out: {reason}")
                    continue
                jobs.extend(
                    Job(
                        suite or CUSTOM_SUITE,
                        problem.name,
                        solver.name,
                        seed,
                        budget if budget is not None else grid.budget_for(problem.space.dim),
                    )
                    for seed in (seeds if seeds is not None else grid.seeds)
                )
    notes_kept = tuple(dict.fromkeys(notes))
    return Plan(suite or CUSTOM_SUITE, tuple(jobs), timeout_s or limit, notes_kept, compact)
