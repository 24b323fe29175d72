"""Frozen trial records, the study spec, and the read-only `History` engines receive."""

from apogee.history._history import History
from apogee.history._records import (
    DEFAULT_OBJECTIVE,
    JSON,
    Direction,
    StudySpec,
    TrialRecord,
    TrialState,
    non_finite_names,
)

__all__ = [
    "DEFAULT_OBJECTIVE",
    "JSON",
    "Direction",
    "History",
    "StudySpec",
    "TrialRecord",
    "TrialState",
    "non_finite_names",
]
