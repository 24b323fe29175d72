"""The posterior of the optimum through the study: pinned optima, cannot-say paths, directions."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import apogee as ap
from apogee.optimizers.gp import OptimumOptions, _optimum, posterior_of_optimum

FAST = OptimumOptions(n_samples=64, raw_samples=256)


def _study(
    values: dict[float, float], *, direction: str = "minimize", **kwargs: object
) -> ap.Study:
    space = ap.Space({"x": ap.Float(-1.0, 1.0)})
    study = ap.create_study(
        "s", space=space, seed=3, direction=direction, optimizer="random", **kwargs
    )  # type: ignore[arg-type]
    for x, value in values.items():
        study.add_trial({"x": x}, value)
    return study


def _quadratic(n: int, *, sign: float = 1.0) -> dict[float, float]:
    return {float(x): sign * ((x - 0.3) ** 2 + 1.0) for x in np.linspace(-1.0, 1.0, n)}


def test_optimum_pinned_by_data_gives_a_narrow_interval_containing_it() -> None:
    optimum = _study(_quadratic(21)).optimum(options=FAST)
    assert optimum.known and optimum.value_interval is not None
    low, high = optimum.value_interval
    assert low <= 1.0 <= high + 1e-9
    assert high - low < 0.01 * 1.69  # under 1% of the range of observed values
    x_low, x_high = optimum.params_interval["x"]  # type: ignore[misc]
    assert x_low <= 0.3 <= x_high and x_high - x_low < 0.05
    # the best trial (x = 0.3) is the optimum; the model agrees
    assert optimum.incumbent_value == pytest.approx(1.0)
    assert optimum.prob_incumbent_optimal is not None and optimum.prob_incumbent_optimal > 0.9
    assert optimum.expected_remaining_improvement is not None
    assert 0.0 <= optimum.expected_remaining_improvement < optimum.eps  # type: ignore[operator]


def test_sparse_data_gives_a_wider_interval_than_dense_data() -> None:
    sparse = _study(_quadratic(6)).optimum(options=FAST)
    dense = _study(_quadratic(21)).optimum(options=FAST)
    assert sparse.value_interval is not None and dense.value_interval is not None
    width = lambda interval: interval[1] - interval[0]  # noqa: E731
    assert width(sparse.value_interval) > 3 * width(dense.value_interval)


def test_default_eps_is_one_percent_of_the_observed_range() -> None:
    values = _quadratic(9)
    optimum = _study(values).optimum(options=FAST)
    assert optimum.eps == pytest.approx(0.01 * (max(values.values()) - min(values.values())))
    assert _study(values).optimum(eps=0.5, options=FAST).eps == 0.5


def test_same_history_and_seed_give_the_same_answer() -> None:
    study = _study(_quadratic(8))
    first, second = study.optimum(options=FAST), study.optimum(options=FAST)
    assert first == second
    other = study.optimum(seed=99, options=FAST)
    assert other.value_samples != first.value_samples


def test_maximize_reports_in_the_users_direction() -> None:
    minimized = _study(_quadratic(8)).optimum(options=FAST)
    maximized = _study(_quadratic(8, sign=-1.0), direction="maximize").optimum(options=FAST)
    assert maximized.direction == "maximize"
    assert minimized.value_interval is not None and maximized.value_interval is not None
    assert maximized.value_median == pytest.approx(-minimized.value_median)  # type: ignore[operator]
    low, high = maximized.value_interval
    assert (low, high) == pytest.approx(
        (-minimized.value_interval[1], -minimized.value_interval[0])
    )
    assert maximized.prob_incumbent_optimal == minimized.prob_incumbent_optimal
    assert maximized.incumbent_value == pytest.approx(-minimized.incumbent_value)  # type: ignore[operator]
    assert maximized.value_samples == tuple(-v for v in minimized.value_samples)


def test_too_few_trials_cannot_say() -> None:
    optimum = _study({0.1: 1.0, 0.5: 2.0, 0.9: 0.5}).optimum()
    assert not optimum.known and "at least" in (optimum.reason or "")
    assert optimum.value_median is None and optimum.prob_incumbent_optimal is None
    assert optimum.prob_within(0.1) is None
    assert "cannot say" in str(optimum)


def test_constant_values_cannot_say() -> None:
    optimum = _study({x: 2.0 for x in np.linspace(-1, 1, 8)}).optimum()
    assert not optimum.known and "same value" in (optimum.reason or "")


def test_a_failed_fit_cannot_say(monkeypatch: pytest.MonkeyPatch) -> None:
    from apogee.optimizers.gp import _optimum_samples

    def broken(*args: object, **kwargs: object) -> None:
        raise np.linalg.LinAlgError("not positive definite")

    monkeypatch.setattr(_optimum_samples, "draw_optima", broken)
    optimum = _study(_quadratic(8)).optimum()
    assert not optimum.known and "fit failed" in (optimum.reason or "")


def test_several_objectives_are_refused() -> None:
    space = ap.Space({"x": ap.Float(0, 1)})
    study = ap.create_study("m", space=space, objectives={"a": "minimize", "b": "minimize"})
    with pytest.raises(ap.UnsupportedError, match="one objective"):
        study.optimum()


@pytest.mark.parametrize(("level", "eps"), [(0.0, None), (1.0, None), (0.9, 0.0), (0.9, -1.0)])
def test_bad_level_or_eps_is_refused(level: float, eps: float | None) -> None:
    with pytest.raises(ValueError, match="parameter of optimum must be"):
        _study(_quadratic(8)).optimum(level=level, eps=eps)


def test_constraints_are_modelled() -> None:
    # minimize (x - 0.3)^2 subject to 0.6 - x <= 0: the feasible optimum is at x = 0.6
    space = ap.Space({"x": ap.Float(-1.0, 1.0)})
    study = ap.create_study("c", space=space, seed=0, constraints=["c"], optimizer="random")
    for x in np.linspace(-1.0, 1.0, 25):
        study.add_trial({"x": float(x)}, {"value": (x - 0.3) ** 2, "c": 0.6 - x})
    optimum = study.optimum(options=FAST)
    assert optimum.constraints == "modelled" and optimum.value_interval is not None
    low, high = optimum.value_interval
    assert low <= 0.09 <= high + 1e-6 and low > 0.05  # not the unconstrained optimum 0
    x_low, _ = optimum.params_interval["x"]  # type: ignore[misc]
    assert x_low > 0.5


def test_categorical_parameters_get_choice_probabilities() -> None:
    space = ap.Space({"x": ap.Float(-1.0, 1.0), "kind": ap.Categorical(["a", "b"])})
    study = ap.create_study("k", space=space, seed=0, optimizer="random")
    for x in np.linspace(-1.0, 1.0, 8):
        study.add_trial({"x": float(x), "kind": "a"}, x**2)
        study.add_trial({"x": float(x), "kind": "b"}, x**2 + 1.0)
    shares = study.optimum(options=FAST).params_interval["kind"]
    assert isinstance(shares, dict) and math.isclose(sum(shares.values()), 1.0)
    assert shares["a"] > 0.9


def test_history_from_another_engine_and_module_entry_point() -> None:
    study = _study(_quadratic(10))
    direct = posterior_of_optimum(study.history(), seed=study.seed, options=FAST)
    assert direct == study.optimum(options=FAST)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="'n_samples' parameter of OptimumOptions"):
        OptimumOptions(n_samples=1)


def test_doctests() -> None:
    assert doctest.testmod(_optimum).failed == 0
