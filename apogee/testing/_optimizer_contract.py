"""`OptimizerContract`: the checks every engine must pass (sklearn's `check_estimator` idea).

Subclass it in a test module (the class name must start with `Test`) and implement
`make_engine`; pytest then runs every `test_*` method below on that engine.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np

import apogee as ap
from apogee.history import History, StudySpec, TrialRecord, TrialState
from apogee.optimizers import Engine, Proposal, engine_from_options


def contract_space() -> ap.Space:
    """A small space with every parameter kind, a log scale, a step and a condition."""
    return ap.Space(
        {
            "x": ap.Float(-2.0, 2.0),
            "lr": ap.Float(1e-4, 1e-1, log=True),
            "q": ap.Float(0.0, 1.0, step=0.25),
            "n": ap.Int(1, 6),
            "kind": ap.Categorical(["a", "b", "c"]),
            "width": ap.Int(2, 64, log=True, condition=("kind", ["b", "c"])),
        }
    )


def contract_objective(params: dict[str, Any]) -> float:
    """A deterministic test objective over `contract_space` (lower is better)."""
    value = (params["x"] - 0.5) ** 2 + (math.log10(params["lr"]) + 2.5) ** 2 / 4
    value += (params["q"] - 0.5) ** 2 + abs(params["n"] - 3) / 3
    value += {"a": 0.3, "b": 0.0, "c": 0.6}[params["kind"]]
    if "width" in params:
        value += abs(math.log2(params["width"]) - 4) / 8
    return float(value)


class OptimizerContract:
    """Determinism, rebuild from history, valid suggestions, failed and pending trials tolerated."""

    n_history: int = 10

    def make_engine(self) -> Engine:
        raise NotImplementedError("implement make_engine() in the subclass")

    def make_space(self) -> ap.Space:
        return contract_space()

    # Helpers -----------------------------------------------------------------------------
    def build_history(self, seed: int = 0, n_failed: int = 2, n_pending: int = 1) -> History:
        """Complete, failed and pending trials at Sobol points (independent of the engine)."""
        space = self.make_space()
        spec = StudySpec.build(space)
        points = ap.optimizers.Sobol().suggest(History(spec), range(self.n_history), seed)
        records = []
        for number, suggestion in enumerate(points.suggestions):
            params = dict(suggestion.params)
            if number < n_failed:
                record = TrialRecord(number, TrialState.FAILED, params, fail_reason="crashed")
            elif number >= self.n_history - n_pending:
                record = TrialRecord(number, TrialState.RUNNING, params)
            else:
                record = TrialRecord(
                    number, TrialState.COMPLETE, params, {"value": contract_objective(params)}
                )
            records.append(record)
        return History(spec, tuple(records))

    def suggest(
        self, engine: Engine, history: History, numbers: list[int], seed: int = 7
    ) -> Proposal:
        proposal = engine.suggest(history, numbers, seed)
        assert len(proposal.suggestions) == len(numbers), "one suggestion per reserved number"
        return proposal

    # The contract ------------------------------------------------------------------------
    def test_suggestions_are_valid_params(self) -> None:
        history = self.build_history()
        engine = self.make_engine()
        engine.check(history.spec)
        proposal = self.suggest(
            engine, history, [history.n_trials, history.n_trials + 1, history.n_trials + 2]
        )
        for suggestion in proposal.suggestions:
            assert history.spec.space.validate(suggestion.params) == dict(suggestion.params)
            json.dumps(dict(suggestion.attrs), allow_nan=False)
        json.dumps(dict(proposal.study_attrs), allow_nan=False)

    def test_empty_history(self) -> None:
        history = History(StudySpec.build(self.make_space()))
        proposal = self.suggest(self.make_engine(), history, [0])
        history.spec.space.validate(proposal.suggestions[0].params)

    def test_same_seed_and_history_same_suggestion(self) -> None:
        history = self.build_history()
        numbers = [history.n_trials]
        first = self.suggest(self.make_engine(), history, numbers)
        second = self.suggest(self.make_engine(), history, numbers)
        assert first == second

    def test_batch_suggestions_are_distinct(self) -> None:
        history = self.build_history()
        numbers = list(range(history.n_trials, history.n_trials + 4))
        proposal = self.suggest(self.make_engine(), history, numbers)
        encoded = [json.dumps(dict(s.params), sort_keys=True) for s in proposal.suggestions]
        assert len(set(encoded)) == len(encoded), "parallel workers must get distinct points"

    def test_rebuild_from_history(self) -> None:
        """An engine that ran a study and a fresh one built from its options agree."""
        engine = self.make_engine()
        study = ap.create_study("contract", space=self.make_space(), optimizer=engine, seed=3)
        study.optimize(contract_objective, n_trials=self.n_history, progress=False)
        history = study.history()
        rebuilt = engine_from_options(engine.name, engine.options())
        numbers = [history.n_trials]
        assert self.suggest(engine, history, numbers, 3) == self.suggest(
            rebuilt, history, numbers, 3
        )

    def test_fresh_process_same_suggestion(self) -> None:
        history = self.build_history()
        engine = self.make_engine()
        numbers = [history.n_trials]
        here = self.suggest(engine, history, numbers)
        there = _suggest_in_subprocess(engine, history, numbers, seed=7)
        assert [dict(s.params) for s in here.suggestions] == there

    def test_failed_and_pending_trials_tolerated(self) -> None:
        history = self.build_history(n_failed=4, n_pending=3)
        proposal = self.suggest(
            self.make_engine(), history, [history.n_trials, history.n_trials + 1]
        )
        for suggestion in proposal.suggestions:
            history.spec.space.validate(suggestion.params)

    def test_study_survives_crashing_objective(self) -> None:
        def sometimes_crashes(params: dict[str, Any]) -> float:
            if params["n"] == 2:
                raise RuntimeError("simulated crash")
            if params["n"] == 5:
                return float("nan")
            return contract_objective(params)

        study = ap.create_study(
            "crashy", space=self.make_space(), optimizer=self.make_engine(), seed=1
        )
        study.optimize(sometimes_crashes, n_trials=self.n_history, progress=False)
        states = [trial.state for trial in study.trials]
        assert len(states) == self.n_history
        assert all(state in (TrialState.COMPLETE, TrialState.FAILED) for state in states)

    def test_unit_cube_coverage(self) -> None:
        """Suggestions stay inside the space's bounds on every searched column."""
        history = self.build_history()
        numbers = list(range(history.n_trials, history.n_trials + 3))
        proposal = self.suggest(self.make_engine(), history, numbers)
        encoded = history.spec.space.encode_many([s.params for s in proposal.suggestions])
        finite = encoded[np.isfinite(encoded)]
        assert np.all((finite >= 0.0) & (finite <= 1.0))


def _suggest_in_subprocess(
    engine: Engine, history: History, numbers: list[int], seed: int
) -> list[dict[str, Any]]:
    payload = json.dumps(
        {
            "engine": engine.name,
            "options": engine.options(),
            "spec": history.spec.to_json(),
            "trials": [record.to_json() for record in history.trials],
            "numbers": numbers,
            "seed": seed,
        }
    )
    script = textwrap.dedent(
        """
        import json, sys
        from apogee.history import History, StudySpec, TrialRecord
        from apogee.optimizers import engine_from_options
        data = json.loads(sys.stdin.read())
        history = History(StudySpec.from_json(data["spec"]),
                          tuple(TrialRecord.from_json(t) for t in data["trials"]))
        engine = engine_from_options(data["engine"], data["options"])
        proposal = engine.suggest(history, data["numbers"], data["seed"])
        print(json.dumps([dict(s.params) for s in proposal.suggestions]))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        input=payload,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result: list[dict[str, Any]] = json.loads(completed.stdout)
    return result
