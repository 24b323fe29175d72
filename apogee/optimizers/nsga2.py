"""`nsga2`: NSGA-II (Deb et al. 2002) as a function of the trial history.

Every suggested trial stores its generation in its attributes. Generation 0 is uniform
random; generation `g + 1` is bred from the survivors `P_g = survive(P_{g-1} ∪ Q_g)` by binary
tournament, SBX crossover and polynomial mutation. Survival ranks by constraint domination and
crowding distance. The survivors of the newest finished generation are stored as a study
attribute (a list of trial numbers), so each generation's survival runs once and any worker,
or a restarted process, continues from the storage alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from apogee._util.rng import generator
from apogee._util.validation import check_float, check_int
from apogee.history import History, TrialRecord, TrialState
from apogee.moo import rank_and_crowding, survivors
from apogee.optimizers._genetic import (
    binary_tournament,
    polynomial_mutation,
    sbx,
    tournament_entrants,
)
from apogee.optimizers.base import Engine, Proposal, Suggestion

GENERATION = "nsga2:generation"
POPULATION = "nsga2:population"  # study attribute: {"generation": g, "numbers": [...]}


@dataclass(frozen=True)
class NSGA2(Engine):
    """NSGA-II for several objectives (one works too), with constraint domination.

    Defaults are pymoo's: population 100, SBX with eta 15 applied with probability 0.9,
    polynomial mutation with eta 20 and probability min(0.5, 1/d) per variable.

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

    name: ClassVar[str] = "nsga2"
    handles_multi_objective: ClassVar[bool] = True
    handles_constraints: ClassVar[bool] = True

    def __post_init__(self) -> None:
        check_int(self.population_size, "population_size", "NSGA2", low=2)
        check_float(self.crossover_eta, "crossover_eta", "NSGA2", low=0.0)
        check_float(self.crossover_probability, "crossover_probability", "NSGA2", low=0.0, high=1.0)
        check_float(self.mutation_eta, "mutation_eta", "NSGA2", low=0.0)
        if self.mutation_probability is not None:
            check_float(
                self.mutation_probability, "mutation_probability", "NSGA2", low=0.0, high=1.0
            )

    def suggest(self, history: History, numbers: Sequence[int], seed: int) -> Proposal:
        generation, filled = _current_generation(history, self.population_size)
        parents, stored = _parents(history, generation, self.population_size)
        suggestions = []
        for number in numbers:
            if filled >= self.population_size:
                generation, filled = generation + 1, 0
                parents, stored = _parents(history, generation, self.population_size, stored)
            unit = self._offspring(history, parents, seed, number, generation)
            suggestions.append(
                Suggestion(history.spec.space.decode(unit), {GENERATION: generation})
            )
            filled += 1
        study_attrs: dict[str, Any] = {}
        if stored is not None and history.study_attrs.get(POPULATION) != stored:
            study_attrs[POPULATION] = stored
        return Proposal(tuple(suggestions), study_attrs)

    def _offspring(
        self, history: History, parents: list[TrialRecord], seed: int, number: int, generation: int
    ) -> np.ndarray:
        """The child for trial `number`: trials `2j` and `2j + 1` get the two children of one mating.

        The mating (tournaments, crossover) draws from a stream keyed on the pair, the mutation
        from one keyed on the trial, so numbers, which are unique per worker, keep points distinct.
        """
        dim = history.spec.space.dim
        if generation == 0 or not parents:
            return generator(seed, number).random(dim)
        mating = generator(seed, generation, number // 2)
        encoded = history.encoded_params(parents)
        encoded = np.where(
            np.isnan(encoded), mating.random(encoded.shape), encoded
        )  # inactive columns
        objectives = history.objective_matrix(parents)
        violation = _violation(history, parents)
        _, crowding = rank_and_crowding(objectives, violation)
        matings = max(1, self.population_size // 2)
        entrants = tournament_entrants(generator(seed, generation), len(parents), matings)
        (a, b), (c, d) = entrants[(number // 2) % matings]
        first = binary_tournament(mating, int(a), int(b), objectives, violation, crowding)
        second = binary_tournament(mating, int(c), int(d), objectives, violation, crowding)
        crossed = mating.random() < self.crossover_probability
        children = (
            sbx(mating, encoded[first], encoded[second], self.crossover_eta) if crossed else None
        )
        child = encoded[(first, second)[number % 2]] if children is None else children[number % 2]
        probability = self.mutation_probability
        if probability is None:
            probability = min(0.5, 1.0 / max(dim, 1))
        rng = generator(seed, number)
        return polynomial_mutation(
            rng, child, self.mutation_eta, probability, at_least_once=not crossed
        )


def _generation_of(trial: TrialRecord) -> int:
    """Trials the engine did not suggest (added or enqueued ones) count as generation 0."""
    value = trial.system_attrs.get(GENERATION, 0)
    return int(value) if isinstance(value, int) else 0


def _current_generation(history: History, size: int) -> tuple[int, int]:
    """The newest generation and how many live (not failed) trials it has."""
    live = [t for t in history.trials if t.state is not TrialState.FAILED and t.has_params]
    if not live:
        return 0, 0
    newest = max(_generation_of(t) for t in live)
    return newest, sum(_generation_of(t) == newest for t in live)


def _violation(history: History, trials: Sequence[TrialRecord]) -> np.ndarray:
    if not history.spec.constraints:
        return np.zeros(len(trials))
    violation: np.ndarray = np.clip(history.constraint_matrix(trials), 0.0, None).sum(axis=1)
    return violation


def _parents(
    history: History, generation: int, size: int, stored: dict[str, Any] | None = None
) -> tuple[list[TrialRecord], dict[str, Any] | None]:
    """Survivors `P_{generation-1}`, from the stored population when it is current."""
    if generation == 0:
        return [], stored
    by_number = {t.number: t for t in history.complete}
    current = stored if stored is not None else history.study_attrs.get(POPULATION)
    if not isinstance(current, dict) or int(current.get("generation", -1)) > generation - 1:
        current = None
    population = (
        [] if current is None else [by_number[n] for n in current["numbers"] if n in by_number]
    )
    start = 0 if current is None else int(current["generation"]) + 1
    for previous in range(start, generation):
        offspring = [t for t in history.complete if _generation_of(t) == previous]
        kept = {t.number for t in population}
        pool = population + [t for t in offspring if t.number not in kept]
        if pool:
            keep = survivors(history.objective_matrix(pool), _violation(history, pool), size)
            population = [pool[int(i)] for i in keep]
        current = {"generation": previous, "numbers": [t.number for t in population]}
    return population, current
