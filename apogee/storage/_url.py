"""Turning the user's `storage=` argument into a `Storage`."""

from __future__ import annotations

from apogee.storage.base import Storage
from apogee.storage.memory import InMemoryStorage


def get_storage(storage: str | Storage | None) -> Storage:
    """`None` gives a new in-memory storage; a `Storage` is used as it is; a URL is opened."""
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, Storage):
        return storage
    if isinstance(storage, str):
        scheme = storage.split("://", 1)[0] if "://" in storage else storage
        if scheme == "memory":
            return InMemoryStorage()
        raise ValueError(
            f"The 'storage' parameter must be None, a Storage object or a URL with a known scheme "
            f"('memory'). Got {storage!r} (scheme {scheme!r}) instead."
        )
    raise TypeError(
        f"The 'storage' parameter must be None, a Storage or a URL string. Got {storage!r}."
    )
