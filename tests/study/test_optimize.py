"""The optimize loop, callbacks, timeouts, logging and minimize."""

import logging
import time

import numpy as np
import pytest

import apogee as ap

SPACE = ap.Space({"x": ap.Float(-2, 2), "k": ap.Categorical(["a", "b"])})


def objective(params):
    return (params["x"] - 1) ** 2 + (params["k"] == "b")


def test_optimize_runs_n_trials_and_survives_crashes() -> None:
    def flaky(params):
        if params["x"] > 1.5:
            raise RuntimeError("too hot")
        if params["x"] < -1.5:
            return {"wrong": 1}
        return objective(params)

    study = ap.create_study("o", space=SPACE, seed=0, optimizer="sobol")
    study.optimize(flaky, n_trials=40, progress=False)
    states = [t.state for t in study.trials]
    assert len(states) == 40 and ap.TrialState.FAILED in states
    reasons = {t.fail_reason.split(":")[0] for t in study.trials if t.fail_reason}
    assert reasons == {"RuntimeError", "invalid return value"}
    assert study.best_value < 0.1


def test_callbacks_and_stop() -> None:
    seen = []

    def stop_at_five(study, trial):
        seen.append(trial.number)
        if len(seen) == 5:
            study.stop()

    study = ap.create_study("c", space=SPACE, seed=0)
    study.optimize(objective, n_trials=50, callbacks=[stop_at_five], progress=False)
    assert seen == [0, 1, 2, 3, 4] and len(study.trials) == 5
    study.optimize(objective, n_trials=2, progress=False)  # a later call runs again
    assert len(study.trials) == 7


def test_timeout() -> None:
    study = ap.create_study("t", space=SPACE, seed=0)

    def slow(params):
        time.sleep(0.05)
        return objective(params)

    start = time.monotonic()
    study.optimize(slow, timeout=0.3, progress=False)
    assert time.monotonic() - start < 2.0
    assert 1 <= len(study.trials) <= 10


def test_objective_may_take_the_trial() -> None:
    def with_trial(params, trial):
        for step in range(3):
            trial.report(step, float(step))
        trial.set_user_attr("epochs", 3)
        return objective(params)

    study = ap.create_study("w", space=SPACE, seed=0)
    study.optimize(with_trial, n_trials=2, progress=False)
    assert study.trials[1].intermediate_values == {0: 0.0, 1: 1.0, 2: 2.0}
    assert study.trials[1].user_attrs == {"epochs": 3}


def test_keyboard_interrupt_fails_trial_and_propagates() -> None:
    def interrupted(params):
        raise KeyboardInterrupt

    study = ap.create_study("k", space=SPACE, seed=0)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(interrupted, n_trials=3, progress=False)
    assert [t.state for t in study.trials] == [ap.TrialState.FAILED]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_trials": 0}, r"'n_trials' parameter of optimize must be an int in \[1, inf\). Got 0"),
        ({"n_trials": 5, "timeout": -1}, r"'timeout' parameter of optimize"),
        ({"n_trials": 5, "callbacks": [1]}, "callable"),
    ],
)
def test_optimize_bad_arguments(options, message) -> None:
    study = ap.create_study("b", space=SPACE, seed=0)
    with pytest.raises((TypeError, ValueError), match=message):
        study.optimize(objective, progress=False, **options)


def test_one_info_line_per_trial() -> None:
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("apogee")
    logger.addHandler(handler)
    previous = ap.get_verbosity()
    ap.set_verbosity(logging.INFO)
    try:
        study = ap.create_study("l", space=SPACE, seed=0)
        study.optimize(objective, n_trials=3, progress=False)
    finally:
        ap.set_verbosity(previous)
        logger.removeHandler(handler)
    lines = [r.getMessage() for r in records if r.levelno == logging.INFO]
    assert len(lines) == 3 and lines[0].startswith("Trial 0 finished with values")
    assert "Best is trial" in lines[-1]


def test_same_seed_same_run() -> None:
    # The default engine (auto: GP after 5 Sobol' points here), a few model-based trials.
    first = ap.minimize(objective, SPACE, budget=8, seed=3, progress=False)
    second = ap.minimize(objective, SPACE, budget=8, seed=3, progress=False)
    assert [t.params for t in first.study.trials] == [t.params for t in second.study.trials]


def test_minimize_bounds_and_str() -> None:
    result = ap.minimize(
        lambda x: float(np.sum((x - 0.5) ** 2)),
        bounds=[(-5, 5)] * 4,
        budget=64,
        optimizer="sobol",
        seed=0,
        progress=False,
    )
    assert result.x is not None and result.x.shape == (4,)
    assert result.value == pytest.approx(float(np.sum((result.x - 0.5) ** 2)))
    assert "best value" in str(result) and "x3 =" in str(result)


def test_minimize_needs_space_or_bounds() -> None:
    with pytest.raises(ap.InvalidSpaceError, match="exactly one of"):
        ap.minimize(objective, budget=3)
    with pytest.raises(ap.InvalidSpaceError, match=r"bounds\[1\] must be a \(low, high\) pair"):
        ap.minimize(objective, bounds=[(0, 1), (2,)], budget=3)
