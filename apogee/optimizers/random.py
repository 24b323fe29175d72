"""`random`: independent uniform samples of the unit cube, decoded into the space."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from apogee._util.rng import generator
from apogee.history import History
from apogee.optimizers.base import Engine, Proposal, Suggestion


@dataclass(frozen=True)
class Random(Engine):
    """Uniform random search; each trial's point depends only on the seed and its number.

    Example:
        >>> import apogee as ap
        >>> study = ap.create_study("demo", space=ap.Space({"x": ap.Float(-1, 1)}),
        ...                         optimizer=ap.optimizers.Random(), seed=0)
        >>> -1 <= study.ask().params["x"] <= 1
        True
    """

    name: ClassVar[str] = "random"
    handles_multi_objective: ClassVar[bool] = True
    handles_constraints: ClassVar[bool] = True

    def suggest(self, history: History, numbers: Sequence[int], seed: int) -> Proposal:
        space = history.spec.space
        suggestions = []
        for number in numbers:
            unit = generator(seed, number).random(space.dim)
            suggestions.append(Suggestion(space.decode(unit)))
        return Proposal(tuple(suggestions))
