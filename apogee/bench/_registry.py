"""One registry of solver names: `apogee-<engine>` for every apogee engine and the variants
(such as `apogee-gp-flat`), then the peers.

A name of the form `module:attribute` loads a user's own `Solver` (an instance, or a class
built without arguments), so a new optimizer can be benchmarked without editing apogee.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import apogee as ap
from apogee.bench._apogee import PREFIX, VARIANTS, ApogeeSolver, apogee_solver_names
from apogee.bench._botorch import BoTorchSolver
from apogee.bench._optuna import OptunaSolver
from apogee.bench._solver import Solver
from apogee.bench._vector import NevergradSolver, PyCMASolver, PymooNSGA2Solver, ScipyDESolver

PEERS: dict[str, Callable[[], Solver]] = {
    "botorch": BoTorchSolver,
    "nevergrad-ngopt": NevergradSolver,
    "optuna-cmaes": lambda: OptunaSolver("cmaes"),
    "optuna-gp": lambda: OptunaSolver("gp"),
    "optuna-nsga2": lambda: OptunaSolver("nsga2"),
    "optuna-tpe": lambda: OptunaSolver("tpe"),
    "pycma": PyCMASolver,
    "pymoo-nsga2": PymooNSGA2Solver,
    "scipy-de": ScipyDESolver,
}


def solver_names() -> list[str]:
    """Every solver name `get_solver` accepts (apogee engines registered now, then peers)."""
    return [*apogee_solver_names(), *sorted(PEERS)]


def get_solver(name: str) -> Solver:
    """The solver called `name`, or a `module:attribute` solver of the user's.

    Raises:
        ValueError: no solver has that name (the message lists the valid ones).
    """
    if not isinstance(name, str):
        raise TypeError(f"A solver name must be a str. Got {name!r} instead.")
    if name.startswith(PREFIX) and name[len(PREFIX) :] in ap.optimizers.ENGINES:
        return ApogeeSolver(name[len(PREFIX) :])
    if name in VARIANTS:
        return VARIANTS[name]
    if name in PEERS:
        return PEERS[name]()
    if ":" in name:
        return _load_custom(name)
    raise ValueError(
        f"Unknown solver {name!r}. Valid solvers are: {', '.join(solver_names())} "
        "(or module:attribute for a Solver of your own)."
    )


def _load_custom(target: str) -> Solver:
    module_name, _, attribute = target.partition(":")
    found = getattr(importlib.import_module(module_name), attribute, None)
    if isinstance(found, type) and issubclass(found, Solver):
        found = found()
    if not isinstance(found, Solver):
        raise ValueError(f"{target!r} does not name an apogee.bench.Solver (got {found!r}).")
    return found
