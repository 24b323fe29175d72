"""SQL storage through SQLAlchemy 2: SQLite files (the default) and PostgreSQL."""

from apogee.storage.sql._storage import SCHEMA_VERSION, SQLStorage

__all__ = ["SCHEMA_VERSION", "SQLStorage"]
