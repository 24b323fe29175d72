"""Seeded random directions, regenerated on demand and never stored (MeZO, Algorithm 1).

A step's `q` directions `z_1 … z_q` live in the space of all parameters; the slice of `z_j` that
belongs to parameter `k` is drawn from a `torch.Generator` seeded from `(seed, step, j, k)`, so
any slice can be regenerated in any order, on the parameter's own device, at the cost of one
draw. At most one slice is alive at a time while perturbing: the memory beyond the model is one
tensor the size of its largest parameter, whatever the activations.

The probe perturbs the parameters in place, `x → x + μz → x − μz → x`, and turns the losses
into slopes with `apogee.nn._estimators`; in floating point the round trip restores `x` up to
round-off (`x + μz − 2μz + μz` is not bitwise `x`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import torch
from torch import Tensor

from apogee._util.rng import derive_int
from apogee._util.validation import check_choice, check_float, check_int
from apogee.nn._common import Closure, evaluate
from apogee.nn._estimators import (
    DISTRIBUTIONS,
    combine_directions,
    direction_scale,
    direction_weights,
    one_sided_slope,
    two_sided_slope,
)

DIFFERENCES = ("two_sided", "one_sided")
_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class ProbeSettings:
    """The finite-difference options every ZO optimizer takes, checked once.

    Attributes:
        mu: `μ`, the finite-difference step, in `(0, inf)`.
        num_directions: `q`, the directions per step, at least 1.
        difference: `"two_sided"` or `"one_sided"`.
        distribution: `"gaussian"` or `"sphere"`.
    """

    mu: float
    num_directions: int
    difference: str
    distribution: str

    @classmethod
    def checked(
        cls, owner: str, mu: Any, num_directions: Any, difference: Any, distribution: Any
    ) -> ProbeSettings:
        """The settings, or the template's error naming `owner`."""
        return cls(
            check_float(mu, "mu", owner, low=0, low_open=True),
            check_int(num_directions, "num_directions", owner, low=1),
            check_choice(difference, "difference", owner, DIFFERENCES),
            check_choice(distribution, "distribution", owner, DISTRIBUTIONS),
        )

    def stream(self, params: list[Tensor], seed: int, step: int) -> DirectionStream:
        """The directions of step `step` over `params`."""
        return DirectionStream(tuple(params), seed, step, self.num_directions, self.distribution)


@dataclass(frozen=True)
class DirectionStream:
    """The `q` directions of one step over `params`, regenerated from `(seed, step)`.

    Attributes:
        params: the parameters, in the order that numbers them `k = 0, 1, …`.
        seed: the optimizer's seed.
        step: the step counter; each step draws new directions.
        num_directions: `q`.
        distribution: `"gaussian"` (`z ~ N(0, I)`) or `"sphere"` (`z / ‖z‖`, uniform on the sphere).
    """

    params: tuple[Tensor, ...]
    seed: int
    step: int
    num_directions: int
    distribution: str

    @cached_property
    def base_seed(self) -> int:
        """The step's seed, `derive_int(seed, step)`; each slice mixes in `(j, k)`."""
        return derive_int(self.seed, self.step)

    @property
    def dim(self) -> int:
        """`d`, the number of scalar parameters."""
        return sum(p.numel() for p in self.params)

    @property
    def scale(self) -> float:
        """The unbiasing factor `c` of `_estimators.direction_scale`."""
        return direction_scale(self.distribution, self.dim)

    def gaussian(self, j: int, k: int) -> Tensor:
        """The slice of the Gaussian draw `j` for parameter `k`, shape `params[k].shape`."""
        param = self.params[k]
        generator = torch.Generator(device=param.device)
        generator.manual_seed(_mix(self.base_seed, j, k))
        return torch.randn(param.shape, generator=generator, device=param.device, dtype=param.dtype)

    def norms(self) -> tuple[float, ...]:
        """`‖z_j‖` over all parameters for `"sphere"` (one regeneration pass), else ones."""
        if self.distribution != "sphere":
            return (1.0,) * self.num_directions
        return tuple(
            math.sqrt(
                sum(
                    float(self.gaussian(j, k).double().square().sum())
                    for k in range(len(self.params))
                )
            )
            for j in range(self.num_directions)
        )

    def direction(self, j: int, k: int, norms: tuple[float, ...]) -> Tensor:
        """The slice of direction `z_j` for parameter `k` (normalized for `"sphere"`)."""
        z = self.gaussian(j, k)
        return z if norms[j] == 1.0 else z.div_(norms[j])

    def slices(self, k: int, norms: tuple[float, ...]) -> Iterator[Tensor]:
        """`z_1 … z_q` restricted to parameter `k`, one at a time."""
        return (self.direction(j, k, norms) for j in range(self.num_directions))


