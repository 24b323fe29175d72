"""Every storage backend passes `StorageContract`."""

from pathlib import Path

import pytest

from apogee.storage import InMemoryStorage, Storage
from apogee.testing import StorageContract


class TestInMemoryStorageContract(StorageContract):
    def make_storage(self) -> Storage:
        return InMemoryStorage()


class TestSQLiteStorageContract(StorageContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path

    def make_storage(self) -> Storage:
        from apogee.storage.sql import SQLStorage

        return SQLStorage(f"sqlite:///{self.folder / 'contract.db'}")
