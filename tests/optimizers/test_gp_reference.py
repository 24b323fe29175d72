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


@pytest.mark.parametrize("method", ["ehvi", "parego"])
def test_the_reference_point_focuses_the_search_on_the_front_it_bounds(method: str) -> None:
    # In the user's directions: a cost of at most 0.3 and a gain of at least 0.2 matter, so only
    # x in (0.04, 0.3) adds hypervolume; without a reference the whole line is the front.
    engine = dataclasses.replace(FAST, multi_objective=method)
    # ParEGO's scalarizations still reach past the reference (its weights pick any direction),
    # so it focuses less than EHVI: 7 of 11 suggestions against 11 of 11 here.
    focused = _share_inside(_model_xs(dataclasses.replace(engine, reference_point=(0.3, 0.2))))
    inferred = _share_inside(_model_xs(engine))
    assert focused >= 0.5 and focused >= inferred + 0.25, (focused, inferred)


def _share_inside(xs: np.ndarray) -> float:
    return float(np.mean((xs > 0.04) & (xs < 0.3)))


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


def test_a_reference_point_of_the_wrong_size_or_for_one_objective_is_refused() -> None:
    with pytest.raises(ValueError, match=r"one value per objective \(2\). Got \[1.0\]"):
        _study("short", dataclasses.replace(FAST, reference_point=(1.0,)))
    with pytest.raises(ap.UnsupportedError, match="only with several objectives"):
        _study("single", dataclasses.replace(FAST, reference_point=(1.0,)), {"cost": "minimize"})
