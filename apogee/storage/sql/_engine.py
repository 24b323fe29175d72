"""Connections: SQLAlchemy engines configured for safe concurrent writers.

SQLite: WAL journal (readers never block the writer), a busy timeout, and every transaction
opened with `BEGIN IMMEDIATE`, so two processes serialize on the write lock at the start of a
transaction instead of failing half-way with "database is locked". PostgreSQL: row locks
(`SELECT ... FOR UPDATE`) on the study row serialize the writers of one study, and a connect
timeout turns an unreachable server into an error, not a hang.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from apogee._util.errors import StorageError

T = TypeVar("T")
CONNECT_TIMEOUT_S = 5
SQLITE_BUSY_TIMEOUT_S = 60
RETRIES = 8
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
        return create_engine(
            parsed, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}, pool_pre_ping=True
        )
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
    engine: Engine, work: Callable[[Connection], T], *, read_only: bool = False
) -> T:
    """Run `work` in one transaction; retry with jittered backoff when the database is locked.

    `work` must be safe to run again from scratch (it is, since a failed transaction rolls back).
    A `read_only` transaction does not take SQLite's write lock, so it never waits for writers.
    """
    for attempt in range(RETRIES):
        try:
            with engine.connect() as connection:
                connection = connection.execution_options(**{READ_ONLY: read_only})
                with connection.begin():
                    return work(connection)
        except OperationalError as error:
            if not _is_lock_error(error) or attempt == RETRIES - 1:
                raise StorageError(f"The database failed: {error.orig}") from error
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")
