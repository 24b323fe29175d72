"""The engine protocol: an engine is a function of the trial history.

`Engine.suggest(history, numbers, seed)` returns one suggestion per reserved trial number.
Determinism contract: the same options, seed, history and numbers give the same suggestions,
also in a fresh process. Any state an engine keeps must be derivable from the history (JSON
facts it attached to earlier trials through `Suggestion.attrs` are part of the history).
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from apogee._util.errors import UnsupportedError
from apogee.history import JSON, History, StudySpec


@dataclass(frozen=True)
class Suggestion:
    """Parameters for one trial, plus JSON facts to store on it (generation, parent ids ...)."""

    params: Mapping[str, Any]
    attrs: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True)
class Proposal:
    """What one call of `Engine.suggest` returns.

    `study_attrs` are JSON facts about the whole study, such as why `auto` chose an engine;
    the study merges them into its stored attributes.
    """

    suggestions: tuple[Suggestion, ...]
    study_attrs: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True)
class Engine(abc.ABC):
    """Base of every engine: a frozen dataclass of options with a `suggest` method.

    Subclasses set `name` (the string users pass as `optimizer=`), declare whether they use
    several objectives and constraints, and implement `suggest`.
    """

    name: ClassVar[str]
    handles_multi_objective: ClassVar[bool] = False
    handles_constraints: ClassVar[bool] = False

    @abc.abstractmethod
    def suggest(self, history: History, numbers: Sequence[int], seed: int) -> Proposal:
        """Suggest parameters for the reserved trials `numbers` (one suggestion each).

        Args:
            history: all trials of the study, pending ones included, but not `numbers`.
            numbers: the trial numbers being filled in; distinct per worker, so an engine
                that keys its randomness on them never hands two workers the same point.
            seed: the study's seed.
        """

    def check(self, spec: StudySpec) -> None:
        """Raise `UnsupportedError` if this engine cannot optimize `spec` faithfully."""
        if spec.is_multi_objective and not self.handles_multi_objective:
            raise UnsupportedError(
                f"The '{self.name}' engine handles one objective; this study has "
                f"{list(spec.objective_names)}. Use an engine that supports several objectives."
            )
        if spec.constraints and not self.handles_constraints:
            raise UnsupportedError(
                f"The '{self.name}' engine cannot use constraints {list(spec.constraints)} yet. "
                "Use an engine that supports constraints."
            )

    def options(self) -> dict[str, JSON]:
        """The engine's options as JSON (stored with the study to rebuild the engine)."""
        return dataclasses.asdict(self)
