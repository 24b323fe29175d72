"""ask/tell, add_trial, enqueue and results of a study, including every bad-input path."""

import math

import pytest

import apogee as ap
from apogee.optimizers import Engine, Random

SPACE = ap.Space({"x": ap.Float(-1, 1), "k": ap.Categorical(["a", "b"])})


def make_study(**options) -> ap.Study:
    return ap.create_study("s", space=SPACE, optimizer="random", seed=0, **options)


def test_ask_tell_value_and_dict() -> None:
    study = make_study()
    first, second = study.ask(), study.ask()
    assert (first.number, second.number) == (0, 1)
    assert study.tell(first, 0.5).value == 0.5
    assert study.tell(second, {"value": 0.25}).state is ap.TrialState.COMPLETE
    assert study.best_trial.number == 1 and study.best_value == 0.25
    assert study.tell(study.ask().number, 1.0).values == {"value": 1.0}


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        (RuntimeError("solver blew up"), "RuntimeError: solver blew up"),
        (ap.Failed("diverged"), "diverged"),
        (float("nan"), "non-finite value: 'value' = nan"),
        (float("inf"), "non-finite value: 'value' = inf"),
    ],
)
def test_tell_failures_keep_the_reason(outcome, reason) -> None:
    study = make_study()
    trial = study.tell(study.ask(), outcome)
    assert trial.state is ap.TrialState.FAILED and trial.fail_reason == reason
    assert study.trials[0].fail_reason == reason


def test_tell_twice_and_unknown_trial() -> None:
    study = make_study()
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(
        ap.TrialFinishedError, match=r"Trial 0 of study 's' is already finished.*COMPLETE"
    ):
        study.tell(trial, 2.0)
    with pytest.raises(ap.TrialNotFoundError, match="no trial number 7"):
        study.tell(7, 1.0)
    assert study.best_value == 1.0


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ({"loss": 1.0}, r"missing \['value'\], unexpected \['loss'\]"),
        ("0.3", "must be a number"),
        ([1.0, 2.0], "must be a number"),
    ],
)
def test_tell_bad_value_raises_and_keeps_trial_running(returned, message) -> None:
    study = make_study()
    trial = study.ask()
    with pytest.raises(ap.InvalidValueError, match=message):
        study.tell(trial, returned)
    assert study.trials[0].state is ap.TrialState.RUNNING
    study.tell(trial, 0.1)  # the call can be corrected
    assert study.best_value == 0.1


def test_pruned() -> None:
    study = make_study()
    trial = study.ask()
    trial.report(0, 3.0)
    trial.report(1, 2.0)
    study.tell(trial, state=ap.TrialState.PRUNED)
    assert study.trials[0].state is ap.TrialState.PRUNED
    assert study.trials[0].intermediate_values == {0: 3.0, 1: 2.0}


def test_best_trial_before_any_complete_trial() -> None:
    study = make_study()
    with pytest.raises(ap.NoCompleteTrialError, match="Study 's' has no complete trial yet"):
        _ = study.best_trial
    study.tell(study.ask(), ValueError("x"))
    with pytest.raises(ap.NoCompleteTrialError):
        _ = study.best_trial


def test_maximize() -> None:
    study = ap.create_study("m", space=SPACE, direction="maximize", seed=0)
    for value in (1.0, 3.0, 2.0):
        study.tell(study.ask(), value)
    assert study.best_value == 3.0


def test_add_trial_and_validation() -> None:
    study = make_study()
    trial = study.add_trial({"x": 0.5, "k": "b"}, 0.2, user_attrs={"source": "lab"})
    assert trial.state is ap.TrialState.COMPLETE and trial.user_attrs == {"source": "lab"}
    assert study.add_trial({"x": 0.1, "k": "a"}, RuntimeError("x")).state is ap.TrialState.FAILED
    with pytest.raises(ap.InvalidParamsError, match=r"'x' must be in \[-1.0, 1.0\]. Got 3"):
        study.add_trial({"x": 3, "k": "a"}, 1.0)
    with pytest.raises(ap.InvalidValueError):
        study.add_trial({"x": 0.0, "k": "a"}, {"nope": 1.0})
    assert len(study.trials) == 2  # nothing stored for the rejected calls


def test_enqueue_comes_first() -> None:
    study = make_study()
    study.enqueue({"x": 0.125, "k": "b"})
    first = study.ask()
    assert dict(first.params) == {"x": 0.125, "k": "b"}
    assert study.ask().params != first.params


def test_multi_objective_and_constraints() -> None:
    study = ap.create_study(
        "mo",
        space=SPACE,
        seed=0,
        objectives={"loss": "minimize", "acc": "maximize"},
        constraints=["c"],
    )
    for loss, acc, c in [(1, 0.5, -1), (2, 0.9, -1), (0.5, 0.4, 1), (3, 0.6, 0)]:
        study.tell(study.ask(), {"loss": loss, "acc": acc, "c": c})
    with pytest.raises(ap.InvalidValueError, match=r"pareto_front\(\)"):
        _ = study.best_trial
    assert sorted(t.number for t in study.pareto_front()) == [0, 1]
    assert sorted(t.number for t in study.feasible_trials) == [0, 1, 3]
    with pytest.raises(ap.InvalidValueError, match="needs a dict"):
        study.tell(study.ask(), 1.0)


