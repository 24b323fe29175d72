"""How the kernel reads the unit-cube columns: numeric, categorical, and conditional ones.

Every column is embedded into a few Euclidean features, so one stationary kernel on the
Euclidean distance of the embeddings is positive definite whatever the mix of columns:

- a numeric column `u` (float, int, stepped float) is the feature `u`;
- a categorical column with `k` choices is the one-hot vector of its index divided by `sqrt(2)`,
  so two different choices are at distance 1 (Hamming distance, as in Optuna's GPSampler);
- a conditional numeric column is the point `(sin u, cos u)` of the unit circle when active and
  the circle's centre `(0, 0)` when inactive (the encoding gives NaN): two active values are at
  chord distance `2 sin(|u - u'| / 2) ≈ |u - u'|`, an active and an inactive one at distance 1,
  two inactive ones at distance 0 (the arc kernel of Swersky et al. 2014, "Raiders of the lost
  architecture", with its angle fixed to one radian);
- a conditional categorical column has one more one-hot slot, "inactive".

With `flatten=True` (the ablation of the benchmark) no column is conditional and an inactive
column is read as the value 0.5, the same value `Space.decode` gives it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import torch

from apogee.space import Space

_INV_SQRT2 = 1.0 / math.sqrt(2.0)


@dataclass(frozen=True)
class InputSpec:
    """What each unit-cube column is, as the kernel needs it.

    Attributes:
        n_categories: per column, 0 for a numeric column, else its number of choices.
        conditional: per column, whether it can be inactive (NaN in the encoding).

    Example:
        >>> import apogee as ap
        >>> space = ap.Space({"x": ap.Float(0, 1), "c": ap.Categorical(["a", "b", "c"])})
        >>> spec = InputSpec.from_space(space)
        >>> spec.n_categories, spec.n_features
        ((0, 3), 4)
    """

    n_categories: tuple[int, ...]
    conditional: tuple[bool, ...]

    def __post_init__(self) -> None:
        if len(self.n_categories) != len(self.conditional):
            raise ValueError(
                "`len(n_categories) == len(conditional)` must hold, but got "
                f"({len(self.n_categories)}, {len(self.conditional)})."
            )

    @classmethod
    def from_space(cls, space: Space, *, flatten: bool = False) -> InputSpec:
        """Read the columns of `space`; `flatten=True` ignores the conditions."""
        return cls(
            tuple(c.n_choices if c.kind == "categorical" else 0 for c in space.columns),
            tuple(c.conditional and not flatten for c in space.columns),
        )

    @classmethod
    def continuous(cls, dim: int) -> InputSpec:
        """`dim` numeric, unconditional columns."""
        return cls((0,) * dim, (False,) * dim)

    @property
    def dim(self) -> int:
        return len(self.n_categories)

    @property
    def n_features(self) -> int:
        """Width of the embedding."""
        return len(self._layout()[3])

    @cached_property
    def _groups(self) -> tuple[list[int], list[int], list[int]]:
        """Plain numeric, conditional numeric and categorical columns, in column order."""
        plain = [j for j in range(self.dim) if not self.n_categories[j] and not self.conditional[j]]
        circle = [j for j in range(self.dim) if not self.n_categories[j] and self.conditional[j]]
        categorical = [j for j in range(self.dim) if self.n_categories[j]]
        return plain, circle, categorical

    def _layout(self) -> tuple[list[int], list[int], list[int], list[int]]:
        plain, circle, categorical = self._groups
        owners = plain + circle + circle
        for j in categorical:
            owners += [j] * (self.n_categories[j] + (1 if self.conditional[j] else 0))
        return plain, circle, categorical, owners

    def owners(self) -> torch.Tensor:
        """`p` long tensor: the column (lengthscale) each feature belongs to."""
        return torch.tensor(self._layout()[3], dtype=torch.long)

    def embed(self, X: torch.Tensor) -> torch.Tensor:
        """Features of unit-cube points (columns grouped by kind, so cost hardly grows with d).

        Args:
            X: `... x d` points; NaN marks an inactive column.

        Returns:
            `... x p` features, differentiable in the numeric columns.
        """
        plain, circle, categorical = self._groups
        inactive = torch.isnan(X)
        safe = torch.where(inactive, torch.full_like(X, 0.5), X)
        parts: list[torch.Tensor] = []
        if plain:
            parts.append(safe[..., plain])
        if circle:
            angle = safe[..., circle]
            active = (~inactive[..., circle]).to(X.dtype)
            parts += [torch.sin(angle) * active, torch.cos(angle) * active]
        for j in categorical:
            k, conditional = self.n_categories[j], self.conditional[j]
            parts.append(self._one_hot(safe[..., j], inactive[..., j], k, conditional))
        return torch.cat(parts, dim=-1) if parts else X[..., :0]

    @staticmethod
    def _one_hot(
        safe: torch.Tensor, inactive: torch.Tensor, k: int, conditional: bool
    ) -> torch.Tensor:
        index = torch.clamp(torch.floor(safe.detach() * k), 0, k - 1).long()
        if conditional:
            index = torch.where(inactive, torch.full_like(index, k), index)
        width = k + 1 if conditional else k
        return torch.nn.functional.one_hot(index, width).to(safe.dtype) * _INV_SQRT2
