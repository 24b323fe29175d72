"""A per-process index of a history's finished trials, per engine tag: the engines' cache.

A finished trial (complete, failed or pruned) never changes again, so what an engine derives
from the longest prefix of finished trials can be kept between calls: the tagged trials by
generation, the best trial the engine did not tag (a warm start), and the engine's replayed
states. `lookup` checks that a history starts with the indexed prefix (one tuple comparison:
by identity when the study hands back the same records, field by field otherwise), extends
the index by the trials finished since, and returns the trials after the prefix, which the
caller scans itself. A history that does not start with the prefix (another study, a changed
trial) gets a fresh index, so the index is derived from the history, never trusted over it,
and disposable. One lock guards the module's caches and every index's states, so studies
suggesting from several threads at once (`optimize(n_jobs=...)`) share them safely.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from apogee.history import History, StudySpec, TrialRecord, TrialState

_SIZE = 64  # indexes kept (one per engine tag and study spec in use)
_STATES = 8  # replayed states kept per index (one per engine configuration in use)
_DECIDED = (TrialState.COMPLETE, TrialState.FAILED)  # the states a generation's slots read


def tag_of(trial: TrialRecord, key: str) -> int | None:
    """The integer attribute `key` of `trial`, or None for trials this engine did not tag."""
    value = trial.system_attrs.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class Index:
    """What the finished prefix `trials` of a history says, for one engine tag.

    `groups` holds the tagged trials of the prefix by generation (number order); `untagged`
    the best feasible complete trial without the tag, with its minimization value; `states`
    maps a replay key to `(closed generations, state after them)`.
    """

    trials: tuple[TrialRecord, ...]
    groups: dict[int, list[TrialRecord]]
    untagged: tuple[float, TrialRecord] | None
    states: dict[Hashable, tuple[int, object]]

    def remember(self, key: Hashable, generation: int, state: object) -> None:
        """Keep `state`, the fold of the first `generation` generations, under `key`."""
        with _LOCK:
            self.states.pop(key, None)
            self.states[key] = (generation, state)
            while len(self.states) > _STATES:
                del self.states[next(iter(self.states))]


_LOCK = threading.RLock()
_INDEXES: OrderedDict[tuple[str, str], Index] = OrderedDict()
# The last spec's key and the last answer: one suggestion asks twice about the same history.
_LAST_SPEC: list[tuple[StudySpec, str]] = []
_LAST: list[tuple[tuple[str, str], tuple[TrialRecord, ...], Index, tuple[TrialRecord, ...]]] = []


def lookup(history: History, tag: str) -> tuple[Index, tuple[TrialRecord, ...]]:
    """The index of `history`'s finished prefix for `tag`, and the trials after that prefix."""
    with _LOCK:
        key = (tag, _spec_key(history.spec))
        trials = history.trials
        if (
            _LAST
            and _LAST[0][0] == key
            and _LAST[0][1] is trials
            and _INDEXES.get(key) is _LAST[0][2]
        ):
            return _LAST[0][2], _LAST[0][3]
        index = _INDEXES.pop(key, None)
        if index is not None:
            size = len(index.trials)
            if size > len(trials) or trials[:size] != index.trials:
                index = None
        if index is None:
            index = Index((), {}, None, {})
        end = len(index.trials)
        while end < len(trials) and trials[end].state.is_finished:
            end += 1
        if end > len(index.trials):
            index = _extended(index, history, trials[len(index.trials) : end], tag)
        _INDEXES[key] = index
        while len(_INDEXES) > _SIZE:
            _INDEXES.popitem(last=False)
        _LAST[:] = [(key, trials, index, trials[end:])]
        return index, trials[end:]


def _spec_key(spec: StudySpec) -> str:
    """The spec as text (what tells two studies' indexes apart), computed once per spec object."""
    if not _LAST_SPEC or _LAST_SPEC[0][0] is not spec:
        _LAST_SPEC[:] = [(spec, repr(spec.to_json()))]
    return _LAST_SPEC[0][1]


def best_untagged(
    history: History,
    trials: Sequence[TrialRecord],
    tag: str,
    best: tuple[float, TrialRecord] | None,
) -> tuple[float, TrialRecord] | None:
    """`best` updated by the feasible complete `trials` without `tag`; the first one wins ties."""
    key = f"{tag}:generation"
    others = [
        t
        for t in trials
        if t.state is TrialState.COMPLETE and tag_of(t, key) is None and history.is_feasible(t)
    ]
    if not others:
        return best
    for trial, value in zip(others, history.objective_matrix(others)[:, 0].tolist(), strict=True):
        if best is None or value < best[0]:
            best = (value, trial)
    return best


def _extended(index: Index, history: History, finished: Sequence[TrialRecord], tag: str) -> Index:
    """`index` with the newly `finished` trials; states they make stale are dropped."""
    key = f"{tag}:generation"
    groups = dict(index.groups)
    copied: set[int] = set()
    stale_below = None  # a decided trial of generation g changes every fold past g
    for trial in finished:
        generation = tag_of(trial, key)
        if generation is None or not trial.has_params:
            continue
        if generation not in copied:
            groups[generation] = list(groups.get(generation, ()))
            copied.add(generation)
        groups[generation].append(trial)
        if trial.state in _DECIDED:
            stale_below = generation if stale_below is None else min(stale_below, generation)
    states = {
        name: (closed, state)
        for name, (closed, state) in index.states.items()
        if stale_below is None or closed <= stale_below
    }
    untagged = best_untagged(history, finished, tag, index.untagged)
    return Index(index.trials + tuple(finished), groups, untagged, states)


def clear_indexes() -> None:
    """Forget every index (tests use it to show a rebuild from the history alone)."""
    with _LOCK:
        _INDEXES.clear()
        _LAST.clear()
