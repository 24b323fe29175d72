"""What the GP engine reads from the history: training data, subsets, and the last fit.

Every choice here is a function of the history alone (no randomness, no cache), so the same
history gives the same model in any process.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from apogee.history import History
from apogee.models import Hyperparameters

HYPERPARAMETERS = "gp:hyperparameters"  # trial attribute: the fit behind that suggestion
CONSTRAINT_HYPERPARAMETERS = "gp:constraint_hyperparameters"  # a list: one fit per constraint
OBJECTIVE_HYPERPARAMETERS = "gp:objective_hyperparameters"  # a list: one per objective ("ehvi")


def training_data(history: History) -> tuple[np.ndarray, np.ndarray]:
    """`n x d` canonical points and `n` minimized outcomes of the complete trials (one objective)."""
    return history.encoded_params(), history.objective_matrix()[:, 0]


def subset(y: np.ndarray, size: int) -> np.ndarray:
    """Indices of at most `size` trials: the best half, then evenly spaced others in trial order.

    The best points shape the model where the optimum is; the spread keeps it honest elsewhere.
    """
    n = len(y)
    if n <= size:
        return np.arange(n)
    best = np.argsort(y, kind="stable")[: size // 2]
    rest = np.setdiff1d(np.arange(n), best)
    spread = rest[np.linspace(0, len(rest) - 1, size - len(best)).round().astype(int)]
    return np.sort(np.concatenate((best, spread)))


def last_fit(history: History, dim: int) -> Hyperparameters | None:
    """The hyperparameters stored with the newest suggestion that has them, if readable."""
    for trial in reversed(history.trials):
        stored = trial.system_attrs.get(HYPERPARAMETERS)
        if stored is not None:
            return _parse(stored, dim)
    return None


def last_fits(history: History, dim: int, key: str, count: int) -> list[Hyperparameters | None]:
    """The `count` fits stored under `key` with the newest suggestion that has them."""
    for trial in reversed(history.trials):
        stored = trial.system_attrs.get(key)
        if isinstance(stored, list) and len(stored) == count:
            return [_parse(item, dim) for item in stored]
    return [None] * count


def to_attrs(hyper: Hyperparameters) -> dict[str, object]:
    """JSON form of a fit (floats round-trip exactly through JSON)."""
    return {
        "lengthscales": list(hyper.lengthscales),
        "outputscale": hyper.outputscale,
        "noise": hyper.noise,
        "mean": hyper.mean,
    }


def _parse(stored: object, dim: int) -> Hyperparameters | None:
    if not isinstance(stored, Mapping):
        return None
    try:
        lengthscales = tuple(float(v) for v in stored["lengthscales"])
        scalars = [float(stored[key]) for key in ("outputscale", "noise", "mean")]
    except (KeyError, TypeError, ValueError):
        return None
    values = [*lengthscales, *scalars]
    if len(lengthscales) != dim or not all(math.isfinite(v) for v in values):
        return None
    if min(lengthscales) <= 0 or scalars[0] <= 0 or scalars[1] <= 0:
        return None
    return Hyperparameters(lengthscales, scalars[0], scalars[1], scalars[2])
