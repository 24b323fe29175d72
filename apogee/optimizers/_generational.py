"""Generations of a genetic engine rebuilt from the history (shared by `nsga2` and `nsga3`).

Every suggested trial stores its generation in its attributes. Generation 0 is uniform
random; generation `g + 1` is bred from the survivors `P_g = survive(P_{g-1} ∪ Q_g)` by binary
tournament, SBX crossover and polynomial mutation. The survivors of the newest finished
generation are stored as a study attribute (a list of trial numbers), so each generation's
survival runs once and any worker, or a restarted process, continues from the storage alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from apogee._util.rng import generator
from apogee._util.validation import check_float
from apogee.history import History, TrialRecord, TrialState
from apogee.moo import rank_and_crowding
from apogee.optimizers._genetic import (
    binary_tournament,
    polynomial_mutation,
    sbx,
    tournament_entrants,
)
from apogee.optimizers.base import Proposal, Suggestion

_RETRIES = 10  # fresh matings tried for a child that duplicates a parent or a sibling
_SAME = 1e-12  # unit-cube coordinates this close are the same point
_FILL = 0x66  # sub-stream of a generation: coordinates for inactive conditional parameters

# (objectives `n x m`, violation `n`, size, generation) -> indices of the survivors
Survive = Callable[[np.ndarray, np.ndarray, int, int], np.ndarray]


class Variation(Protocol):
    """The crossover and mutation options of a genetic engine."""

    @property
    def crossover_eta(self) -> float: ...
    @property
    def crossover_probability(self) -> float: ...
    @property
    def mutation_eta(self) -> float: ...
    @property
    def mutation_probability(self) -> float | None: ...
    @property
    def mutated_fraction(self) -> float: ...


class Breeding(Variation, Protocol):
    """The options of a genetic engine that breeding reads."""

    @property
    def population_size(self) -> int: ...


@dataclass(frozen=True)
class Scheme:
    """How one engine keeps its generations: attribute names, survival, tournament rule.

    `dominance=True` is NSGA-II's crowded comparison (violation, Pareto dominance, crowding);
    `False` is NSGA-III's (violation, then a coin flip).
    """

    generation_key: str
    population_key: str
    survive: Survive
    dominance: bool


def check_variation(engine: Variation, owner: str) -> None:
    """Validate the variation options of a genetic engine (the one template)."""
    check_float(engine.crossover_eta, "crossover_eta", owner, low=0.0)
    check_float(engine.crossover_probability, "crossover_probability", owner, low=0.0, high=1.0)
    check_float(engine.mutation_eta, "mutation_eta", owner, low=0.0)
    if engine.mutation_probability is not None:
        check_float(engine.mutation_probability, "mutation_probability", owner, low=0.0, high=1.0)
    check_float(engine.mutated_fraction, "mutated_fraction", owner, low=0.0, high=1.0)


def suggest_generation(
    engine: Breeding, scheme: Scheme, history: History, numbers: Sequence[int], seed: int
) -> Proposal:
    """One child per number; a full generation starts the next (see the module docstring)."""
    size = engine.population_size
    generation, filled = _current_generation(history, scheme)
    parents, stored = _parents(history, scheme, generation, size)
    mating_pool = _mating_pool(engine, scheme, history, parents, seed, generation)
    suggestions = []
    for number in numbers:
        if filled >= size:
            generation, filled = generation + 1, 0
            parents, stored = _parents(history, scheme, generation, size, stored)
            mating_pool = _mating_pool(engine, scheme, history, parents, seed, generation)
        if mating_pool is None:  # generation 0: uniform random
            unit = generator(seed, number).random(history.spec.space.dim)
        else:
            unit = _offspring(engine, mating_pool, seed, number)
            mating_pool.taken = np.vstack((mating_pool.taken, unit))
        suggestions.append(
            Suggestion(history.spec.space.decode(unit), {scheme.generation_key: generation})
        )
        filled += 1
    study_attrs: dict[str, Any] = {}
    if stored is not None and history.study_attrs.get(scheme.population_key) != stored:
        study_attrs[scheme.population_key] = stored
    return Proposal(tuple(suggestions), study_attrs)


@dataclass
class _MatingPool:
    """What breeding one generation reads, computed once per call and generation.

    `encoded` `n x d` are the parents' unit points, `objectives`, `violation` and `crowding`
    the inputs of the tournament, `entrants` the generation's tournaments, and `taken` the
    points a child must not repeat (parents, the generation's trials, this call's children).
    """

    generation: int
    encoded: np.ndarray
    objectives: np.ndarray
    violation: np.ndarray
    crowding: np.ndarray
    entrants: np.ndarray
    taken: np.ndarray


def _mating_pool(
    engine: Breeding,
    scheme: Scheme,
    history: History,
    parents: list[TrialRecord],
    seed: int,
    generation: int,
) -> _MatingPool | None:
    if generation == 0 or not parents:
        return None
    encoded = history.encoded_params(parents)
    fill = generator(seed, generation, _FILL).random(encoded.shape)
    encoded = np.where(np.isnan(encoded), fill, encoded)  # inactive columns
    objectives = history.objective_matrix(parents)
    violation = violation_of(history, parents)
    if scheme.dominance:
        _, crowding = rank_and_crowding(objectives, violation)
    else:  # no dominance, no crowding: equal violations meet a coin flip
        objectives, crowding = np.zeros_like(objectives), np.zeros(len(parents))
    matings = max(1, engine.population_size // 2)
    entrants = tournament_entrants(generator(seed, generation), len(parents), matings)
    key = scheme.generation_key
    siblings = [t for t in history.trials if t.has_params and _generation_of(t, key) == generation]
    taken = np.vstack((encoded, np.nan_to_num(history.encoded_params(siblings), nan=-1.0)))
    return _MatingPool(generation, encoded, objectives, violation, crowding, entrants, taken)


def _offspring(engine: Breeding, pool: _MatingPool, seed: int, number: int) -> np.ndarray:
    """The child for trial `number`: trials `2j` and `2j + 1` get the two children of one mating.

    The mating (tournaments, crossover) draws from a stream keyed on the pair, the mutation
    from one keyed on the trial, so numbers, which are unique per worker, keep points distinct.
    A child equal to a parent or to a trial of its own generation is bred again from a fresh
    random mating, as pymoo's duplicate elimination does: copies cost evaluations and crowd
    the population.
    """
    mating = generator(seed, pool.generation, number // 2)
    pair = pool.entrants[(number // 2) % len(pool.entrants)]
    rng = generator(seed, number)
    child = _breed(engine, pool, pair, mating, rng, number)
    for _ in range(_RETRIES):
        if not np.all(np.abs(pool.taken - child) <= _SAME, axis=1).any():
            break
        fresh = mating.integers(len(pool.encoded), size=(2, 2))
        child = _breed(engine, pool, fresh, mating, rng, number)
    return child


def _breed(
    engine: Breeding,
    pool: _MatingPool,
    pair: np.ndarray,
    mating: np.random.Generator,
    rng: np.random.Generator,
    number: int,
) -> np.ndarray:
    """Two binary tournaments among the `2 x 2` entrants `pair`, SBX, polynomial mutation.

    A child that neither crossover nor mutation changed is a copy of its parent; the duplicate
    check in `_offspring` breeds it again.
    """
    (a, b), (c, d) = pair
    first = binary_tournament(
        mating, int(a), int(b), pool.objectives, pool.violation, pool.crowding
    )
    second = binary_tournament(
        mating, int(c), int(d), pool.objectives, pool.violation, pool.crowding
    )
    crossed = mating.random() < engine.crossover_probability
    encoded = pool.encoded
    children = (
        sbx(mating, encoded[first], encoded[second], engine.crossover_eta) if crossed else None
    )
    child = encoded[(first, second)[number % 2]] if children is None else children[number % 2]
    probability = engine.mutation_probability
    if probability is None:
        probability = min(0.5, 1.0 / max(len(child), 1))
    if rng.random() >= engine.mutated_fraction:  # pymoo's PM mutates a child with prob 0.9
        return child.copy()
    return polynomial_mutation(rng, child, engine.mutation_eta, probability)


def violation_of(history: History, trials: Sequence[TrialRecord]) -> np.ndarray:
    """`n` total constraint violations `sum_k max(c_k, 0)` of complete `trials`."""
    if not history.spec.constraints:
        return np.zeros(len(trials))
    violation: np.ndarray = np.clip(history.constraint_matrix(trials), 0.0, None).sum(axis=1)
    return violation


def _generation_of(trial: TrialRecord, key: str) -> int:
    """Trials the engine did not suggest (added or enqueued ones) count as generation 0."""
    value = trial.system_attrs.get(key, 0)
    return int(value) if isinstance(value, int) else 0


def _current_generation(history: History, scheme: Scheme) -> tuple[int, int]:
    """The newest generation and how many live (not failed) trials it has."""
    live = [t for t in history.trials if t.state is not TrialState.FAILED and t.has_params]
    if not live:
        return 0, 0
    generations = [_generation_of(t, scheme.generation_key) for t in live]
    newest = max(generations)
    return newest, generations.count(newest)


def _parents(
    history: History,
    scheme: Scheme,
    generation: int,
    size: int,
    stored: dict[str, Any] | None = None,
) -> tuple[list[TrialRecord], dict[str, Any] | None]:
    """Survivors `P_{generation-1}`, from the stored population when it is current."""
    if generation == 0:
        return [], stored
    by_number = {t.number: t for t in history.complete}
    current = stored if stored is not None else history.study_attrs.get(scheme.population_key)
    if not isinstance(current, dict) or int(current.get("generation", -1)) > generation - 1:
        current = None
    population = (
        [] if current is None else [by_number[n] for n in current["numbers"] if n in by_number]
    )
    start = 0 if current is None else int(current["generation"]) + 1
    for previous in range(start, generation):
        offspring = [
            t for t in history.complete if _generation_of(t, scheme.generation_key) == previous
        ]
        kept = {t.number for t in population}
        pool = population + [t for t in offspring if t.number not in kept]
        if pool:
            values, violation = history.objective_matrix(pool), violation_of(history, pool)
            keep = scheme.survive(values, violation, size, previous)
            population = [pool[int(i)] for i in keep]
        current = {"generation": previous, "numbers": [t.number for t in population]}
    return population, current
