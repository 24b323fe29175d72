"""The solver protocol of the bench: one optimizer run on one problem, for one budget and seed.

A solver never counts or records evaluations itself: it calls `evaluate(params)` (the bench's
recorder) and gets back the problem's values by name. The recorder measures the solver's own time
(between the end of one evaluation and the start of the next) and raises `BudgetExhausted` once
the budget is spent, which ends the run normally.
"""

from __future__ import annotations

import abc
import importlib.metadata
import importlib.util
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import apogee as ap

if TYPE_CHECKING:
    from apogee.problems import Problem

Evaluate = Callable[[Mapping[str, Any]], Mapping[str, float]]
JSONDict = dict[str, Any]
INSTALL_COMMAND = "pip install -e '.[bench]'"


class BudgetExhausted(Exception):
    """Raised by `evaluate` when the run's budget of evaluations is spent (a normal end)."""


class PeerNotInstalledError(ap.ApogeeError, ImportError):
    """A peer library that a solver needs cannot be imported."""


class Solver(abc.ABC):
    """One optimizer as the bench runs it: pinned settings, a space mapping and a loop.

    Subclasses are frozen dataclasses; `name` is what users pass to `--solvers`.
    """

    # Modules the solver imports: their packages are checked before a bench starts, and the
    # child imports them before the clock starts, so imports are not solver time.
    modules: ClassVar[tuple[str, ...]] = ()
    distributions: ClassVar[tuple[str, ...]] = ()  # distributions whose versions records carry

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """What users pass to `--solvers`."""

    @abc.abstractmethod
    def unsupported_reason(self, problem: Problem) -> str | None:
        """Why this solver cannot run `problem` faithfully, or None if it can."""

    @abc.abstractmethod
    def settings(self) -> JSONDict:
        """The pinned settings, written into every record and report."""

    @abc.abstractmethod
    def run(self, problem: Problem, budget: int, seed: int, evaluate: Evaluate) -> None:
        """Optimize `problem`, calling `evaluate` up to `budget` times (it raises after that)."""

    def uses_torch(self) -> bool:
        """Whether runs import torch (the child then sets it to one thread before the run)."""
        return False

    def check_installed(self) -> None:
        """Raise `PeerNotInstalledError` with the install command if a module is missing."""
        packages = dict.fromkeys(module.partition(".")[0] for module in self.modules)
        missing = [package for package in packages if importlib.util.find_spec(package) is None]
        if missing:
            raise PeerNotInstalledError(
                f"The solver '{self.name}' needs {', '.join(missing)}, which is not installed. "
                f"Install the bench peers with: {INSTALL_COMMAND}"
            )

    def versions(self) -> dict[str, str]:
        """Versions of apogee and of the peer distributions this solver uses."""
        found = {"apogee": ap.__version__}
        for distribution in self.distributions:
            try:
                found[distribution] = importlib.metadata.version(distribution)
            except importlib.metadata.PackageNotFoundError:
                found[distribution] = "not installed"
        return found


def objective_signs(problem: Problem) -> list[float]:
    """`+1` for each minimized objective and `-1` for each maximized one, in order."""
    signs: list[float] = []
    for name, direction in problem.objectives.items():
        if direction not in ("minimize", "maximize"):
            raise ValueError(f"Objective {name!r} has direction {direction!r}.")
        signs.append(1.0 if direction == "minimize" else -1.0)
    return signs


def unsupported_by_capabilities(
    problem: Problem, *, multi_objective: bool, constraints: bool, name: str
) -> str | None:
    """The reason a solver with these capabilities cannot run `problem`, or None."""
    if len(problem.objectives) > 1 and not multi_objective:
        return f"'{name}' optimizes one objective; {problem.name} has {len(problem.objectives)}"
    if problem.constraints and not constraints:
        return (
            f"'{name}' does not handle constraints; {problem.name} has {len(problem.constraints)}"
        )
    return None
