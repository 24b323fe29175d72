"""`Lion`: evolved sign momentum (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.optim import Optimizer
from torch.optim.optimizer import ParamsT

from apogee.nn._common import check_betas, check_group, check_lr, check_nonnegative

_OWNER = "Lion"


class Lion(Optimizer):
    """Lion, the optimizer found by program search (Chen et al. 2023, Algorithm 2).

    With gradient `g_t`, momentum `m` (starting at 0), learning rate `η` and decoupled weight
    decay `λ`:

        c_t = β1 m_{t−1} + (1 − β1) g_t                  (interpolate)
        θ_t = θ_{t−1} − η (sign(c_t) + λ θ_{t−1})        (sign update)
        m_t = β2 m_{t−1} + (1 − β2) g_t                  (momentum, with the other β)

    Every coordinate moves by exactly `η` (plus the decay), so the update's norm is larger than
    Adam's: the paper advises a learning rate 3-10x smaller than AdamW's and a weight decay
    3-10x larger, keeping `ηλ` similar. It keeps one state tensor (`m`) where Adam keeps two.
    Defaults follow the paper: `betas = (0.9, 0.99)`; `lr = 1e-4` (AdamW's usual 1e-3 / 10).
    `sign(0) = 0`.

    Args:
        params: the parameters, or parameter groups (dicts that may set `lr`, `betas`,
            `weight_decay`).
        lr: `η`, the learning rate.
        betas: `(β1, β2)`, each in `[0, 1)`.
        weight_decay: `λ`, decoupled weight decay.

    Example:
        >>> import torch
        >>> from apogee.nn import Lion
        >>> weight = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        >>> optimizer = Lion([weight], lr=0.1)
        >>> weight.sum().backward()
        >>> optimizer.step()
        >>> weight.detach()
        tensor([ 0.9000, -2.1000])
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-4,
        *,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "weight_decay": weight_decay})

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group, checking the options it sets (`lr`, `betas`, `weight_decay`)."""
        check_group(param_group, _OWNER, self.defaults)
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        group["lr"] = check_lr(group["lr"], _OWNER)
        group["betas"] = check_betas(group["betas"], _OWNER)
        group["weight_decay"] = check_nonnegative(group["weight_decay"], "weight_decay", _OWNER)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One step from the parameters' `.grad`; `closure` (optional) re-evaluates the loss
        with `backward` and its value is returned."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad
                state = self.state[param]
                if "exp_avg" not in state:
                    state["exp_avg"] = torch.zeros_like(param)
                momentum = state["exp_avg"]
                interpolated = momentum.mul(beta1).add_(grad, alpha=1.0 - beta1)
                param.mul_(1.0 - group["lr"] * group["weight_decay"])
                param.add_(torch.sign(interpolated), alpha=-group["lr"])
                momentum.mul_(beta2).add_(grad, alpha=1.0 - beta2)
        return loss
