"""`auto`: the choice per situation, the GP -> CMA-ES switch, the portfolio bandit, determinism."""

import numpy as np
import pytest

import apogee as ap
from apogee.history import History, StudySpec, TrialRecord, TrialState
from apogee.optimizers import CMAES, Auto, choose_engine
from apogee.optimizers import _portfolio as bandit
from apogee.optimizers.auto import WARM_SIGMA_KEY, warm_sigma


def spec_of(dim: int, **kwargs: object) -> StudySpec:
    space = ap.Space({f"x{i}": ap.Float(0, 1) for i in range(dim)})
    return StudySpec.build(space, **kwargs)  # type: ignore[arg-type]


def history_of(spec: StudySpec, n: int) -> History:
    records = tuple(
        TrialRecord(
            i,
            TrialState.COMPLETE,
            {f"x{j}": 0.5 for j in range(spec.space.dim)},
            {name: 1.0 for name in spec.value_names},
        )
        for i in range(n)
    )
    return History(spec, records)


@pytest.mark.parametrize(
    ("spec", "n", "budget", "engine"),
    [
        (spec_of(3), 0, None, "gp"),
        (spec_of(3), 199, None, "gp"),
        (spec_of(3), 200, None, "cmaes"),
        (spec_of(3), 250, 300, "gp"),  # a small known budget keeps the GP to the end
        (spec_of(3), 250, 5000, "cmaes"),
        (spec_of(10), 49, 1000, "gp"),  # a known budget: the GP for its first 5 %
        (spec_of(10), 50, 1000, "cmaes"),
        (spec_of(40), 0, None, "cmaes"),
        (spec_of(0), 0, None, "random"),
        (spec_of(2, objectives={"a": "minimize", "b": "minimize"}), 10, None, "gp"),
        (spec_of(2, objectives={"a": "minimize", "b": "minimize"}), 100, None, "gp"),
        (spec_of(2, objectives={"a": "minimize", "b": "minimize"}), 250, None, "nsga2"),
        (spec_of(30, objectives={"a": "minimize", "b": "minimize"}), 10, None, "sobol"),
        (spec_of(30, objectives={"a": "minimize", "b": "minimize"}), 100, None, "nsga2"),
        (spec_of(2, constraints=["c"]), 10, None, "gp"),
        (spec_of(2, constraints=["c"]), 199, None, "gp"),
        (spec_of(2, constraints=["c"]), 250, 300, "gp"),
        (spec_of(2, constraints=["c"]), 250, None, "nsga2"),  # CMA-ES has no constraints
        (spec_of(40, constraints=["c"]), 10, None, "sobol"),
        (spec_of(40, constraints=["c"]), 120, None, "nsga2"),
    ],
)
def test_choice_per_situation(spec: StudySpec, n: int, budget: int | None, engine: str) -> None:
    chosen, reason = choose_engine(spec, history_of(spec, n), budget=budget)
    assert chosen.name == engine and reason


def test_switches_from_gp_to_a_warm_started_cmaes() -> None:
    space = ap.Space({"x": ap.Float(-1, 1), "y": ap.Float(-1, 1)})
    study = ap.create_study("switch", space=space, optimizer=Auto(gp_trials=7), seed=0)
    study.optimize(lambda p: (p["x"] - 0.3) ** 2 + (p["y"] + 0.2) ** 2, n_trials=12, progress=False)
    log = study.attrs["auto:log"]
    assert [(entry["trial"], entry["engine"]) for entry in log] == [(0, "gp"), (7, "cmaes")]
    assert study.attrs["auto"]["engine"] == "cmaes"
    assert all("cmaes:generation" not in t.system_attrs for t in study.trials[:7])
    assert all(t.system_attrs["cmaes:generation"] == 0 for t in study.trials[7:])
    # CMA-ES starts from the best GP point (its first generation of 6 is still open), with the
    # step size fitted to the GP phase and stored at the switch.
    best = min(study.trials[:7], key=lambda t: t.value)
    sigma = study.attrs[WARM_SIGMA_KEY]
    assert sigma == warm_sigma(History(study.spec, study.history().trials[:7]), 7)
    rebuilt = CMAES(warm_sigma0=sigma).rebuild(study.history(), 0).state.optimizer
    assert np.allclose(rebuilt.mean, space.encode(best.params))


def test_warm_sigma_is_the_spread_of_the_best_tenth() -> None:
    spec = spec_of(2)
    rng = np.random.default_rng(0)
    good = [(0.3 + 0.02 * rng.standard_normal(2), 0.0) for _ in range(5)]
    bad = [(rng.random(2), 1.0 + i) for i in range(45)]
    records = tuple(
        TrialRecord(i, TrialState.COMPLETE, {"x0": float(x[0]), "x1": float(x[1])}, {"value": v})
        for i, (x, v) in enumerate(good + bad)
    )
    history = History(spec, records)
    points = np.array([x for x, _ in good])
    assert warm_sigma(history, 50) == pytest.approx(np.sqrt(points.var(axis=0).mean()))
    spread = np.array([x for x, _ in bad[:4]])  # without the cluster: the best 4 of 45
    wide = warm_sigma(History(spec, records[5:]), 50)
    assert wide == pytest.approx(np.sqrt(spread.var(axis=0).mean())) and wide > 0.1
    assert warm_sigma(History(spec, records[:1]), 50) == 0.25  # too few points: the widest
    stored = History(spec, records, {WARM_SIGMA_KEY: 0.05})
    assert warm_sigma(stored, 50) == 0.05  # the value fixed at the switch is kept


