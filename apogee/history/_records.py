"""Frozen records of trials and of what a study optimizes.

These are the plain, JSON-able facts every layer agrees on: storage stores them, engines read
them, studies hand them around. Nothing here knows about any backend or any engine.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from apogee._util.errors import InvalidValueError
from apogee.space import Space

JSON = Any  # a value json.dumps accepts; kept loose on purpose (nested dicts and lists)
DEFAULT_OBJECTIVE = "value"


class TrialState(enum.Enum):
    """Life cycle of a trial: WAITING (enqueued) -> RUNNING -> COMPLETE | FAILED | PRUNED."""

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    PRUNED = "PRUNED"

    @property
    def is_finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED)


class Direction(enum.Enum):
    """Whether an objective is minimized or maximized."""

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    @classmethod
    def parse(cls, value: Any, owner: str) -> Direction:
        if isinstance(value, Direction):
            return value
        if isinstance(value, str) and value.lower() in ("minimize", "maximize"):
            return cls(value.lower())
        raise InvalidValueError(
            f"The direction of {owner} must be 'minimize' or 'maximize'. Got {value!r} instead."
        )


@dataclass(frozen=True)
class TrialRecord:
    """Everything stored about one trial.

    `values` holds every number the objective returned, by name: the objectives and the
    constraints (a constraint value <= 0 is feasible). `system_attrs` holds the JSON facts an
    engine attached to its suggestion (generation, parent ids ...), so the engine can be
    rebuilt from the history alone.
    """

    number: int
    state: TrialState
    params: Mapping[str, Any] = field(default_factory=dict)
    values: Mapping[str, float] | None = None
    intermediate: Mapping[int, float] = field(default_factory=dict)
    user_attrs: Mapping[str, JSON] = field(default_factory=dict)
    system_attrs: Mapping[str, JSON] = field(default_factory=dict)
    fail_reason: str | None = None
    datetime_start: float | None = None
    datetime_complete: float | None = None

    @property
    def has_params(self) -> bool:
        """False for a trial reserved by a worker whose engine has not filled it in yet."""
        return bool(self.params) or self.state is not TrialState.RUNNING

    @property
    def duration(self) -> float | None:
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    def evolve(self, **changes: Any) -> TrialRecord:
        """A copy with some fields replaced (records are immutable)."""
        return replace(self, **changes)

    def to_json(self) -> dict[str, JSON]:
        return {
            "number": self.number,
            "state": self.state.value,
            "params": dict(self.params),
            "values": None if self.values is None else dict(self.values),
            "intermediate": {str(step): value for step, value in self.intermediate.items()},
            "user_attrs": dict(self.user_attrs),
            "system_attrs": dict(self.system_attrs),
            "fail_reason": self.fail_reason,
            "datetime_start": self.datetime_start,
            "datetime_complete": self.datetime_complete,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, JSON]) -> TrialRecord:
        values = data.get("values")
        return cls(
            number=int(data["number"]),
            state=TrialState(data["state"]),
            params=dict(data.get("params") or {}),
            values=None if values is None else {k: float(v) for k, v in values.items()},
            intermediate={int(k): float(v) for k, v in (data.get("intermediate") or {}).items()},
            user_attrs=dict(data.get("user_attrs") or {}),
            system_attrs=dict(data.get("system_attrs") or {}),
            fail_reason=data.get("fail_reason"),
            datetime_start=data.get("datetime_start"),
            datetime_complete=data.get("datetime_complete"),
        )


STUDY_SPEC_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class StudySpec:
    """What a study optimizes: the space, the named objectives with directions, the constraints."""

    space: Space
    objectives: tuple[tuple[str, Direction], ...] = ((DEFAULT_OBJECTIVE, Direction.MINIMIZE),)
    constraints: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [name for name, _ in self.objectives]
        if not names:
            raise InvalidValueError("A study needs at least one objective.")
        everything = names + list(self.constraints)
        repeated = sorted({name for name in everything if everything.count(name) > 1})
        if repeated:
            raise InvalidValueError(
                f"Objective and constraint names must be distinct. Repeated: {repeated}."
            )

    @classmethod
    def build(
        cls,
        space: Space,
        *,
        direction: Any = "minimize",
        objectives: Mapping[str, Any] | None = None,
        constraints: Sequence[str] | None = None,
    ) -> StudySpec:
        """Parse the user's `direction` / `objectives` / `constraints` arguments."""
        parsed: tuple[tuple[str, Direction], ...]
        if objectives is None:
            parsed = ((DEFAULT_OBJECTIVE, Direction.parse(direction, "the study")),)
        else:
            if not isinstance(objectives, Mapping) or not objectives:
                raise InvalidValueError(
                    "`objectives` must be a non-empty dict of name -> 'minimize' | 'maximize'. "
                    f"Got {objectives!r} instead."
                )
            parsed = tuple(
                (str(name), Direction.parse(d, f"objective '{name}'"))
                for name, d in objectives.items()
            )
        if isinstance(constraints, str):
            raise InvalidValueError(
                f"`constraints` must be a list of names. Got the string {constraints!r}."
            )
        return cls(space, parsed, tuple(constraints or ()))

    @property
    def objective_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.objectives)

    @property
    def directions(self) -> tuple[Direction, ...]:
        return tuple(direction for _, direction in self.objectives)

    @property
    def signs(self) -> tuple[float, ...]:
        """Per objective, 1.0 if minimized and -1.0 if maximized: the map to minimization form."""
        return tuple(
            1.0 if direction is Direction.MINIMIZE else -1.0 for direction in self.directions
        )

    @property
    def is_multi_objective(self) -> bool:
        return len(self.objectives) > 1

    @property
    def value_names(self) -> tuple[str, ...]:
        """Every name a complete trial carries a value for: objectives, then constraints."""
        return self.objective_names + self.constraints

    def parse_values(self, returned: Any) -> dict[str, float]:
        """Turn what an objective returned into named values, or raise `InvalidValueError`.

        A bare number is accepted when the study has one objective and no constraints. NaN and
        infinities are returned as they are; the caller decides that they fail the trial.
        """
        if isinstance(returned, Mapping):
            names = set(returned)
            missing = [name for name in self.value_names if name not in names]
            extra = sorted(names - set(self.value_names))
            if missing or extra:
                raise InvalidValueError(
                    f"The returned dict must have exactly the names {list(self.value_names)}; "
                    f"missing {missing}, unexpected {extra}."
                )
            return {name: _as_float(returned[name], name) for name in self.value_names}
        if len(self.value_names) > 1:
            raise InvalidValueError(
                f"This study needs a dict with the names {list(self.value_names)}. Got {returned!r}."
            )
        return {self.value_names[0]: _as_float(returned, self.value_names[0])}

    def to_json(self) -> dict[str, JSON]:
        return {
            "schema_version": STUDY_SPEC_SCHEMA_VERSION,
            "space": self.space.to_json(),
            "objectives": [[name, direction.value] for name, direction in self.objectives],
            "constraints": list(self.constraints),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, JSON]) -> StudySpec:
        if data.get("schema_version") != STUDY_SPEC_SCHEMA_VERSION:
            raise InvalidValueError(
                f"Cannot read a study spec of schema version {data.get('schema_version')!r}; "
                f"this apogee reads version {STUDY_SPEC_SCHEMA_VERSION}."
            )
        return cls(
            Space.from_json(data["space"]),
            tuple((name, Direction(direction)) for name, direction in data["objectives"]),
            tuple(data["constraints"]),
        )


def _as_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or (
        not isinstance(value, int | float) and not hasattr(value, "__float__")
    ):
        raise InvalidValueError(f"The value '{name}' must be a number. Got {value!r}.")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidValueError(f"The value '{name}' must be a number. Got {value!r}.") from None


def non_finite_names(values: Mapping[str, float]) -> list[str]:
    """Names whose value is NaN or infinite (such a trial is marked failed)."""
    return [name for name, value in values.items() if not math.isfinite(value)]
