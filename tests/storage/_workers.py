"""Module-level functions for worker processes (spawned processes import them by name)."""

import apogee as ap


def quadratic(params: dict) -> float:
    return (params["x"] - 0.25) ** 2


def run_worker(url: str, name: str, n_trials: int) -> None:
    study = ap.load_study(name, storage=url)
    study.optimize(quadratic, n_trials=n_trials, progress=False)


def hang(params: dict) -> float:
    import time

    time.sleep(600)  # the test kills this process long before
    return 0.0


def run_hanging_worker(url: str, name: str) -> None:
    study = ap.load_study(name, storage=url)
    study.optimize(hang, n_trials=1, progress=False, heartbeat_interval=0.2)
