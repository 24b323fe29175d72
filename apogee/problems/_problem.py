"""`Problem`: one benchmark function with its space, objectives, constraints and known optimum.

A problem is a plain frozen object: `evaluate` maps a parameter dict (in the user's units) to
objective and constraint values by name, so any optimizer can use it, not only the bench.
Families build problems from a deterministic function of the parameters; noise, when a problem
has any, is added here from a generator the caller passes, so runs are reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from apogee._util.validation import check_float, check_int
from apogee.space import Float, Space

Values = dict[str, float]
ProblemFunction = Callable[[Mapping[str, Any]], Values]
FrontFunction = Callable[[int], np.ndarray]
CostFunction = Callable[[Mapping[str, Any]], float]

KNOWN_TAGS = frozenset(
    {
        "bbob",
        "classic",
        "hpo",
        "moo",
        "constrained",
        "multifidelity",
        "noisy",
        "categorical",
        "conditional",
    }
)


@dataclass(frozen=True)
class Problem:
    """A benchmark problem: search space, objective(s), constraints and what is known of the optimum.

    Constraint values `<= 0` are feasible. `optimal_value` is the global minimum of the single
    objective (the best known feasible value for constrained problems), `optimal_params` one
    minimizer where it is known. For several objectives, `reference_point` and `max_hypervolume`
    are in the objectives' own units, all minimized.

    The keyword-only fields hold the behaviour: `function` maps checked parameters to the
    noise-free values by name, `front(n)` draws `n` points of an analytic Pareto front, and
    `cost_model(params)` prices one evaluation.

    Example:
        >>> import apogee as ap
        >>> from apogee import problems
        >>> branin = problems.get("branin")
        >>> round(branin.evaluate(branin.optimal_params)["value"], 6)
        0.397887
        >>> round(branin.optimal_value, 6)
        0.397887
        >>> square = problems.Problem("square", ap.Space({"x": ap.Float(-1, 1)}),
        ...                           {"value": "minimize"}, optimal_value=0.0,
        ...                           function=lambda p: {"value": p["x"] ** 2})
        >>> square.evaluate({"x": 0.5})
        {'value': 0.25}
    """

    name: str
    space: Space
    objectives: Mapping[str, str]
    constraints: tuple[str, ...] = ()
    optimal_value: float | None = None
    optimal_params: Mapping[str, Any] | None = None
    reference_point: tuple[float, ...] | None = None
    max_hypervolume: float | None = None
    noise_sd: float = 0.0
    fidelity: str | None = None
    tags: frozenset[str] = frozenset()
    function: ProblemFunction = field(kw_only=True, repr=False, compare=False)
    front: FrontFunction | None = field(default=None, kw_only=True, repr=False, compare=False)
    cost_model: CostFunction | None = field(default=None, kw_only=True, repr=False, compare=False)

    def __post_init__(self) -> None:
        owner = f"Problem {self.name!r}"
        if not self.objectives:
            raise ValueError(f"{owner} must have at least one objective.")
        for objective, direction in self.objectives.items():
            if direction not in ("minimize", "maximize"):
                raise ValueError(
                    f"The direction of objective '{objective}' of {owner} must be 'minimize' or "
                    f"'maximize'. Got {direction!r} instead."
                )
        check_float(self.noise_sd, "noise_sd", owner, low=0.0)
        unknown = sorted(set(self.tags) - KNOWN_TAGS)
        if unknown:
            raise ValueError(f"{owner} has unknown tags {unknown}; known: {sorted(KNOWN_TAGS)}.")
        if self.fidelity is not None and self.fidelity not in self.space:
            raise ValueError(f"The fidelity '{self.fidelity}' of {owner} is not in its space.")
        object.__setattr__(self, "objectives", dict(self.objectives))
        object.__setattr__(self, "constraints", tuple(self.constraints))
        object.__setattr__(self, "tags", frozenset(self.tags))

    def __hash__(self) -> int:
        return hash(self.name)

    @property
    def n_objectives(self) -> int:
        return len(self.objectives)

    def true_value(self, params: Mapping[str, Any]) -> Values:
        """Noise-free objective and constraint values of valid `params`, by name."""
        checked = self.space.validate(params)
        values = self.function(checked)
        expected = set(self.objectives) | set(self.constraints)
        if set(values) != expected:
            raise RuntimeError(
                f"Problem {self.name!r} returned {sorted(values)}, expected {sorted(expected)}."
            )
        return {name: float(values[name]) for name in (*self.objectives, *self.constraints)}

    def evaluate(
        self, params: Mapping[str, Any], *, rng: np.random.Generator | None = None
    ) -> Values:
        """Objective and constraint values by name; noise on the objectives is drawn from `rng`.

        Args:
            params: one value per active parameter of `space`, in the user's units.
            rng: required when `noise_sd > 0`; the same generator state gives the same noise.

        Raises:
            InvalidParamsError: `params` does not fit the space.
            ValueError: the problem is noisy and no `rng` was given.
        """
        values = self.true_value(params)
        if self.noise_sd == 0.0:
            return values
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                f"The 'rng' parameter of {self.name}.evaluate must be a numpy Generator because "
                f"the problem is noisy (noise_sd={self.noise_sd}). Got {rng!r} instead."
            )
        noise = rng.normal(0.0, self.noise_sd, size=len(self.objectives))
        for objective, draw in zip(self.objectives, noise, strict=True):
            values[objective] += float(draw)
        return values

    def pareto_front(self, n: int = 1000) -> np.ndarray | None:
        """`(n, m)` points of the true Pareto front where it is known analytically, else None."""
        check_int(n, "n", f"{self.name}.pareto_front", low=2)
        return None if self.front is None else self.front(n)

    def cost(self, params: Mapping[str, Any]) -> float:
        """The cost of one evaluation at `params` (1.0 unless the problem is multi-fidelity)."""
        checked = self.space.validate(params)
        return 1.0 if self.cost_model is None else float(self.cost_model(checked))


def box_space(bounds: list[tuple[float, float]] | tuple[tuple[float, float], ...]) -> Space:
    """A continuous space `x0 .. x{d-1}` over `bounds`."""
    return Space({f"x{i}": Float(low, high) for i, (low, high) in enumerate(bounds)})


def as_vector(params: Mapping[str, Any], dimension: int) -> np.ndarray:
    """The `(d,)` float vector of parameters named `x0 .. x{d-1}`."""
    return np.array([float(params[f"x{i}"]) for i in range(dimension)])


def as_params(vector: np.ndarray | list[float] | tuple[float, ...]) -> dict[str, float]:
    """Parameters `x0 .. x{d-1}` from a `(d,)` vector."""
    return {f"x{i}": float(value) for i, value in enumerate(vector)}


def vector_function(
    function: Callable[[np.ndarray], float], dimension: int, output: str = "value"
) -> ProblemFunction:
    """Wrap `f(x)` on a `(d,)` vector as a `ProblemFunction` returning `{output: f(x)}`."""

    def evaluate(params: Mapping[str, Any]) -> Values:
        value = float(function(as_vector(params, dimension)))
        if math.isnan(value):
            raise RuntimeError(f"The function returned NaN at {dict(params)}.")
        return {output: value}

    return evaluate
