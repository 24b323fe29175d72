"""Every storage backend passes `StorageContract`."""

from apogee.storage import InMemoryStorage, Storage
from apogee.testing import StorageContract


class TestInMemoryStorageContract(StorageContract):
    def make_storage(self) -> Storage:
        return InMemoryStorage()
