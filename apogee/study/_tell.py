"""Turning what an objective produced into a trial outcome (state, values, reason)."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

from apogee.history import StudySpec, TrialState, non_finite_names
from apogee.study.trial import Failed


@dataclass(frozen=True)
class Outcome:
    """How a trial ends: its state, its values when complete, the reason when failed."""

    state: TrialState
    values: dict[str, float] | None = None
    fail_reason: str | None = None


def describe_exception(error: BaseException) -> str:
    """One line naming the exception and where it was raised (the last frame)."""
    if isinstance(error, Failed):
        return error.reason
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def outcome_of(spec: StudySpec, returned: Any) -> Outcome:
    """The outcome of a returned value, an exception or `Failed`.

    Raises:
        InvalidValueError: the value has the wrong type or the wrong names; the caller decides
            whether that raises (a direct `tell`) or fails the trial (inside `optimize`).
    """
    if isinstance(returned, BaseException):
        return Outcome(TrialState.FAILED, fail_reason=describe_exception(returned))
    values = spec.parse_values(returned)
    bad = non_finite_names(values)
    if bad:
        listed = ", ".join(f"'{name}' = {values[name]}" for name in bad)
        return Outcome(TrialState.FAILED, fail_reason=f"non-finite value: {listed}")
    return Outcome(TrialState.COMPLETE, values=values)
