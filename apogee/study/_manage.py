"""Managing stored studies: list, delete, copy between storages."""

from __future__ import annotations

from apogee.optimizers import engine_from_options
from apogee.storage import Storage, StudySummary, get_storage
from apogee.study.study import Study


def list_studies(*, storage: str | Storage) -> list[StudySummary]:
    """Every study in `storage`, oldest first (name, trial counts, creation time, objectives).

    Example:
        >>> import apogee as ap
        >>> from apogee.storage import InMemoryStorage
        >>> storage = InMemoryStorage()
        >>> _ = ap.create_study("a", space={"x": ap.Float(0, 1)}, storage=storage)
        >>> [s.name for s in ap.list_studies(storage=storage)]
        ['a']
    """
    return get_storage(storage).list_studies()


def delete_study(name: str, *, storage: str | Storage) -> None:
    """Delete study `name` and all its trials; `StudyNotFoundError` names it if it is missing."""
    get_storage(storage).delete_study(name)


def copy_study(
    name: str, *, from_storage: str | Storage, to_storage: str | Storage, to_name: str | None = None
) -> Study:
    """Copy study `name` with its spec, seed, engine, attributes and every trial to another storage.

    Trials keep their numbers, states, values and attributes, so the copy continues exactly
    where the original stands (its engine sees the same history).
    """
    source, target = get_storage(from_storage), get_storage(to_storage)
    record = source.get_study(name)
    copied = target.create_study(
        to_name or name,
        record.spec,
        seed=record.seed,
        engine_name=record.engine_name,
        engine_options=record.engine_options,
    )
    if record.attrs:
        target.set_study_attrs(copied.study_id, record.attrs)
    trials, _ = source.read_trials(record.study_id, 0)
    for trial in trials:
        target.create_trial(copied.study_id, trial)
    engine = engine_from_options(record.engine_name, record.engine_options)
    return Study(target, target.get_study(copied.name), engine)
