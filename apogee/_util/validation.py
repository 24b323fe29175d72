"""One message template for bad input, used everywhere at the edge.

Messages read like: "The 'popsize' parameter of DE must be an int in [4, inf). Got 2 instead."
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Any


def describe_interval(low: float | None, high: float | None, *, closed_high: bool = True) -> str:
    """Render an interval such as `[4, inf)` or `(0, 1]` for messages."""
    left = "(-inf" if low is None else f"[{low}"
    right = "inf)" if high is None else (f"{high}]" if closed_high else f"{high})")
    return f"{left}, {right}"


def invalid(name: str, owner: str, expected: str, got: Any) -> str:
    """The one template: what the parameter must be, and what it was."""
    return f"The '{name}' parameter of {owner} must be {expected}. Got {got!r} instead."


def check_int(
    value: Any, name: str, owner: str, *, low: int | None = None, high: int | None = None
) -> int:
    """Return `value` if it is an int in `[low, high]`, else raise with the template."""
    expected = f"an int in {describe_interval(low, high)}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(invalid(name, owner, expected, value))
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(invalid(name, owner, expected, value))
    return value


def check_float(
    value: Any,
    name: str,
    owner: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return `value` as a float if it is finite and in the interval, else raise."""
    left = "(-inf" if low is None else ("(" if low_open else "[") + f"{low}"
    right = "inf)" if high is None else f"{high}" + (")" if high_open else "]")
    expected = f"a finite float in {left}, {right}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(invalid(name, owner, expected, value))
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(invalid(name, owner, expected, value))
    below = low is not None and (number <= low if low_open else number < low)
    above = high is not None and (number >= high if high_open else number > high)
    if below or above:
        raise ValueError(invalid(name, owner, expected, value))
    return number


def check_floats(value: Any, name: str, owner: str, what: str) -> tuple[float, ...]:
    """Return `value` as a tuple of finite floats if it is a sequence of them, else raise.

    `what` completes the expectation in the message ("one per objective").
    """
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise TypeError(invalid(name, owner, f"a sequence of finite floats, {what}", value))
    return tuple(check_float(item, name, owner) for item in value)


def check_choice(value: Any, name: str, owner: str, choices: Collection[Any]) -> Any:
    """Return `value` if it is one of `choices`, else raise listing the valid ones."""
    if value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        raise ValueError(invalid(name, owner, f"one of {listed}", value))
    return value


def reject_unknown_keys(given: Collection[str], known: Collection[str], owner: str) -> None:
    """Raise if `given` has keys outside `known`, listing the valid ones."""
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise TypeError(
            f"{owner} got unknown option(s) {unknown}; valid options are {sorted(known)}."
        )
