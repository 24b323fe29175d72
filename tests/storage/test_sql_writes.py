"""The SQL backend's one-statement writes: compare and swap, and connections the server dropped.

Two `SQLStorage` objects on one database stand for two worker processes: each remembers the
text it last stored for a trial and writes over it in one statement only while that text is
still what is stored, so a change made by the other is never overwritten.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from apogee._util.errors import TrialFinishedError
from apogee.history import StudySpec, TrialRecord, TrialState
from apogee.space import Float, Space
from apogee.storage.base import StudyRecord
from apogee.storage.sql import SQLStorage, _engine
from tests.storage.postgres import new_database

SPEC = StudySpec(Space({"x": Float(0, 1)}))


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'writes.db'}"
    return new_database(request.getfixturevalue("postgres_server"))


def _study(storage: SQLStorage) -> StudyRecord:
    return storage.create_study("s", SPEC, seed=0, engine_name="random", engine_options={})


def _running(storage: SQLStorage, study: StudyRecord) -> TrialRecord:
    return storage.create_trial(study.study_id, TrialRecord(0, TrialState.RUNNING, {"x": 0.5}))


def _finish(storage: SQLStorage, study: StudyRecord, number: int) -> TrialRecord:
    return storage.finish_trial(
        study.study_id,
        number,
        TrialState.COMPLETE,
        values={"value": 1.0},
        fail_reason=None,
        now=2.0,
    )


def test_a_change_by_another_worker_is_kept(url: str) -> None:
    mine, theirs = SQLStorage(url), SQLStorage(url)
    study = _study(mine)
    trial = _running(mine, study)
    theirs.set_trial_user_attrs(study.study_id, trial.number, {"note": "from the other worker"})
    finished = _finish(mine, study, trial.number)  # its remembered text is outdated: slow path
    stored = theirs.get_trial(study.study_id, trial.number)
    assert finished == stored
    assert stored.state is TrialState.COMPLETE
    assert stored.user_attrs == {"note": "from the other worker"}


def test_a_trial_failed_by_another_worker_stays_failed(url: str) -> None:
    mine, theirs = SQLStorage(url), SQLStorage(url)
    study = _study(mine)
    trial = _running(mine, study)
    mine.record_heartbeat(study.study_id, trial.number, now=1.0, grace=1.0)
    (lost,) = theirs.fail_stale_trials(study.study_id, now=10.0)
    with pytest.raises(TrialFinishedError, match="FAILED"):
        _finish(mine, study, trial.number)
    assert mine.get_trial(study.study_id, trial.number) == lost


def test_new_and_finished_trials_are_one_statement_each(url: str) -> None:
    storage = SQLStorage(url)
    study = _study(storage)
    statements: list[str] = []
    event.listen(
        storage._engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_: statements.append(statement.split()[0]),
    )
    for _ in range(3):
        trial = _running(storage, study)
        storage.set_trial_params(study.study_id, trial.number, {"x": 0.25}, {"gen": 0})
        _finish(storage, study, trial.number)
    if storage._engine.dialect.name == "postgresql":
        assert statements == ["WITH"] * 9  # the stamp rides in a CTE
    else:
        # SQLite: in-process, so a transaction of stamp and write; no read of the trial
        write = ["BEGIN", "UPDATE", "UPDATE"]
        assert statements == [*write[:2], "INSERT", *write, *write] * 3
    numbers = [t.number for t in storage.read_trials(study.study_id)[0]]
    assert numbers == [0, 1, 2]
    assert storage.get_trial(study.study_id, 2).system_attrs == {"gen": 0}


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    yield new_database(postgres_server)


def _drop_connections(url: str) -> None:
    """What a server restart does to the pool: every other connection to the database dies."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )


def test_an_idle_connection_the_server_dropped_is_replaced_before_a_write(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = SQLStorage(postgres_url)
    study = _study(storage)
    trial = _running(storage, study)
    _drop_connections(postgres_url)
    monkeypatch.setattr(_engine, "IDLE_PING_S", 0.0)  # as after a long evaluation
    assert _finish(storage, study, trial.number).state is TrialState.COMPLETE
    assert storage.get_trial(study.study_id, trial.number).values == {"value": 1.0}


def test_a_read_on_a_dropped_connection_is_run_again(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = SQLStorage(postgres_url)
    study = _study(storage)
    _running(storage, study)
    monkeypatch.setattr(_engine, "IDLE_PING_S", float("inf"))  # no ping: the read itself fails
    _drop_connections(postgres_url)
    assert [t.number for t in storage.read_trials(study.study_id)[0]] == [0]
