"""Tables of the SQL storage and the versioning of their schema.

A trial is stored as one JSON record (exactly `TrialRecord.to_json`) plus the columns queries
need: its number, its state and `version`, the study's change counter when it last changed.
`read_trials` selects `version > cursor` through the `(study_id, version)` index, so reading what
changed costs what changed, not the size of the study.

The schema version lives in its own table. Opening a database applies the migrations from its
version up to `SCHEMA_VERSION` in order, and refuses a database written by a newer apogee.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    inspect,
    select,
    update,
)

from apogee._util.errors import StorageError

SCHEMA_VERSION = 1

metadata = MetaData()

schema_info = Table("apogee_schema", metadata, Column("version", Integer, nullable=False))

studies = Table(
    "apogee_studies",
    metadata,
    Column("study_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(512), nullable=False, unique=True),
    Column("spec", Text, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("engine_name", String(128), nullable=False),
    Column("engine_options", Text, nullable=False),
    Column("attrs", Text, nullable=False),
    Column("datetime_created", Float),
    Column("change_counter", Integer, nullable=False),
    Column("n_trials", Integer, nullable=False),
)

trials = Table(
    "apogee_trials",
    metadata,
    Column("trial_id", Integer, primary_key=True, autoincrement=True),
    Column(
        "study_id",
        Integer,
        ForeignKey("apogee_studies.study_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("number", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("record", Text, nullable=False),
    Column("heartbeat", Float),  # last sign of life of the trial's worker (not a trial change)
    Column("heartbeat_grace", Float),
    UniqueConstraint("study_id", "number", name="apogee_trials_study_number"),
    Index("apogee_trials_study_version", "study_id", "version"),
    Index("apogee_trials_study_state", "study_id", "state", "number"),
)

# MIGRATIONS[v] upgrades a database from schema version v to v + 1.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}


def prepare(connection: Connection) -> None:
    """Create the tables of a new database, or migrate an older one; refuse a newer one."""
    if not inspect(connection).has_table(schema_info.name):
        metadata.create_all(connection)
        connection.execute(insert(schema_info).values(version=SCHEMA_VERSION))
        return
    stored = connection.execute(select(schema_info.c.version)).scalar()
    if stored is None:
        raise StorageError(
            "The database has an empty apogee schema table; it is not an apogee database."
        )
    if stored > SCHEMA_VERSION:
        raise StorageError(
            f"This database was written by a newer apogee (schema version {stored}); this apogee reads "
            f"schema versions up to {SCHEMA_VERSION}. Upgrade apogee to open it."
        )
    for version in range(stored, SCHEMA_VERSION):
        MIGRATIONS[version](connection)
        connection.execute(update(schema_info).values(version=version + 1))
