"""`nsga2`: NSGA-II (Deb et al. 2002) as a function of the trial history.

Generations are kept as `apogee.optimizers._generational` describes. Survival ranks by
constraint domination and crowding distance; mating is NSGA-II's crowded binary tournament.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from apogee._util.validation import check_int
from apogee.history import History
from apogee.moo import survivors
from apogee.optimizers._generational import Scheme, check_variation, suggest_generation
from apogee.optimizers.base import Engine, Proposal

GENERATION = "nsga2:generation"
POPULATION = "nsga2:population"  # study attribute: {"generation": g, "numbers": [...]}


@dataclass(frozen=True)
class NSGA2(Engine):
    """NSGA-II for several objectives (one works too), with constraint domination.

    Defaults are pymoo's: population 100, SBX with eta 15 applied with probability 0.9,
    polynomial mutation with eta 20 and probability min(0.5, 1/d) per variable, applied to a
    child with probability 0.9 (`mutated_fraction`); duplicates of a parent or of a trial of
    the same generation are bred again.

    Example:
        >>> import apogee as ap
        >>> space = ap.Space({"x": ap.Float(0, 1), "y": ap.Float(0, 1)})
        >>> study = ap.create_study("mo", space=space, optimizer=ap.optimizers.NSGA2(population_size=8),
        ...                         objectives={"f1": "minimize", "f2": "minimize"}, seed=0)
        >>> study.optimize(lambda p: {"f1": p["x"], "f2": 1 - p["x"] + p["y"]}, n_trials=32, progress=False)
        >>> len(study.pareto_front()) > 1
        True
    """

    population_size: int = 100
    crossover_eta: float = 15.0
    crossover_probability: float = 0.9
    mutation_eta: float = 20.0
    mutation_probability: float | None = None
    mutated_fraction: float = 0.9

    name: ClassVar[str] = "nsga2"
    handles_multi_objective: ClassVar[bool] = True
    handles_constraints: ClassVar[bool] = True

    def __post_init__(self) -> None:
        check_int(self.population_size, "population_size", "NSGA2", low=2)
        check_variation(self, "NSGA2")

    def suggest(self, history: History, numbers: Sequence[int], seed: int) -> Proposal:
        return suggest_generation(self, _SCHEME, history, numbers, seed)


def _survive(values: np.ndarray, violation: np.ndarray, size: int, generation: int) -> np.ndarray:
    return survivors(values, violation, size)


_SCHEME = Scheme(GENERATION, POPULATION, _survive, dominance=True)
