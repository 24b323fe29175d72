"""`sobol`: a scrambled Sobol' sequence (scipy's QMC), point `k` for trial number `k`."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from apogee._util.errors import UnsupportedError
from apogee._util.rng import derive_int
from apogee.history import History, StudySpec
from apogee.optimizers.base import Engine, Proposal, Suggestion

MAX_SOBOL_DIM = 21201  # the largest dimension of scipy's direction numbers


def sobol_points(dim: int, seed: int, indices: Sequence[int]) -> np.ndarray:
    """Points `indices` of the scrambled Sobol' sequence of `dim` dimensions, `(len(indices), dim)`.

    The scrambling is fixed by `seed`, so point `k` is the same whichever worker asks for it.
    """
    from scipy.stats import qmc  # deferred: scipy.stats costs most of a second to import

    rows = np.empty((len(indices), dim))
    for row, index in enumerate(indices):
        engine = qmc.Sobol(dim, scramble=True, seed=derive_int(seed, 0x50B0))
        if index:
            engine.fast_forward(index)
        with warnings.catch_warnings():  # balance warnings are about sample sizes, not one point
            warnings.simplefilter("ignore", UserWarning)
            rows[row] = engine.random(1)[0]
    return rows


@dataclass(frozen=True)
class Sobol(Engine):
    """Quasi-random space filling: more even coverage than `random` for the same budget.

    Example:
        >>> import apogee as ap
        >>> result = ap.minimize(lambda x: float((x ** 2).sum()), bounds=[(-5, 5)] * 2,
        ...                      budget=16, optimizer="sobol", seed=0, progress=False)
        >>> result.value < 5
        True
    """

    name: ClassVar[str] = "sobol"
    handles_multi_objective: ClassVar[bool] = True
    handles_constraints: ClassVar[bool] = True

    def check(self, spec: StudySpec) -> None:
        super().check(spec)
        if spec.space.dim > MAX_SOBOL_DIM:
            raise UnsupportedError(
                f"The 'sobol' engine supports at most {MAX_SOBOL_DIM} dimensions. "
                f"Got {spec.space.dim}; use 'random'."
            )

    def suggest(self, history: History, numbers: Sequence[int], seed: int) -> Proposal:
        space = history.spec.space
        if space.dim == 0:
            return Proposal(tuple(Suggestion(space.decode([])) for _ in numbers))
        points = sobol_points(space.dim, seed, numbers)
        return Proposal(tuple(Suggestion(space.decode(point)) for point in points))
