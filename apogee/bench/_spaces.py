"""Mapping a problem's `Space` to what peers understand.

Vector peers (BoTorch, pycma, pymoo, scipy) search the unit cube `[0, 1]^d` that apogee's
engines see: `Space.decode` maps a point to parameters (log scales, integer and categorical bins,
inactive conditional parameters left out). Optuna and Nevergrad get their own parameter types.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

import apogee as ap


def ordered_names(space: ap.Space) -> list[str]:
    """Parameter names with every condition's parent before the parameters it conditions."""
    placed: list[str] = []
    pending = list(space.names)
    while pending:
        ready = [
            name
            for name in pending
            if space[name].condition is None or space[name].condition.parent in placed  # type: ignore[union-attr]
        ]
        if not ready:
            raise ValueError(f"The conditions of {pending} form a cycle.")
        placed.extend(ready)
        pending = [name for name in pending if name not in ready]
    return placed


def model_point(space: ap.Space, unit: np.ndarray) -> np.ndarray:
    """The `(d,)` point a vector peer should remember for `unit`: its decoded value's bin centre.

    Inactive (NaN-encoded) columns keep the raw coordinate, so models never see NaN.
    """
    encoded = space.encode(space.decode(unit))
    return np.where(np.isnan(encoded), unit, encoded)


def suggest_optuna(trial: Any, space: ap.Space) -> dict[str, Any]:
    """Ask an Optuna trial for every active parameter of `space` (define-by-run conditions)."""
    params: dict[str, Any] = {}
    for name in ordered_names(space):
        if not space.is_active(name, params):
            continue
        param = space[name]
        if isinstance(param, ap.Fixed):
            params[name] = param.value
        elif isinstance(param, ap.Categorical):
            params[name] = trial.suggest_categorical(name, list(param.choices))
        elif isinstance(param, ap.Int):
            params[name] = trial.suggest_int(
                name, param.low, param.high, step=param.step, log=param.log
            )
        else:
            params[name] = trial.suggest_float(
                name, param.low, param.high, step=param.step, log=param.log
            )
    return {name: params[name] for name in space.names if name in params}


def nevergrad_parametrization(space: ap.Space, seed: int) -> Any:
    """A seeded `ng.p.Dict` with one Nevergrad parameter per searched parameter of `space`."""
    import nevergrad as ng

    entries: dict[str, Any] = {}
    for name in space.names:
        param = space[name]
        if isinstance(param, ap.Categorical):
            entries[name] = ng.p.Choice(list(param.choices))
        elif isinstance(param, ap.Float | ap.Int):
            step = float(param.step or 0.0)
            low, high = param.low - 0.5 * step, param.high + 0.5 * step  # equal bins per value
            scalar = ng.p.Log if param.log else ng.p.Scalar
            entries[name] = scalar(lower=low, upper=high)
    parametrization = ng.p.Dict(**entries)
    parametrization.random_state = np.random.RandomState(seed)
    return parametrization


def from_nevergrad(space: ap.Space, value: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters of `space` from a Nevergrad candidate's value (snapped, inactive left out)."""
    params: dict[str, Any] = {}
    for name in ordered_names(space):
        param = space[name]
        if not space.is_active(name, params):
            continue
        if isinstance(param, ap.Fixed):
            params[name] = param.value
        elif isinstance(param, ap.Categorical):
            params[name] = value[name]
        else:
            params[name] = param.from_unit(param.to_unit(_clip(param, float(value[name]))))
    return {name: params[name] for name in space.names if name in params}


def _clip(param: ap.Float | ap.Int, value: float) -> float:
    """`value` inside `[low, high]` (Nevergrad's bins reach half a step beyond them)."""
    return min(max(value, float(param.low)), float(param.high))
