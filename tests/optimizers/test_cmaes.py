"""CMA-ES: the contract, each cmaes variant, restarts, and the distribution rebuilt from storage."""

import math

import cmaes
import numpy as np
import pytest

import apogee as ap
from apogee.optimizers import CMAES
from apogee.optimizers._cmaes_variants import Layout
from apogee.optimizers._slots import clear_replay_cache


def sphere(params: dict) -> float:
    return float(sum((value - 0.3) ** 2 for value in params.values()))


def test_layout_picks_the_package_variant() -> None:
    assert Layout.of(ap.Space({"x": ap.Float(0, 1)})).variant == "CMA"
    assert Layout.of(ap.Space({"x": ap.Float(0, 1), "n": ap.Int(0, 9)})).variant == "CMAwM"
    mixed = ap.Space({"x": ap.Float(0, 1), "n": ap.Int(0, 9), "c": ap.Categorical(["a", "b"])})
    assert Layout.of(mixed).variant == "CatCMAwM"


def test_continuous_converges_and_respects_bounds() -> None:
    space = ap.Space({f"x{i}": ap.Float(-1, 1) for i in range(4)})
    study = ap.create_study("c", space=space, optimizer=CMAES(restart="none"), seed=0)
    study.optimize(sphere, n_trials=400, progress=False)
    assert study.best_value < 1e-6
    encoded = study.history().encoded_params(study.history().complete)
    assert np.all((encoded >= 0) & (encoded <= 1))


def test_integers_through_cma_with_margin() -> None:
    space = ap.Space({"n": ap.Int(0, 40), "m": ap.Int(-10, 10), "x": ap.Float(-5, 5)})
    study = ap.create_study("i", space=space, optimizer=CMAES(restart="none"), seed=1)
    study.optimize(
        lambda p: (p["n"] - 17) ** 2 + (p["m"] + 3) ** 2 + (p["x"] - 1) ** 2,
        n_trials=300,
        progress=False,
    )
    assert study.best_trial.params["n"] == 17 and study.best_trial.params["m"] == -3
    assert "cmaes:c" not in study.trials[0].system_attrs


def test_categoricals_through_catcma() -> None:
    space = ap.Space(
        {
            "x": ap.Float(-2, 2),
            "c1": ap.Categorical(["a", "b", "c", "d"]),
            "c2": ap.Categorical(["u", "v", "w"]),
        }
    )
    costs = {"a": 1.0, "b": 0.5, "c": 0.0, "d": 2.0, "u": 1.0, "v": 0.0, "w": 0.7}
    study = ap.create_study("cat", space=space, optimizer=CMAES(restart="none"), seed=2)
    study.optimize(
        lambda p: (p["x"] - 0.5) ** 2 + costs[p["c1"]] + costs[p["c2"]],
        n_trials=200,
        progress=False,
    )
    best = study.best_trial.params
    assert (best["c1"], best["c2"]) == ("c", "v") and abs(best["x"] - 0.5) < 0.05
    last = [t.params["c1"] for t in study.trials[-20:]]
    assert last.count("c") >= 15  # the categorical distribution concentrated on the best choice


def test_replayed_distribution_equals_a_direct_cmaes_run() -> None:
    """Replaying the stored tells gives exactly the package's own ask/tell loop."""
    space = ap.Space({f"x{i}": ap.Float(0, 1) for i in range(3)})
    engine = CMAES(restart="none", warm_start=False)
    study = ap.create_study("r", space=space, optimizer=engine, seed=5)
    study.optimize(sphere, n_trials=6 * 7, progress=False)  # popsize 7: six full generations
    clear_replay_cache()
    rebuilt = engine.rebuild(study.history(), 5).state.optimizer
    direct = cmaes.CMA(np.full(3, 0.5), 0.25, bounds=np.tile([0.0, 1.0], (3, 1)), population_size=7)
    for generation in range(6):
        trials = study.trials[7 * generation : 7 * generation + 7]
        direct.tell([(np.array(t.system_attrs["cmaes:v"]), t.value) for t in trials])
    assert np.array_equal(rebuilt.mean, direct.mean)
    assert rebuilt._sigma == direct._sigma
    assert rebuilt.generation == 6


def test_rebuild_after_restart_of_the_process_continues_identically() -> None:
    space = ap.Space({f"x{i}": ap.Float(-1, 1) for i in range(2)})
    first = ap.create_study("a", space=space, optimizer="cmaes", seed=3)
    first.optimize(sphere, n_trials=23, progress=False)
    clear_replay_cache()  # what a new process sees
    second = ap.load_study("a", storage=first.storage)
    proposal = CMAES().suggest(second.history(), [23, 24], 3)
    clear_replay_cache()
    again = CMAES().suggest(second.history(), [23, 24], 3)
    assert proposal == again
    assert proposal.suggestions[0].attrs["cmaes:generation"] == 23 // 6


