"""Generations of fixed slots, rebuilt from trial attributes (shared by cmaes, de, cbo and zo).

A generational engine tags every suggestion with its generation `g` and a slot `s < size`
(a CMA-ES sample index, a DE target, a CBO particle, a ZO probe point). A slot is *done* when
one of its trials is complete, or when `MAX_FAILURES` of them failed; a generation is *closed*
when all its slots are done. Each slot is represented by its first complete trial by number (or
by its last failure). When every slot of the open generation is already running, extra trials
go to the slot with the fewest live ones, so parallel workers are never idle and never get the
same point twice.

`replay` folds an engine's `advance` over the closed generations in order. Its cache holds the
state after the newest closed generation, keyed by a fingerprint of every trial of those
generations, so it is derived from the history, never trusted over it, and disposable.
"""

from __future__ import annotations

import copy
import heapq
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from apogee.history import History, TrialRecord, TrialState

MAX_FAILURES = 3
_CACHE_SIZE = 64
StateT = TypeVar("StateT")


def tag_of(trial: TrialRecord, key: str) -> int | None:
    """The integer attribute `key` of `trial`, or None for trials this engine did not tag."""
    value = trial.system_attrs.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def by_generation(history: History, prefix: str) -> dict[int, list[TrialRecord]]:
    """Trials tagged `f"{prefix}:generation"`, grouped by generation, in number order."""
    groups: dict[int, list[TrialRecord]] = {}
    key = f"{prefix}:generation"
    for trial in history.trials:
        generation = tag_of(trial, key)
        if generation is not None and trial.has_params:
            groups.setdefault(generation, []).append(trial)
    return groups


def representatives(
    trials: Sequence[TrialRecord], size: int, prefix: str
) -> list[TrialRecord] | None:
    """Per slot, its first complete trial (else its last failure); None if a slot is not done."""
    complete: dict[int, TrialRecord] = {}
    failures: dict[int, list[TrialRecord]] = {}
    for trial in trials:
        slot = tag_of(trial, f"{prefix}:slot")
        if slot is None or not 0 <= slot < size:
            continue
        if trial.state is TrialState.COMPLETE and slot not in complete:
            complete[slot] = trial
        elif trial.state is TrialState.FAILED:
            failures.setdefault(slot, []).append(trial)
    chosen = []
    for slot in range(size):
        if slot in complete:
            chosen.append(complete[slot])
        elif len(failures.get(slot, ())) >= MAX_FAILURES:
            chosen.append(failures[slot][-1])
        else:
            return None
    return chosen


def assign_slots(trials: Sequence[TrialRecord], size: int, prefix: str, count: int) -> list[int]:
    """Slots for `count` new trials of an open generation: empty slots first, then the least busy.

    A slot is live-counted by its complete and running trials; done slots get no more trials
    (a failed slot that is not done yet gets a fresh trial).
    """
    live = [0] * size
    done = [False] * size
    failed = [0] * size
    for trial in trials:
        slot = tag_of(trial, f"{prefix}:slot")
        if slot is None or not 0 <= slot < size:
            continue
        if trial.state is TrialState.COMPLETE:
            done[slot] = True
        elif trial.state is TrialState.FAILED:
            failed[slot] += 1
            done[slot] = done[slot] or failed[slot] >= MAX_FAILURES
        if trial.state in (TrialState.COMPLETE, TrialState.RUNNING):
            live[slot] += 1
    open_slots = [slot for slot in range(size) if not done[slot]] or list(range(size))
    queue = [(live[slot], slot) for slot in open_slots]
    heapq.heapify(queue)
    chosen = []
    for _ in range(count):  # the least busy open slot, lowest index first
        busy, slot = heapq.heappop(queue)
        chosen.append(slot)
        heapq.heappush(queue, (busy + 1, slot))
    return chosen


def slot_values(history: History, chosen: Sequence[TrialRecord], failed: float) -> list[float]:
    """Minimization values of the representatives; `failed` for slots done by failures."""
    complete = [t for t in chosen if t.state is TrialState.COMPLETE]
    column = iter(history.objective_matrix(complete)[:, 0].tolist())
    return [next(column) if t.state is TrialState.COMPLETE else failed for t in chosen]


def best_untagged_point(history: History, prefix: str) -> np.ndarray | None:
    """The `(d,)` unit point of the best feasible trial not tagged by `prefix` (a warm start).

    Those are enqueued points, or the trials of another engine when `auto` switches engines.
    Inactive columns become 0.5.
    """
    others = [t for t in history.feasible() if tag_of(t, f"{prefix}:generation") is None]
    if not others or history.spec.space.dim == 0:
        return None
    best = others[int(np.argmin(history.objective_matrix(others)[:, 0]))]
    unit = history.spec.space.encode(best.params)
    point: np.ndarray = np.where(np.isnan(unit), 0.5, unit)
    return point


def fingerprint(trials: Sequence[TrialRecord]) -> int:
    """A hash of the numbers, states and values of `trials` (for the replay cache)."""
    items = tuple(
        (t.number, t.state.value, None if t.values is None else tuple(sorted(t.values.items())))
        for t in trials
    )
    return hash(items)


@dataclass
class Replayed(Generic[StateT]):
    """The state after the closed generations, and the open generation's index and trials."""

    state: StateT
    generation: int
    trials: list[TrialRecord]


_CACHE: OrderedDict[tuple[Hashable, int, int], object] = OrderedDict()


def replay(
    history: History,
    prefix: str,
    cache_key: Hashable,
    initial: Callable[[], StateT],
    size_of: Callable[[StateT], int],
    advance: Callable[[StateT, int, list[TrialRecord]], StateT],
) -> Replayed[StateT]:
    """Fold `advance(state, generation, representatives)` over the closed generations."""
    groups = by_generation(history, prefix)
    chain: list[int] = []
    running = 0
    for generation in range(max(groups, default=-1) + 1):
        running = hash((running, fingerprint(groups.get(generation, []))))
        chain.append(running)
    state, generation = None, 0
    for cached_generation in range(len(chain) - 1, -1, -1):
        hit = _CACHE.get((cache_key, cached_generation, chain[cached_generation]))
        if hit is not None:
            state, generation = copy.deepcopy(hit), cached_generation + 1
            break
    current: StateT = initial() if state is None else state  # type: ignore[assignment]
    advanced = False
    while True:
        chosen = representatives(groups.get(generation, []), size_of(current), prefix)
        if chosen is None:
            break
        current, generation, advanced = advance(current, generation, chosen), generation + 1, True
    if advanced:
        _CACHE[(cache_key, generation - 1, chain[generation - 1])] = copy.deepcopy(current)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return Replayed(current, generation, groups.get(generation, []))


def clear_replay_cache() -> None:
    """Forget every cached replay (tests use it to show a rebuild from the history alone)."""
    _CACHE.clear()
