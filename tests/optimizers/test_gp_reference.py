"""The GP engine's EHVI with a user-given hypervolume reference point (`GP(reference_point=...)`)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import apogee as ap
from apogee.optimizers import GP

FAST = GP(n_startup=5, n_restarts=4, raw_samples=128)
LINE = ap.Space({"x": ap.Float(0, 1)})
TWO = {"cost": "minimize", "gain": "maximize"}


def trade_off(params: dict[str, Any]) -> dict[str, float]:
    """Every `x` in [0, 1] is Pareto optimal: the cost and the gain both grow with `x`."""
    return {"cost": params["x"], "gain": params["x"] ** 0.5}


def _study(name: str, engine: GP, objectives: dict[str, str] = TWO) -> ap.Study:
    return ap.create_study(name, space=LINE, optimizer=engine, objectives=objectives, seed=3)


def _model_xs(engine: GP) -> np.ndarray:
    """The `x` of the suggestions after the Sobol' start, 16 trials of `trade_off`."""
    study = _study("reference", engine)
    study.optimize(trade_off, n_trials=16, progress=False)
    trials = sorted(study.trials, key=lambda t: t.number)[FAST.startup_trials(1) :]
    return np.array([t.params["x"] for t in trials])


def test_the_reference_point_focuses_the_search_on_the_front_it_bounds() -> None:
    # In the user's directions: a cost of at most 0.3 and a gain of at least 0.2 matter, so only
    # x in (0.04, 0.3) adds hypervolume; the inferred reference spans the whole line.
    focused = _model_xs(dataclasses.replace(FAST, reference_point=(0.3, 0.2)))
    assert np.mean((focused > 0.04) & (focused < 0.3)) >= 0.8, focused
    inferred = _model_xs(FAST)
    assert np.mean(inferred > 0.3) >= 0.3, inferred


def test_the_reference_point_is_stored_and_rebuilt_with_the_study() -> None:
    study = _study("stored", dataclasses.replace(FAST, reference_point=[0.3, 0.2]))
    engine = ap.optimizers.engine_from_options("gp", study.engine.options())
    assert engine.reference_point == (0.3, 0.2)
    assert engine == study.engine


@pytest.mark.parametrize(
    ("reference", "error", "match"),
    [
        ("ab", TypeError, "sequence of finite floats"),
        (3.0, TypeError, "sequence of finite floats"),
        ([1.0, float("nan")], ValueError, "finite float"),
        ([1.0, True], TypeError, "finite float"),
    ],
)
def test_a_malformed_reference_point_is_refused_by_name(
    reference: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=f"'reference_point'.*{match}"):
        GP(reference_point=reference)  # type: ignore[arg-type]


def test_a_reference_point_of_the_wrong_size_or_without_ehvi_is_refused() -> None:
    with pytest.raises(ValueError, match=r"one value per objective \(2\). Got \[1.0\]"):
        _study("short", dataclasses.replace(FAST, reference_point=(1.0,)))
    with pytest.raises(ap.UnsupportedError, match="1 objective"):
        _study("single", dataclasses.replace(FAST, reference_point=(1.0,)), {"cost": "minimize"})
    parego = dataclasses.replace(FAST, reference_point=(1.0, 1.0), multi_objective="parego")
    with pytest.raises(ap.UnsupportedError, match="ParEGO"):
        _study("parego", parego)
    three = {"a": "minimize", "b": "minimize", "c": "minimize"}  # auto picks ParEGO for three
    with pytest.raises(ap.UnsupportedError, match="multi_objective='ehvi'"):
        _study("three", dataclasses.replace(FAST, reference_point=(1.0, 1.0, 1.0)), three)
