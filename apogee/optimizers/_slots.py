"""Generations of fixed slots, rebuilt from trial attributes (shared by cmaes, de, cbo and zo).

A generational engine tags every suggestion with its generation `g` and a slot `s < size`
(a CMA-ES sample index, a DE target, a CBO particle, a ZO probe point). A slot is *done* when
one of its trials is complete, or when `MAX_FAILURES` of them failed; a generation is *closed*
when all its slots are done. Each slot is represented by its first complete trial by number (or
by its last failure). When every slot of the open generation is already running, extra trials
go to the slot with the fewest live ones, so parallel workers are never idle and never get the
same point twice.

`replay` folds an engine's `advance` over the closed generations in order. The fold is cached
in a per-process index (`_Index`) of the longest prefix of *finished* trials, whose records no
longer change: a call checks that its history starts with that prefix (one tuple comparison,
by identity for records the study reuses), scans only the trials after it, and continues the
fold from the cached state. So a call costs O(new trials) in Python, not O(all trials), and
the index is derived from the history, never trusted over it, and disposable: a fresh process
(or `clear_replay_cache`) replays from the first generation and gets the same state.
"""

from __future__ import annotations

import copy
import heapq
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import numpy as np

from apogee.history import History, TrialRecord, TrialState
from apogee.optimizers._prefix import best_untagged, clear_indexes, lookup, tag_of

MAX_FAILURES = 3
StateT = TypeVar("StateT")
_DECIDED = (TrialState.COMPLETE, TrialState.FAILED)  # the states `representatives` reads


def by_generation(history: History, prefix: str) -> dict[int, list[TrialRecord]]:
    """Trials tagged `f"{prefix}:generation"`, grouped by generation, in number order.

    The lists of the returned dict may be shared with the index: read them, never change them.
    """
    index, tail = lookup(history, prefix)
    return _merged(index.groups, _tagged(tail, prefix))


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
    if history.spec.space.dim == 0:
        return None
    index, tail = lookup(history, prefix)
    best = best_untagged(history, tail, prefix, index.untagged)
    if best is None:
        return None
    unit = history.spec.space.encode(best[1].params)
    point: np.ndarray = np.where(np.isnan(unit), 0.5, unit)
    return point


@dataclass
class Replayed(Generic[StateT]):
    """The state after the closed generations, and the open generation's index and trials.

    `state` may be the object the index keeps: read it, never change it (a `cmaes`
    optimizer's `ask` after `reseed_rng` only reads its distribution).
    """

    state: StateT
    generation: int
    trials: list[TrialRecord]


Advance = Callable[[StateT, int, list[TrialRecord]], StateT]


def replay(
    history: History,
    prefix: str,
    cache_key: Hashable,
    initial: Callable[[], StateT],
    size_of: Callable[[StateT], int],
    advance: Advance[StateT],
) -> Replayed[StateT]:
    """Fold `advance(state, generation, representatives)` over the closed generations.

    The fold over the finished prefix continues, in place, from the index's state for
    `cache_key` and is kept there (taken out while it runs, so an `advance` that raises leaves
    no half-updated state behind); generations that trials after the prefix close are folded
    on an exact copy. If such
    a trial decides a slot of a generation the index already folded (a straggler of a parallel
    run), everything is folded again from `initial()`.
    """
    index, tail = lookup(history, prefix)
    later = _tagged(tail, prefix)
    closed, cached = index.states.pop(cache_key, (0, None))  # back once the fold succeeded
    fold = _Fold(size_of, advance, prefix)
    start = initial() if cached is None else cast(StateT, cached)
    state, generation = fold(start, closed, index.groups, shared=False)
    index.remember(cache_key, generation, state)
    groups = _merged(index.groups, later)
    stragglers = any(
        t.state in _DECIDED for g, trials in later.items() if g < generation for t in trials
    )
    if stragglers:
        state, generation = fold(initial(), 0, groups, shared=False)
    else:
        state, generation = fold(state, generation, groups, shared=True)
    return Replayed(state, generation, groups.get(generation, []))


@dataclass(frozen=True)
class _Fold(Generic[StateT]):
    """`advance` over consecutive closed generations, in place; a `shared` state is copied first."""

    size_of: Callable[[StateT], int]
    advance: Advance[StateT]
    prefix: str

    def __call__(
        self, state: StateT, generation: int, groups: dict[int, list[TrialRecord]], *, shared: bool
    ) -> tuple[StateT, int]:
        while True:
            chosen = representatives(groups.get(generation, []), self.size_of(state), self.prefix)
            if chosen is None:
                return state, generation
            if shared:
                state, shared = exact_copy(state, {}), False
            state, generation = self.advance(state, generation, chosen), generation + 1


def exact_copy(value: Any, memo: dict[int, Any]) -> Any:
    """A deep copy of a replayed state, bit for bit.

    `copy.deepcopy` goes through `__getstate__`, and the `cmaes` package's keeps only one
    triangle of the covariance matrix, which its updates leave asymmetric in the last bits,
    so a deep-copied CMA-ES would continue differently. Instances are copied attribute by
    attribute instead (aliases kept through `memo`); anything without a `__dict__` (scalars,
    NumPy random states) goes to `copy.deepcopy`.
    """
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, np.ndarray):
        copied: Any = value.copy()
    elif isinstance(value, list | tuple):
        copied = type(value)(exact_copy(item, memo) for item in value)
    elif isinstance(value, dict):
        copied = {key: exact_copy(item, memo) for key, item in value.items()}
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        copied = object.__new__(type(value))
        memo[id(value)] = copied
        copied.__dict__.update({k: exact_copy(v, memo) for k, v in vars(value).items()})
    else:
        copied = copy.deepcopy(value)
    memo[id(value)] = copied
    return copied


def _tagged(trials: Sequence[TrialRecord], prefix: str) -> dict[int, list[TrialRecord]]:
    """The tagged `trials` that have parameters, by generation, in number order."""
    groups: dict[int, list[TrialRecord]] = {}
    key = f"{prefix}:generation"
    for trial in trials:
        generation = tag_of(trial, key)
        if generation is not None and trial.has_params:
            groups.setdefault(generation, []).append(trial)
    return groups


def _merged(
    groups: dict[int, list[TrialRecord]], later: dict[int, list[TrialRecord]]
) -> dict[int, list[TrialRecord]]:
    """`groups` with the `later` trials appended (new lists only where they add some)."""
    if not later:
        return dict(groups)
    merged = dict(groups)
    for generation, trials in later.items():
        merged[generation] = [*groups.get(generation, ()), *trials]
    return merged


def clear_replay_cache() -> None:
    """Forget every index and replayed state (what a fresh process sees)."""
    clear_indexes()
