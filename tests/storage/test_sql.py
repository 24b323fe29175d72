"""The SQL backend: durability across processes, concurrent workers, schema versions, URLs."""

import multiprocessing
import sqlite3
import time
from pathlib import Path

import pytest

import apogee as ap
from apogee.storage import get_storage
from apogee.storage.sql import SCHEMA_VERSION, SQLStorage
from tests.storage._workers import quadratic, run_worker

SPACE = {"x": ap.Float(-1, 1)}


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'studies.db'}"


def test_a_reopened_file_keeps_everything(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    study = ap.create_study("kept", space=SPACE, storage=url, optimizer="sobol", seed=9)
    study.optimize(quadratic, n_trials=12, progress=False)
    study.enqueue({"x": 0.5})
    study.storage.close()
    again = ap.load_study("kept", storage=url)
    assert again.seed == 9 and again.engine.name == "sobol"
    assert [t.params for t in again.trials[:12]] == [t.params for t in study.trials[:12]]
    assert again.best_value == study.best_value
    assert again.ask().params == {"x": 0.5}  # the enqueued trial survived too


def _run_processes(url: str, name: str, processes: int, trials_each: int) -> list[int]:
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=run_worker, args=(url, name, trials_each)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    return [worker.exitcode or 0 for worker in workers]


def test_four_processes_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    ap.create_study("shared", space=SPACE, storage=url, optimizer="random", seed=0)
    assert _run_processes(url, "shared", processes=4, trials_each=50) == [0, 0, 0, 0]
    trials = ap.load_study("shared", storage=url).trials
    assert sorted(t.number for t in trials) == list(range(200))
    assert all(t.state is ap.TrialState.COMPLETE for t in trials)
    assert len({t.params["x"] for t in trials}) == 200


def test_eight_processes_never_fail_with_a_lock_error(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    ap.create_study("busy", space=SPACE, storage=url, optimizer="random", seed=1)
    assert _run_processes(url, "busy", processes=8, trials_each=15) == [0] * 8
    assert len(ap.load_study("busy", storage=url).trials) == 120


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    SQLStorage(url).close()
    with sqlite3.connect(tmp_path / "studies.db") as connection:
        connection.execute("UPDATE apogee_schema SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(
        ap.StorageError, match=f"newer apogee \\(schema version {SCHEMA_VERSION + 1}\\)"
    ):
        SQLStorage(url)


def test_a_file_that_is_not_an_apogee_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE apogee_schema (version INTEGER)")
    with pytest.raises(ap.StorageError, match="not an apogee database"):
        SQLStorage(f"sqlite:///{path}")


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ap.StorageError, match="Cannot open the storage"):
        SQLStorage(f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}")


def test_unknown_schemes() -> None:
    with pytest.raises(
        ValueError, match=r"known scheme \('sqlite', 'postgresql', 'memory'\).*'mysql'"
    ):
        get_storage("mysql://localhost/db")
    with pytest.raises(ap.StorageError, match="backend 'mssql'"):
        SQLStorage("mssql+pyodbc://localhost/db")


def test_unreachable_postgresql_fails_fast() -> None:
    pytest.importorskip("psycopg")
    start = time.monotonic()
    with pytest.raises(ap.StorageError, match="Cannot open the storage"):
        get_storage(
            "postgresql+psycopg://apogee@127.0.0.1:9/apogee"
        )  # port 9 (discard): nothing listens
    assert time.monotonic() - start < 15


def test_missing_study_is_named(tmp_path: Path) -> None:
    with pytest.raises(ap.StudyNotFoundError, match="'ghost'"):
        ap.load_study("ghost", storage=sqlite_url(tmp_path))


def test_list_and_delete_through_sql(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    study = ap.create_study("one", space=SPACE, storage=url, seed=0)
    study.optimize(quadratic, n_trials=3, progress=False)
    study.tell(study.ask(), ap.Failed("no"))
    ap.create_study("two", space=SPACE, storage=url, seed=0)
    storage = get_storage(url)
    summaries = {s.name: s for s in storage.list_studies()}
    assert (summaries["one"].n_trials, summaries["one"].n_complete) == (4, 3)
    assert (summaries["two"].n_trials, summaries["two"].n_complete) == (0, 0)
    storage.delete_study("one")
    assert [s.name for s in storage.list_studies()] == ["two"]
