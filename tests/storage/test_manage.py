"""list_studies, delete_study and copy_study across storages."""

from pathlib import Path

import pytest

import apogee as ap
from apogee.storage import InMemoryStorage
from tests.storage._workers import quadratic


def test_copy_from_memory_to_sqlite_and_continue(tmp_path: Path) -> None:
    memory = InMemoryStorage()
    study = ap.create_study(
        "orig", space={"x": ap.Float(-1, 1)}, storage=memory, optimizer="sobol", seed=5
    )
    study.optimize(quadratic, n_trials=8, progress=False)
    study.tell(study.ask(), ap.Failed("crash"))
    url = f"sqlite:///{tmp_path / 'copy.db'}"
    copy = ap.copy_study("orig", from_storage=memory, to_storage=url, to_name="copied")
    assert [t.record for t in copy.trials] == [t.record for t in study.trials]
    assert (copy.seed, copy.engine.name, copy.attrs) == (5, "sobol", study.attrs)
    # Both continue identically: the engine sees the same history.
    assert copy.ask().params == study.ask().params
    assert [s.name for s in ap.list_studies(storage=url)] == ["copied"]
    ap.delete_study("copied", storage=url)
    assert ap.list_studies(storage=url) == []
    with pytest.raises(ap.StudyNotFoundError, match="'copied'"):
        ap.delete_study("copied", storage=url)
