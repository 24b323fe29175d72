"""Parameter types: `Float`, `Int`, `Categorical` and `Fixed`.

Each numeric parameter maps to one column of the unit cube. Discrete parameters (`Int`, and
`Float` with a `step`) own equal-width bins of that column, so decoding rounds to the nearest
grid value and encoding returns the bin's centre: `decode(encode(v)) == v` for every valid value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from apogee._util.errors import InvalidParamsError, InvalidSpaceError

ChoiceValue = None | bool | int | float | str
ParamKind = Literal["float", "int", "categorical", "fixed"]
# What users may pass as `condition=`: a parent name with one value or a list of values.
ConditionArg = Any


@dataclass(frozen=True)
class Condition:
    """`parent` must take one of `values` for the conditioned parameter to be active."""

    parent: str
    values: tuple[ChoiceValue, ...]

    @classmethod
    def parse(cls, condition: Any, owner: str) -> Condition | None:
        """Accept `None`, `(parent, value)` or `(parent, [value, ...])`."""
        if condition is None or isinstance(condition, Condition):
            return condition
        if not (isinstance(condition, tuple | list) and len(condition) == 2):
            raise InvalidSpaceError(
                f"The 'condition' parameter of {owner} must be a (parent_name, value) or "
                f"(parent_name, [values]) pair. Got {condition!r} instead."
            )
        parent, values = condition
        if not isinstance(parent, str):
            raise InvalidSpaceError(
                f"The parent name in the condition of {owner} must be a str. Got {parent!r}."
            )
        listed = tuple(values) if isinstance(values, list | tuple | set) else (values,)
        if not listed:
            raise InvalidSpaceError(f"The condition of {owner} lists no value of '{parent}'.")
        return cls(parent, listed)

    def to_json(self) -> list[Any]:
        return [self.parent, list(self.values)]


def _check_bounds(owner: str, low: float, high: float, log: bool) -> None:
    for name, bound in (("low", low), ("high", high)):
        if (
            isinstance(bound, bool)
            or not isinstance(bound, int | float)
            or not math.isfinite(bound)
        ):
            raise InvalidSpaceError(
                f"The '{name}' parameter of {owner} must be a finite number. Got {bound!r} instead."
            )
    if low > high:
        raise InvalidSpaceError(
            f"`low <= high` must hold for {owner}, but got (low={low}, high={high})."
        )
    if log and low <= 0:
        raise InvalidSpaceError(
            f"`low > 0` must hold for {owner} with log=True, but got low={low}."
        )


def _grid_size(owner: str, low: float, high: float, step: float) -> int:
    """Number of grid points `low + k * step` in `[low, high]`; the span must be a multiple."""
    if not (isinstance(step, int | float) and not isinstance(step, bool)) or not step > 0:
        raise InvalidSpaceError(
            f"The 'step' parameter of {owner} must be a number in (0, inf). Got {step!r} instead."
        )
    intervals = (high - low) / step
    if abs(intervals - round(intervals)) > 1e-9 * max(1.0, abs(intervals)):
        raise InvalidSpaceError(
            f"`high - low` must be a multiple of `step` for {owner}, but got "
            f"(low={low}, high={high}, step={step})."
        )
    return round(intervals) + 1


@dataclass(frozen=True)
class _Numeric:
    """Shared unit-cube mapping of `Float` and `Int` (continuous or on a grid)."""

    low: float
    high: float
    log: bool = False
    condition: Condition | None = field(default=None, kw_only=True)

    def _edges(self) -> tuple[float, float]:
        """The interval, in the model's scale, that the unit column spans."""
        half = 0.5 * self._step_or_zero()
        low, high = self.low - half, self.high + half
        return (math.log(low), math.log(high)) if self.log else (low, high)

    def _step_or_zero(self) -> float:
        raise NotImplementedError

    def _snap(self, value: float) -> float:
        step = self._step_or_zero()
        if step == 0:
            return min(max(value, self.low), self.high)
        index = round((value - self.low) / step)
        index = min(max(index, 0), round((self.high - self.low) / step))
        return self.low + index * step

    def to_unit(self, value: Any) -> float:
        """Map a valid value to `[0, 1]` (the bin centre for grid values)."""
        start, end = self._edges()
        scaled = math.log(value) if self.log else float(value)
        return 0.5 if end == start else (scaled - start) / (end - start)

    def _from_unit_float(self, unit: float) -> float:
        start, end = self._edges()
        scaled = start + min(max(unit, 0.0), 1.0) * (end - start)
        return self._snap(math.exp(scaled) if self.log else scaled)


