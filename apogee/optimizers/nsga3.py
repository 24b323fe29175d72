"""`nsga3`: NSGA-III (Deb & Jain 2014) as a function of the trial history.

Generations are kept as `apogee.optimizers._generational` describes, like `nsga2`'s. Survival
keeps whole non-dominated fronts and thins the last one by niching around Das-Dennis reference
directions (`apogee.moo.niching_survivors`), which spreads the population over the front where
crowding distance stops working (3+ objectives). Mating compares violations, then flips a coin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from apogee._util.rng import generator
from apogee._util.validation import check_int
from apogee.history import History
from apogee.moo import das_dennis, default_partitions, niching_survivors
from apogee.optimizers._generational import Scheme, check_variation, suggest_generation
from apogee.optimizers.base import Engine, Proposal

GENERATION = "nsga3:generation"
POPULATION = "nsga3:population"  # study attribute: {"generation": g, "numbers": [...]}
_NICHING = 0x6E33  # keys the niching tie-breaks apart from the breeding streams


@dataclass(frozen=True)
class NSGA3(Engine):
    """NSGA-III for three or more objectives (two work too), with constraint domination.

    Defaults are pymoo's `NSGA3`: SBX with eta 30 applied always, polynomial mutation with
    eta 20 and probability 1/d applied to 90% of the children; `partitions` (Das-Dennis)
    defaults to the most with at most 100 directions (12 for 3 objectives: 91 directions) and
    the population to the directions rounded up to a multiple of 4 (92), as Deb & Jain (2014) do.

    Example:
        >>> import apogee as ap
        >>> space = ap.Space({f"x{i}": ap.Float(0, 1) for i in range(4)})
        >>> objectives = {"f1": "minimize", "f2": "minimize", "f3": "minimize"}
        >>> study = ap.create_study("mo3", space=space, optimizer=ap.optimizers.NSGA3(partitions=3),
        ...                         objectives=objectives, seed=0)
        >>> study.optimize(lambda p: {"f1": p["x0"], "f2": p["x1"], "f3": 2 - p["x0"] - p["x1"]},
        ...                n_trials=24, progress=False)
        >>> len(study.pareto_front()) > 1
        True
    """

    partitions: int | None = None
    population_size: int | None = None
    crossover_eta: float = 30.0
    crossover_probability: float = 1.0
    mutation_eta: float = 20.0
    mutation_probability: float | None = None
    mutated_fraction: float = 0.9

    name: ClassVar[str] = "nsga3"
    handles_multi_objective: ClassVar[bool] = True
    handles_constraints: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.partitions is not None:
            check_int(self.partitions, "partitions", "NSGA3", low=1)
        if self.population_size is not None:
            check_int(self.population_size, "population_size", "NSGA3", low=2)
        check_variation(self, "NSGA3")

    def directions(self, m: int) -> np.ndarray:
        """`(r, m)` Das-Dennis reference directions for `m` objectives."""
        return das_dennis(m, self.partitions or default_partitions(m))

    def suggest(self, history: History, numbers: Sequence[int], seed: int) -> Proposal:
        directions = self.directions(len(history.spec.objective_names))
        size = self.population_size or -(-len(directions) // 4) * 4

        def survive(
            values: np.ndarray, violation: np.ndarray, n: int, generation: int
        ) -> np.ndarray:
            rng = generator(seed, _NICHING, generation)
            earlier = _archive(history, generation)
            return niching_survivors(values, violation, n, directions, rng, earlier)

        breeding = _Breeding(
            size,
            self.crossover_eta,
            self.crossover_probability,
            self.mutation_eta,
            self.mutation_probability,
            self.mutated_fraction,
        )
        scheme = Scheme(GENERATION, POPULATION, survive, dominance=False)
        return suggest_generation(breeding, scheme, history, numbers, seed)


def _archive(history: History, generation: int) -> np.ndarray:
    """Objectives `k x m` of the feasible trials of generations up to `generation`.

    Bounded by the generation, not by the history's end, so that a generation's survivors are
    the same whenever (and in whichever process) its survival is computed.
    """
    trials = [
        t
        for t in history.feasible()
        if isinstance(g := t.system_attrs.get(GENERATION, 0), int) and g <= generation
    ]
    return history.objective_matrix(trials)


@dataclass(frozen=True)
class _Breeding:
    """The options breeding reads, with the population size resolved."""

    population_size: int
    crossover_eta: float
    crossover_probability: float
    mutation_eta: float
    mutation_probability: float | None
    mutated_fraction: float
