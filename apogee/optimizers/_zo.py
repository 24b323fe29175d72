"""`zo`: zeroth-order gradient descent on the unit cube, as an ask/tell engine.

Step `k` probes the iterate `x_k` and, from the values alone, estimates the gradient with the
estimators of `apogee.nn._estimators` (the one definition shared with the torch optimizers):

* `"gaussian"` / `"sphere"`: `q` random directions `z_j` (Gaussian, or uniform on the unit
  sphere), each probed antithetically at `x_k ± μ z_j` (slots `2j` and `2j + 1`), combined by
  (RGE) with the two-sided slope: unbiased for `∇f_μ`, the gradient of the smoothed function;
* `"coordinate"`: DeepZero's CGE, `x_k` (slot 0) and `x_k + μ e_i` (slot `i + 1`), `d + 1`
  evaluations, biased by `(μ/2) ∂²_ii f` and deterministic.

The update is SGD (`x ← x − η ĝ`), sign (`x ← x − η sign(ĝ)`, elementwise, as
`apogee.nn.ZOSGD(sign=True)`) or Adam (Kingma & Ba 2015; ZO-Adam of ZO-Bench). Directions are
regenerated from `(seed, step, j)` and values read from the trials, so the iterate and the Adam
moments are rebuilt by replaying the steps. Probes that fall outside the cube are evaluated at
the nearest point of the cube, and the iterate is kept in the cube.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from apogee._util.rng import generator
from apogee._util.validation import check_choice, check_float, check_int
from apogee.history import History, TrialRecord, TrialState
from apogee.nn import _estimators as estimators
from apogee.optimizers._slots import (
    Replayed,
    assign_slots,
    best_untagged_point,
    replay,
    slot_values,
)
from apogee.optimizers.base import Engine, Proposal, Suggestion

PREFIX = "zo"
ESTIMATORS = ("gaussian", "sphere", "coordinate")
UPDATES = ("sgd", "sign", "adam")


@dataclass
class _Iterate:
    """The iterate `x_k` `(d,)` and Adam's moments `(d,)` after `step` updates."""

    x: np.ndarray
    first: np.ndarray
    second: np.ndarray
    step: int = 0


def directions(estimator: str, dim: int, count: int, seed: int, step: int) -> np.ndarray:
    """The `(count, d)` directions of `step`: Gaussian, unit-sphere, or the basis vectors."""
    if estimator == "coordinate":
        return np.eye(dim)
    z = generator(seed, 0x20, step).standard_normal((count, dim))
    if estimator == "sphere":
        z /= np.linalg.norm(z, axis=1, keepdims=True)
    return z


def estimate(
    estimator: str, values: Sequence[float | None], z: np.ndarray, mu: float
) -> np.ndarray:
    """The gradient estimate `(d,)` from the probe values of one step (None where missing).

    Random directions use the pairs whose two probes are both known; the coordinate estimate
    sets `ĝ_i = 0` where `f(x + μ e_i)` or `f(x)` is missing.
    """
    dim = z.shape[1]
    if estimator == "coordinate":
        base, plus = values[0], values[1:]
        known = [i for i, value in enumerate(plus) if value is not None]
        gradient = np.zeros(dim)
        if base is not None and known:
            f_plus = np.array([plus[i] for i in known], dtype=float)
            gradient[known] = estimators.coordinate_forward_difference(f_plus, base, mu)
        return gradient
    pairs = [
        j for j in range(len(z)) if values[2 * j] is not None and values[2 * j + 1] is not None
    ]
    if not pairs:
        return np.zeros(dim)
    slopes = [
        estimators.two_sided_slope(float(values[2 * j]), float(values[2 * j + 1]), mu)  # type: ignore[arg-type]
        for j in pairs
    ]
    scale = estimators.direction_scale(estimator, dim)
    combined: np.ndarray = estimators.average_estimate(slopes, (z[j] for j in pairs), scale)
    return combined


