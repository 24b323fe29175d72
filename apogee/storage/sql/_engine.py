"""Connections: SQLAlchemy engines configured for safe concurrent writers.

SQLite: WAL journal (readers never block the writer), a busy timeout, and every transaction
opened with `BEGIN IMMEDIATE`, so two processes serialize on the write lock at the start of a
transaction instead of failing half-way with "database is locked". PostgreSQL: row locks
(`SELECT ... FOR UPDATE`) on the study row serialize the writers of one study, and a connect
timeout turns an unreachable server into an error, not a hang.

Round trips are what a PostgreSQL study pays for, so none is spent on bookkeeping: reads and
one-statement writes run in autocommit (no BEGIN and COMMIT around them; each read is written so
that its statements need no common snapshot), and a pooled connection is pinged before use only
if it sat idle for `IDLE_PING_S` (a server restart during a long evaluation is caught there,
before the result is written). A connection lost in the middle of a read or before COMMIT is
replaced and the work run again; one lost while a write commits, when nobody can know whether the
change was stored, is an error that says so.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, OperationalError

from apogee._util.errors import StorageError

T = TypeVar("T")
CONNECT_TIMEOUT_S = 5
SQLITE_BUSY_TIMEOUT_S = 60
RETRIES = 8
IDLE_PING_S = 5.0  # ping a pooled PostgreSQL connection that sat idle longer than this
READ_ONLY = "apogee_read_only"  # execution option: a transaction that only reads


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let BEGIN IMMEDIATE below start transactions
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _ping_after_idle(engine: Engine) -> None:
    """Check a pooled connection that sat idle, before it is used; replace it if it is dead."""

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception:  # any failure of the ping means the connection is unusable
            alive = False
        if not alive:
            raise DisconnectionError("a pooled connection died while idle")  # the pool retries


def open_engine(url: str) -> Engine:
    """An engine for a `sqlite:///...` or `postgresql[+psycopg]://...` URL."""
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise StorageError(f"Cannot parse the storage URL {url!r}: {error}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        )
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(parsed, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
        _ping_after_idle(engine)
        return engine
    raise StorageError(
        f"The storage URL {url!r} names the backend {parsed.get_backend_name()!r}; apogee stores studies "
        "in SQLite ('sqlite:///file.db') or PostgreSQL ('postgresql+psycopg://user@host/db')."
    )


def _is_lock_error(error: DBAPIError) -> bool:
    text = str(error.orig).lower()
    return (
        "database is locked" in text or "deadlock detected" in text or "could not serialize" in text
    )


def run_transaction(
    engine: Engine,
    work: Callable[[Connection], T],
    *,
    read_only: bool = False,
    single_statement: bool = False,
) -> T:
    """Run `work` in one transaction; retry with jittered backoff when the database is locked.

    `work` must be safe to run again from scratch (it is, since a failed transaction rolls back).
    A `read_only` transaction does not take SQLite's write lock, so it never waits for writers.
    On PostgreSQL, reads and `single_statement` writes (whose work is one statement there, atomic
    by itself) run in autocommit, which saves the BEGIN and COMMIT round trips.
    """
    for attempt in range(RETRIES):
        committing = False
        try:
            with engine.connect() as connection:
                if (read_only or single_statement) and engine.dialect.name == "postgresql":
                    committing = not read_only  # the statement commits as it runs
                    return work(connection.execution_options(isolation_level="AUTOCOMMIT"))
                connection = connection.execution_options(**{READ_ONLY: read_only})
                transaction = connection.begin()
                result = work(connection)
                committing = True
                transaction.commit()
                return result
        except DBAPIError as error:
            if attempt == RETRIES - 1 or not _worth_retrying(error, committing):
                raise StorageError(_failure(error, committing)) from error
            if not error.connection_invalidated:
                time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")


def _worth_retrying(error: DBAPIError, committing: bool) -> bool:
    """A lock conflict, or a dropped connection before COMMIT: running `work` again is safe."""
    if error.connection_invalidated:
        return not committing
    return isinstance(error, OperationalError) and _is_lock_error(error)


def _failure(error: DBAPIError, committing: bool) -> str:
    if error.connection_invalidated and committing:
        return (
            "The connection to the database was lost during COMMIT, so whether the change was "
            f"stored is unknown; read the study again before retrying ({error.orig})."
        )
    return f"The database failed: {error.orig}"
