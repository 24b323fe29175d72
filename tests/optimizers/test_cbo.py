"""Consensus-based optimization: the exact checks of the reference doc, the engine, its state."""

import math

import numpy as np
import pytest

import apogee as ap
from apogee.history import History, StudySpec, TrialRecord, TrialState
from apogee.optimizers import CBO
from apogee.optimizers._cbo import cbo_step, consensus


def test_consensus_equals_the_loop_definition() -> None:
    """CBXpy's `test_mean_compute`: the weighted mean recomputed term by term."""
    rng = np.random.default_rng(0)
    x, energies, alpha = rng.normal(size=(7, 3)), rng.normal(size=7), 2.5
    numerator, denominator = np.zeros(3), 0.0
    for i in range(7):
        weight = math.exp(-alpha * energies[i])
        numerator += x[i] * weight
        denominator += weight
    assert np.allclose(consensus(x, energies, alpha), numerator / denominator, rtol=1e-12)


def test_large_alpha_gives_the_best_particle_without_overflow() -> None:
    rng = np.random.default_rng(1)
    x, energies = rng.normal(size=(9, 4)), rng.uniform(100.0, 200.0, size=9)
    center = consensus(x, energies, 1e12)
    assert np.all(np.isfinite(center))
    assert np.allclose(center, x[np.argmin(energies)])


def test_failed_particles_get_no_weight() -> None:
    x = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])
    center = consensus(x, np.array([1.0, 1.0, np.inf]), 3.0)
    assert np.allclose(center, [0.5, 0.5])
    assert np.allclose(consensus(x, np.full(3, np.inf), 1.0), x.mean(axis=0))


@pytest.mark.parametrize("noise", ["isotropic", "anisotropic"])
def test_noise_models(noise: str) -> None:
    rng = np.random.default_rng(2)
    x, c, xi = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=(5, 3))
    moved = cbo_step(x, c, xi, drift=0.7, dt=0.04, sigma=1.3, noise=noise)
    scale = np.linalg.norm(x - c, axis=1, keepdims=True) if noise == "isotropic" else x - c
    expected = x - 0.7 * 0.04 * (x - c) + 1.3 * 0.2 * scale * xi
    assert np.allclose(moved, expected)


def _finished_generation(engine: CBO, space: ap.Space, seed: int) -> History:
    spec = StudySpec.build(space)
    proposal = engine.suggest(History(spec), list(range(engine.particles)), seed)
    records = []
    for number, suggestion in enumerate(proposal.suggestions):
        value = float(sum((v - 0.2) ** 2 for v in suggestion.params.values()))
        records.append(
            TrialRecord(
                number,
                TrialState.COMPLETE,
                suggestion.params,
                {"value": value},
                system_attrs=dict(suggestion.attrs),
            )
        )
    return History(spec, tuple(records))


def test_no_noise_and_unit_drift_put_every_particle_on_the_consensus() -> None:
    space = ap.Space({f"x{i}": ap.Float(0, 1) for i in range(3)})
    engine = CBO(particles=6, sigma=0.0, dt=1.0, drift=1.0, alpha=2.0)
    history = _finished_generation(engine, space, seed=3)
    positions = np.array([t.system_attrs["cbo:x"] for t in history.trials])
    energies = history.objective_matrix()[:, 0]
    center = consensus(positions, energies, 2.0)
    following = engine.suggest(history, list(range(6, 12)), 3)
    for suggestion in following.suggestions:
        assert np.allclose(suggestion.attrs["cbo:x"], center, atol=1e-12)
        assert suggestion.attrs["cbo:generation"] == 1
    assert engine.consensus_point(history) == space.decode(center)


def test_temperature_schedule_is_capped() -> None:
    engine = CBO(alpha=1.0)
    assert engine.temperature(0) == 1.0
    assert engine.temperature(10) == pytest.approx(1.05**10)
    assert engine.temperature(10**6) == 1e5


def test_converges_on_a_quadratic_and_rebuilds_from_storage() -> None:
    space = ap.Space({f"x{i}": ap.Float(-3, 3) for i in range(4)})
    engine = CBO(particles=30, dt=0.1, sigma=0.7, alpha=30.0, noise="anisotropic")
    study = ap.create_study("cbo", space=space, optimizer=engine, seed=4)
    study.optimize(
        lambda p: sum((v - 1.0) ** 2 for v in p.values()), n_trials=30 * 50, progress=False
    )
    point = engine.consensus_point(study.history())
    assert point is not None and max(abs(v - 1.0) for v in point.values()) < 0.1  # measured: 0.046
    reloaded = ap.load_study("cbo", storage=study.storage)
    assert CBO(**engine.options()).suggest(reloaded.history(), [1500], 4) == engine.suggest(
        study.history(), [1500], 4
    )
