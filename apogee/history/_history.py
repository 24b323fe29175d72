"""`History`: the read-only view of a study's trials that engines receive.

An engine is a function of its `History` (plus a seed): everything it needs to rebuild its
state is here, including pending (running) trials so that parallel suggestions stay distinct.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

import numpy as np

from apogee.history._records import JSON, Direction, StudySpec, TrialRecord, TrialState


@dataclass(frozen=True)
class History:
    """Trials of one study, ordered by number, with the study's spec and attributes.

    Example:
        >>> import apogee as ap
        >>> from apogee.history import History, StudySpec, TrialRecord
        >>> spec = StudySpec.build(ap.Space({"x": ap.Float(0, 1)}))
        >>> done = TrialRecord(0, ap.TrialState.COMPLETE, {"x": 0.5}, {"value": 1.0})
        >>> History(spec, (done,)).best().number
        0
    """

    spec: StudySpec
    trials: tuple[TrialRecord, ...] = ()
    study_attrs: Mapping[str, JSON] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def n_trials(self) -> int:
        return len(self.trials)

    def with_state(self, *states: TrialState) -> tuple[TrialRecord, ...]:
        return tuple(trial for trial in self.trials if trial.state in states)

    @cached_property
    def complete(self) -> tuple[TrialRecord, ...]:
        """Complete trials (computed once per `History`, which never changes)."""
        return self.with_state(TrialState.COMPLETE)

    @cached_property
    def pending(self) -> tuple[TrialRecord, ...]:
        """Running trials whose parameters are known (their values are not yet)."""
        return tuple(t for t in self.trials if t.state is TrialState.RUNNING and t.has_params)

    def objective_matrix(self, trials: Sequence[TrialRecord] | None = None) -> np.ndarray:
        """`(n, m)` objective values of complete `trials`, in minimization form (maximized negated)."""
        records = self.complete if trials is None else trials
        signs = np.array(self.spec.signs)
        if not records:
            return np.empty((0, len(signs)))
        rows = [[_value(t, name) for name in self.spec.objective_names] for t in records]
        matrix: np.ndarray = np.asarray(rows, dtype=float) * signs
        return matrix

    def constraint_matrix(self, trials: Sequence[TrialRecord] | None = None) -> np.ndarray:
        """`(n, c)` constraint values of complete `trials` (<= 0 is feasible)."""
        records = self.complete if trials is None else trials
        if not records:
            return np.empty((0, len(self.spec.constraints)))
        rows = [[_value(t, name) for name in self.spec.constraints] for t in records]
        return np.asarray(rows, dtype=float).reshape(len(records), len(self.spec.constraints))

    def encoded_params(self, trials: Sequence[TrialRecord] | None = None) -> np.ndarray:
        """`(n, d)` unit-cube points of `trials` (complete ones by default); NaN when inactive."""
        records = self.complete if trials is None else trials
        return self.spec.space.encode_many([trial.params for trial in records])

    def is_feasible(self, trial: TrialRecord) -> bool:
        return trial.values is not None and all(trial.values[c] <= 0 for c in self.spec.constraints)

    def feasible(self) -> tuple[TrialRecord, ...]:
        return tuple(trial for trial in self.complete if self.is_feasible(trial))

    def best(self) -> TrialRecord | None:
        """The best feasible complete trial of a single-objective study (lowest number on ties)."""
        candidates = self.feasible()
        if not candidates:
            return None
        name, direction = self.spec.objectives[0]
        sign = 1.0 if direction is Direction.MINIMIZE else -1.0
        return min(candidates, key=lambda t: (sign * _value(t, name), t.number))


def _value(trial: TrialRecord, name: str) -> float:
    assert trial.values is not None, "only complete trials carry values"
    return float(trial.values[name])
