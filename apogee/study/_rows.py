"""Plain views of a study's records: flat rows per trial, and a reference point made minimized."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from apogee._util.errors import InvalidValueError
from apogee.history import StudySpec, TrialRecord


def trial_rows(spec: StudySpec, records: Sequence[TrialRecord]) -> list[dict[str, Any]]:
    """One flat dict per trial: number, state, values, `params_*`, `user_attrs_*`, times."""
    rows = []
    for record in records:
        row: dict[str, Any] = {"number": record.number, "state": record.state.value}
        for name in spec.value_names:
            row[name] = None if record.values is None else record.values[name]
        row.update({f"params_{k}": v for k, v in record.params.items()})
        row.update({f"user_attrs_{k}": v for k, v in record.user_attrs.items()})
        row.update(
            datetime_start=record.datetime_start,
            datetime_complete=record.datetime_complete,
            duration=record.duration,
            fail_reason=record.fail_reason,
        )
        rows.append(row)
    return rows


def minimized_reference(
    spec: StudySpec, reference: Sequence[float] | Mapping[str, float]
) -> list[float]:
    """A reference point in the user's units and directions, as the minimized objectives see it.

    `reference` is a list in objective order or a dict by objective name; for a maximized
    objective it is a lower bound, for a minimized one an upper.
    """
    names = spec.objective_names
    if isinstance(reference, Mapping):
        if set(reference) != set(names):
            raise InvalidValueError(
                f"The reference point must name exactly the objectives {list(names)}. "
                f"Got {sorted(reference)}."
            )
        reference = [reference[name] for name in names]
    point = [float(v) for v in reference]
    if len(point) != len(names):
        raise InvalidValueError(
            f"The reference point must have one value per objective {list(names)}. "
            f"Got {len(point)} values."
        )
    signs = [1.0 if d.value == "minimize" else -1.0 for d in spec.directions]
    return [sign * value for sign, value in zip(signs, point, strict=True)]
