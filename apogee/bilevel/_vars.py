"""Variables as the user gives them, and as flat lists of tensors for the numerics.

A user states outer and inner variables as one tensor, a sequence of tensors, a mapping of names
to tensors, or an `nn.Module` (taken as the mapping of its named parameters, so objectives call
`torch.func.functional_call(model, params, inputs)`). Internally every solver works on lists of
tensors; `Structure` turns one into the other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor

from apogee._util.validation import invalid
from apogee.bilevel._errors import NonFiniteError

Tensors = list[Tensor]
"""A flat list of tensors: the outer or inner variables as the solvers see them."""

_EXPECTED = "a tensor, a sequence or mapping of tensors, or an nn.Module"


@dataclass(frozen=True)
class Structure:
    """How the user's variables are laid out, to rebuild the same layout from flat tensors."""

    kind: Literal["tensor", "sequence", "mapping"]
    keys: tuple[str, ...]
    shapes: tuple[torch.Size, ...]

    @classmethod
    def of(cls, value: Any, name: str, owner: str) -> tuple[Structure, Tensors]:
        """The structure of `value` and its tensors, detached copies that require grad."""
        if isinstance(value, torch.nn.Module):
            value = {key: param for key, param in value.named_parameters() if param.requires_grad}
        if isinstance(value, Tensor):
            kind: Literal["tensor", "sequence", "mapping"] = "tensor"
            keys: tuple[str, ...] = ()
            tensors = [value]
        elif isinstance(value, Mapping):
            kind, keys, tensors = "mapping", tuple(str(k) for k in value), list(value.values())
        elif isinstance(value, Sequence) and not isinstance(value, str):
            kind, keys, tensors = "sequence", (), list(value)
        else:
            raise TypeError(invalid(name, owner, _EXPECTED, type(value).__name__))
        if not tensors or not all(isinstance(t, Tensor) for t in tensors):
            raise TypeError(invalid(name, owner, _EXPECTED + " (at least one)", value))
        for tensor in tensors:
            if not tensor.is_floating_point():
                raise TypeError(invalid(name, owner, "floating-point tensors", tensor.dtype))
            check_finite(tensor, f"the initial '{name}'")
        shapes = tuple(t.shape for t in tensors)
        return cls(kind, keys, shapes), [t.detach().clone().requires_grad_(True) for t in tensors]

    def rebuild(self, tensors: Sequence[Tensor]) -> Any:
        """The user's layout (tensor, tuple or dict) holding `tensors`."""
        if self.kind == "tensor":
            return tensors[0]
        if self.kind == "mapping":
            return dict(zip(self.keys, tensors, strict=True))
        return tuple(tensors)


def check_finite(tensor: Tensor, what: str) -> None:
    """Raise `NonFiniteError` if `tensor` has a NaN or an infinity."""
    if not bool(torch.isfinite(tensor).all()):
        raise NonFiniteError(
            f"{what} has non-finite values (NaN or inf); lower the step sizes, check the "
            "objectives at these variables, or start from finite values."
        )


def dot(left: Sequence[Tensor], right: Sequence[Tensor]) -> Tensor:
    """`Σ_i <left_i, right_i>` over lists of tensors of equal shapes."""
    pairs = list(zip(left, right, strict=True))
    total = torch.sum(pairs[0][0] * pairs[0][1])
    for a, b in pairs[1:]:
        total = total + torch.sum(a * b)
    return total


def norm(tensors: Sequence[Tensor]) -> float:
    """The Euclidean norm of all tensors together."""
    return math.sqrt(sum(float(torch.sum(t.detach() ** 2)) for t in tensors))


def detached(tensors: Sequence[Tensor]) -> Tensors:
    """Copies that carry no graph and do not require grad."""
    return [t.detach().clone() for t in tensors]


def zeros_like(tensors: Sequence[Tensor]) -> Tensors:
    """Zero tensors shaped like `tensors`."""
    return [torch.zeros_like(t, requires_grad=False) for t in tensors]
