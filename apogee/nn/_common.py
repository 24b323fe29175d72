"""Plumbing every `apogee.nn` optimizer shares: option checks, loss evaluation, state_dict extras.

Torch is imported here; `apogee.nn._estimators` (the estimator math) stays free of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import torch
from torch import Tensor

from apogee._util.rng import fresh_seed
from apogee._util.validation import check_float, check_int, invalid, reject_unknown_keys

Closure = Callable[[], "Tensor | float"]
"""A closure that re-evaluates the model and returns the loss, without calling `backward`."""

T = TypeVar("T")

ZO_STATE_KEY = "apogee_zo"
"""The state_dict key under which the ZO optimizers keep their seed and step counter."""


def evaluate(closure: Closure) -> float:
    """The loss at the current parameters, computed without building an autograd graph."""
    with torch.no_grad():
        value = closure()
    return float(value)


def flat_params(param_groups: list[dict[str, Any]]) -> list[Tensor]:
    """All parameters in a stable order (groups in order, then parameters in order)."""
    return [p for group in param_groups for p in group["params"]]


def check_group(group: Mapping[str, Any], owner: str, known: Mapping[str, Any]) -> None:
    """Reject options a parameter group may not set, before torch fills in the defaults."""
    reject_unknown_keys(set(group) - {"params"}, set(known), owner)


def check_lr(value: Any, owner: str) -> float:
    """The learning rate: a finite float in `(0, inf)`."""
    return check_float(value, "lr", owner, low=0, low_open=True)


def check_unit(value: Any, name: str, owner: str) -> float:
    """A decay factor such as a momentum or a beta: a finite float in `[0, 1)`."""
    return check_float(value, name, owner, low=0, high=1, high_open=True)


def check_nonnegative(value: Any, name: str, owner: str) -> float:
    """A weight decay or an epsilon: a finite float in `[0, inf)`."""
    return check_float(value, name, owner, low=0)


def check_betas(value: Any, owner: str) -> tuple[float, float]:
    """A pair `(β1, β2)`, each a finite float in `[0, 1)`."""
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise TypeError(invalid("betas", owner, "a pair of floats in [0, 1)", value))
    for beta in value:
        if isinstance(beta, bool) or not isinstance(beta, int | float):
            raise TypeError(invalid("betas", owner, "a pair of floats in [0, 1)", value))
        if not (math.isfinite(beta) and 0.0 <= beta < 1.0):
            raise ValueError(invalid("betas", owner, "a pair of floats in [0, 1)", value))
    return float(value[0]), float(value[1])


def check_bool(value: Any, name: str, owner: str) -> bool:
    """A flag: exactly `True` or `False`."""
    if not isinstance(value, bool):
        raise TypeError(invalid(name, owner, "a bool", value))
    return value


def check_seed(value: Any, owner: str) -> int:
    """A seed: a non-negative int, or None for a fresh one (kept in the state_dict)."""
    if value is None:
        return fresh_seed()
    return check_int(value, "seed", owner, low=0)


def require_closure(closure: T | None, owner: str, expected: str) -> T:
    """The closure: zeroth-order and forward-gradient steps cannot run without one."""
    if closure is None:
        raise TypeError(invalid("closure", f"{owner}.step", expected, None))
    return closure


def with_zo_state(state_dict: dict[str, Any], seed: int, step: int) -> dict[str, Any]:
    """A torch state_dict with the direction seed and the step counter added."""
    return {**state_dict, ZO_STATE_KEY: {"seed": seed, "step": step}}


def split_zo_state(state_dict: Mapping[str, Any], owner: str) -> tuple[dict[str, Any], int, int]:
    """The torch part of a state_dict, and the seed and step counter that `with_zo_state` added."""
    if ZO_STATE_KEY not in state_dict:
        raise ValueError(
            invalid(
                "state_dict", owner, f"a state_dict with a {ZO_STATE_KEY!r} entry", "no such entry"
            )
        )
    extra = state_dict[ZO_STATE_KEY]
    rest = {key: value for key, value in state_dict.items() if key != ZO_STATE_KEY}
    seed = check_int(extra["seed"], "seed", owner, low=0)
    step = check_int(extra["step"], "step", owner, low=0)
    return rest, seed, step


def momentum_step(state: dict[str, Any], momentum: float, direction: Tensor) -> Tensor:
    """Heavy-ball momentum as in `torch.optim.SGD`: `b ← βb + d`, and the first step sets `b = d`.

    Returns `b`, stored as `state["momentum_buffer"]`.
    """
    if "momentum_buffer" not in state:
        state["momentum_buffer"] = direction.clone()
    else:
        state["momentum_buffer"].mul_(momentum).add_(direction)
    buffer: Tensor = state["momentum_buffer"]
    return buffer