def test_minimize_passes_its_budget() -> None:
    result = ap.minimize(
        lambda x: float((x**2).sum()), bounds=[(-1, 1)] * 50, budget=3, seed=0, progress=False
    )
    assert result.study.engine == Auto(budget=3)
    assert result.study.attrs["auto"]["engine"] == "cmaes"


def _arm_history(outcomes: dict[str, list[float]]) -> History:
    spec = spec_of(1)
    records, number = [], 0
    for values in zip(*outcomes.values(), strict=True):
        for arm, value in zip(outcomes, values, strict=True):
            records.append(
                TrialRecord(
                    number,
                    TrialState.COMPLETE,
                    {"x0": 0.5},
                    {"value": value},
                    system_attrs={bandit.ARM: arm},
                )
            )
            number += 1
    return History(spec, tuple(records))


def test_bandit_rewards_recent_improvements() -> None:
    steps = 30
    history = _arm_history({"good": list(np.linspace(10, 0, steps)), "flat": [20.0] * steps})
    stats = bandit.arm_stats(history, ("good", "flat"), window=50)
    assert stats["good"] == bandit.ArmStats(recent=steps, successes=steps, pulls=steps)
    assert stats["flat"].successes == 0
    chosen = bandit.choose_arms(stats, ("good", "flat"), range(100, 300), seed=1)
    assert chosen.count("good") > 190
    assert chosen == bandit.choose_arms(stats, ("good", "flat"), range(100, 300), seed=1)


def test_bandit_forgets_old_success() -> None:
    """Only the last `window` rewards count: an arm that stopped improving loses its share."""
    values = list(np.linspace(10, 5, 20)) + [7.0] * 20
    history = _arm_history({"faded": values, "steady": list(np.linspace(5.5, 0, 40))})
    stats = bandit.arm_stats(history, ("faded", "steady"), window=10)
    assert stats["faded"].successes == 0 and stats["steady"].successes == 10


def test_portfolio_is_rebuilt_from_the_history() -> None:
    space = ap.Space({f"x{i}": ap.Float(-2, 2) for i in range(3)})
    engine = Auto(portfolio=True, gp_max_dim=0)  # CMA-ES and DE only: keeps the test fast
    study = ap.create_study("p", space=space, optimizer=engine, seed=2)
    study.optimize(lambda p: sum(v**2 for v in p.values()), n_trials=60, progress=False)
    arms = [t.system_attrs[bandit.ARM] for t in study.trials]
    assert set(arms) == {"cmaes", "de"}
    summary = study.attrs["auto:portfolio"]
    reloaded = ap.load_study("p", storage=study.storage)
    numbers = [60, 61, 62]
    again = reloaded.engine.suggest(reloaded.history(), numbers, 2)
    assert again == engine.suggest(study.history(), numbers, 2)
    assert sum(entry["pulls"] for entry in summary.values()) == 59
    assert study.attrs["auto"]["engine"] == "portfolio"


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="'budget' parameter of Auto"):
        Auto(budget=0)
    with pytest.raises(TypeError, match="'portfolio' parameter of Auto"):
        Auto(portfolio="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"'reference_point' parameter of Auto.*one per objective"):
        Auto(reference_point="11")  # type: ignore[arg-type]


def test_the_reference_point_reaches_the_gp_and_picks_ehvi_for_three_objectives() -> None:
    three = spec_of(2, objectives={"a": "minimize", "b": "minimize", "c": "maximize"})
    plain, plain_reason = choose_engine(three, history_of(three, 10))
    given, given_reason = choose_engine(three, history_of(three, 10), reference_point=(1, 1, 0))
    assert isinstance(plain, ap.optimizers.GP) and isinstance(given, ap.optimizers.GP)
    assert plain.reference_point is None and "ParEGO" in plain_reason
    assert given.reference_point == (1, 1, 0) and "log EHVI" in given_reason


def test_a_reference_point_is_checked_against_the_study() -> None:
    two = {"a": "minimize", "b": "maximize"}
    space = ap.Space({"x": ap.Float(0, 1)})
    study = ap.create_study(
        "ref", space=space, objectives=two, optimizer=Auto(reference_point=[2, -1]), seed=0
    )
    assert study.engine == Auto(reference_point=(2.0, -1.0))
    assert ap.optimizers.engine_from_options("auto", study.engine.options()) == study.engine
    with pytest.raises(ValueError, match=r"reference_point' parameter of Auto.*\(2\). Got \[2.0\]"):
        ap.create_study("short", space=space, objectives=two, optimizer=Auto(reference_point=[2]))
    with pytest.raises(ap.UnsupportedError, match=r"Auto uses reference_point.*several objectives"):
        ap.create_study("single", space=space, optimizer=Auto(reference_point=[2, -1]))
