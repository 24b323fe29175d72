"""`Space`: named parameters, their conditions, and the unit-cube encoding engines see.

Numerical engines work in `[0, 1]^d`, one column per searched (non-fixed) parameter in the
order the space lists them. An inactive conditional parameter is encoded as NaN, so a model
can tell "inactive" from any value.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from apogee._util.errors import InvalidParamsError, InvalidSpaceError
from apogee.space._params import (
    Categorical,
    ChoiceValue,
    Condition,
    Fixed,
    Float,
    Int,
    Param,
    ParamKind,
)

SPACE_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Column:
    """What an engine needs to know about one searched dimension of the unit cube."""

    name: str
    kind: ParamKind
    n_choices: int  # choices of a categorical, grid points of a discrete numeric, 0 if continuous
    conditional: bool


class Space(Mapping[str, Param]):
    """A search space: parameter names mapped to `Float`, `Int`, `Categorical` or fixed values.

    Example:
        >>> import apogee as ap
        >>> space = ap.Space({
        ...     "lr": ap.Float(1e-5, 1e-1, log=True),
        ...     "booster": ap.Categorical(["gbtree", "dart"]),
        ...     "drop_rate": ap.Float(0.0, 0.5, condition=("booster", "dart")),
        ... })
        >>> space.decode([0.5, 0.1, 0.5])
        {'lr': 0.001, 'booster': 'gbtree'}
    """

    def __init__(self, params: Mapping[str, Param | ChoiceValue]) -> None:
        if not isinstance(params, Mapping):
            raise InvalidSpaceError(
                f"A Space is built from a dict of name -> parameter. Got {type(params).__name__}."
            )
        self._params: dict[str, Param] = {}
        for name, param in params.items():
            if not isinstance(name, str) or not name:
                raise InvalidSpaceError(f"Parameter names must be non-empty strings. Got {name!r}.")
            self._params[name] = (
                param if isinstance(param, Float | Int | Categorical | Fixed) else Fixed(param)
            )
        self._order = _topological_order(self._params)
        self.columns: tuple[Column, ...] = tuple(
            Column(name, param.kind, _n_choices(param), param.condition is not None)
            for name, param in self._params.items()
            if not isinstance(param, Fixed)
        )
        self._column_index = {column.name: i for i, column in enumerate(self.columns)}

    @classmethod
    def from_bounds(cls, bounds: Sequence[tuple[float, float]]) -> Space:
        """A continuous space `x0 .. x{d-1}` from scipy-style `(low, high)` pairs."""
        if len(bounds) == 0:
            raise InvalidSpaceError("`bounds` must list at least one (low, high) pair. Got [].")
        params: dict[str, Param] = {}
        for i, pair in enumerate(bounds):
            if not (isinstance(pair, Sequence) and len(pair) == 2):
                raise InvalidSpaceError(f"bounds[{i}] must be a (low, high) pair. Got {pair!r}.")
            params[f"x{i}"] = Float(pair[0], pair[1])
        return cls(params)

    # Mapping interface -------------------------------------------------------------------
    def __getitem__(self, name: str) -> Param:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __repr__(self) -> str:
        return f"Space({self._params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(repr(self.to_json()))

    @property
    def names(self) -> tuple[str, ...]:
        """All parameter names, fixed ones included, in the order given."""
        return tuple(self._params)

    @property
    def dim(self) -> int:
        """Number of searched dimensions (columns of the unit cube)."""
        return len(self.columns)

    @property
    def has_conditions(self) -> bool:
        return any(param.condition is not None for param in self._params.values())

    # Activity ----------------------------------------------------------------------------
    def is_active(self, name: str, params: Mapping[str, Any]) -> bool:
        """Whether `name` is active given the (active) values of its ancestors in `params`."""
        condition = self._params[name].condition
        while condition is not None:
            if condition.parent not in params:
                return False
            if not any(_same(params[condition.parent], v) for v in condition.values):
                return False
            condition = self._params[condition.parent].condition
        return True

    # Encoding ----------------------------------------------------------------------------
    def decode(self, unit: Sequence[float] | np.ndarray) -> dict[str, Any]:
        """Parameters (active ones only, fixed ones included) from a point of `[0, 1]^d`.

        Args:
            unit: `(d,)` point; NaN entries are allowed for inactive columns.
        """
        vector = np.asarray(unit, dtype=float)
        if vector.shape != (self.dim,):
            raise InvalidParamsError(
                f"A point of this space has shape ({self.dim},). Got {vector.shape}."
            )
        decoded: dict[str, Any] = {}
        for name in self._order:
            param = self._params[name]
            if not self.is_active(name, decoded):
                continue
            if isinstance(param, Fixed):
                decoded[name] = param.value
                continue
            value = float(vector[self._column_index[name]])
            decoded[name] = param.from_unit(0.5 if math.isnan(value) else value)
        return {name: decoded[name] for name in self._params if name in decoded}

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """The `(d,)` unit-cube point of valid `params`; NaN where a parameter is inactive."""
        unit = np.full(self.dim, np.nan)
        for column_index, column in enumerate(self.columns):
            if column.name in params:
                param = self._params[column.name]
                assert not isinstance(param, Fixed)
                unit[column_index] = param.to_unit(params[column.name])
        return unit

    def decode_many(self, units: np.ndarray) -> list[dict[str, Any]]:
        """Decode each row of a `(n, d)` array."""
        return [self.decode(row) for row in np.atleast_2d(units)]

    def encode_many(self, params_list: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Encode parameter dicts into a `(n, d)` array."""
        if not params_list:
            return np.empty((0, self.dim))
        return np.stack([self.encode(params) for params in params_list])

    # Validation --------------------------------------------------------------------------
    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Check user-given values (for `add_trial`, `enqueue`): types, ranges, activity.

        Returns:
            The values normalized (ints as int, floats as float), in the space's order.
        """
        if not isinstance(params, Mapping):
            raise InvalidParamsError(f"Parameters must be a dict of name -> value. Got {params!r}.")
        unknown = sorted(set(params) - set(self._params))
        if unknown:
            raise InvalidParamsError(
                f"Unknown parameter(s) {unknown}; the space has {list(self._params)}."
            )
        checked: dict[str, Any] = {}
        for name in self._order:
            param = self._params[name]
            active = self.is_active(name, checked)
            if not active and name in params:
                raise InvalidParamsError(
                    f"Parameter '{name}' is inactive here and must be left out."
                )
            if active and name not in params and not isinstance(param, Fixed):
                raise InvalidParamsError(f"Parameter '{name}' is active and missing.")
            if active:
                checked[name] = param.check(name, params.get(name, getattr(param, "value", None)))
        return {name: checked[name] for name in self._params if name in checked}

    # Serialization -----------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A JSON-able description that `Space.from_json` rebuilds exactly."""
        encoded: dict[str, Any] = {}
        for name, param in self._params.items():
            entry = param.to_json()
            if param.condition is not None:
                entry["condition"] = param.condition.to_json()
            encoded[name] = entry
        return {"schema_version": SPACE_SCHEMA_VERSION, "params": encoded}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Space:
        version = data.get("schema_version")
        if version != SPACE_SCHEMA_VERSION:
            raise InvalidSpaceError(
                f"Cannot read a space of schema version {version!r}; this apogee reads version "
                f"{SPACE_SCHEMA_VERSION}. Upgrade apogee."
            )
        return cls({name: _param_from_json(entry) for name, entry in data["params"].items()})


