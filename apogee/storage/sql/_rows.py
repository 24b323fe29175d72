"""The row-level statements that the SQL storage's methods share.

Every write to a trial is stamped with the study's next change counter (`bump`), which locks the
study's row until the commit, so stamps are committed in the order they are handed out.
On PostgreSQL the stamp rides along in a data-modifying CTE, so that `insert_trial` and `swap`
(which writes a trial when the caller knows its stored text: compare and swap) are one statement,
one round trip instead of four or five.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, RowMapping, String, cast, insert, literal, select, update

from apogee._util.errors import StudyNotFoundError, TrialNotFoundError
from apogee.history import TrialRecord
from apogee.storage.sql._schema import studies, trials


class KnownRecords:
    """The texts this process last stored for unfinished trials: what `swap` compares against.

    Derived and disposable: a missing or outdated entry only sends a write down the slower path
    (lock, read, write), which is always correct. Bounded: finished trials are dropped, and the
    whole map is cleared if a process somehow holds more than `LIMIT` unfinished trials.
    """

    LIMIT = 4096

    def __init__(self) -> None:
        self._texts: dict[tuple[int, int], tuple[TrialRecord, str]] = {}

    def get(self, study_id: int, number: int) -> tuple[TrialRecord, str] | None:
        return self._texts.get((study_id, number))

    def remember(self, study_id: int, record: TrialRecord, text: str) -> TrialRecord:
        key = (study_id, record.number)
        if record.state.is_finished:
            self._texts.pop(key, None)
            return record
        if len(self._texts) >= self.LIMIT:
            self._texts.clear()
        self._texts[key] = (record, text)
        return record


def dump(value: Any) -> str:
    """Compact JSON: the stored text of a record (and what `swap` compares)."""
    return json.dumps(value, separators=(",", ":"))


def lock_study(connection: Connection, study_id: int) -> RowMapping:
    """The study row, locked until the transaction ends (PostgreSQL; SQLite holds the write lock)."""
    row = (
        connection.execute(select(studies).where(studies.c.study_id == study_id).with_for_update())
        .mappings()
        .first()
    )
    if row is None:
        raise StudyNotFoundError(f"No study with id {study_id} in this storage (deleted?).")
    return row


def _stamp(study_id: int, *, new_trial: bool = False) -> Any:
    """The UPDATE that advances the study's change counter (and trial count): the stamp."""
    values: dict[str, Any] = {"change_counter": studies.c.change_counter + 1}
    if new_trial:
        values["n_trials"] = studies.c.n_trials + 1
    return (
        update(studies)
        .where(studies.c.study_id == study_id)
        .values(**values)
        .returning(studies.c.change_counter, studies.c.n_trials)
    )


def bump(connection: Connection, study_id: int, *, new_trial: bool = False) -> tuple[int, int]:
    """Advance the study's change counter (and its trial count for a new trial) in one statement.

    Every writing transaction starts here. The UPDATE locks the study's row until the commit
    (SQLite holds its write lock anyway), so stamps are committed in the order they are handed
    out, and a reader that saw stamp `v` has seen every change stamped `v` or lower.

    Returns:
        The new change stamp and the study's trial count.
    """
    row = connection.execute(_stamp(study_id, new_trial=new_trial)).first()
    if row is None:
        raise StudyNotFoundError(f"No study with id {study_id} in this storage (deleted?).")
    return int(row[0]), int(row[1])


def read_trial(connection: Connection, study_id: int, number: int) -> TrialRecord:
    stored = connection.execute(
        select(trials.c.record).where(trials.c.study_id == study_id, trials.c.number == number)
    ).scalar()
    if stored is None:
        name = connection.execute(
            select(studies.c.name).where(studies.c.study_id == study_id)
        ).scalar()
        raise TrialNotFoundError(f"Study '{name}' has no trial number {number}.")
    return TrialRecord.from_json(json.loads(stored))


def write(connection: Connection, study_id: int, record: TrialRecord, version: int) -> str:
    """Store `record` over its row, stamped `version` (from `bump` in the same transaction).

    Returns:
        The stored text.
    """
    text = dump(record.to_json())
    connection.execute(
        update(trials)
        .where(trials.c.study_id == study_id, trials.c.number == record.number)
        .values(state=record.state.value, version=version, record=text)
    )
    return text


def swap(
    connection: Connection, study_id: int, known: str, record: TrialRecord
) -> tuple[bool, str]:
    """Store `record` over trial `record.number` if its stored text is still `known`.

    Stamps it like `write`. On PostgreSQL this is one statement (the stamp in a data-modifying
    CTE), so it can run in autocommit; elsewhere the stamp and the write are two statements in the
    caller's transaction. A text that changed meanwhile (another worker wrote the trial) makes it
    return False and change nothing but the counter.

    Returns:
        Whether the record was stored, and its stored text.
    """
    text = dump(record.to_json())
    condition = (
        trials.c.study_id == study_id,
        trials.c.number == record.number,
        trials.c.record == known,
    )
    values: dict[str, Any] = {"state": record.state.value, "record": text}
    if connection.dialect.name == "postgresql":
        stamp = _stamp(study_id).cte("stamp")
        values["version"] = select(stamp.c.change_counter).scalar_subquery()
        statement = update(trials).where(*condition).values(**values).add_cte(stamp)
    else:
        values["version"], _ = bump(connection, study_id)
        statement = update(trials).where(*condition).values(**values)
    return connection.execute(statement).rowcount == 1, text


def insert_trial(
    connection: Connection, study_id: int, template: TrialRecord
) -> tuple[TrialRecord, str]:
    """Store `template` as the study's next trial (its number is ignored), stamped.

    On PostgreSQL this is one statement: the stored text is the template's with the number that
    the stamp hands out spliced in (`to_json` puts `number` first), so it can run in autocommit.

    Returns:
        The stored record, with its number, and its stored text.
    """
    text = dump(template.evolve(number=0).to_json())
    head, rest = '{"number":', text.removeprefix('{"number":0')
    row = {"study_id": study_id, "state": template.state.value}
    if connection.dialect.name == "postgresql" and text.startswith(head + "0,"):
        stamp = _stamp(study_id, new_trial=True).cte("stamp")
        number = stamp.c.n_trials - 1
        spliced = literal(head) + cast(number, String) + literal(rest)
        rows = select(
            literal(study_id), number, literal(row["state"]), stamp.c.change_counter, spliced
        )
        statement = (
            insert(trials)
            .from_select(["study_id", "number", "state", "version", "record"], rows)
            .returning(trials.c.number)
            .add_cte(stamp)
        )
        found = connection.execute(statement).scalar()
        if found is None:
            raise StudyNotFoundError(f"No study with id {study_id} in this storage (deleted?).")
        return template.evolve(number=int(found)), f"{head}{found}{rest}"
    version, n_trials = bump(connection, study_id, new_trial=True)
    record = template.evolve(number=n_trials - 1)
    text = dump(record.to_json())
    connection.execute(
        insert(trials).values(**row, number=record.number, version=version, record=text)
    )
    return record, text
