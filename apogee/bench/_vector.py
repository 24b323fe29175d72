"""Peers that search the unit cube or their own vector spaces: pycma, scipy's differential
evolution, pymoo's NSGA-II and Nevergrad's NGOpt.

Pinned settings are in each solver's `settings()`; where a library stops on its own before the
budget is spent (CMA-ES or DE converged), the run restarts from a new seeded start, so every
solver gets the same number of evaluations.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from apogee.bench._solver import (
    Evaluate,
    JSONDict,
    Solver,
    objective_signs,
    unsupported_by_capabilities,
)
from apogee.bench._spaces import from_nevergrad, nevergrad_parametrization

if TYPE_CHECKING:
    from apogee.problems import Problem

CMA_SIGMA0 = 0.25  # a quarter of the unit box, within pycma's advice of 1/4 to 1/5 of the range


def _single_value(problem: Problem, values: Any) -> float:
    """The single objective as a value to minimize."""
    name, direction = next(iter(problem.objectives.items()))
    return float(values[name]) if direction == "minimize" else -float(values[name])


@dataclass(frozen=True)
class PyCMASolver(Solver):
    """pycma's `CMAEvolutionStrategy` in `[0, 1]^d` with IPOP restarts (population doubled).

    Example:
        >>> from apogee.bench import get_solver
        >>> get_solver("pycma").settings()["sigma0"]
        0.25
    """

    modules: ClassVar[tuple[str, ...]] = ("cma",)
    distributions: ClassVar[tuple[str, ...]] = ("cma",)

    @property
    def name(self) -> str:
        return "pycma"

    def unsupported_reason(self, problem: Problem) -> str | None:
        if problem.space.dim < 2:
            return "pycma needs at least two dimensions"
        return unsupported_by_capabilities(
            problem, multi_objective=False, constraints=False, name=self.name
        )

    def settings(self) -> JSONDict:
        return {
            "x0": "uniform in the unit box (per restart)",
            "sigma0": CMA_SIGMA0,
            "bounds": "[0, 1] (pycma's BoundTransform)",
            "restarts": "IPOP: population doubled at each restart",
            "others": "pycma defaults",
        }

    def run(self, problem: Problem, budget: int, seed: int, evaluate: Evaluate) -> None:
        import cma

        space = problem.space
        rng = np.random.default_rng(seed)
        used, popsize = 0, 4 + int(3 * np.log(space.dim))
        for restart in range(1000):
            options = {
                "bounds": [0.0, 1.0],
                "seed": seed * 1000 + restart + 1,  # pycma draws a time seed for 0
                "verbose": -9,
                "popsize": popsize,
                "maxfevals": budget - used,
            }
            es = cma.CMAEvolutionStrategy(rng.uniform(0, 1, space.dim), CMA_SIGMA0, options)
            while not es.stop():
                units = es.ask()
                losses = [_single_value(problem, evaluate(space.decode(u))) for u in units]
                used += len(units)
                es.tell(units, losses)
            popsize *= 2


@dataclass(frozen=True)
class ScipyDESolver(Solver):
    """`scipy.optimize.differential_evolution` in `[0, 1]^d`, restarted when it converges.

    Example:
        >>> from apogee.bench import get_solver
        >>> get_solver("scipy-de").settings()["polish"]
        False
    """

    modules: ClassVar[tuple[str, ...]] = ("scipy.optimize",)
    distributions: ClassVar[tuple[str, ...]] = ("scipy",)

    @property
    def name(self) -> str:
        return "scipy-de"

    def unsupported_reason(self, problem: Problem) -> str | None:
        return unsupported_by_capabilities(
            problem, multi_objective=False, constraints=False, name=self.name
        )

    def settings(self) -> JSONDict:
        return {
            "strategy": "best1bin",
            "popsize": 15,
            "polish": False,
            "init": "latinhypercube",
            "restarts": "a new seed when it converges (tol=0.01)",
            "others": "scipy defaults",
        }

    def run(self, problem: Problem, budget: int, seed: int, evaluate: Evaluate) -> None:
        from scipy.optimize import differential_evolution

        space = problem.space

        def loss(unit: np.ndarray) -> float:
            return _single_value(problem, evaluate(space.decode(unit)))

        for restart in range(1000):
            differential_evolution(
                loss,
                bounds=[(0.0, 1.0)] * space.dim,
                maxiter=budget,
                polish=False,
                rng=np.random.default_rng([seed, restart]),
            )


def pymoo_population(budget: int) -> int:
    """NSGA-II population: a tenth of the budget, within `[20, 100]` (pymoo's default is 100)."""
    return int(min(100, max(20, budget // 10)))


@dataclass(frozen=True)
class PymooNSGA2Solver(Solver):
    """pymoo's `NSGA2` (its default operators) in `[0, 1]^d`, through pymoo's ask/tell.

    Example:
        >>> from apogee.bench import get_solver
        >>> get_solver("pymoo-nsga2").settings()["algorithm"]
        'NSGA2'
    """

    modules: ClassVar[tuple[str, ...]] = (
        "pymoo.algorithms.moo.nsga2",
        "pymoo.core.evaluator",
        "pymoo.core.problem",
        "pymoo.problems.static",
    )
    distributions: ClassVar[tuple[str, ...]] = ("pymoo",)

    @property
    def name(self) -> str:
        return "pymoo-nsga2"

    def unsupported_reason(self, problem: Problem) -> str | None:
        return None

    def settings(self) -> JSONDict:
        return {
            "algorithm": "NSGA2",
            "pop_size": "budget // 10 within [20, 100]",
            "others": "pymoo defaults (SBX, polynomial mutation, constraint domination)",
        }

    def run(self, problem: Problem, budget: int, seed: int, evaluate: Evaluate) -> None:
        from pymoo.algorithms.moo.nsga2 import NSGA2
        from pymoo.core.evaluator import Evaluator
        from pymoo.core.problem import Problem as PymooProblem
        from pymoo.problems.static import StaticProblem

        space, signs = problem.space, objective_signs(problem)
        shape = PymooProblem(
            n_var=space.dim,
            n_obj=len(signs),
            n_ieq_constr=len(problem.constraints),
            xl=0.0,
            xu=1.0,
        )
        algorithm = NSGA2(pop_size=pymoo_population(budget))
        algorithm.setup(shape, termination=("n_eval", budget), seed=seed, verbose=False)
        while algorithm.has_next():
            population = algorithm.ask()
            rows = [evaluate(space.decode(unit)) for unit in population.get("X")]
            F = np.array(
                [
                    [s * row[n] for s, n in zip(signs, problem.objectives, strict=True)]
                    for row in rows
                ]
            )
            known: dict[str, Any] = {"F": F}
            if problem.constraints:
                known["G"] = np.array([[row[c] for c in problem.constraints] for row in rows])
            Evaluator().eval(StaticProblem(shape, **known), population)
            algorithm.tell(infills=population)


@dataclass(frozen=True)
class NevergradSolver(Solver):
    """Nevergrad's `NGOpt` with its defaults, told the budget, constraints as violations.

    Example:
        >>> from apogee.bench import get_solver
        >>> get_solver("nevergrad-ngopt").settings()["optimizer"]
        'NGOpt'
    """

    modules: ClassVar[tuple[str, ...]] = ("nevergrad",)
    distributions: ClassVar[tuple[str, ...]] = ("nevergrad",)

    @property
    def name(self) -> str:
        return "nevergrad-ngopt"

    def unsupported_reason(self, problem: Problem) -> str | None:
        return unsupported_by_capabilities(
            problem, multi_objective=False, constraints=True, name=self.name
        )

    def settings(self) -> JSONDict:
        return {
            "optimizer": "NGOpt",
            "num_workers": 1,
            "parametrization": "Scalar/Log per number (bins for integers), Choice per categorical",
            "constraints": "tell(..., constraint_violation=max(0, c))",
            "numpy_compatibility": (
                "float() of a one-element array inside nevergrad.optimization.metamodel reads "
                "that element, as NumPy < 2.4 did (Nevergrad 1.0.12 raises TypeError otherwise)"
            ),
        }

    def run(self, problem: Problem, budget: int, seed: int, evaluate: Evaluate) -> None:
        import nevergrad as ng

        _restore_one_element_float()
        space = problem.space
        optimizer = ng.optimizers.NGOpt(
            parametrization=nevergrad_parametrization(space, seed), budget=budget, num_workers=1
        )
        for _ in range(budget):
            candidate = optimizer.ask()
            values = evaluate(from_nevergrad(space, candidate.value))
            violations = [max(0.0, float(values[c])) for c in problem.constraints]
            optimizer.tell(
                candidate, _single_value(problem, values), constraint_violation=violations or None
            )


def _one_element_float(value: Any) -> float:
    """`float(value)`, with a one-element array read as its element (NumPy < 2.4 semantics)."""
    if isinstance(value, np.ndarray) and value.ndim > 0 and value.size == 1:
        value = value.reshape(())
    return builtins.float(value)


def _restore_one_element_float() -> None:
    """Let NGOpt's surrogate-model step run under NumPy >= 2.4.

    Nevergrad 1.0.12 minimizes its quadratic surrogate with `float(model.predict(row))`, a
    `(1,)` array: a deprecation warning up to NumPy 2.3, a TypeError from 2.4 on, which ends
    every bounded run of about 100+ evaluations at that step (`ngopt_numpy24.md`). Shadowing
    `float` in that one module restores the behaviour NGOpt was written and tuned for, and
    changes nothing else.
    """
    from nevergrad.optimization import metamodel

    metamodel.float = _one_element_float
