"""`AdamP`: Adam without the radial component on scale-invariant weights (Heo et al. 2021)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer
from torch.optim.optimizer import ParamsT

from apogee.nn._common import (
    check_betas,
    check_bool,
    check_group,
    check_lr,
    check_nonnegative,
)

_OWNER = "AdamP"


class AdamP(Optimizer):
    """AdamP (Heo et al. 2021, Algorithm 2): Adam whose step loses its radial part on weights
    that look scale-invariant.

    Momentum shrinks the effective step size of scale-invariant weights (those followed by a
    normalization layer) too fast, because the step's component along `w` keeps growing `‖w‖`.
    AdamP removes that component when the gradient is nearly orthogonal to the weight:

        m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²,   p = m̂ / (√v̂ + ε)   (Adam, bias-corrected)
        q = Π_w(p) = p − (ŵ·p) ŵ,  ŵ = w/‖w‖,   if  max |cos(w, g)| < δ / √dim(w)
        q = p                                    otherwise
        w ← w (1 − η λ r) − η q

    The cosine test runs on two views of a weight with at least two dimensions, as in the
    paper's Section 3.3: each output channel (rows of `w.reshape(w.shape[0], -1)`, `dim` = the
    row length) and then the whole layer (`dim = w.numel()`); the first view that passes is
    projected row by row. Vectors (biases, norm gains) are never projected. The decoupled
    weight decay is scaled by `r = wd_ratio` (0.1) when projected, else `r = 1`. With
    `nesterov=True`, `p` uses `β1 m + (1 − β1) g` in place of `m`. Defaults follow the paper:
    `δ = 0.1`, `wd_ratio = 0.1`, Adam's `betas = (0.9, 0.999)`, `eps = 1e-8`.

    Args:
        params: the parameters, or parameter groups (dicts that may set any option below).
        lr: `η`, the learning rate.
        betas: `(β1, β2)`, each in `[0, 1)`.
        eps: `ε`, in the denominator and in the cosine's and projection's norms.
        weight_decay: `λ`, decoupled weight decay.
        delta: `δ`, the cosine threshold factor.
        wd_ratio: `r`, the weight-decay factor for projected weights.
        nesterov: use Nesterov momentum in `p`.

    Example:
        >>> import torch
        >>> from apogee.nn import AdamP
        >>> weight = torch.nn.Parameter(torch.tensor([[3.0, 4.0]]))
        >>> optimizer = AdamP([weight], lr=0.1, eps=0.0)
        >>> weight.grad = torch.tensor([[4.0, -3.0]])   # orthogonal to the weight: projected
        >>> optimizer.step()
        >>> weight.detach()
        tensor([[2.8880, 4.0840]])
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        delta: float = 0.1,
        wd_ratio: float = 0.1,
        nesterov: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "delta": delta,
            "wd_ratio": wd_ratio,
            "nesterov": nesterov,
        }
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group, checking every option it sets."""
        check_group(param_group, _OWNER, self.defaults)
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        group["lr"] = check_lr(group["lr"], _OWNER)
        group["betas"] = check_betas(group["betas"], _OWNER)
        for name in ("eps", "weight_decay", "delta", "wd_ratio"):
            group[name] = check_nonnegative(group[name], name, _OWNER)
        group["nesterov"] = check_bool(group["nesterov"], "nesterov", _OWNER)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One step from the parameters' `.grad`; `closure` (optional) re-evaluates the loss
        with `backward` and its value is returned."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    self._update(param, param.grad, group)
        return loss

    def _update(self, param: Tensor, grad: Tensor, group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        state = self.state[param]
        if not state:
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(param)
            state["exp_avg_sq"] = torch.zeros_like(param)
        state["step"] += 1
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.mul_(beta1).add_(grad, alpha=1.0 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
        bias1 = 1.0 - beta1 ** state["step"]
        bias2 = 1.0 - beta2 ** state["step"]
        denominator = (exp_avg_sq.sqrt() / math.sqrt(bias2)).add_(group["eps"])
        numerator = (
            exp_avg.mul(beta1).add_(grad, alpha=1.0 - beta1) if group["nesterov"] else exp_avg
        )
        step_direction = numerator / denominator / bias1  # p = m̂ / (√v̂ + ε)
        ratio = 1.0
        if param.dim() > 1:
            projected = _project_if_scale_invariant(
                param, grad, step_direction, group["delta"], group["eps"]
            )
            if projected is not None:
                step_direction, ratio = projected, group["wd_ratio"]
        param.mul_(1.0 - group["lr"] * group["weight_decay"] * ratio)
        param.add_(step_direction, alpha=-group["lr"])


def _project_if_scale_invariant(
    weight: Tensor, grad: Tensor, step: Tensor, delta: float, eps: float
) -> Tensor | None:
    """`Π_w(step)` on the first view (channel, then layer) where `max |cos(w, g)| < δ/√dim`.

    Returns `None` when neither view passes the test (the weight is not scale-invariant).
    """
    for rows in (weight.shape[0], 1):
        w = weight.reshape(rows, -1)
        g = grad.reshape(rows, -1)
        cosine = (w * g).sum(dim=1).abs() / (w.norm(dim=1) * g.norm(dim=1) + eps)
        if float(cosine.max()) < delta / math.sqrt(w.shape[1]):
            w_hat = w / (w.norm(dim=1, keepdim=True) + eps)
            s = step.reshape(rows, -1)
            projected: Tensor = s - w_hat * (w_hat * s).sum(dim=1, keepdim=True)
            return projected.reshape(weight.shape)
    return None
