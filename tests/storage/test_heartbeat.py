"""A worker killed mid-trial: its trial is failed by the next ask, and nothing else is lost."""

import multiprocessing
import os
import signal
import time
from pathlib import Path

import apogee as ap
from tests.storage._workers import quadratic, run_hanging_worker


def _wait_for_heartbeat(url: str, name: str, deadline: float) -> None:
    import sqlite3

    path = url.removeprefix("sqlite:///")
    while time.monotonic() < deadline:
        with sqlite3.connect(path) as connection:
            if connection.execute(
                "SELECT count(*) FROM apogee_trials WHERE state = 'RUNNING' AND heartbeat IS NOT NULL"
            ).fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the worker never sent a heartbeat")


def test_sigkill_mid_trial(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    study = ap.create_study(
        "killed", space={"x": ap.Float(-1, 1)}, storage=url, optimizer="random", seed=0
    )
    study.optimize(quadratic, n_trials=5, progress=False)
    worker = multiprocessing.get_context("spawn").Process(
        target=run_hanging_worker, args=(url, "killed")
    )
    worker.start()
    _wait_for_heartbeat(url, "killed", time.monotonic() + 60)
    os.kill(worker.pid, signal.SIGKILL)
    worker.join()
    time.sleep(1.0)  # past the grace of 4 x 0.2 s
    study.requeue_stale_trials = True
    study.optimize(quadratic, n_trials=5, progress=False)
    trials = study.trials
    assert len(trials) == 11  # 5 before, the killed one, then 5: its re-queued copy and 4 more
    killed = trials[5]
    assert killed.state is ap.TrialState.FAILED and "no heartbeat" in (killed.fail_reason or "")
    assert trials[6].params == killed.params and trials[6].user_attrs == {"requeued_from": 5}
    assert [t.state for t in trials if t.number != 5] == [ap.TrialState.COMPLETE] * 10


def test_manual_trials_are_never_failed_as_stale() -> None:
    study = ap.create_study("manual", space={"x": ap.Float(-1, 1)}, seed=0)
    pending = study.ask()
    time.sleep(0.05)
    study.optimize(quadratic, n_trials=3, progress=False, heartbeat_interval=0.01)
    assert study.trials[pending.number].state is ap.TrialState.RUNNING
