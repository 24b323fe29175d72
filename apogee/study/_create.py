"""`create_study` and `load_study`: the two ways to get a `Study`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from apogee._util.errors import DuplicatedStudyError, InvalidSpaceError
from apogee._util.rng import fresh_seed
from apogee._util.validation import check_int
from apogee.history import StudySpec
from apogee.optimizers import Engine, engine_from_options, make_engine
from apogee.space import Space
from apogee.storage import Storage, get_storage
from apogee.study.study import Study


def create_study(
    name: str,
    *,
    space: Space | Mapping[str, Any],
    storage: str | Storage | None = None,
    optimizer: str | Engine = "auto",
    seed: int | None = None,
    direction: str = "minimize",
    objectives: Mapping[str, str] | None = None,
    constraints: Sequence[str] | None = None,
    load_if_exists: bool = False,
) -> Study:
    """Create a study named `name` (in memory when `storage` is None).

    Args:
        space: the search space (a `Space`, or a dict that `Space` accepts).
        optimizer: an engine name (`"auto"`, `"random"`, `"sobol"` ...) or an engine object.
        seed: makes every suggestion reproducible; a random one is drawn and stored if None.
        direction: `"minimize"` or `"maximize"` for a single objective named `"value"`.
        objectives: several named objectives, `{"loss": "minimize", "acc": "maximize"}`.
        constraints: names of returned values that must be <= 0 for a trial to be feasible.
        load_if_exists: return the existing study of that name instead of raising.

    Example:
        >>> import apogee as ap
        >>> study = ap.create_study("demo", space={"x": ap.Float(0, 1)}, seed=1)
        >>> study.engine.name
        'auto'
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(
            f"The 'name' parameter of create_study must be a non-empty str. Got {name!r}."
        )
    if not isinstance(space, Space):
        if not isinstance(space, Mapping):
            raise InvalidSpaceError(
                f"The 'space' parameter must be a Space or a dict. Got {space!r}."
            )
        space = Space(space)
    if seed is not None:
        check_int(seed, "seed", "create_study", low=0)
    spec = StudySpec.build(
        space, direction=direction, objectives=objectives, constraints=constraints
    )
    engine = make_engine(optimizer)
    engine.check(spec)
    backend = get_storage(storage)
    try:
        record = backend.create_study(
            name,
            spec,
            seed=fresh_seed() if seed is None else seed,
            engine_name=engine.name,
            engine_options=engine.options(),
        )
    except DuplicatedStudyError:
        if not load_if_exists:
            raise
        return _load_matching(name, backend, optimizer, spec)
    return Study(backend, record, engine)


def _load_matching(name: str, storage: Storage, optimizer: str | Engine, spec: StudySpec) -> Study:
    """The existing study `name`, which must optimize the same `spec`."""
    study = load_study(name, storage=storage, optimizer=optimizer)
    if study.spec != spec:
        raise DuplicatedStudyError(
            f"Study '{name}' exists with a different space or objectives; pick another name "
            "or load it with load_study."
        )
    return study


def load_study(
    name: str, *, storage: str | Storage, optimizer: str | Engine | None = None
) -> Study:
    """Reopen a stored study; its engine is rebuilt from the stored options unless given."""
    backend = get_storage(storage)
    record = backend.get_study(name)
    engine = (
        engine_from_options(record.engine_name, record.engine_options)
        if optimizer is None
        else make_engine(optimizer)
    )
    engine.check(record.spec)
    return Study(backend, record, engine)
