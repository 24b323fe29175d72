"""optimize(n_workers=K): local processes share one stored study."""

from pathlib import Path

import pytest

import apogee as ap
from apogee.study._parallel import shares
from tests.storage._workers import quadratic


def test_shares() -> None:
    assert shares(10, 3) == [4, 3, 3]
    assert shares(2, 4) == [1, 1, 0, 0]
    assert shares(None, 2) == [None, None]


def test_three_workers_run_every_trial_once(tmp_path: Path) -> None:
    study = ap.create_study(
        "par",
        space={"x": ap.Float(-1, 1)},
        storage=f"sqlite:///{tmp_path / 'p.db'}",
        optimizer="random",  # the plumbing is under test, not the engine
        seed=0,
    )
    study.optimize(quadratic, n_trials=30, n_workers=3)
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(30))
    assert all(t.state is ap.TrialState.COMPLETE for t in trials)


def test_workers_need_a_url_storage_and_a_picklable_objective(tmp_path: Path) -> None:
    in_memory = ap.create_study("mem", space={"x": ap.Float(-1, 1)}, seed=0)
    with pytest.raises(ap.UnsupportedError, match=r"sqlite:///apogee\.db"):
        in_memory.optimize(quadratic, n_trials=4, n_workers=2)
    stored = ap.create_study(
        "lam", space={"x": ap.Float(-1, 1)}, storage=f"sqlite:///{tmp_path / 'l.db'}", seed=0
    )
    with pytest.raises(ap.UnsupportedError, match="picklable"):
        stored.optimize(lambda p: p["x"], n_trials=4, n_workers=2)
    with pytest.raises(
        ValueError, match=r"'n_workers' parameter of optimize must be an int in \[1, inf\)"
    ):
        stored.optimize(quadratic, n_trials=4, n_workers=0)
