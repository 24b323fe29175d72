"""The SQL backend on a real PostgreSQL server: the contract and concurrent processes."""

import pytest

import apogee as ap
from apogee.storage import Storage
from apogee.storage.sql import SQLStorage
from apogee.testing import StorageContract
from tests.storage.postgres import new_database
from tests.storage.test_sql import _run_processes


class TestPostgresStorageContract(StorageContract):
    @pytest.fixture(autouse=True)
    def _server(self, postgres_server: str) -> None:
        self.server = postgres_server

    def make_storage(self) -> Storage:
        return SQLStorage(new_database(self.server))


def test_four_processes_on_postgres(postgres_server: str) -> None:
    url = new_database(postgres_server)
    ap.create_study("shared", space={"x": ap.Float(-1, 1)}, storage=url, optimizer="random", seed=0)
    assert _run_processes(url, "shared", processes=4, trials_each=50) == [0, 0, 0, 0]
    trials = ap.load_study("shared", storage=url).trials
    assert sorted(t.number for t in trials) == list(range(200))
    assert all(t.state is ap.TrialState.COMPLETE for t in trials)
