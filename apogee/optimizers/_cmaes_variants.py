"""The `cmaes` package's optimizers behind one interface, on apogee's unit cube.

Columns of the unit cube are split by kind: continuous (a `Float` without a step), discrete
(an `Int`, or a `Float` with a step: equal-width bins whose centres `(k + 0.5) / n` form the
grid) and categorical. Columns with a single value are constant (0.5) and not searched.

* only continuous columns: `cmaes.CMA` with bounds `[0, 1]`;
* discrete columns and no categorical one: `cmaes.CMAwM` (CMA-ES with margin, Hamano et al.
  2022), the grid given as `steps`;
* any categorical column: `cmaes.CatCMAwM` (CatCMA with margin, Hamano et al. 2025), which
  takes continuous, integer and categorical variables together. The package's plain `CatCMA`
  takes no integer variables, so `CatCMAwM` covers every space that has a categorical column.

Each sample stores the vector the package needs back in `tell` (`v`, plus the category
indices `c` for CatCMAwM) as plain lists, so the distribution is rebuilt by replaying tells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from apogee.space import Space


@dataclass(frozen=True)
class Layout:
    """Which unit-cube columns are continuous, discrete (with grid size) and categorical."""

    dim: int
    continuous: tuple[int, ...]
    discrete: tuple[tuple[int, int], ...]  # (column, number of grid values)
    categorical: tuple[tuple[int, int], ...]  # (column, number of choices)

    @classmethod
    def of(cls, space: Space) -> Layout:
        continuous, discrete, categorical = [], [], []
        for index, column in enumerate(space.columns):
            if column.kind == "categorical" and column.n_choices > 1:
                categorical.append((index, column.n_choices))
            elif column.n_choices > 1:
                discrete.append((index, column.n_choices))
            elif column.n_choices == 0:
                continuous.append(index)
        return cls(space.dim, tuple(continuous), tuple(discrete), tuple(categorical))

    @property
    def n_searched(self) -> int:
        return len(self.continuous) + len(self.discrete) + len(self.categorical)

    @property
    def has_gaussian(self) -> bool:
        """Whether any column is continuous or discrete (CatCMAwM's stop tests need one)."""
        return bool(self.continuous or self.discrete)

    @property
    def variant(self) -> str:
        if self.categorical:
            return "CatCMAwM"
        return "CMAwM" if self.discrete else "CMA"

    def gaussian_mean(self, unit: np.ndarray) -> np.ndarray:
        """The `(n_continuous + n_discrete,)` Gaussian mean for a unit-cube point."""
        columns = list(self.continuous) + [column for column, _ in self.discrete]
        return np.asarray(unit[columns], dtype=float)


def create(layout: Layout, mean: np.ndarray, sigma: float, population_size: int) -> Any:
    """A fresh `cmaes` optimizer for `layout` (its RNG is reseeded before every `ask`)."""
    import cmaes  # deferred: only this engine needs it

    n_continuous = len(layout.continuous)
    if layout.variant == "CMA":
        bounds = np.tile([0.0, 1.0], (n_continuous, 1))
        return cmaes.CMA(mean, sigma, bounds=bounds, population_size=population_size, seed=0)
    grids = [(np.arange(n) + 0.5) / n for _, n in layout.discrete]
    if layout.variant == "CMAwM":
        bounds = np.array(
            [[0.0, 1.0]] * n_continuous + [[grid[0], grid[-1]] for grid in grids], dtype=float
        )
        steps = np.array([0.0] * n_continuous + [1.0 / n for _, n in layout.discrete])
        return cmaes.CMAwM(mean, sigma, bounds, steps, population_size=population_size, seed=0)
    return cmaes.CatCMAwM(
        x_space=[[0.0, 1.0]] * n_continuous or None,
        z_space=[list(grid) for grid in grids] or None,
        c_space=[n for _, n in layout.categorical],
        population_size=population_size,
        mean=mean if len(mean) else None,
        sigma=sigma if len(mean) else None,
        seed=0,
    )


def sample(optimizer: Any, layout: Layout, seed: int) -> tuple[np.ndarray, dict[str, Any]]:
    """One `(d,)` unit-cube point from `optimizer` and the facts `tell` needs back.

    The package keeps its own `RandomState`; reseeding it before each `ask` (its public
    `reseed_rng`) makes the sample a function of the trial alone.
    """
    optimizer.reseed_rng(seed)
    unit = np.full(layout.dim, 0.5)
    gaussian_columns = list(layout.continuous) + [column for column, _ in layout.discrete]
    if layout.variant == "CMA":
        x = optimizer.ask()
        unit[gaussian_columns] = x
        return unit, {"v": [float(v) for v in x]}
    if layout.variant == "CMAwM":
        x_eval, x_tell = optimizer.ask()
        unit[gaussian_columns] = x_eval
        return unit, {"v": [float(v) for v in x_tell]}
    solution = optimizer.ask()
    if solution.x is not None:
        unit[list(layout.continuous)] = solution.x
    if solution.z is not None:
        unit[[column for column, _ in layout.discrete]] = solution.z
    choices = [int(np.argmax(row)) for row in solution.c]
    for (column, n), choice in zip(layout.categorical, choices, strict=True):
        unit[column] = (choice + 0.5) / n
    raw = solution._v_raw  # the package's Gaussian sample; its tell reads it back
    vector = [] if raw is None else [float(v) for v in raw]
    return np.clip(unit, 0.0, 1.0), {"v": vector, "c": choices}


def tell(
    optimizer: Any, layout: Layout, facts: Sequence[dict[str, Any]], values: Sequence[float]
) -> None:
    """Tell `optimizer` one generation: the stored facts of each sample and its value."""
    if layout.variant != "CatCMAwM":
        optimizer.tell(
            [(np.asarray(f["v"], dtype=float), v) for f, v in zip(facts, values, strict=True)]
        )
        return
    import cmaes

    width = max(n for _, n in layout.categorical)
    solutions = []
    for fact, value in zip(facts, values, strict=True):
        onehot = np.zeros((len(layout.categorical), width), dtype=bool)
        onehot[np.arange(len(layout.categorical)), fact["c"]] = True
        raw = np.asarray(fact["v"], dtype=float) if fact["v"] else None
        solutions.append((cmaes.CatCMAwM.Solution(None, None, onehot, raw), value))
    optimizer.tell(solutions)


def default_population(layout: Layout) -> int:
    """Hansen's default `4 + floor(3 ln n)` over the searched variables."""
    return 4 + int(3 * np.log(max(layout.n_searched, 1)))
