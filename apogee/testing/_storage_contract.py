"""`StorageContract`: the semantics every storage backend must keep (Optuna's StorageTestCase idea).

Subclass it in a test module (name starting with `Test`) and implement `make_storage`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

import apogee as ap
from apogee.history import StudySpec, TrialRecord, TrialState
from apogee.storage import Storage, StudyRecord


def run_in_threads(worker: Callable[[], None], count: int) -> None:
    """Run `worker` in `count` threads at once and wait for all of them."""
    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _spec() -> StudySpec:
    space = ap.Space({"x": ap.Float(-1, 1), "kind": ap.Categorical(["a", "b", None, True, 3])})
    return StudySpec.build(
        space, objectives={"loss": "minimize", "acc": "maximize"}, constraints=["c1"]
    )


class StorageContract:
    """Studies, trial life cycle, atomic claims, incremental reads, concurrency."""

    def make_storage(self) -> Storage:
        raise NotImplementedError("implement make_storage() in the subclass")

    def new_study(self, storage: Storage, name: str = "study") -> StudyRecord:
        return storage.create_study(name, _spec(), seed=11, engine_name="random", engine_options={})

    def running(self, storage: Storage, study: StudyRecord) -> TrialRecord:
        return storage.create_trial(
            study.study_id, TrialRecord(0, TrialState.RUNNING, datetime_start=1.0)
        )

    # Studies -----------------------------------------------------------------------------
    def test_study_round_trip(self) -> None:
        storage = self.make_storage()
        created = storage.create_study(
            "s-ü", _spec(), seed=5, engine_name="sobol", engine_options={"a": [1, 2]}
        )
        loaded = storage.get_study("s-ü")
        assert loaded.study_id == created.study_id
        assert loaded.spec == _spec() and loaded.seed == 5
        assert (loaded.engine_name, dict(loaded.engine_options)) == ("sobol", {"a": [1, 2]})

    def test_duplicate_and_missing_study_names(self) -> None:
        storage = self.make_storage()
        self.new_study(storage, "dup")
        with pytest.raises(ap.DuplicatedStudyError, match="dup"):
            self.new_study(storage, "dup")
        with pytest.raises(ap.StudyNotFoundError, match="nowhere"):
            storage.get_study("nowhere")
        with pytest.raises(ap.StudyNotFoundError, match="nowhere"):
            storage.delete_study("nowhere")

    def test_list_and_delete(self) -> None:
        storage = self.make_storage()
        first, _ = self.new_study(storage, "one"), self.new_study(storage, "two")
        trial = self.running(storage, first)
        storage.finish_trial(
            first.study_id,
            trial.number,
            TrialState.COMPLETE,
            values={"loss": 1, "acc": 2, "c1": 0},
            fail_reason=None,
            now=2.0,
        )
        summaries = {s.name: s for s in storage.list_studies()}
        assert set(summaries) == {"one", "two"}
        assert (summaries["one"].n_trials, summaries["one"].n_complete) == (1, 1)
        storage.delete_study("one")
        assert [s.name for s in storage.list_studies()] == ["two"]
        self.new_study(storage, "one")  # the name is free again, with no trials
        assert storage.read_trials(storage.get_study("one").study_id)[0] == []

    def test_study_attrs_merge(self) -> None:
        storage = self.make_storage()
        study = self.new_study(storage)
        storage.set_study_attrs(study.study_id, {"auto": {"engine": "sobol"}, "k": 1})
        storage.set_study_attrs(study.study_id, {"k": 2})
        assert storage.get_study_attrs(study.study_id) == {"auto": {"engine": "sobol"}, "k": 2}

    # Trials ------------------------------------------------------------------------------
    def test_trial_life_cycle(self) -> None:
        storage = self.make_storage()
        study = self.new_study(storage)
        trial = self.running(storage, study)
        assert trial.number == 0 and trial.state is TrialState.RUNNING and not trial.has_params
        params = {"x": 0.1, "kind": None}
        storage.set_trial_params(study.study_id, 0, params, {"generation": 3})
        storage.report_intermediate(study.study_id, 0, 5, 0.25)
        values = {"loss": 0.1, "acc": 1e-300, "c1": -0.0}
        done = storage.finish_trial(
            study.study_id, 0, TrialState.COMPLETE, values=values, fail_reason=None, now=9.5
        )
        loaded = storage.get_trial(study.study_id, 0)
        assert loaded == done
        assert loaded.params == params and loaded.values == values
        assert loaded.system_attrs == {"generation": 3} and loaded.intermediate == {5: 0.25}
        assert (loaded.datetime_start, loaded.datetime_complete) == (1.0, 9.5)

    def test_finished_trials_are_final(self) -> None:
        storage = self.make_storage()
        study = self.new_study(storage)
        self.running(storage, study)
        storage.finish_trial(
            study.study_id, 0, TrialState.FAILED, values=None, fail_reason="boom", now=2.0
        )
        with pytest.raises(ap.TrialFinishedError):
            storage.finish_trial(
                study.study_id,
                0,
                TrialState.COMPLETE,
                values={"loss": 1, "acc": 1, "c1": 1},
                fail_reason=None,
                now=3.0,
            )
        with pytest.raises(ap.TrialFinishedError):
            storage.set_trial_params(study.study_id, 0, {"x": 0.0, "kind": "a"}, {})
        with pytest.raises(ap.TrialFinishedError):
            storage.report_intermediate(study.study_id, 0, 1, 1.0)
        storage.set_trial_user_attrs(study.study_id, 0, {"note": "kept after the end"})
        record = storage.get_trial(study.study_id, 0)
        assert record.state is TrialState.FAILED and record.fail_reason == "boom"
        assert record.user_attrs == {"note": "kept after the end"}

    def test_unknown_trial(self) -> None:
        storage = self.make_storage()
        study = self.new_study(storage)
        with pytest.raises(ap.TrialNotFoundError, match="42"):
            storage.get_trial(study.study_id, 42)

    def test_waiting_trials_are_claimed_once_in_order(self) -> None:
        storage = self.make_storage()
        study = self.new_study(storage)
        for x in (0.1, 0.2):
            storage.create_trial(
                study.study_id, TrialRecord(0, TrialState.WAITING, {"x": x, "kind": "a"})
            )
        first = storage.claim_waiting_trial(study.study_id, 5.0)
        second = storage.claim_waiting_trial(study.study_id, 6.0)
        assert first is not None and second is not None
        assert (first.params["x"], second.params["x"]) == (0.1, 0.2)
        assert first.state is TrialState.RUNNING and first.datetime_start == 5.0
        assert storage.claim_waiting_trial(study.study_id, 7.0) is None

    def test_incremental_reads(self) -> None:
        storage = self.make_storage()
        study = self.new_study(storage)
        for _ in range(3):
            self.running(storage, study)
        everything, cursor = storage.read_trials(study.study_id, 0)
        assert [t.number for t in everything] == [0, 1, 2]
        assert storage.read_trials(study.study_id, cursor) == ([], cursor)
        storage.finish_trial(
            study.study_id, 1, TrialState.FAILED, values=None, fail_reason="x", now=1.0
        )
        self.running(storage, study)
        changed, later = storage.read_trials(study.study_id, cursor)
        assert [t.number for t in changed] == [1, 3] and later > cursor
        assert changed[0].state is TrialState.FAILED

    def test_read_changes_is_trials_and_attrs_together(self) -> None:
        storage = self.make_storage()
        study = self.new_study(storage)
        self.running(storage, study)
        storage.set_study_attrs(study.study_id, {"auto": {"engine": "gp"}})
        changes = storage.read_changes(study.study_id, 0)
        assert [t.number for t in changes.trials] == [0]
        assert changes.cursor == storage.read_trials(study.study_id, 0)[1]
        assert changes.study_attrs == {"auto": {"engine": "gp"}}
        self.running(storage, study)
        later = storage.read_changes(study.study_id, changes.cursor)
        assert [t.number for t in later.trials] == [1]
        assert (later.trials, later.cursor) == tuple(
            storage.read_trials(study.study_id, changes.cursor)
        )

    def test_concurrent_trial_creation(self) -> None:
        storage = self.make_storage()
        study = self.new_study(storage)
        numbers: list[int] = []
        lock = threading.Lock()

        def worker() -> None:
            for _ in range(25):
                record = self.running(storage, study)
                with lock:
                    numbers.append(record.number)

        run_in_threads(worker, 8)
        assert sorted(numbers) == list(range(200))

    def test_concurrent_claims(self) -> None:
        storage = self.make_storage()
        study = self.new_study(storage)
        for _ in range(40):
            storage.create_trial(
                study.study_id, TrialRecord(0, TrialState.WAITING, {"x": 0.0, "kind": "a"})
            )
        claimed: list[int] = []
        lock = threading.Lock()

        def worker() -> None:
            while (record := storage.claim_waiting_trial(study.study_id, 1.0)) is not None:
                with lock:
                    claimed.append(record.number)

        run_in_threads(worker, 4)
        assert sorted(claimed) == list(range(40))

    # Heartbeats --------------------------------------------------------------------------
    def test_stale_trials_fail_and_others_do_not(self) -> None:
        storage = self.make_storage()
        study = self.new_study(storage)
        silent, beating, manual, finished = (self.running(storage, study) for _ in range(4))
        storage.record_heartbeat(study.study_id, silent.number, now=10.0, grace=5.0)
        storage.record_heartbeat(study.study_id, beating.number, now=10.0, grace=5.0)
        storage.record_heartbeat(study.study_id, finished.number, now=10.0, grace=5.0)
        storage.finish_trial(
            study.study_id,
            finished.number,
            TrialState.PRUNED,
            values=None,
            fail_reason=None,
            now=11.0,
        )
        storage.record_heartbeat(study.study_id, beating.number, now=14.0, grace=5.0)
        _, cursor = storage.read_trials(study.study_id)
        assert storage.fail_stale_trials(study.study_id, now=14.9) == []
        (stale,) = storage.fail_stale_trials(study.study_id, now=16.0)
        assert stale.number == silent.number and stale.state is TrialState.FAILED
        assert "no heartbeat for 6.0 s" in (stale.fail_reason or "")
        assert storage.get_trial(study.study_id, manual.number).state is TrialState.RUNNING
        assert storage.get_trial(study.study_id, beating.number).state is TrialState.RUNNING
        assert storage.get_trial(study.study_id, finished.number).state is TrialState.PRUNED
        changed, _ = storage.read_trials(study.study_id, cursor)
        assert [t.number for t in changed] == [silent.number]  # heartbeats alone are not changes
        assert storage.fail_stale_trials(study.study_id, now=100.0) != []  # beating went quiet too
