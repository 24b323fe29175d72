"""`ZOAdam`: Adam on the zeroth-order gradient estimate (ZO-Bench's ZO-Adam)."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.optim import Optimizer
from torch.optim.optimizer import ParamsT

from apogee.nn._common import (
    Closure,
    check_betas,
    check_group,
    check_lr,
    check_nonnegative,
    check_seed,
    flat_params,
    require_closure,
    split_zo_state,
    with_zo_state,
)
from apogee.nn._directions import ProbeSettings, estimate, probe

_OWNER = "ZOAdam"


class ZOAdam(Optimizer):
    """Adam driven by the randomized zeroth-order estimate `ĝ` instead of a backprop gradient.

    The estimate is `ZOSGD`'s (in-place seeded perturbations, `ĝ = (1/q) Σ_j c·s_j·z_j`; see
    `apogee.nn._estimators` for its bias and variance). The update is Adam's (Kingma & Ba 2015,
    Algorithm 1) with decoupled weight decay (AdamW, Loshchilov & Hutter 2019):

        x ← x (1 − ηλ)
        m ← β1 m + (1 − β1) ĝ,        v ← β2 v + (1 − β2) ĝ²
        x ← x − η (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)

    ZO-Bench (Zhang et al. 2024) found ZO-Adam's per-coordinate scaling helps on some fine-tuning
    tasks, at the cost of Adam's two state tensors (`m`, `v`: twice the parameters' memory). The
    update is a nonlinear function of `ĝ`, so unlike `ZOSGD` it is biased even when `ĝ` is not.

    Args:
        params: the parameters, or parameter groups (dicts that may set `lr`, `betas`, `eps`,
            `weight_decay`).
        lr: `η`, the learning rate.
        betas: `(β1, β2)`, each in `[0, 1)`.
        eps: `ε`, added to the denominator.
        weight_decay: `λ`, decoupled weight decay.
        mu: `μ`, the finite-difference step (shared by all groups).
        num_directions: `q`, the directions averaged per step.
        difference: `"two_sided"` or `"one_sided"`.
        distribution: `"gaussian"` or `"sphere"`.
        seed: the seed of the directions; `None` draws one (kept in the state_dict).

    Example:
        >>> import torch
        >>> _ = torch.manual_seed(0)
        >>> from apogee.nn import ZOAdam
        >>> model = torch.nn.Linear(4, 1)
        >>> x, y = torch.randn(32, 4), torch.randn(32, 1)
        >>> optimizer = ZOAdam(model.parameters(), lr=1e-2, seed=0)
        >>> def closure():
        ...     return torch.nn.functional.mse_loss(model(x), y)
        >>> losses = [optimizer.step(closure) for _ in range(200)]
        >>> losses[-1] < losses[0]
        True
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        mu: float = 1e-3,
        num_directions: int = 1,
        difference: str = "two_sided",
        distribution: str = "gaussian",
        seed: int | None = None,
    ) -> None:
        self.settings = ProbeSettings.checked(_OWNER, mu, num_directions, difference, distribution)
        self.seed = check_seed(seed, _OWNER)
        self.steps = 0
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group, checking the options it sets (`lr`, `betas`, `eps`, `weight_decay`)."""
        check_group(param_group, _OWNER, self.defaults)
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        group["lr"] = check_lr(group["lr"], _OWNER)
        group["betas"] = check_betas(group["betas"], _OWNER)
        group["eps"] = check_nonnegative(group["eps"], "eps", _OWNER)
        group["weight_decay"] = check_nonnegative(group["weight_decay"], "weight_decay", _OWNER)

    def state_dict(self) -> dict[str, Any]:
        """The torch state_dict plus the direction seed and the step counter."""
        return with_zo_state(super().state_dict(), self.seed, self.steps)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load what `state_dict` returned, the seed and step counter included."""
        rest, self.seed, self.steps = split_zo_state(state_dict, _OWNER)
        super().load_state_dict(rest)

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> float:  # type: ignore[override]
        """One step; `closure()` returns the loss and must not call `backward`.

        Returns:
            The loss at the start of the step (for two-sided differences, the mean of the
            `f(x ± μz_j)`, equal to `f(x)` up to `O(μ²)`).
        """
        closure = require_closure(closure, _OWNER, "a callable returning the loss")
        stream = self.settings.stream(flat_params(self.param_groups), self.seed, self.steps)
        found = probe(stream, closure, self.settings)
        k = 0
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for param in group["params"]:
                grad = estimate(stream, found, k)
                k += 1
                state = self.state[param]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(param)
                    state["exp_avg_sq"] = torch.zeros_like(param)
                state["step"] += 1
                param.mul_(1.0 - group["lr"] * group["weight_decay"])
                state["exp_avg"].mul_(beta1).add_(grad, alpha=1.0 - beta1)
                state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
                bias1 = 1.0 - beta1 ** state["step"]
                bias2 = 1.0 - beta2 ** state["step"]
                denominator = (state["exp_avg_sq"].sqrt() / math.sqrt(bias2)).add_(group["eps"])
                param.addcdiv_(state["exp_avg"], denominator, value=-group["lr"] / bias1)
        self.steps += 1
        return found.loss
