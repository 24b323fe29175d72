"""`de`: differential evolution with SHADE's success-history adaptation of `F` and `CR`.

Generation 0 samples `NP` uniform points. In generation `g >= 1` slot `i` holds the trial
vector of target `i`: mutation by the chosen strategy, binomial crossover, bounds repair; the
trial replaces its target when it is at least as good (Storn & Price 1997). Successful `F` and
`CR` values update the memories (Tanabe & Fukunaga 2013) and replaced parents enter the archive
(JADE). Every trial stores its raw vector, `F` and `CR`, so the population, the archive and the
memories are rebuilt by replaying the generations from the history.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from apogee._util.rng import generator
from apogee._util.validation import check_choice, check_int
from apogee.history import JSON, History, TrialRecord
from apogee.optimizers import _de_ops as ops
from apogee.optimizers._slots import Replayed, assign_slots, replay, slot_values
from apogee.optimizers.base import Engine, Proposal, Suggestion

PREFIX = "de"


@dataclass
class _State:
    """Population `(NP, d)`, values `(NP,)`, archive `(k, d)`, memories `(H,)`, memory cursor."""

    population: np.ndarray
    values: np.ndarray
    archive: np.ndarray
    memory_f: np.ndarray
    memory_cr: np.ndarray
    position: int = 0


@dataclass(frozen=True)
class DE(Engine):
    """Differential evolution (SHADE adaptation, several strategies) for one objective.

    Args:
        population_size: `NP`; None means `5 d` clipped to `[10, 100]`.
        strategy: `"current-to-pbest/1"` (SHADE's, default), `"rand/1"` or `"best/1"`.
        memory_size: `H`, entries of the success-history memories.
        bounds: `"midpoint"` (back-projection halfway to the parent, default) or `"reflect"`.

    Example:
        >>> import apogee as ap
        >>> result = ap.minimize(lambda x: float(((x - 0.3) ** 2).sum()), bounds=[(-1, 1)] * 3,
        ...                      budget=600, optimizer=ap.optimizers.DE(), seed=0, progress=False)
        >>> result.value < 1e-3
        True
    """

    population_size: int | None = None
    strategy: str = "current-to-pbest/1"
    memory_size: int = 6
    bounds: str = "midpoint"

    name: ClassVar[str] = "de"

    def __post_init__(self) -> None:
        if self.population_size is not None:
            check_int(self.population_size, "population_size", "DE", low=4)
        check_choice(self.strategy, "strategy", "DE", ops.STRATEGIES)
        check_int(self.memory_size, "memory_size", "DE", low=1)
        check_choice(self.bounds, "bounds", "DE", ops.BOUNDS)

    def size(self, dim: int) -> int:
        """`NP` for a space of dimension `dim`."""
        return self.population_size or min(max(10, 5 * dim), 100)

    def suggest(self, history: History, numbers: Sequence[int], seed: int) -> Proposal:
        space = history.spec.space
        size = self.size(space.dim)
        replayed = self.rebuild(history, seed)
        slots = assign_slots(replayed.trials, size, PREFIX, len(numbers))
        suggestions = []
        for number, slot in zip(numbers, slots, strict=True):
            rng = generator(seed, number)
            attrs: dict[str, JSON] = {
                f"{PREFIX}:generation": replayed.generation,
                f"{PREFIX}:slot": slot,
            }
            extra: dict[str, float] = {}
            if replayed.generation == 0:
                vector = rng.random(space.dim)
            else:
                vector, extra = self._trial_vector(rng, replayed.state, slot)
            attrs[f"{PREFIX}:x"] = [float(v) for v in vector]
            suggestions.append(Suggestion(space.decode(vector), {**attrs, **extra}))
        return Proposal(tuple(suggestions))

    def _trial_vector(
        self, rng: np.random.Generator, state: _State, target: int
    ) -> tuple[np.ndarray, dict[str, float]]:
        factor, cr = ops.sample_parameters(rng, state.memory_f, state.memory_cr)
        donor = ops.mutate(
            rng, self.strategy, target, factor, state.population, state.values, state.archive
        )
        parent = state.population[target]
        trial = ops.binomial_crossover(rng, parent, donor, cr)
        return ops.repair(trial, parent, self.bounds), {f"{PREFIX}:F": factor, f"{PREFIX}:CR": cr}

    def rebuild(self, history: History, seed: int) -> Replayed[_State]:
        """The replayed population, archive and memories, and the open generation."""
        dim = history.spec.space.dim
        size = self.size(dim)
        key = (json.dumps(self.options(), sort_keys=True), seed, repr(history.spec.to_json()))

        def initial() -> _State:
            empty = np.empty((0, dim))
            half = np.full(self.memory_size, 0.5)
            return _State(np.empty((size, dim)), np.full(size, np.inf), empty, half, half.copy())

        def advance(state: _State, generation: int, chosen: list[TrialRecord]) -> _State:
            vectors, values = _vectors_and_values(history, chosen)
            if generation == 0:
                return _State(vectors, values, state.archive, state.memory_f, state.memory_cr)
            return self._select(state, generation, chosen, vectors, values, seed)

        return replay(history, PREFIX, key, initial, lambda _: size, advance)

    def _select(
        self,
        state: _State,
        generation: int,
        chosen: list[TrialRecord],
        vectors: np.ndarray,
        values: np.ndarray,
        seed: int,
    ) -> _State:
        """One-to-one survival, archive of replaced parents, and the memory update."""
        better_or_equal = values <= state.values
        improved = (values < state.values) & np.isfinite(state.values)
        replaced = state.population[improved]
        population = np.where(better_or_equal[:, None], vectors, state.population)
        archive = np.vstack([state.archive, replaced]) if len(replaced) else state.archive
        if len(archive) > len(population):  # random removal down to |A| = NP
            keep = generator(seed, 0xA4C, generation).permutation(len(archive))[: len(population)]
            archive = archive[np.sort(keep)]
        memory_f, memory_cr, position = state.memory_f, state.memory_cr, state.position
        if improved.any():
            delta = (state.values - values)[improved]
            factors = np.array(
                [float(t.system_attrs[f"{PREFIX}:F"]) for t in _pick(chosen, improved)]
            )
            rates = np.array(
                [float(t.system_attrs[f"{PREFIX}:CR"]) for t in _pick(chosen, improved)]
            )
            memory_f = ops.update_memory(memory_f, position, factors, delta, lehmer=True)
            memory_cr = ops.update_memory(memory_cr, position, rates, delta, lehmer=False)
            position = (position + 1) % self.memory_size
        values = np.where(better_or_equal, values, state.values)
        return _State(population, values, archive, memory_f, memory_cr, position)


def _pick(trials: list[TrialRecord], mask: np.ndarray) -> list[TrialRecord]:
    return [trial for trial, keep in zip(trials, mask, strict=True) if keep]


def _vectors_and_values(
    history: History, chosen: list[TrialRecord]
) -> tuple[np.ndarray, np.ndarray]:
    """Stored raw vectors `(NP, d)` and minimization values `(NP,)` (inf for failed slots)."""
    vectors = np.array([t.system_attrs[f"{PREFIX}:x"] for t in chosen], dtype=float)
    vectors = vectors.reshape(len(chosen), history.spec.space.dim)
    return vectors, np.array(slot_values(history, chosen, math.inf), dtype=float)
