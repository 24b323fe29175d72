"""`SQLStorage`: studies in a SQLite file or a PostgreSQL database, safe for many processes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update
from sqlalchemy.exc import OperationalError

from apogee._util.errors import (
    DuplicatedStudyError,
    StorageError,
    StudyNotFoundError,
    TrialFinishedError,
)
from apogee.history import JSON, StudySpec, TrialRecord, TrialState
from apogee.storage.base import Changes, Storage, StudyRecord, StudySummary, stale_reason
from apogee.storage.sql._engine import open_engine, run_transaction
from apogee.storage.sql._rows import (
    KnownRecords,
    bump,
    dump,
    insert_trial,
    lock_study,
    read_trial,
    swap,
    write,
)
from apogee.storage.sql._schema import SCHEMA_VERSION, prepare, studies, trials

__all__ = ["SCHEMA_VERSION", "SQLStorage"]


class SQLStorage(Storage):
    """A storage in a SQL database through SQLAlchemy; every method is one transaction.

    Example:
        >>> import tempfile, apogee as ap
        >>> from apogee.storage.sql import SQLStorage
        >>> storage = SQLStorage(f"sqlite:///{tempfile.mkdtemp()}/studies.db")
        >>> study = ap.create_study("s", space={"x": ap.Float(0, 1)}, storage=storage, seed=0)
        >>> study.optimize(lambda p: p["x"], n_trials=3, progress=False)
        >>> len(ap.load_study("s", storage=storage).trials)
        3
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = open_engine(url)
        self._known = KnownRecords()
        where = self._engine.url.render_as_string(hide_password=True)
        try:
            run_transaction(self._engine, prepare)
        except StorageError as error:
            self._engine.dispose()
            if isinstance(error.__cause__, OperationalError):  # unreachable server, bad path ...
                raise StorageError(
                    f"Cannot open the storage {where}: {error.__cause__.orig}"
                ) from error
            raise

    def __repr__(self) -> str:
        return f"SQLStorage({self._engine.url!r})"

    def close(self) -> None:
        self._engine.dispose()

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
        def work(connection: Connection) -> int:
            if connection.execute(select(studies.c.study_id).where(studies.c.name == name)).first():
                raise DuplicatedStudyError(
                    f"A study named '{name}' already exists in this storage."
                )
            row = {
                "name": name,
                "spec": dump(spec.to_json()),
                "seed": seed,
                "engine_name": engine_name,
                "engine_options": dump(dict(engine_options)),
                "attrs": "{}",
                "datetime_created": time.time(),
                "change_counter": 0,
                "n_trials": 0,
            }
            result = connection.execute(insert(studies).values(**row).returning(studies.c.study_id))
            return int(result.scalar_one())

        run_transaction(self._engine, work)
        return self.get_study(name)

    def get_study(self, name: str) -> StudyRecord:
        def work(connection: Connection) -> RowMapping | None:
            return (
                connection.execute(select(studies).where(studies.c.name == name)).mappings().first()
            )

        row = run_transaction(self._engine, work, read_only=True)
        if row is None:
            raise StudyNotFoundError(f"No study named '{name}' in this storage.")
        return StudyRecord(
            study_id=row["study_id"],
            name=row["name"],
            spec=StudySpec.from_json(json.loads(row["spec"])),
            seed=row["seed"],
            engine_name=row["engine_name"],
            engine_options=json.loads(row["engine_options"]),
            attrs=json.loads(row["attrs"]),
            datetime_created=row["datetime_created"],
        )

    def list_studies(self) -> list[StudySummary]:
        complete = func.sum(
            (trials.c.state == TrialState.COMPLETE.value).cast(studies.c.n_trials.type)
        )
        query = (
            select(
                studies.c.name,
                studies.c.n_trials,
                studies.c.datetime_created,
                studies.c.spec,
                complete,
            )
            .select_from(studies.outerjoin(trials, trials.c.study_id == studies.c.study_id))
            .group_by(studies.c.study_id)
            .order_by(studies.c.study_id)
        )
        rows = run_transaction(
            self._engine, lambda connection: connection.execute(query).all(), read_only=True
        )
        return [
            StudySummary(
                name,
                n_trials,
                int(n_complete or 0),
                created,
                StudySpec.from_json(json.loads(spec)).objective_names,
            )
            for name, n_trials, created, spec, n_complete in rows
        ]

    def delete_study(self, name: str) -> None:
        def work(connection: Connection) -> None:
            study_id = connection.execute(
                select(studies.c.study_id).where(studies.c.name == name)
            ).scalar()
            if study_id is None:
                raise StudyNotFoundError(f"No study named '{name}' in this storage.")
            connection.execute(delete(trials).where(trials.c.study_id == study_id))
            connection.execute(delete(studies).where(studies.c.study_id == study_id))

        run_transaction(self._engine, work)

    def set_study_attrs(self, study_id: int, attrs: Mapping[str, JSON]) -> None:
        def work(connection: Connection) -> None:
            stored = json.loads(lock_study(connection, study_id)["attrs"])
            merged = dump({**stored, **attrs})
            connection.execute(
                update(studies).where(studies.c.study_id == study_id).values(attrs=merged)
            )

        run_transaction(self._engine, work)

    def get_study_attrs(self, study_id: int) -> dict[str, JSON]:
        def work(connection: Connection) -> Any:
            return connection.execute(
                select(studies.c.attrs).where(studies.c.study_id == study_id)
            ).scalar()

        stored = run_transaction(self._engine, work, read_only=True)
        if stored is None:
            raise StudyNotFoundError(f"No study with id {study_id} in this storage (deleted?).")
        attrs: dict[str, JSON] = json.loads(stored)
        return attrs

    # Trials ------------------------------------------------------------------------------
    def create_trial(self, study_id: int, template: TrialRecord) -> TrialRecord:
        record, text = run_transaction(
            self._engine,
            lambda connection: insert_trial(connection, study_id, template),
            single_statement=True,
        )
        return self._known.remember(study_id, record, text)

    def claim_waiting_trial(self, study_id: int, now: float) -> TrialRecord | None:
        query = (
            select(trials.c.record)
            .where(trials.c.study_id == study_id, trials.c.state == TrialState.WAITING.value)
            .order_by(trials.c.number)
            .limit(1)
        )
        if (
            run_transaction(self._engine, lambda c: c.execute(query).first(), read_only=True)
            is None
        ):
            return None  # the common case: nothing waits, and no write lock was taken

        def work(connection: Connection) -> TrialRecord | None:
            version, _ = bump(connection, study_id)
            stored = connection.execute(query).scalar()
            if stored is None:
                return None
            record = TrialRecord.from_json(json.loads(stored))
            running = record.evolve(state=TrialState.RUNNING, datetime_start=now)
            return self._known.remember(
                study_id, running, write(connection, study_id, running, version)
            )

        return run_transaction(self._engine, work)

    def record_heartbeat(self, study_id: int, number: int, now: float, grace: float) -> None:
        def work(connection: Connection) -> None:
            connection.execute(
                update(trials)
                .where(
                    trials.c.study_id == study_id,
                    trials.c.number == number,
                    trials.c.state == TrialState.RUNNING.value,
                )
                .values(heartbeat=now, heartbeat_grace=grace)
            )

        run_transaction(self._engine, work, single_statement=True)

    def fail_stale_trials(self, study_id: int, now: float) -> list[TrialRecord]:
        stale = (
            trials.c.study_id == study_id,
            trials.c.state == TrialState.RUNNING.value,
            trials.c.heartbeat.is_not(None),
            trials.c.heartbeat + trials.c.heartbeat_grace < now,
        )

        def any_stale(connection: Connection) -> bool:
            found = connection.execute(select(trials.c.number).where(*stale).limit(1)).first()
            return found is not None

        if not run_transaction(self._engine, any_stale, read_only=True):
            return []  # the common case: no lock taken

        def work(connection: Connection) -> list[TrialRecord]:
            version, _ = bump(connection, study_id)
            query = select(trials.c.record, trials.c.heartbeat).where(*stale)
            failed = []
            for stored, beat in connection.execute(query).all():
                record = TrialRecord.from_json(json.loads(stored))
                lost = record.evolve(
                    state=TrialState.FAILED,
                    fail_reason=stale_reason(now - beat),
                    datetime_complete=now,
                )
                write(connection, study_id, lost, version)
                failed.append(lost)
            return failed

        return run_transaction(self._engine, work)

    def get_trial(self, study_id: int, number: int) -> TrialRecord:
        return run_transaction(
            self._engine,
            lambda connection: read_trial(connection, study_id, number),
            read_only=True,
        )

    def read_trials(self, study_id: int, cursor: int = 0) -> tuple[Sequence[TrialRecord], int]:
        changes = self.read_changes(study_id, cursor)
        return changes.trials, changes.cursor

    def read_changes(self, study_id: int, cursor: int = 0) -> Changes:
        def work(connection: Connection) -> Changes:
            # The counter is read first: rows stamped later are returned again next time, never
            # missed. Every stamp up to it was committed with it, so the trial query (a later
            # statement, outside any common transaction on PostgreSQL) sees all of them.
            study = connection.execute(
                select(studies.c.change_counter, studies.c.attrs).where(
                    studies.c.study_id == study_id
                )
            ).first()
            if study is None:
                raise StudyNotFoundError(f"No study with id {study_id} in this storage (deleted?).")
            query = (
                select(trials.c.record)
                .where(trials.c.study_id == study_id, trials.c.version > cursor)
                .order_by(trials.c.number)
            )
            changed = [
                TrialRecord.from_json(json.loads(row))
                for row in connection.execute(query).scalars()
            ]
            return Changes(changed, int(study[0]), json.loads(study[1]))

        return run_transaction(self._engine, work, read_only=True)

    def update_trial(
        self,
        study_id: int,
        number: int,
        change: Callable[[TrialRecord], TrialRecord],
        *,
        running_only: bool = True,
    ) -> TrialRecord:
        known = self._known.get(study_id, number)
        if known is not None and (known[0].state is TrialState.RUNNING or not running_only):
            # This storage wrote the trial last as far as it knows: compare and swap, one statement.
            record = change(known[0])
            stored, text = run_transaction(
                self._engine,
                lambda connection: swap(connection, study_id, known[1], record),
                single_statement=True,
            )
            if stored:
                return self._known.remember(study_id, record, text)

        def work(connection: Connection) -> TrialRecord:
            # Stamping first locks the study row, so stamps are committed in order.
            version, _ = bump(connection, study_id)
            record = read_trial(connection, study_id, number)
            if running_only and record.state is not TrialState.RUNNING:
                raise TrialFinishedError(
                    f"Trial {number} is {record.state.value}, not RUNNING; it cannot be changed."
                )
            changed = change(record)
            return self._known.remember(
                study_id, changed, write(connection, study_id, changed, version)
            )

        return run_transaction(self._engine, work)
