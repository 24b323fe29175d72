"""Engine names users pass as `optimizer=`, and rebuilding engines from stored options."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from apogee._util.errors import UnsupportedError
from apogee._util.validation import reject_unknown_keys
from apogee.optimizers._cbo import CBO
from apogee.optimizers._cmaes import CMAES
from apogee.optimizers._de import DE
from apogee.optimizers._zo import ZO
from apogee.optimizers.auto import Auto
from apogee.optimizers.base import Engine
from apogee.optimizers.gp import GP
from apogee.optimizers.nsga2 import NSGA2
from apogee.optimizers.nsga3 import NSGA3
from apogee.optimizers.random import Random
from apogee.optimizers.sobol import Sobol

# One engine per line, so engines added concurrently never touch the same line.
_ENGINE_TYPES: tuple[type[Engine], ...] = (
    Auto,
    CBO,
    CMAES,
    DE,
    GP,
    NSGA2,
    NSGA3,
    Random,
    Sobol,
    ZO,
)
ENGINES: Mapping[str, type[Engine]] = {engine.name: engine for engine in _ENGINE_TYPES}


def make_engine(optimizer: str | Engine) -> Engine:
    """An engine from its name (`"random"`, `"sobol"`, `"auto"` ...) or an engine object."""
    if isinstance(optimizer, Engine):
        return optimizer
    if isinstance(optimizer, str) and optimizer in ENGINES:
        return ENGINES[optimizer]()
    raise UnsupportedError(
        f"The 'optimizer' parameter must be an engine object or one of "
        f"{', '.join(repr(name) for name in sorted(ENGINES))}. Got {optimizer!r} instead."
    )


def engine_from_options(name: str, options: Mapping[str, Any]) -> Engine:
    """Rebuild a stored engine from its name and `Engine.options()`."""
    engine_type = ENGINES.get(name)
    if engine_type is None:
        raise UnsupportedError(
            f"The stored engine {name!r} is not known to this apogee; known engines are "
            f"{sorted(ENGINES)}."
        )
    reject_unknown_keys(options, [f.name for f in dataclasses.fields(engine_type)], name)
    return engine_type(**options)
