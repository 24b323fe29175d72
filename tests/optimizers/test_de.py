"""Differential evolution: operators, SHADE memories, strategies, bounds, rebuild from storage."""

import numpy as np
import pytest

import apogee as ap
from apogee.optimizers import DE
from apogee.optimizers import _de_ops as ops
from apogee.optimizers._slots import clear_replay_cache


def rastrigin(params: dict) -> float:
    x = np.array(list(params.values()))
    return float(10 * len(x) + np.sum(x**2 - 10 * np.cos(2 * np.pi * x)))


def sphere(params: dict) -> float:
    return float(sum((value - 0.3) ** 2 for value in params.values()))


SPACE = ap.Space({f"x{i}": ap.Float(-5.12, 5.12) for i in range(5)})


def test_memory_update_is_the_weighted_lehmer_mean() -> None:
    memory = np.full(3, 0.5)
    successes, improvements = np.array([0.2, 0.8]), np.array([1.0, 3.0])
    lehmer = ops.update_memory(memory, 1, successes, improvements, lehmer=True)
    weights = improvements / 4.0
    assert lehmer[1] == pytest.approx(np.sum(weights * successes**2) / np.sum(weights * successes))
    assert lehmer[0] == lehmer[2] == 0.5
    arithmetic = ops.update_memory(memory, 0, successes, improvements, lehmer=False)
    assert arithmetic[0] == pytest.approx(0.25 * 0.2 + 0.75 * 0.8)


def test_parameters_follow_their_distributions() -> None:
    rng = np.random.default_rng(0)
    draws = np.array(
        [ops.sample_parameters(rng, np.array([0.5]), np.array([0.3])) for _ in range(4000)]
    )
    factors, rates = draws[:, 0], draws[:, 1]
    assert np.all((factors > 0) & (factors <= 1)) and np.all((rates >= 0) & (rates <= 1))
    assert abs(np.median(factors) - 0.5) < 0.02  # a Cauchy's median is its location
    assert abs(rates.mean() - 0.3) < 4 * 0.1 / np.sqrt(4000)


@pytest.mark.parametrize("method", ops.BOUNDS)
def test_repair_stays_in_the_cube(method: str) -> None:
    parent = np.array([0.2, 0.9, 0.5])
    trial = np.array([-0.4, 1.3, 0.7])
    repaired = ops.repair(trial, parent, method)
    expected = [0.1, 0.95, 0.7] if method == "midpoint" else [0.4, 0.7, 0.7]
    assert np.allclose(repaired, expected)


def test_crossover_takes_at_least_one_donor_column() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        child = ops.binomial_crossover(rng, np.zeros(4), np.ones(4), cr=0.0)
        assert child.sum() == 1.0


@pytest.mark.parametrize("strategy", ops.STRATEGIES)
def test_every_strategy_beats_random_search(strategy: str) -> None:
    study = ap.create_study("de", space=SPACE, optimizer=DE(strategy=strategy), seed=0)
    study.optimize(sphere, n_trials=1000, progress=False)
    baseline = ap.create_study("rs", space=SPACE, optimizer="random", seed=0)
    baseline.optimize(sphere, n_trials=1000, progress=False)
    assert study.best_value < 0.01 * baseline.best_value, (study.best_value, baseline.best_value)


@pytest.mark.slow
def test_shade_solves_rastrigin_in_5d() -> None:
    study = ap.create_study("r", space=SPACE, optimizer=DE(), seed=1)
    study.optimize(rastrigin, n_trials=3000, progress=False)
    assert study.best_value < 1.0  # the global minimum is 0; random search stays above 10


def test_selection_archive_and_memories_replayed() -> None:
    engine = DE(population_size=6)
    study = ap.create_study("s", space=SPACE, optimizer=engine, seed=2)
    study.optimize(sphere, n_trials=6 * 8, progress=False)
    clear_replay_cache()
    state = engine.rebuild(study.history(), 2).state
    # The survivors are the best of each target's line: every value is the minimum of its slot.
    for slot in range(6):
        line = [t.value for t in study.trials if t.system_attrs["de:slot"] == slot]
        assert state.values[slot] == pytest.approx(min(line))
    assert 0 < len(state.archive) <= 6
    assert not np.allclose(state.memory_f, 0.5), "successful F values moved the memory"


def test_rebuild_from_storage_continues_identically() -> None:
    study = ap.create_study("b", space=SPACE, optimizer="de", seed=3)
    study.optimize(sphere, n_trials=57, progress=False)
    first = DE().suggest(study.history(), [57, 58], 3)
    clear_replay_cache()
    assert DE().suggest(study.history(), [57, 58], 3) == first
    assert first.suggestions[0].attrs["de:generation"] == 57 // 25


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="'strategy' parameter of DE"):
        DE(strategy="rand/2")
    with pytest.raises(ValueError, match="'population_size' parameter of DE"):
        DE(population_size=3)
