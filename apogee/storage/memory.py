"""`InMemoryStorage`: the storage of a study created without one; thread-safe, not durable."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from apogee._util.errors import (
    DuplicatedStudyError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialNotFoundError,
)
from apogee.history import JSON, StudySpec, TrialRecord, TrialState
from apogee.storage.base import Storage, StudyRecord, StudySummary, stale_reason


@dataclass
class _StudyData:
    record: StudyRecord
    trials: list[TrialRecord] = field(default_factory=list)
    changes: list[int] = field(default_factory=list)  # changes[v - 1]: trial changed at version v
    waiting: deque[int] = field(default_factory=deque)  # numbers of WAITING trials, oldest first
    heartbeats: dict[int, tuple[float, float]] = field(
        default_factory=dict
    )  # number -> (time, grace)


class InMemoryStorage(Storage):
    """Keeps studies in this process's memory; every method holds one lock.

    Example:
        >>> import apogee as ap
        >>> from apogee.storage import InMemoryStorage
        >>> storage = InMemoryStorage()
        >>> study = ap.create_study("a", space=ap.Space({"x": ap.Float(0, 1)}), storage=storage)
        >>> [summary.name for summary in storage.list_studies()]
        ['a']
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[str, _StudyData] = {}
        self._by_id: dict[int, _StudyData] = {}
        self._next_id = 0

    # Studies -----------------------------------------------------------------------------
    def create_study(
        self,
        name: str,
        spec: StudySpec,
        *,
        seed: int,
        engine_name: str,
        engine_options: Mapping[str, JSON],
    ) -> StudyRecord:
        with self._lock:
            if name in self._studies:
                raise DuplicatedStudyError(
                    f"A study named '{name}' already exists in this storage."
                )
            record = StudyRecord(
                self._next_id, name, spec, seed, engine_name, dict(engine_options), {}, time.time()
            )
            data = _StudyData(record)
            self._studies[name] = data
            self._by_id[record.study_id] = data
            self._next_id += 1
            return record

    def get_study(self, name: str) -> StudyRecord:
        with self._lock:
            if name not in self._studies:
                raise StudyNotFoundError(f"No study named '{name}' in this storage.")
            return self._studies[name].record

    def list_studies(self) -> list[StudySummary]:
        with self._lock:
            return [
                StudySummary(
                    data.record.name,
                    len(data.trials),
                    sum(t.state is TrialState.COMPLETE for t in data.trials),
                    data.record.datetime_created,
                    data.record.spec.objective_names,
                )
                for data in self._studies.values()
            ]

    def delete_study(self, name: str) -> None:
        with self._lock:
            data = self._studies.pop(name, None)
            if data is None:
                raise StudyNotFoundError(f"No study named '{name}' in this storage.")
            del self._by_id[data.record.study_id]

    def set_study_attrs(self, study_id: int, attrs: Mapping[str, JSON]) -> None:
        with self._lock:
            data = self._study(study_id)
            data.record = dataclasses.replace(data.record, attrs={**data.record.attrs, **attrs})

    def get_study_attrs(self, study_id: int) -> dict[str, JSON]:
        with self._lock:
            return dict(self._study(study_id).record.attrs)

    # Trials ------------------------------------------------------------------------------
    def create_trial(self, study_id: int, template: TrialRecord) -> TrialRecord:
        with self._lock:
            data = self._study(study_id)
            record = template.evolve(number=len(data.trials))
            data.trials.append(record)
            data.changes.append(record.number)
            if record.state is TrialState.WAITING:
                data.waiting.append(record.number)
            return record

    def claim_waiting_trial(self, study_id: int, now: float) -> TrialRecord | None:
        with self._lock:
            data = self._study(study_id)
            while data.waiting:
                record = data.trials[data.waiting.popleft()]
                if record.state is TrialState.WAITING:
                    return self._replace(
                        data, record.evolve(state=TrialState.RUNNING, datetime_start=now)
                    )
            return None

    def record_heartbeat(self, study_id: int, number: int, now: float, grace: float) -> None:
        with self._lock:
            data = self._study(study_id)
            if self.get_trial(study_id, number).state is TrialState.RUNNING:
                data.heartbeats[number] = (now, grace)

    def fail_stale_trials(self, study_id: int, now: float) -> list[TrialRecord]:
        with self._lock:
            data = self._study(study_id)
            failed = []
            for number, (beat, grace) in list(data.heartbeats.items()):
                if data.trials[number].state is not TrialState.RUNNING:
                    del data.heartbeats[number]
                elif beat + grace < now:
                    del data.heartbeats[number]
                    reason = stale_reason(now - beat)
                    failed.append(
                        self.finish_trial(
                            study_id,
                            number,
                            TrialState.FAILED,
                            values=None,
                            fail_reason=reason,
                            now=now,
                        )
                    )
            return failed

    def get_trial(self, study_id: int, number: int) -> TrialRecord:
        with self._lock:
            data = self._study(study_id)
            if not 0 <= number < len(data.trials):
                raise TrialNotFoundError(
                    f"Study '{data.record.name}' has no trial number {number}."
                )
            return data.trials[number]

    def read_trials(self, study_id: int, cursor: int = 0) -> tuple[Sequence[TrialRecord], int]:
        with self._lock:
            data = self._study(study_id)
            numbers = sorted(set(data.changes[cursor:]))
            return [data.trials[number] for number in numbers], len(data.changes)

    # Internals ---------------------------------------------------------------------------
    def _study(self, study_id: int) -> _StudyData:
        data = self._by_id.get(study_id)
        if data is None:
            raise StudyNotFoundError(f"No study with id {study_id} in this storage (deleted?).")
        return data

    def _replace(self, data: _StudyData, record: TrialRecord) -> TrialRecord:
        data.trials[record.number] = record
        data.changes.append(record.number)
        return record

    def update_trial(
        self,
        study_id: int,
        number: int,
        change: Callable[[TrialRecord], TrialRecord],
        *,
        running_only: bool = True,
    ) -> TrialRecord:
        with self._lock:
            record = self.get_trial(study_id, number)
            if running_only and record.state is not TrialState.RUNNING:
                raise TrialFinishedError(
                    f"Trial {number} is {record.state.value}, not RUNNING; it cannot be changed."
                )
            return self._replace(self._study(study_id), change(record))
