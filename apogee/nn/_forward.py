"""`ForwardGradient`: SGD on forward-mode directional derivatives, with no backward pass."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer
from torch.optim.optimizer import ParamsT

from apogee._util.validation import check_choice, check_int
from apogee.nn._common import (
    check_group,
    check_lr,
    check_nonnegative,
    check_seed,
    check_unit,
    flat_params,
    momentum_step,
    require_closure,
    split_zo_state,
    with_zo_state,
)
from apogee.nn._directions import DirectionStream, Probe, estimate
from apogee.nn._estimators import DISTRIBUTIONS, direction_weights

_OWNER = "ForwardGradient"

FunctionalClosure = Callable[[tuple[Tensor, ...]], Tensor]
"""A closure that computes the loss *from* the parameter tensors it is given, in the
optimizer's order (for a module, through `torch.func.functional_call`)."""


class ForwardGradient(Optimizer):
    """The forward gradient `ĝ = (1/q) Σ_j c·(∇fᵀv_j)·v_j` (Baydin et al. 2022), then SGD.

    Each directional derivative `∇fᵀv_j` is computed exactly by forward-mode differentiation
    (`torch.func.jvp`): one forward pass that carries a tangent, no stored activations, no finite
    difference. So `E ĝ = ∇f` exactly for every `f` (unbiased, unlike the finite differences of
    `ZOSGD`, whose mean is the smoothed gradient `∇f_μ`), with the same second moment
    `E‖ĝ‖² = ‖∇f‖²(1 + (d+1)/q)` for Gaussian `v`. ZO-Bench (Zhang et al. 2024) lists it beside
    the ZO methods as a memory-light alternative to backpropagation. The update is `ZOSGD`'s:
    `d = ĝ + λx`, `b ← βb + d` with momentum, `x ← x − η d`.

    Unlike the ZO optimizers, `step` needs a *functional* closure: `closure(params)` computes
    the loss from the tuple of tensors it receives (in the optimizer's parameter order), so that
    `torch.func.jvp` can push tangents through it. The tangents `v_j` for all parameters are
    alive during each forward pass (one copy of the parameters).

    Args:
        params: the parameters, or parameter groups (dicts that may set `lr`, `momentum`,
            `weight_decay`).
        lr: `η`, the learning rate.
        num_directions: `q`, the tangents averaged per step (`q` forward passes).
        distribution: `"gaussian"` (scale 1) or `"sphere"` (scale `d`).
        momentum: `β` in `[0, 1)`.
        weight_decay: `λ`, an L2 penalty added to the estimate.
        seed: the seed of the tangents; `None` draws one (kept in the state_dict).

    Example:
        >>> import torch
        >>> from torch.func import functional_call
        >>> _ = torch.manual_seed(0)
        >>> from apogee.nn import ForwardGradient
        >>> model = torch.nn.Linear(4, 1)
        >>> names = [name for name, _ in model.named_parameters()]
        >>> x, y = torch.randn(32, 4), torch.randn(32, 1)
        >>> optimizer = ForwardGradient(model.parameters(), lr=1e-2, seed=0)
        >>> def closure(params):
        ...     prediction = functional_call(model, dict(zip(names, params)), (x,))
        ...     return torch.nn.functional.mse_loss(prediction, y)
        >>> losses = [optimizer.step(closure) for _ in range(200)]
        >>> losses[-1] < losses[0]
        True
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        *,
        num_directions: int = 1,
        distribution: str = "gaussian",
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        seed: int | None = None,
    ) -> None:
        self.num_directions = check_int(num_directions, "num_directions", _OWNER, low=1)
        self.distribution: str = check_choice(distribution, "distribution", _OWNER, DISTRIBUTIONS)
        self.seed = check_seed(seed, _OWNER)
        self.steps = 0
        defaults = {"lr": lr, "momentum": momentum, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group, checking the options it sets (`lr`, `momentum`, `weight_decay`)."""
        check_group(param_group, _OWNER, self.defaults)
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        group["lr"] = check_lr(group["lr"], _OWNER)
        group["momentum"] = check_unit(group["momentum"], "momentum", _OWNER)
        group["weight_decay"] = check_nonnegative(group["weight_decay"], "weight_decay", _OWNER)

    def state_dict(self) -> dict[str, Any]:
        """The torch state_dict plus the tangent seed and the step counter."""
        return with_zo_state(super().state_dict(), self.seed, self.steps)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load what `state_dict` returned, the seed and step counter included."""
        rest, self.seed, self.steps = split_zo_state(state_dict, _OWNER)
        super().load_state_dict(rest)

    @torch.no_grad()
    def step(self, closure: FunctionalClosure | None = None) -> float:  # type: ignore[override]
        """One step; `closure(params)` returns the loss computed from `params`.

        Returns:
            The loss at the start of the step.
        """
        closure = require_closure(closure, _OWNER, "a callable of the parameters")
        params = flat_params(self.param_groups)
        stream = DirectionStream(
            tuple(params), self.seed, self.steps, self.num_directions, self.distribution
        )
        found = _directional_derivatives(stream, closure, params)
        k = 0
        for group in self.param_groups:
            for param in group["params"]:
                direction = estimate(stream, found, k)
                k += 1
                if group["weight_decay"] != 0.0:
                    direction.add_(param, alpha=group["weight_decay"])
                if group["momentum"] != 0.0:
                    direction = momentum_step(self.state[param], group["momentum"], direction)
                param.add_(direction, alpha=-group["lr"])
        self.steps += 1
        return found.loss


def _directional_derivatives(
    stream: DirectionStream, closure: FunctionalClosure, params: Sequence[Tensor]
) -> Probe:
    """`∇fᵀv_j` for each tangent by `torch.func.jvp`, as the weights of the estimate."""
    primals = tuple(param.detach() for param in params)
    norms = stream.norms()
    slopes: list[float] = []
    loss = 0.0
    for j in range(stream.num_directions):
        tangents = tuple(stream.direction(j, k, norms) for k in range(len(primals)))
        outputs = torch.func.jvp(lambda *tensors: closure(tensors), primals, tangents)
        slopes.append(float(outputs[1]))  # ∇fᵀv_j, exact
        loss = float(outputs[0])
    return Probe(direction_weights(slopes, stream.scale), loss, norms)