def _mix(base: int, j: int, k: int) -> int:
    """A 63-bit seed for slice `(j, k)`: SplitMix64's finalizer over a mix of the three ints.

    Cheap (a few integer operations, where a `SeedSequence` costs ~20 µs), and distinct
    `(j, k)` give unrelated seeds, so slices are independent in practice.
    """
    x = (base * 0x9E3779B97F4A7C15 + j * 0xBF58476D1CE4E5B9 + k * 0x94D049BB133111EB + 1) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (x ^ (x >> 31)) >> 1


def perturb(stream: DirectionStream, j: int, norms: tuple[float, ...], alpha: float) -> None:
    """`x ← x + α z_j`, in place, one parameter slice at a time."""
    with torch.no_grad():
        for k, param in enumerate(stream.params):
            param.add_(stream.direction(j, k, norms), alpha=alpha)


@dataclass(frozen=True)
class Probe:
    """What the finite differences of one step found.

    Attributes:
        weights: `w_j = c·s_j/q`, so that the estimate is `ĝ = Σ_j w_j z_j` (`_estimators`).
        loss: `f(x)` for one-sided differences, else the mean of `(f(x+μz_j) + f(x−μz_j))/2`,
            which equals `f(x)` up to `O(μ²)`.
        norms: the direction norms the weights refer to.
    """

    weights: list[float]
    loss: float
    norms: tuple[float, ...]


def probe(stream: DirectionStream, closure: Closure, settings: ProbeSettings) -> Probe:
    """Evaluate `f(x ± μz_j)` in place for `j = 1 … q` and return the estimate's weights."""
    mu, difference = settings.mu, settings.difference
    norms = stream.norms()
    base = evaluate(closure) if difference == "one_sided" else math.nan
    slopes: list[float] = []
    midpoints: list[float] = []
    for j in range(stream.num_directions):
        perturb(stream, j, norms, mu)
        f_plus = evaluate(closure)
        if difference == "one_sided":
            perturb(stream, j, norms, -mu)
            slopes.append(one_sided_slope(f_plus, base, mu))
            continue
        perturb(stream, j, norms, -2.0 * mu)
        f_minus = evaluate(closure)
        perturb(stream, j, norms, mu)
        slopes.append(two_sided_slope(f_plus, f_minus, mu))
        midpoints.append(0.5 * (f_plus + f_minus))
    loss = base if difference == "one_sided" else sum(midpoints) / len(midpoints)
    return Probe(direction_weights(slopes, stream.scale), loss, norms)


def estimate(stream: DirectionStream, found: Probe, k: int) -> Tensor:
    """`ĝ` restricted to parameter `k`: `Σ_j w_j z_j`, a new tensor of `params[k].shape`."""
    return combine_directions(found.weights, stream.slices(k, found.norms), consume=True)


def descend(stream: DirectionStream, found: Probe, k: int, lr: float) -> None:
    """`x_k ← x_k − η ĝ_k` in place, with no gradient-sized buffer (MeZO's update)."""
    weights = [-lr * weight for weight in found.weights]
    combine_directions(weights, stream.slices(k, found.norms), out=stream.params[k], consume=True)
