"""Module-level functions for worker processes (spawned processes import them by name)."""

import apogee as ap


def quadratic(params: dict) -> float:
    return (params["x"] - 0.25) ** 2


def run_worker(url: str, name: str, n_trials: int) -> None:
    study = ap.load_study(name, storage=url)
    study.optimize(quadratic, n_trials=n_trials, progress=False)