@dataclass(frozen=True)
class Float(_Numeric):
    """A real parameter in `[low, high]`, optionally log-scaled or on a `step` grid.

    Example:
        >>> import apogee as ap
        >>> ap.Float(1e-5, 1e-1, log=True).from_unit(0.5)
        0.001
    """

    step: float | None = None

    if TYPE_CHECKING:

        def __init__(
            self,
            low: float,
            high: float,
            log: bool = False,
            step: float | None = None,
            *,
            condition: ConditionArg = None,
        ) -> None: ...

    def __post_init__(self) -> None:
        owner = f"Float({self.low}, {self.high})"
        _check_bounds(owner, self.low, self.high, self.log)
        if self.step is not None:
            if self.log:
                raise InvalidSpaceError(f"{owner} cannot have both log=True and a step.")
            _grid_size(owner, self.low, self.high, self.step)
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))
        object.__setattr__(self, "condition", Condition.parse(self.condition, owner))

    kind: ParamKind = field(default="float", init=False, repr=False)

    def _step_or_zero(self) -> float:
        return float(self.step or 0.0)

    def from_unit(self, unit: float) -> float:
        """Map `unit` in `[0, 1]` to a value (rounded onto the grid when `step` is set)."""
        value = self._from_unit_float(unit)
        return float(round(value, 12)) if self.step is not None else float(value)

    def check(self, name: str, value: Any) -> float:
        """Return `value` as a float if it belongs to this parameter, else raise."""
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidParamsError(f"Parameter '{name}' must be a finite float. Got {value!r}.")
        if not self.low <= value <= self.high:
            raise InvalidParamsError(
                f"Parameter '{name}' must be in [{self.low}, {self.high}]. Got {value!r}."
            )
        if self.step is not None and abs(self._snap(value) - value) > 1e-9 * max(1.0, abs(value)):
            raise InvalidParamsError(
                f"Parameter '{name}' must lie on the grid {self.low} + k * {self.step}. Got {value!r}."
            )
        return float(value)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "float",
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "step": self.step,
        }


@dataclass(frozen=True)
class Int(_Numeric):
    """An integer parameter in `[low, high]` (inclusive), optionally log-scaled or with a `step`.

    Example:
        >>> import apogee as ap
        >>> [ap.Int(1, 3).from_unit(u) for u in (0.0, 0.5, 0.99)]
        [1, 2, 3]
    """

    step: int = 1

    kind: ParamKind = field(default="int", init=False, repr=False)

    if TYPE_CHECKING:

        def __init__(
            self,
            low: int,
            high: int,
            log: bool = False,
            step: int = 1,
            *,
            condition: ConditionArg = None,
        ) -> None: ...

    def __post_init__(self) -> None:
        owner = f"Int({self.low}, {self.high})"
        for label, number in (("low", self.low), ("high", self.high), ("step", self.step)):
            if isinstance(number, bool) or not isinstance(number, int):
                raise InvalidSpaceError(
                    f"The '{label}' parameter of {owner} must be an int. Got {number!r} instead."
                )
        _check_bounds(owner, self.low, self.high, self.log)
        _grid_size(owner, self.low, self.high, self.step)
        if self.log and self.step != 1:
            raise InvalidSpaceError(f"{owner} cannot have both log=True and step={self.step}.")
        object.__setattr__(self, "condition", Condition.parse(self.condition, owner))

    def _step_or_zero(self) -> float:
        return float(self.step)

    def from_unit(self, unit: float) -> int:
        """Map `unit` in `[0, 1]` to the integer whose bin contains it."""
        return round(self._from_unit_float(unit))

    def check(self, name: str, value: Any) -> int:
        """Return `value` if it is an int of this parameter's grid, else raise."""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidParamsError(f"Parameter '{name}' must be an int. Got {value!r}.")
        if not self.low <= value <= self.high or (value - self.low) % self.step:
            raise InvalidParamsError(
                f"Parameter '{name}' must be an int in [{self.low}, {self.high}] with step "
                f"{self.step}. Got {value!r}."
            )
        return value

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "int",
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "step": self.step,
        }