def _param_from_json(entry: Mapping[str, Any]) -> Param:
    condition = Condition.parse(entry.get("condition"), "a stored parameter")
    kind = entry["type"]
    if kind == "float":
        return Float(
            entry["low"], entry["high"], log=entry["log"], step=entry["step"], condition=condition
        )
    if kind == "int":
        return Int(
            entry["low"], entry["high"], log=entry["log"], step=entry["step"], condition=condition
        )
    if kind == "categorical":
        return Categorical(tuple(entry["choices"]), condition=condition)
    if kind == "fixed":
        return Fixed(entry["value"], condition=condition)
    raise InvalidSpaceError(f"Unknown stored parameter type {kind!r}.")


def _n_choices(param: Param) -> int:
    if isinstance(param, Categorical):
        return len(param.choices)
    if isinstance(param, Int):
        return int(param.high - param.low) // param.step + 1
    if isinstance(param, Float) and param.step is not None:
        return round((param.high - param.low) / param.step) + 1
    return 0


def _same(left: Any, right: Any) -> bool:
    return type(left) is type(right) and left == right


def _check_condition(params: Mapping[str, Param], name: str, condition: Condition) -> None:
    parent = params.get(condition.parent)
    if parent is None:
        raise InvalidSpaceError(
            f"The condition of '{name}' names unknown parameter '{condition.parent}'; "
            f"known parameters are {sorted(params)}."
        )
    if isinstance(parent, Float):
        raise InvalidSpaceError(
            f"The condition of '{name}' is on the float parameter '{condition.parent}'; "
            "conditions must be on a Categorical, Int or fixed parameter."
        )
    for value in condition.values:
        try:
            parent.check(condition.parent, value)
        except InvalidParamsError:
            raise InvalidSpaceError(
                f"The condition of '{name}' asks '{condition.parent}' == {value!r}, which "
                f"'{condition.parent}' can never take."
            ) from None


def _topological_order(params: Mapping[str, Param]) -> list[str]:
    """Names ordered so every parent comes before its children; rejects cycles."""
    for name, param in params.items():
        if param.condition is not None:
            _check_condition(params, name, param.condition)
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise InvalidSpaceError(f"Conditions form a cycle: {' -> '.join([*path, name])}.")
        state[name] = "visiting"
        condition = params[name].condition
        if condition is not None:
            visit(condition.parent, [*path, name])
        state[name] = "done"
        order.append(name)

    for name in params:
        visit(name, [])
    return order