def test_hypervolume_in_user_units_and_directions() -> None:
    study = ap.create_study(
        "hv", space=SPACE, seed=0, objectives={"loss": "minimize", "acc": "maximize"}
    )
    for loss, acc in [(1.0, 0.5), (2.0, 0.9), (3.0, 0.2)]:
        study.tell(study.ask(), {"loss": loss, "acc": acc})
    # Dominated box of (1, 0.5) and (2, 0.9) above acc = 0 and below loss = 4: 3*0.5 + 2*0.4.
    assert study.hypervolume([4.0, 0.0]) == pytest.approx(2.3)
    assert study.hypervolume({"acc": 0.0, "loss": 4.0}) == pytest.approx(2.3)
    with pytest.raises(ap.InvalidValueError, match="one value per objective"):
        study.hypervolume([4.0])
    with pytest.raises(ap.InvalidValueError, match="name exactly the objectives"):
        study.hypervolume({"loss": 4.0})


def test_constrained_best_is_feasible() -> None:
    study = ap.create_study("c", space=SPACE, seed=0, constraints=["c1"])
    study.tell(study.ask(), {"value": -5.0, "c1": 0.1})
    with pytest.raises(ap.NoCompleteTrialError, match="no feasible complete trial"):
        _ = study.best_trial
    study.tell(study.ask(), {"value": 2.0, "c1": 0.0})
    assert study.best_value == 2.0


def test_engine_that_cannot_do_several_objectives_says_so() -> None:
    class SingleOnly(Random):
        name = "single-only"
        handles_multi_objective = False

    with pytest.raises(ap.UnsupportedError, match="'single-only' engine handles one objective"):
        ap.create_study(
            "x", space=SPACE, optimizer=SingleOnly(), objectives={"a": "minimize", "b": "minimize"}
        )


def test_unknown_engine_lists_known_ones() -> None:
    with pytest.raises(
        ap.UnsupportedError, match=r"one of 'auto', .*'random', 'sobol'.* Got 'gpp'"
    ):
        ap.create_study("x", space=SPACE, optimizer="gpp")


def test_bad_create_arguments() -> None:
    with pytest.raises(ap.InvalidValueError, match=r"'minimize' or 'maximize'\. Got 'min'"):
        ap.create_study("x", space=SPACE, direction="min")
    with pytest.raises(TypeError, match=r"'seed' parameter of create_study must be an int"):
        ap.create_study("x", space=SPACE, seed=1.5)
    with pytest.raises(ap.InvalidValueError, match="distinct"):
        ap.create_study("x", space=SPACE, objectives={"a": "minimize"}, constraints=["a"])
    with pytest.raises(ValueError, match="scheme 'mysql'"):
        ap.create_study("x", space=SPACE, storage="mysql://host/db")


def test_existing_name_and_load() -> None:
    from apogee.storage import InMemoryStorage

    storage = InMemoryStorage()
    study = ap.create_study("same", space=SPACE, storage=storage, optimizer="sobol", seed=4)
    study.tell(study.ask(), 1.0)
    with pytest.raises(ap.DuplicatedStudyError, match="'same' already exists"):
        ap.create_study("same", space=SPACE, storage=storage)
    again = ap.create_study("same", space=SPACE, storage=storage, load_if_exists=True)
    assert len(again.trials) == 1 and again.seed == 4
    loaded = ap.load_study("same", storage=storage)
    assert loaded.engine.name == "sobol"
    with pytest.raises(ap.DuplicatedStudyError, match="different space"):
        ap.create_study(
            "same", space=ap.Space({"y": ap.Float(0, 1)}), storage=storage, load_if_exists=True
        )
    with pytest.raises(ap.StudyNotFoundError, match="'other'"):
        ap.load_study("other", storage=storage)


def test_engine_crash_fails_reserved_trials() -> None:
    class Broken(Random):
        name = "broken"

        def suggest(self, history, numbers, seed):
            raise ZeroDivisionError("bug in engine")

    study = ap.create_study("b", space=SPACE, optimizer=Broken(), seed=0)
    with pytest.raises(ZeroDivisionError):
        study.ask()
    (trial,) = study.trials
    assert trial.state is ap.TrialState.FAILED and "bug in engine" in (trial.fail_reason or "")


def test_engine_invalid_suggestion_is_caught() -> None:
    class OutOfRange(Engine):
        name = "out-of-range"

        def suggest(self, history, numbers, seed):
            from apogee.optimizers import Proposal, Suggestion

            return Proposal(tuple(Suggestion({"x": 5.0, "k": "a"}) for _ in numbers))

    study = ap.create_study("o", space=SPACE, optimizer=OutOfRange(), seed=0)
    with pytest.raises(ap.InvalidParamsError, match="'x' must be in"):
        study.ask()
    assert study.trials[0].state is ap.TrialState.FAILED


def test_user_attrs_must_be_json() -> None:
    study = make_study()
    trial = study.ask()
    trial.set_user_attr("note", {"a": [1, 2]})
    with pytest.raises(ap.InvalidValueError, match="JSON-able"):
        trial.set_user_attr("bad", object())
    with pytest.raises(ap.InvalidValueError, match="finite"):
        trial.report(1, math.nan)
    assert study.trials[0].user_attrs == {"note": {"a": [1, 2]}}


def test_to_records() -> None:
    study = make_study()
    study.tell(study.ask(), 0.5)
    study.tell(study.ask(), ap.Failed("no"))
    rows = study.to_records()
    assert [row["state"] for row in rows] == ["COMPLETE", "FAILED"]
    assert rows[0]["value"] == 0.5 and rows[1]["value"] is None and rows[1]["fail_reason"] == "no"
    assert set(rows[0]) >= {"number", "params_x", "params_k", "duration"}


def test_ask_batch_distinct_and_bad_n() -> None:
    study = make_study()
    trials = study.ask_batch(3)
    assert len({t.params["x"] for t in trials}) == 3
    with pytest.raises(ap.InvalidValueError, match=r"int >= 1\. Got 0"):
        study.ask_batch(0)