@dataclass(frozen=True)
class Categorical:
    """One of a list of JSON-able `choices` (None, bool, int, float or str).

    Example:
        >>> import apogee as ap
        >>> ap.Categorical(["gbtree", "dart"]).from_unit(0.9)
        'dart'
    """

    choices: tuple[ChoiceValue, ...]
    condition: Condition | None = field(default=None, kw_only=True)

    kind: ParamKind = field(default="categorical", init=False, repr=False)

    if TYPE_CHECKING:

        def __init__(
            self, choices: Sequence[ChoiceValue], *, condition: ConditionArg = None
        ) -> None: ...

    def __post_init__(self) -> None:
        owner = "Categorical"
        if isinstance(self.choices, str) or not hasattr(self.choices, "__iter__"):
            raise InvalidSpaceError(
                f"The 'choices' parameter of {owner} must be a list of values. Got {self.choices!r}."
            )
        choices = tuple(self.choices)
        if not choices:
            raise InvalidSpaceError(f"The 'choices' parameter of {owner} must not be empty.")
        for choice in choices:
            if not isinstance(choice, ChoiceValue):
                raise InvalidSpaceError(
                    f"Choices of {owner} must be None, bool, int, float or str (JSON-able). "
                    f"Got {choice!r} of type {type(choice).__name__}."
                )
        keys = [_choice_key(choice) for choice in choices]
        duplicates = sorted(
            {repr(c) for c, k in zip(choices, keys, strict=True) if keys.count(k) > 1}
        )
        if duplicates:
            raise InvalidSpaceError(
                f"Choices of {owner} must be distinct. Repeated: {', '.join(duplicates)}."
            )
        object.__setattr__(self, "choices", choices)
        object.__setattr__(self, "condition", Condition.parse(self.condition, owner))

    def index(self, value: Any) -> int:
        """Position of `value` among the choices (type-aware: `1` and `True` differ)."""
        key = _choice_key(value)
        for position, choice in enumerate(self.choices):
            if _choice_key(choice) == key:
                return position
        raise ValueError(value)

    def to_unit(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.choices)

    def from_unit(self, unit: float) -> ChoiceValue:
        """The choice whose bin of width `1 / len(choices)` contains `unit`."""
        position = min(max(math.floor(unit * len(self.choices)), 0), len(self.choices) - 1)
        return self.choices[position]

    def check(self, name: str, value: Any) -> ChoiceValue:
        try:
            return self.choices[self.index(value)]
        except ValueError:
            raise InvalidParamsError(
                f"Parameter '{name}' must be one of {list(self.choices)!r}. Got {value!r}."
            ) from None

    def to_json(self) -> dict[str, Any]:
        return {"type": "categorical", "choices": list(self.choices)}


@dataclass(frozen=True)
class Fixed:
    """A constant that is passed to the objective but never searched.

    Example:
        >>> import apogee as ap
        >>> ap.Space({"x": ap.Float(0, 1), "epochs": 10}).names
        ('x', 'epochs')
    """

    value: ChoiceValue
    condition: Condition | None = field(default=None, kw_only=True)

    kind: ParamKind = field(default="fixed", init=False, repr=False)

    if TYPE_CHECKING:

        def __init__(self, value: ChoiceValue, *, condition: ConditionArg = None) -> None: ...

    def __post_init__(self) -> None:
        if not isinstance(self.value, ChoiceValue):
            raise InvalidSpaceError(
                f"A fixed value must be None, bool, int, float or str (JSON-able). Got {self.value!r}."
            )
        object.__setattr__(self, "condition", Condition.parse(self.condition, "Fixed"))

    def check(self, name: str, value: Any) -> ChoiceValue:
        if _choice_key(value) != _choice_key(self.value):
            raise InvalidParamsError(
                f"Parameter '{name}' is fixed to {self.value!r}. Got {value!r}."
            )
        return self.value

    def to_json(self) -> dict[str, Any]:
        return {"type": "fixed", "value": self.value}


def _choice_key(value: Any) -> tuple[str, Any]:
    """Equality that tells `True` from `1` and `1` from `1.0`, as JSON does."""
    return (type(value).__name__, value)


Param = Float | Int | Categorical | Fixed
