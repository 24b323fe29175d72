"""`auto`: picks an engine from the study's spec and history, and says why.

For now the candidates are the space-filling engines (`sobol`, else `random`) and, for several
objectives, NSGA-II once a full population of space-filling points exists (those points become
its generation 0). The GP and the other population engines join the policy as they land. The
choice is written to the study's attributes under `"auto"` so that a user can see what ran and
why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from apogee.history import History, StudySpec
from apogee.optimizers.base import Engine, Proposal
from apogee.optimizers.nsga2 import NSGA2
from apogee.optimizers.random import Random
from apogee.optimizers.sobol import MAX_SOBOL_DIM, Sobol


def choose_engine(spec: StudySpec, history: History) -> tuple[Engine, str]:
    """The engine `auto` delegates to for the next suggestions, with the reason."""
    if spec.is_multi_objective:
        population = NSGA2().population_size
        evaluated = len(history.complete) + len(history.pending)
        if evaluated >= population:
            return (
                NSGA2(),
                f"several objectives and {evaluated} evaluated points: a full NSGA-II population",
            )
        space_filling = "sobol" if spec.space.dim <= MAX_SOBOL_DIM else "random"
        reason = f"several objectives: {space_filling} points until NSGA-II has {population} to start from"
        return (Sobol() if space_filling == "sobol" else Random()), reason
    if spec.space.dim > MAX_SOBOL_DIM:
        return Random(), f"dimension {spec.space.dim} exceeds Sobol's {MAX_SOBOL_DIM}"
    return Sobol(), "space filling covers the space evenly; no model-based engine is available yet"


@dataclass(frozen=True)
class Auto(Engine):
    """Chooses an engine from the space, budget and objectives; records its choice.

    Example:
        >>> import apogee as ap
        >>> study = ap.create_study("demo", space=ap.Space({"x": ap.Float(0, 1)}), seed=0)
        >>> _ = study.ask()
        >>> study.attrs["auto"]["engine"]
        'sobol'
    """

    name: ClassVar[str] = "auto"
    handles_multi_objective: ClassVar[bool] = True
    handles_constraints: ClassVar[bool] = True

    def suggest(self, history: History, numbers: Sequence[int], seed: int) -> Proposal:
        engine, reason = choose_engine(history.spec, history)
        proposal = engine.suggest(history, numbers, seed)
        choice = {"engine": engine.name, "reason": reason}
        if history.study_attrs.get("auto") == choice:
            return proposal
        return Proposal(proposal.suggestions, {**proposal.study_attrs, "auto": choice})
