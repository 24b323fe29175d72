"""Turning the user's `storage=` argument into a `Storage`."""

from __future__ import annotations

from apogee.storage.base import Storage
from apogee.storage.memory import InMemoryStorage

SQL_SCHEMES = ("sqlite", "postgresql", "postgres")


def get_storage(storage: str | Storage | None) -> Storage:
    """`None` gives a new in-memory storage; a `Storage` is used as it is; a URL is opened.

    URLs: `sqlite:///path/to/file.db` (a file, created if missing), `postgresql+psycopg://user:
    password@host:5432/db` (or `postgresql://...`), and `memory` (a new in-memory storage).
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, Storage):
        return storage
    if isinstance(storage, str):
        scheme = storage.split("://", 1)[0].split("+", 1)[0] if "://" in storage else storage
        if scheme == "memory":
            return InMemoryStorage()
        if scheme in SQL_SCHEMES:
            from apogee.storage.sql import (
                SQLStorage,
            )  # deferred: SQLAlchemy loads only when asked for

            return SQLStorage(storage)
        raise ValueError(
            f"The 'storage' parameter must be None, a Storage object or a URL with a known scheme "
            f"('sqlite', 'postgresql', 'memory'). Got {storage!r} (scheme {scheme!r}) instead."
        )
    raise TypeError(
        f"The 'storage' parameter must be None, a Storage or a URL string. Got {storage!r}."
    )
