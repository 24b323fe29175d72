"""`StopWhenConfident` and `minimize(stop=...)`, and the printed intervals."""

from __future__ import annotations

import doctest

import pytest

import apogee as ap
from apogee.cli._render import best_lines
from apogee.optimizers.gp import OptimumOptions
from apogee.study import callbacks

FAST = OptimumOptions(n_samples=64, raw_samples=256)


def _quadratic(x: object) -> float:
    return float(((x - 0.3) ** 2).sum())  # type: ignore[operator]


def test_stop_when_confident_stops_a_study_early() -> None:
    stop = ap.StopWhenConfident(prob=0.9, min_trials=8, options=FAST)
    result = ap.minimize(
        _quadratic, bounds=[(-1.0, 1.0)], budget=40, optimizer="sobol", seed=0, stop=stop,
        progress=False,
    )  # fmt: skip
    n = len(result.study.trials)
    assert 8 <= n < 40
    # the rule is a function of the history: at the stop, the posterior says what it said
    optimum = result.study.optimum(options=FAST)
    assert optimum.prob_incumbent_optimal is not None and optimum.prob_incumbent_optimal >= 0.9


def test_stop_when_confident_goes_on_while_unsure() -> None:
    stop = ap.StopWhenConfident(eps=1e-12, prob=0.99, min_trials=6, every=3, options=FAST)
    result = ap.minimize(
        _quadratic, bounds=[(-1.0, 1.0)], budget=12, optimizer="sobol", seed=0, stop=stop,
        progress=False,
    )  # fmt: skip
    assert len(result.study.trials) == 12


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"eps": 0.0}, ValueError),
        ({"prob": 1.0}, ValueError),
        ({"min_trials": 0}, ValueError),
        ({"every": 1.5}, TypeError),
        ({"options": {"n_samples": 3}}, TypeError),
    ],
)
def test_stop_when_confident_checks_its_options(options: dict[str, object], error: type) -> None:
    with pytest.raises(error, match="parameter of StopWhenConfident must be"):
        ap.StopWhenConfident(**options)  # type: ignore[arg-type]


def test_minimize_refuses_a_stop_that_is_not_callable() -> None:
    with pytest.raises(TypeError, match="'stop' parameter of minimize"):
        ap.minimize(_quadratic, bounds=[(0, 1)], budget=2, stop=3, progress=False)  # type: ignore[arg-type]


def test_printed_result_and_show_include_the_intervals() -> None:
    result = ap.minimize(
        _quadratic, bounds=[(-1.0, 1.0)], budget=12, optimizer="sobol", seed=0, progress=False
    )
    text = str(result)
    assert "f* median" in text and "90% interval" in text and "x0 in [" in text
    assert result.optimum is result.optimum  # computed once
    assert any("f* median" in line for line in best_lines(result.study))


def test_printed_result_says_when_it_cannot_say() -> None:
    result = ap.minimize(
        _quadratic, bounds=[(-1.0, 1.0)], budget=3, optimizer="sobol", seed=0, progress=False
    )
    assert "optimum: cannot say (3 complete trials" in str(result)


def test_doctests() -> None:
    assert doctest.testmod(callbacks).failed == 0
