"""The search domain as the inner optimizer sees it: which columns move how, and which are active.

Points move in a *latent* unit cube where every column has a value; `canonical` snaps discrete
columns onto their valid values and writes NaN into the columns that the parents' values make
inactive, which is the form `Space.encode` gives and the model reads. Keeping latent values for
inactive columns lets a child parameter resume its old value when its parent turns it on.

Discrete columns with at most `MAX_ENUMERATED` values are moved by best response (every value
tried, GameOpt-style); larger integer grids are relaxed to continuous for L-BFGS-B, then snapped
to the nearest valid value, whose neighbours best response tries next. Either way the optimizer
only ever scores points that decode to exactly themselves, so rounding cannot merge two
suggestions into one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from apogee.space import Categorical, Fixed, Float, Int, Space

MAX_ENUMERATED = 32

# A requirement: the column `parent` must sit on one of the unit values `allowed`.
Requirement = tuple[int, np.ndarray]


@dataclass(frozen=True)
class Domain:
    """Columns of the unit cube grouped by how the optimizer moves them.

    Attributes:
        dim: number of columns.
        continuous: columns that L-BFGS-B moves (continuous, and relaxed large grids).
        relaxed: large-grid columns among `continuous`, snapped after each continuous phase.
        discrete: columns moved by best response over `grids[j]`.
        grids: per column, the sorted unit values of its valid values (empty unless discrete).
        params: per column, its parameter (to snap relaxed columns).
        requirements: per column, the parent values it needs to be active (None: never active).

    Example:
        >>> import apogee as ap
        >>> space = ap.Space({"x": ap.Float(0, 1), "n": ap.Int(1, 3), "m": ap.Int(0, 1000)})
        >>> domain = Domain.from_space(space)
        >>> domain.continuous, domain.relaxed, domain.discrete
        ((0, 2), (2,), (1,))
        >>> domain.canonical(np.array([[0.3, 0.1, 0.5004]]))[0, 1:].round(4).tolist()
        [0.1667, 0.5]
    """

    dim: int
    continuous: tuple[int, ...]
    relaxed: tuple[int, ...]
    discrete: tuple[int, ...]
    grids: tuple[np.ndarray, ...]
    params: tuple[Float | Int | Categorical | None, ...]
    requirements: tuple[tuple[Requirement, ...] | None, ...]

    @classmethod
    def from_space(cls, space: Space) -> Domain:
        """Group the columns of `space` and resolve its conditions into column requirements."""
        params = tuple(_searched(space[c.name]) for c in space.columns)
        continuous, relaxed, discrete, grids = [], [], [], []
        for j, column in enumerate(space.columns):
            if column.n_choices == 0 or (
                column.kind != "categorical" and column.n_choices > MAX_ENUMERATED
            ):
                continuous.append(j)
                relaxed += [j] if column.n_choices else []
                grids.append(np.empty(0))
            else:
                discrete.append(j)
                grids.append(_grid(params[j], column.n_choices))
        requirements = tuple(_requirements(space, c.name) for c in space.columns)
        return cls(
            space.dim, tuple(continuous), tuple(relaxed), tuple(discrete), tuple(grids),
            params, requirements,
        )  # fmt: skip

    @classmethod
    def box(cls, dim: int) -> Domain:
        """The continuous unit cube `[0, 1]^dim`."""
        return cls(dim, tuple(range(dim)), (), (), (np.empty(0),) * dim, (None,) * dim, ((),) * dim)

    def snap(self, X: np.ndarray) -> np.ndarray:
        """Latent `b x d` points with discrete columns on valid values, all inside `[0, 1]`."""
        out: np.ndarray = np.clip(X, 0.0, 1.0)
        for j in self.discrete:
            grid = self.grids[j]
            index = np.clip(np.searchsorted(grid, out[:, j]), 1, len(grid) - 1)
            left, right = grid[index - 1], grid[index]
            out[:, j] = np.where(out[:, j] - left <= right - out[:, j], left, right)
        for j in self.relaxed:
            param = self.params[j]
            assert isinstance(param, Int | Float)
            out[:, j] = [param.to_unit(param.from_unit(float(u))) for u in out[:, j]]
        return out

    def active(self, X: np.ndarray) -> np.ndarray:
        """`b x d` booleans: which columns of snapped latent points are active."""
        mask = np.ones(X.shape, dtype=bool)
        for j, requirements in enumerate(self.requirements):
            if requirements is None:
                mask[:, j] = False
                continue
            for parent, allowed in requirements:
                on = np.isclose(X[:, parent, None], allowed[None, :], rtol=0, atol=1e-12)
                mask[:, j] &= on.any(axis=1)
        return mask

    def canonical(self, X: np.ndarray) -> np.ndarray:
        """Snapped points with NaN in inactive columns: what `Space.encode` would give."""
        snapped = self.snap(X)
        return np.where(self.active(snapped), snapped, np.nan)

    def neighbours(self, j: int, u: float, reach: int = 1) -> list[float]:
        """Unit values of the valid values within `reach` steps of `u` in relaxed column `j`."""
        param = self.params[j]
        assert isinstance(param, Int | Float)
        step = float(param.step or 0.0) if isinstance(param, Float) else float(param.step)
        value = param.from_unit(u)
        values = [value + k * step for k in range(-reach, reach + 1) if k]
        return [param.to_unit(v) for v in values if param.low <= v <= param.high]


def _searched(param: object) -> Float | Int | Categorical:
    assert isinstance(param, Float | Int | Categorical)
    return param


def _grid(param: Float | Int | Categorical | None, n_choices: int) -> np.ndarray:
    if isinstance(param, Categorical):
        return (np.arange(n_choices) + 0.5) / n_choices
    assert isinstance(param, Int | Float)
    step = float(param.step or 0.0)
    return np.array(sorted(param.to_unit(param.low + i * step) for i in range(n_choices)))


def _requirements(space: Space, name: str) -> tuple[Requirement, ...] | None:
    """Walk the chain of conditions above `name`; fixed parents are checked once, here."""
    index = {column.name: j for j, column in enumerate(space.columns)}
    found: list[Requirement] = []
    condition = space[name].condition
    while condition is not None:
        parent = space[condition.parent]
        if isinstance(parent, Fixed):
            if not any(_same(parent.value, v) for v in condition.values):
                return None
        else:
            assert isinstance(parent, Int | Categorical)
            found.append(
                (index[condition.parent], np.array([parent.to_unit(v) for v in condition.values]))
            )
        condition = parent.condition
    return tuple(found)


def _same(left: object, right: object) -> bool:
    return type(left) is type(right) and left == right
