"""Search spaces: parameter types, conditions, validation and the unit-cube encoding."""

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
from apogee.space._space import Column, Space

__all__ = [
    "Categorical",
    "ChoiceValue",
    "Column",
    "Condition",
    "Fixed",
    "Float",
    "Int",
    "Param",
    "ParamKind",
    "Space",
]
