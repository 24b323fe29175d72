"""The engine-on-history loop the NSGA benchmarks share: one generation per `suggest` call.

The engine runs directly on a growing `History` (no study, no storage), so the timing and the
result are the engine's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from apogee.history import History, StudySpec, TrialRecord, TrialState
from apogee.optimizers import Engine


def run_generations(
    engine: Engine,
    spec: StudySpec,
    evaluate: Callable[[Mapping[str, Any]], Mapping[str, float]],
    *,
    evals: int,
    population: int,
    seed: int,
) -> History:
    """Ask `engine` for `population` points at a time until `evals`; the final history."""
    records: list[TrialRecord] = []
    study_attrs: dict[str, Any] = {}
    for start in range(0, evals, population):
        numbers = list(range(start, min(start + population, evals)))
        proposal = engine.suggest(History(spec, tuple(records), study_attrs), numbers, seed)
        study_attrs.update(proposal.study_attrs)
        for number, suggestion in zip(numbers, proposal.suggestions, strict=True):
            records.append(
                TrialRecord(
                    number,
                    TrialState.COMPLETE,
                    dict(suggestion.params),
                    dict(evaluate(suggestion.params)),
                    system_attrs=dict(suggestion.attrs),
                )
            )
    return History(spec, tuple(records), study_attrs)


def final_population(engine: Engine, history: History, key: str, seed: int) -> list[int]:
    """Trial numbers of the final population, as pymoo's `result.F` holds it.

    The population stored under the study attribute `key` is the parents of the last
    generation; one more `suggest` call runs survival on that generation (its proposal is not
    evaluated) and stores the survivors.
    """
    proposal = engine.suggest(history, [len(history.trials)], seed)
    population = proposal.study_attrs.get(key, history.study_attrs[key])
    return list(population["numbers"])