@dataclass(frozen=True)
class ZO(Engine):
    """Zeroth-order gradient descent (RGE or CGE estimates; SGD, sign or Adam updates).

    For cheap, smooth, continuous objectives; discrete and categorical columns are searched as
    their unit-cube columns and rounded, so their finite differences are mostly zero.

    Args:
        estimator: `"gaussian"` (default), `"sphere"` or `"coordinate"` (CGE).
        update: `"adam"` (default: insensitive to the objective's scale), `"sgd"` or `"sign"`.
        directions: `q`, random directions per step (`2q` evaluations); unused by CGE.
        mu: finite-difference step on the unit cube.
        learning_rate: `η`, on the unit cube.
        beta1, beta2, epsilon: Adam's constants.

    Example:
        >>> import apogee as ap
        >>> result = ap.minimize(lambda x: float(((x - 0.3) ** 2).sum()), bounds=[(-1, 1)] * 3,
        ...                      budget=400, optimizer=ap.optimizers.ZO(), seed=0, progress=False)
        >>> result.value < 1e-2
        True
    """

    estimator: str = "gaussian"
    update: str = "adam"
    directions: int = 4
    mu: float = 1e-3
    learning_rate: float = 0.02
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8

    name: ClassVar[str] = "zo"

    def __post_init__(self) -> None:
        check_choice(self.estimator, "estimator", "ZO", ESTIMATORS)
        check_choice(self.update, "update", "ZO", UPDATES)
        check_int(self.directions, "directions", "ZO", low=1)
        check_float(self.mu, "mu", "ZO", low=0.0, low_open=True, high=0.5)
        check_float(self.learning_rate, "learning_rate", "ZO", low=0.0, low_open=True)
        check_float(self.beta1, "beta1", "ZO", low=0.0, high=1.0, high_open=True)
        check_float(self.beta2, "beta2", "ZO", low=0.0, high=1.0, high_open=True)
        check_float(self.epsilon, "epsilon", "ZO", low=0.0, low_open=True)

    def probes(self, dim: int) -> int:
        """Evaluations per step: `2q` antithetic probes, or `d + 1` for CGE."""
        return dim + 1 if self.estimator == "coordinate" else 2 * self.directions

    def suggest(self, history: History, numbers: Sequence[int], seed: int) -> Proposal:
        space = history.spec.space
        replayed = self.rebuild(history, seed)
        iterate = replayed.state
        z = directions(self.estimator, space.dim, self.directions, seed, replayed.generation)
        slots = assign_slots(replayed.trials, self.probes(space.dim), PREFIX, len(numbers))
        suggestions = []
        for slot in slots:
            point = np.clip(iterate.x + self._offset(slot, z), 0.0, 1.0)
            attrs = {f"{PREFIX}:generation": replayed.generation, f"{PREFIX}:slot": slot}
            suggestions.append(Suggestion(space.decode(point), attrs))
        return Proposal(tuple(suggestions))

    def _offset(self, slot: int, z: np.ndarray) -> np.ndarray:
        if self.estimator == "coordinate":
            return np.zeros(z.shape[1]) if slot == 0 else self.mu * z[slot - 1]
        sign = 1.0 if slot % 2 == 0 else -1.0
        offset: np.ndarray = sign * self.mu * z[slot // 2]
        return offset

    def rebuild(self, history: History, seed: int) -> Replayed[_Iterate]:
        """The replayed iterate (`.state`), the open step and its trials."""
        dim = history.spec.space.dim
        start = best_untagged_point(history, PREFIX)
        key = (
            json.dumps(self.options(), sort_keys=True),
            seed,
            repr(history.spec.to_json()),
            None if start is None else tuple(start),
        )

        def initial() -> _Iterate:
            x = np.full(dim, 0.5) if start is None else start
            return _Iterate(x, np.zeros(dim), np.zeros(dim))

        def advance(state: _Iterate, step: int, chosen: list[TrialRecord]) -> _Iterate:
            known = slot_values(history, chosen, np.nan)
            values = [
                None if t.state is not TrialState.COMPLETE else v
                for t, v in zip(chosen, known, strict=True)
            ]
            z = directions(self.estimator, dim, self.directions, seed, step)
            return self._update(state, estimate(self.estimator, values, z, self.mu))

        return replay(history, PREFIX, key, initial, lambda _: self.probes(dim), advance)

    def _update(self, state: _Iterate, gradient: np.ndarray) -> _Iterate:
        step = state.step + 1
        first, second = state.first, state.second
        if self.update == "sgd":
            move = gradient
        elif self.update == "sign":
            move = np.sign(gradient)
        else:
            first = self.beta1 * first + (1 - self.beta1) * gradient
            second = self.beta2 * second + (1 - self.beta2) * gradient**2
            corrected = first / (1 - self.beta1**step)
            move = corrected / (np.sqrt(second / (1 - self.beta2**step)) + self.epsilon)
        x = np.clip(state.x - self.learning_rate * move, 0.0, 1.0)
        return _Iterate(x, first, second, step)
