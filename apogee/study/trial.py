"""`Trial`: a handle on one trial of a study, and `Failed`, the way to fail one on purpose."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from apogee._util.errors import InvalidValueError
from apogee.history import JSON, TrialRecord, TrialState

if TYPE_CHECKING:
    from apogee.study.study import Study


class Failed(Exception):
    """Raise or return `Failed("why")` from an objective to mark its trial failed.

    Example:
        >>> import apogee as ap
        >>> def objective(params):
        ...     if params["x"] > 0.9:
        ...         raise ap.Failed("simulation diverged")
        ...     return params["x"]
        >>> study = ap.create_study("f", space=ap.Space({"x": ap.Float(0, 1)}), seed=0)
        >>> study.optimize(objective, n_trials=3, progress=False)
    """

    def __init__(self, reason: str = "failed") -> None:
        super().__init__(reason)
        self.reason = reason


class Trial:
    """One trial: its number, parameters, state and values, read from the study's storage.

    `report` and `set_user_attr` write through to the storage, so they survive a crash.

    Example:
        >>> import apogee as ap
        >>> study = ap.create_study("t", space=ap.Space({"x": ap.Float(0, 1)}), seed=0)
        >>> trial = study.ask()
        >>> trial.report(1, 0.5)
        >>> study.tell(trial, 0.25).state
        <TrialState.COMPLETE: 'COMPLETE'>
    """

    def __init__(self, study: Study, record: TrialRecord) -> None:
        self._study = study
        self._record = record

    def __repr__(self) -> str:
        state = self.state.value
        return f"Trial(number={self.number}, state={state}, params={dict(self.params)}, values={self.values})"

    @property
    def record(self) -> TrialRecord:
        """The frozen record as last read or written by this handle."""
        return self._record

    def _refresh(self, record: TrialRecord) -> None:
        self._record = record

    @property
    def number(self) -> int:
        return self._record.number

    @property
    def params(self) -> Mapping[str, Any]:
        return self._record.params

    @property
    def state(self) -> TrialState:
        return self._record.state

    @property
    def values(self) -> Mapping[str, float] | None:
        """Every returned value by name (objectives and constraints); None unless complete."""
        return self._record.values

    @property
    def value(self) -> float | None:
        """The objective value of a single-objective study (None unless complete)."""
        if self._record.values is None:
            return None
        return self._record.values[self._study.spec.objective_names[0]]

    @property
    def user_attrs(self) -> Mapping[str, JSON]:
        return self._record.user_attrs

    @property
    def system_attrs(self) -> Mapping[str, JSON]:
        """JSON facts the engine attached to this trial."""
        return self._record.system_attrs

    @property
    def intermediate_values(self) -> Mapping[int, float]:
        return self._record.intermediate

    @property
    def fail_reason(self) -> str | None:
        return self._record.fail_reason

    @property
    def duration(self) -> float | None:
        return self._record.duration

    def report(self, step: int, value: float) -> None:
        """Store an intermediate value (for learning curves and, later, pruning)."""
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise InvalidValueError(
                f"The 'step' parameter of report must be an int >= 0. Got {step!r}."
            )
        number = float(value)
        if not math.isfinite(number):
            raise InvalidValueError(
                f"The 'value' parameter of report must be finite. Got {value!r}."
            )
        self._record = self._study.storage.report_intermediate(
            self._study.study_id, self.number, step, number
        )

    def set_user_attr(self, key: str, value: JSON) -> None:
        """Attach a JSON-able value to the trial (kept in the storage)."""
        if not isinstance(key, str):
            raise InvalidValueError(f"User attribute keys must be str. Got {key!r}.")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise InvalidValueError(
                f"User attribute '{key}' must be JSON-able. Got {value!r} ({error})."
            ) from None
        self._record = self._study.storage.set_trial_user_attrs(
            self._study.study_id, self.number, {key: value}
        )
