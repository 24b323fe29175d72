"""The storage interface: the single source of truth of every study.

A backend stores studies (spec, seed, engine options, attributes) and trial records, and knows
nothing of engines. Every method is atomic, so several workers (threads or processes) can
share one study: trial numbers come from the storage, a waiting trial is claimed by exactly
one worker, and a finished trial can never be finished again.

Reads are incremental: every change to a study's trials stamps them with the study's next
change counter, and `read_trials(study_id, cursor)` returns only trials changed after `cursor`,
so a study's per-trial overhead does not grow with the number of trials.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from apogee.history import JSON, StudySpec, TrialRecord, TrialState


@dataclass(frozen=True)
class StudyRecord:
    """What a storage holds about a study besides its trials."""

    study_id: int
    name: str
    spec: StudySpec
    seed: int
    engine_name: str
    engine_options: Mapping[str, JSON] = field(default_factory=dict)
    attrs: Mapping[str, JSON] = field(default_factory=dict)
    datetime_created: float | None = None


@dataclass(frozen=True)
class StudySummary:
    """One row of `Storage.list_studies`."""

    name: str
    n_trials: int
    n_complete: int
    datetime_created: float | None
    objectives: tuple[str, ...]


@dataclass(frozen=True)
class Changes:
    """What `Storage.read_changes` returns: trials changed after a cursor, the new cursor, and
    the study's attributes (read together, since a study reads all three before each suggestion)."""

    trials: Sequence[TrialRecord]
    cursor: int
    study_attrs: dict[str, JSON]


def stale_reason(silence: float) -> str:
    """The fail reason of a trial whose worker stopped sending heartbeats `silence` seconds ago."""
    return f"worker lost: no heartbeat for {silence:.1f} s (the process died or hung)"


class Storage(abc.ABC):
    """Base of every storage backend; `apogee.testing.StorageContract` checks the semantics."""

    # Studies -----------------------------------------------------------------------------
    @abc.abstractmethod
    def create_study(
        self,
        name: str,
        spec: StudySpec,
        *,
        seed: int,
        engine_name: str,
        engine_options: Mapping[str, JSON],
    ) -> StudyRecord:
        """Create a study; raise `DuplicatedStudyError` if `name` exists."""

    @abc.abstractmethod
    def get_study(self, name: str) -> StudyRecord:
        """The study called `name`; raise `StudyNotFoundError` (naming it) if there is none."""

    @abc.abstractmethod
    def list_studies(self) -> list[StudySummary]:
        """All studies, oldest first."""

    @abc.abstractmethod
    def delete_study(self, name: str) -> None:
        """Delete a study and its trials; raise `StudyNotFoundError` if there is none."""

    @abc.abstractmethod
    def set_study_attrs(self, study_id: int, attrs: Mapping[str, JSON]) -> None:
        """Merge `attrs` into the study's attributes (keys given replace stored ones)."""

    @abc.abstractmethod
    def get_study_attrs(self, study_id: int) -> dict[str, JSON]:
        """The study's attributes."""

    # Trials ------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_trial(self, study_id: int, template: TrialRecord) -> TrialRecord:
        """Store `template` as a new trial under the next free number, which is returned.

        The template's `number` is ignored. Used to reserve a RUNNING trial before its
        parameters are suggested, to enqueue a WAITING trial, and to add finished trials.
        """

    @abc.abstractmethod
    def claim_waiting_trial(self, study_id: int, now: float) -> TrialRecord | None:
        """Atomically move the oldest WAITING trial to RUNNING (started at `now`), or None."""

    @abc.abstractmethod
    def update_trial(
        self,
        study_id: int,
        number: int,
        change: Callable[[TrialRecord], TrialRecord],
        *,
        running_only: bool = True,
    ) -> TrialRecord:
        """Atomically replace trial `number` by `change(trial)` and stamp it as changed.

        Raises `TrialNotFoundError` for an unknown number, and `TrialFinishedError` when
        `running_only` and the trial is not RUNNING (then nothing changes).
        """

    def set_trial_params(
        self,
        study_id: int,
        number: int,
        params: Mapping[str, Any],
        system_attrs: Mapping[str, JSON],
    ) -> TrialRecord:
        """Fill in the parameters of a RUNNING trial and merge `system_attrs`."""
        return self.update_trial(
            study_id,
            number,
            lambda r: r.evolve(
                params=dict(params), system_attrs={**r.system_attrs, **system_attrs}
            ),
        )

    def set_trial_user_attrs(
        self, study_id: int, number: int, attrs: Mapping[str, JSON]
    ) -> TrialRecord:
        """Merge `attrs` into a trial's user attributes (allowed in any state)."""
        return self.update_trial(
            study_id,
            number,
            lambda r: r.evolve(user_attrs={**r.user_attrs, **attrs}),
            running_only=False,
        )

    def report_intermediate(
        self, study_id: int, number: int, step: int, value: float
    ) -> TrialRecord:
        """Record an intermediate value of a RUNNING trial at `step`."""
        return self.update_trial(
            study_id,
            number,
            lambda r: r.evolve(intermediate={**r.intermediate, step: float(value)}),
        )

    def finish_trial(
        self,
        study_id: int,
        number: int,
        state: TrialState,
        *,
        values: Mapping[str, float] | None,
        fail_reason: str | None,
        now: float,
    ) -> TrialRecord:
        """Finish a RUNNING trial; raise `TrialFinishedError` if it is already finished."""
        return self.update_trial(
            study_id,
            number,
            lambda r: r.evolve(
                state=state,
                values=None if values is None else dict(values),
                fail_reason=fail_reason,
                datetime_complete=now,
            ),
        )

    @abc.abstractmethod
    def get_trial(self, study_id: int, number: int) -> TrialRecord:
        """One trial; raise `TrialNotFoundError` if the study has no such number."""

    @abc.abstractmethod
    def read_trials(self, study_id: int, cursor: int = 0) -> tuple[Sequence[TrialRecord], int]:
        """Trials changed after `cursor` (all of them for 0), ordered by number, and the new cursor."""

    def read_changes(self, study_id: int, cursor: int = 0) -> Changes:
        """`read_trials` and `get_study_attrs` at once; a backend with round trips overrides it."""
        trials, new_cursor = self.read_trials(study_id, cursor)
        return Changes(trials, new_cursor, self.get_study_attrs(study_id))

    @abc.abstractmethod
    def record_heartbeat(self, study_id: int, number: int, now: float, grace: float) -> None:
        """Note that the worker of RUNNING trial `number` is alive at `now`.

        If no heartbeat follows within `grace` seconds, `fail_stale_trials` fails the trial.
        Heartbeats are not trial changes: they do not advance the change cursor.
        """

    @abc.abstractmethod
    def fail_stale_trials(self, study_id: int, now: float) -> list[TrialRecord]:
        """Fail the RUNNING trials whose last heartbeat is older than its grace; return them.

        A trial that never had a heartbeat (evaluated by hand through ask and tell) is never failed.
        """

    def close(self) -> None:  # noqa: B027 - optional hook; most backends hold nothing to release
        """Release connections or files; the storage must not be used afterwards."""
