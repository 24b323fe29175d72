"""Names: every listed name round-trips through `get`, bad names and tags fail clearly."""

from __future__ import annotations

import numpy as np
import pytest

from apogee import problems
from apogee._util.errors import InvalidParamsError


def test_every_listed_name_round_trips() -> None:
    listed = problems.names()
    assert len(listed) == len(set(listed))
    for name in listed:
        assert problems.get(name).name == name


def test_names_by_tag_are_a_subset_carrying_the_tag() -> None:
    everything = set(problems.names())
    for tag in ("bbob", "classic", "noisy"):
        tagged = problems.names(tag)
        assert tagged, tag
        assert set(tagged) <= everything
        assert all(tag in problems.get(name).tags for name in tagged)


@pytest.mark.parametrize(
    "name",
    ["nope", "bbob-f25-d5-i1", "bbob-f0-d5-i1", "bbob-f8-d1-i1", "bbob-f8-d5-i0", "hartmann4"],
)
def test_bad_names_raise_a_clear_error(name: str) -> None:
    with pytest.raises(ValueError, match=r"bbob|Hartmann|Known families"):
        problems.get(name)


def test_unknown_name_lists_the_families() -> None:
    with pytest.raises(ValueError, match="Known families: bbob-f"):
        problems.get("sphere")
    with pytest.raises(TypeError):
        problems.get(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'tag' parameter"):
        problems.names("fast")


def test_any_member_of_a_family_is_accepted() -> None:
    assert problems.get("ackley-d13").space.dim == 13
    assert problems.get("bbob-f3-d7-i42").name == "bbob-f3-d7-i42"
    assert problems.get("bbob-f8-d40-i1").space.dim == 40


def test_noise_needs_an_rng_and_is_reproducible() -> None:
    noisy = problems.get("branin-noise0.5")
    assert noisy.noise_sd == 0.5 and "noisy" in noisy.tags
    params = noisy.optimal_params
    assert params is not None
    with pytest.raises(ValueError, match="'rng' parameter"):
        noisy.evaluate(params)
    first = noisy.evaluate(params, rng=np.random.default_rng(3))["value"]
    again = noisy.evaluate(params, rng=np.random.default_rng(3))["value"]
    assert first == again
    assert noisy.true_value(params)["value"] == pytest.approx(noisy.optimal_value, abs=1e-12)


def test_noise_has_the_stated_standard_deviation() -> None:
    noisy = problems.get("bbob-f1-d2-i1-noise0.1")
    params = {"x0": 1.0, "x1": -2.0}
    rng = np.random.default_rng(0)
    draws = np.array([noisy.evaluate(params, rng=rng)["value"] for _ in range(2000)])
    errors = draws - noisy.true_value(params)["value"]
    # The sample mean has sd 0.1 / sqrt(2000) = 0.0022 and the sample sd about 0.0016: 5 sigma.
    assert abs(errors.mean()) < 5 * 0.1 / np.sqrt(2000)
    assert abs(errors.std() - 0.1) < 5 * 0.1 / np.sqrt(2 * 2000)


def test_params_outside_the_space_are_rejected() -> None:
    branin = problems.get("branin")
    with pytest.raises(InvalidParamsError):
        branin.evaluate({"x0": 11.0, "x1": 0.0})
    with pytest.raises(InvalidParamsError):
        branin.evaluate({"x0": 1.0})


def test_minimize_runs_on_a_problem() -> None:
    import apogee as ap

    problem = problems.get("hartmann3")
    result = ap.minimize(
        lambda p: problem.evaluate(p)["value"],
        problem.space,
        budget=20,
        optimizer="sobol",
        seed=0,
        progress=False,
    )
    assert problem.optimal_value is not None
    assert result.value >= problem.optimal_value


def test_family_tags_match_the_built_problems() -> None:
    # names(tag) filters on the families' tags without building; they must agree.
    for tag in ("bbob", "classic", "hpo", "moo", "constrained", "multifidelity", "noisy"):
        for name in problems.names(tag):
            assert tag in problems.get(name).tags, (tag, name)
    for name in problems.names():
        built = problems.get(name).tags
        listed = {tag for tag in built if name in problems.names(tag)}
        assert listed == set(built), name


def test_a_study_optimizes_problem_evaluate_directly() -> None:
    import apogee as ap

    problem = problems.get("welded-beam")
    study = ap.create_study(
        "beam",
        space=problem.space,
        objectives=problem.objectives,
        constraints=problem.constraints,
        optimizer="random",
        seed=0,
    )
    study.optimize(problem.evaluate, n_trials=5)
    assert len(study.trials) == 5
    assert all(trial.state.name == "COMPLETE" for trial in study.trials)


@pytest.mark.parametrize("sd", [1e-7, 0.25, 3.0, 2.5e8, 0.123456789])
def test_noisy_names_round_trip(sd: float) -> None:
    problem = problems.with_noise(problems.get("levy-d3"), sd)
    assert problems.get(problem.name).noise_sd == sd
    with pytest.raises(ValueError, match="> 0"):
        problems.get("levy-d3-noise0")


def test_missing_cocoex_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from apogee.problems import _bbob

    monkeypatch.setitem(sys.modules, "cocoex", None)
    with pytest.raises(ImportError, match="pip install coco-experiment"):
        _bbob.bbob(1, 2, 1)
    assert "bbob-f1-d2-i1" in problems.names("bbob")


def test_a_hand_made_problem_is_checked() -> None:
    import apogee as ap

    space = ap.Space({"x": ap.Float(-1, 1)})
    wrong = problems.Problem("wrong", space, {"value": "minimize"}, function=lambda p: {"v": 1.0})
    with pytest.raises(RuntimeError, match="expected"):
        wrong.evaluate({"x": 0.0})
    with pytest.raises(ValueError, match="unknown tags"):
        problems.Problem("t", space, {"value": "minimize"}, tags=frozenset({"fast"}), function=dict)
    with pytest.raises(ValueError, match="'minimize' or 'maximize'"):
        problems.Problem("d", space, {"value": "down"}, function=dict)
    with pytest.raises(ValueError, match="noise_sd"):
        problems.Problem("n", space, {"value": "minimize"}, noise_sd=-1.0, function=dict)