def plateau(params: dict) -> float:
    """Flat (zero) near the optimum: CMA-ES's flat-fitness test stops each run quickly."""
    return max(sphere(params) - 0.5, 0.0)


@pytest.mark.parametrize("restart", ["ipop", "bipop"])
def test_restarts_follow_the_regime(restart: str) -> None:
    space = ap.Space({f"x{i}": ap.Float(-5, 5) for i in range(2)})
    study = ap.create_study("m", space=space, optimizer=CMAES(restart=restart), seed=4)
    study.optimize(plateau, n_trials=1200, progress=False)
    sizes: dict[int, int] = {}
    for trial in study.trials:
        run = trial.system_attrs["cmaes:run"]
        sizes[run] = max(sizes.get(run, 0), trial.system_attrs["cmaes:slot"] + 1)
    assert len(sizes) >= 3, sizes
    if restart == "ipop":
        assert sizes[1] == 2 * sizes[0] and sizes[2] == 4 * sizes[0]
        return
    # BIPOP: the regime that has used fewer evaluations goes next (the default run is large).
    counts = [sum(t.system_attrs["cmaes:run"] == run for t in study.trials) for run in sizes]
    large, small = counts[0], 0
    for run in range(1, len(sizes) - 1):
        is_large = sizes[run] > sizes[0]
        assert is_large == (large <= small), (sizes, counts)
        assert is_large or sizes[run] <= sizes[0]
        large, small = (large + counts[run], small) if is_large else (large, small + counts[run])
    assert max(sizes.values()) >= 2 * sizes[0] and min(sizes.values()) < sizes[0]


def test_warm_sigma0_sets_only_the_warm_started_run() -> None:
    # Under `auto` the first run continues from the GP's best point with a small fitted step;
    # a restart searches the whole cube again, so it must start from `sigma0` (0.25).
    space = ap.Space({f"x{i}": ap.Float(-5, 5) for i in range(2)})
    engine = CMAES(restart="ipop", warm_sigma0=0.01)
    study = ap.create_study("w", space=space, optimizer=engine, seed=4)
    study.add_trial({"x0": 0.5, "x1": -0.5}, 0.0)
    study.optimize(plateau, n_trials=400, progress=False)

    def first_generation_spread(run: int) -> float:
        """The mean coordinate spread, on the unit cube, of the run's first generation."""
        mine = [t for t in study.trials if t.system_attrs.get("cmaes:run") == run]
        first = min(t.system_attrs["cmaes:generation"] for t in mine)
        points = [
            space.encode(t.params) for t in mine if t.system_attrs["cmaes:generation"] == first
        ]
        return float(np.array(points).std(axis=0).mean())

    assert {t.system_attrs.get("cmaes:run") for t in study.trials[1:]} >= {0, 1}
    assert first_generation_spread(0) < 0.03
    assert first_generation_spread(1) > 0.1


def test_no_restart_stays_in_one_run() -> None:
    space = ap.Space({f"x{i}": ap.Float(-5, 5) for i in range(2)})
    study = ap.create_study("n", space=space, optimizer=CMAES(restart="none"), seed=4)
    study.optimize(plateau, n_trials=200, progress=False)
    assert {t.system_attrs["cmaes:run"] for t in study.trials} == {0}


def test_failed_samples_are_resampled_then_ranked_last() -> None:
    space = ap.Space({"x": ap.Float(-1, 1), "y": ap.Float(-1, 1)})
    study = ap.create_study("f", space=space, optimizer=CMAES(restart="none"), seed=6)

    def objective(params: dict) -> float:
        if params["x"] > 0.5:
            raise RuntimeError("simulated crash")
        return sphere(params)

    study.optimize(objective, n_trials=120, progress=False)
    assert study.best_value < 1e-3 and not math.isnan(study.best_value)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="'restart' parameter of CMAES"):
        CMAES(restart="sometimes")
    with pytest.raises(ValueError, match="'sigma0' parameter of CMAES"):
        CMAES(sigma0=0.0)
    with pytest.raises(ValueError, match="'warm_sigma0' parameter of CMAES"):
        CMAES(warm_sigma0=1.5)


def test_categorical_only_space(recwarn: pytest.WarningsRecorder) -> None:
    space = ap.Space({"a": ap.Categorical(["x", "y", "z"]), "b": ap.Categorical([1, 2])})
    study = ap.create_study("only", space=space, optimizer="cmaes", seed=0)
    study.optimize(lambda p: {"x": 1, "y": 0, "z": 2}[p["a"]] + p["b"], n_trials=30, progress=False)
    assert study.best_trial.params == {"a": "y", "b": 1}
    assert not [w for w in recwarn if "Termination" in str(w.message)]
