"""Zeroth-order engine: estimators unbiased on a quadratic (seeded), CGE's exact bias, updates."""

import numpy as np
import pytest

import apogee as ap
from apogee.nn import _estimators
from apogee.optimizers import ZO
from apogee.optimizers._slots import clear_replay_cache
from apogee.optimizers._zo import directions, estimate

DIM = 5
A = np.diag([1.0, 2.0, 3.0, 0.5, 4.0]) + 0.1
B = np.array([0.3, -0.2, 0.1, 0.0, 0.5])


def quadratic(x: np.ndarray) -> float:
    return float(0.5 * x @ A @ x + B @ x)


def probe_values(estimator: str, x: np.ndarray, z: np.ndarray, mu: float) -> list[float | None]:
    if estimator == "coordinate":
        return [quadratic(x)] + [quadratic(x + mu * zi) for zi in z]
    values: list[float | None] = []
    for zj in z:
        values += [quadratic(x + mu * zj), quadratic(x - mu * zj)]
    return values


@pytest.mark.parametrize("estimator", ["gaussian", "sphere"])
def test_random_direction_estimates_are_unbiased(estimator: str) -> None:
    """The mean of R estimates is within 4.5 standard errors of ∇f (= ∇f_μ on a quadratic)."""
    x, mu, q, repeats = np.full(DIM, 0.4), 0.05, 3, 4000
    gradient = A @ x + B
    samples = np.array(
        [
            estimate(estimator, probe_values(estimator, x, z, mu), z, mu)
            for z in (directions(estimator, DIM, q, 11, step) for step in range(repeats))
        ]
    )
    standard_error = samples.std(axis=0, ddof=1) / np.sqrt(repeats)
    assert np.all(np.abs(samples.mean(axis=0) - gradient) < 4.5 * standard_error)
    # The spread matches the closed-form second moment of the shared module (within 10 %).
    moment = _estimators.second_moment(float(gradient @ gradient), DIM, estimator, q)
    assert np.mean(np.sum(samples**2, axis=1)) == pytest.approx(moment, rel=0.1)


def test_coordinate_estimate_has_the_exact_forward_difference_bias() -> None:
    x, mu = np.full(DIM, 0.4), 0.01
    z = directions("coordinate", DIM, 0, 0, 0)
    got = estimate("coordinate", probe_values("coordinate", x, z, mu), z, mu)
    assert np.allclose(got - (A @ x + B), mu / 2 * np.diag(A), atol=1e-10)


def test_missing_probes_are_left_out() -> None:
    x, mu = np.full(DIM, 0.4), 0.01
    z = directions("gaussian", DIM, 2, 0, 0)
    values = probe_values("gaussian", x, z, mu)
    values[3] = None  # the second pair lost one probe
    only_first = estimate("gaussian", values, z, mu)
    slope = (values[0] - values[1]) / (2 * mu)  # type: ignore[operator]
    assert np.allclose(only_first, slope * z[0])
    cge = directions("coordinate", DIM, 0, 0, 0)
    cge_values = probe_values("coordinate", x, cge, mu)
    cge_values[2] = None
    assert estimate("coordinate", cge_values, cge, mu)[1] == 0.0


SPACE = ap.Space({f"x{i}": ap.Float(-1, 1) for i in range(DIM)})


def objective(params: dict) -> float:
    x = np.array([params[f"x{i}"] for i in range(DIM)])
    return quadratic(x)


@pytest.mark.parametrize(
    ("estimator", "update", "rate"),
    [("gaussian", "adam", 0.02), ("sphere", "sgd", 0.02), ("coordinate", "sign", 0.005)],
)
def test_descends_to_the_minimizer(estimator: str, update: str, rate: float) -> None:
    engine = ZO(estimator=estimator, update=update, learning_rate=rate)
    study = ap.create_study("zo", space=SPACE, optimizer=engine, seed=0)
    study.optimize(objective, n_trials=600, progress=False)
    optimum = quadratic(np.linalg.solve(A, -B))
    start = quadratic(np.zeros(DIM))
    assert study.best_value - optimum < 0.02 * (start - optimum), (study.best_value, optimum)


def test_iterate_rebuilt_from_storage() -> None:
    study = ap.create_study("r", space=SPACE, optimizer=ZO(), seed=1)
    study.optimize(objective, n_trials=45, progress=False)
    first = ZO().suggest(study.history(), [45, 46], 1)
    clear_replay_cache()
    assert ZO().suggest(study.history(), [45, 46], 1) == first
    assert first.suggestions[0].attrs == {"zo:generation": 45 // 8, "zo:slot": 45 % 8}


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="'estimator' parameter of ZO"):
        ZO(estimator="uniform")
    with pytest.raises(ValueError, match="'mu' parameter of ZO"):
        ZO(mu=0.0)


def test_engine_and_shared_estimators_do_not_import_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys, apogee.optimizers, apogee.nn._estimators; "
        "from apogee.optimizers import ZO; print('torch' in sys.modules)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "False"
