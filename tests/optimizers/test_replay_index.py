"""The generational engines' index gives exactly what a full replay from the history gives.

Each engine is driven through a history by hand: batches of one to three suggestions, told
out of order, some failing, some left running for a while (stragglers), and an enqueued
(untagged) point on the way. At every call the suggestion made with the index, as the study
keeps it between calls, must equal, bit for bit, the one a fresh process makes (no index).
"""

from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import pytest

import apogee as ap
from apogee.history import History, StudySpec, TrialRecord, TrialState
from apogee.optimizers import CBO, CMAES, DE, ZO, _prefix
from apogee.optimizers._slots import clear_replay_cache
from apogee.optimizers.base import Engine, Proposal

SPACE = ap.Space({f"x{i}": ap.Float(-1, 1) for i in range(3)} | {"n": ap.Int(0, 6)})
Objective = Callable[[dict], float] | None
CONTINUOUS = ap.Space({f"x{i}": ap.Float(-1, 1) for i in range(3)})


def plateau(params: dict) -> float:
    """A rounded quadratic: ties between samples, as quantized objectives give."""
    return round(float(sum((float(v) - 0.3) ** 2 for v in params.values())), 1)


def flat(params: dict) -> float:
    return 1.0


def fresh(engine: Engine, history: History, numbers: list[int], seed: int) -> Proposal:
    """What a new process suggests: the same call with no index at all."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_prefix, "_INDEXES", OrderedDict())
        return engine.suggest(history, numbers, seed)


def drive(
    engine: Engine,
    space: ap.Space,
    steps: int,
    seed: int,
    objective: Objective = None,
    failure_rate: float = 0.1,
) -> list[TrialRecord]:
    """Run `steps` calls, checking each against a fresh replay; returns the trials made."""
    objective = objective or plateau
    clear_replay_cache()
    spec = StudySpec.build(space)
    rng = np.random.default_rng(seed)
    records: list[TrialRecord] = []
    enqueued = space.decode(np.full(space.dim, 0.55))
    for step in range(steps):
        if step == steps // 3:  # a point the engine did not suggest, as `enqueue` adds one
            value = {"value": objective(enqueued)}
            records.append(TrialRecord(len(records), TrialState.COMPLETE, enqueued, value))
        history = History(spec, tuple(records))
        numbers = [len(records) + i for i in range(int(rng.integers(1, 4)))]
        got = engine.suggest(history, numbers, seed)
        assert got == fresh(engine, history, numbers, seed), f"call {step} differs"
        for number, suggestion in zip(numbers, got.suggestions, strict=True):
            running = TrialRecord(
                number, TrialState.RUNNING, suggestion.params, system_attrs=suggestion.attrs
            )
            records.append(running)
        running_numbers = [r.number for r in records if r.state is TrialState.RUNNING]
        keep = set(rng.choice(running_numbers, size=min(1, len(running_numbers) - 1)))
        if rng.random() < 0.2:
            keep = set()  # now and then every straggler finishes too
        for number in rng.permutation(running_numbers):
            if int(number) in keep:
                continue
            record = records[int(number)]
            if rng.random() < failure_rate:
                records[int(number)] = record.evolve(state=TrialState.FAILED)
            else:
                value = {"value": objective(dict(record.params))}
                records[int(number)] = record.evolve(state=TrialState.COMPLETE, values=value)
    return records


@pytest.mark.parametrize(
    ("engine", "space"),
    [
        (CMAES(population_size=4), CONTINUOUS),
        (CMAES(population_size=4, restart="ipop"), SPACE),
        (DE(population_size=6), CONTINUOUS),
        (ZO(directions=2), CONTINUOUS),
        (ZO(estimator="coordinate", update="sgd"), CONTINUOUS),
        (CBO(particles=6), CONTINUOUS),
    ],
    ids=["cmaes-bipop", "cmaes-ipop-cmawm", "de", "zo-gaussian", "zo-coordinate", "cbo"],
)
def test_index_matches_a_fresh_replay(engine: Engine, space: ap.Space) -> None:
    assert len(drive(engine, space, steps=120, seed=3)) > 200


def test_cmaes_restarts_are_replayed_from_the_index() -> None:
    """A flat function stops runs, so the index carries the restart bookkeeping too."""
    records = drive(
        CMAES(population_size=4), CONTINUOUS, steps=150, seed=5, objective=flat, failure_rate=0.0
    )
    runs = {t.system_attrs.get("cmaes:run") for t in records} - {None}
    assert len(runs) > 1, "the flat function should have stopped the first run"


def test_studies_suggesting_from_threads_share_the_index_safely() -> None:
    """Four studies in four threads, all through one index cache: each gets what it gets alone."""
    import threading

    def run(seed: int) -> list[float]:
        study = ap.create_study(f"threads-{seed}", space=CONTINUOUS, optimizer=CMAES(), seed=seed)
        for _ in range(60):
            trial = study.ask()
            study.tell(trial, plateau(dict(trial.params)))
        return [float(t.value) for t in study.trials]

    clear_replay_cache()
    alone = {seed: run(seed) for seed in range(4)}
    clear_replay_cache()
    together: dict[int, list[float]] = {}
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        try:
            together[seed] = run(seed)
        except BaseException as error:  # surfaced below: a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert together == alone
