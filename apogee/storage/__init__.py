"""Storage backends: the single source of truth of every study."""

from apogee.storage._url import get_storage
from apogee.storage.base import Changes, Storage, StudyRecord, StudySummary
from apogee.storage.memory import InMemoryStorage

__all__ = ["Changes", "InMemoryStorage", "Storage", "StudyRecord", "StudySummary", "get_storage"]
