"""`ZOSGD`: zeroth-order SGD with in-place seeded perturbations (MeZO, ZO-Bench)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer
from torch.optim.optimizer import ParamsT

from apogee.nn._common import (
    Closure,
    check_bool,
    check_group,
    check_lr,
    check_nonnegative,
    check_seed,
    check_unit,
    evaluate,
    flat_params,
    momentum_step,
    require_closure,
    split_zo_state,
    with_zo_state,
)
from apogee.nn._directions import (
    DirectionStream,
    Probe,
    ProbeSettings,
    descend,
    estimate,
    probe,
)

_OWNER = "ZOSGD"


class ZOSGD(Optimizer):
    """Zeroth-order SGD: a gradient estimated from losses alone, with no backward pass.

    Each step draws `q` random directions `z_j` over all parameters, evaluates the loss at
    `x ± μz_j` by perturbing the parameters in place (MeZO, Malladi et al. 2023, Algorithm 1:
    the directions are regenerated from a seed, never stored), and forms the randomized gradient
    estimate `ĝ = (1/q) Σ_j c·s_j·z_j` of `apogee.nn._estimators` (slope `s_j`, unbiasing scale
    `c`). Then, like `torch.optim.SGD`: `d = ĝ + λx`; with momentum `β`, `b ← βb + d` and
    `d = b`; with `sign=True`, `d = sign(d)`; finally `x ← x − η d`.

    Unbiasedness: with two-sided differences `E ĝ = ∇f` exactly on quadratics and
    `E ĝ = ∇f_μ` (the Gaussian smoothing's gradient, `O(μ)` from `∇f`) in general; `E‖ĝ‖² =
    ‖∇f‖²(1 + (d+1)/q)` on quadratics. One-sided differences cost one evaluation per direction
    instead of two, with a per-sample bias `(μ/2) zᵀ∇²f z`. `sign=True` is biased on purpose.

    `sign=True` takes the *elementwise* sign of the update (signSGD / Signum), whereas ZO-Bench's
    "ZO-SGD-Sign" takes the sign of the scalar slope, `sign(s)·z`, which keeps `z`'s magnitudes.
    `conservative=True` (ZO-Bench's ZO-SGD-Cons) evaluates `f(x)`, `f(x − ηd)` and `f(x + ηd)` and
    keeps the best, so it never accepts a worse loss; it keeps one copy of the parameters to
    return to `x` exactly, and costs three more evaluations per step.

    Memory: beyond inference, one tensor the size of the largest parameter (a regenerated
    direction slice, scaled in place; the plain update accumulates into the parameter), plus the
    momentum buffers (`β > 0`), one estimate-sized tensor per parameter at a time (`sign=True`)
    and one copy of the parameters (`conservative=True`); never activations.

    Args:
        params: the parameters, or parameter groups (dicts that may set `lr`, `momentum`,
            `weight_decay`).
        lr: `η`, the learning rate.
        mu: `μ`, the finite-difference step (shared by all groups: one perturbation of all
            parameters gives one directional derivative).
        num_directions: `q`, the directions averaged per step (`2q` evaluations when two-sided).
        difference: `"two_sided"` (MeZO) or `"one_sided"` (one extra `f(x)` per step).
        distribution: `"gaussian"` (`z ~ N(0, I)`, scale 1) or `"sphere"` (unit norm, scale `d`).
        momentum: `β` in `[0, 1)` (ZO-Bench's ZO-SGD-MMT).
        weight_decay: `λ`, an L2 penalty added to the estimate.
        sign: take the elementwise sign of the update (ZO-SGD-Sign, see above).
        conservative: never accept a step that raises the loss (ZO-SGD-Cons).
        seed: the seed of the directions; `None` draws one (kept in the state_dict).

    Example:
        >>> import torch
        >>> _ = torch.manual_seed(0)
        >>> from apogee.nn import ZOSGD
        >>> model = torch.nn.Linear(4, 1)
        >>> x, y = torch.randn(32, 4), torch.randn(32, 1)
        >>> optimizer = ZOSGD(model.parameters(), lr=1e-2, seed=0)
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
        mu: float = 1e-3,
        num_directions: int = 1,
        difference: str = "two_sided",
        distribution: str = "gaussian",
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        sign: bool = False,
        conservative: bool = False,
        seed: int | None = None,
    ) -> None:
        self.settings = ProbeSettings.checked(_OWNER, mu, num_directions, difference, distribution)
        self.sign = check_bool(sign, "sign", _OWNER)
        self.conservative = check_bool(conservative, "conservative", _OWNER)
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
            `f(x ± μz_j)`, equal to `f(x)` up to `O(μ²)`); with `conservative=True`, the loss
            of the point kept.
        """
        closure = require_closure(closure, _OWNER, "a callable returning the loss")
        stream = self.settings.stream(flat_params(self.param_groups), self.seed, self.steps)
        if self.conservative:
            loss = self._conservative_step(stream, closure)
        else:
            found = probe(stream, closure, self.settings)
            for k, (param, group) in enumerate(self._indexed()):
                if group["momentum"] == 0.0 and not self.sign:  # x ← (1 − ηλ)x − ηĝ, in place
                    param.mul_(1.0 - group["lr"] * group["weight_decay"])
                    descend(stream, found, k, group["lr"])
                    continue
                update = self._update(
                    self._momentum(param, group, self._raw(stream, found, k, group, param))
                )
                param.add_(update, alpha=-group["lr"])
            loss = found.loss
        self.steps += 1
        return loss

    def _indexed(self) -> list[tuple[Tensor, dict[str, Any]]]:
        return [(param, group) for group in self.param_groups for param in group["params"]]

    def _raw(
        self, stream: DirectionStream, found: Probe, k: int, group: dict[str, Any], anchor: Tensor
    ) -> Tensor:
        """`ĝ_k + λ·anchor`: the estimate with the L2 term taken at `anchor`."""
        direction = estimate(stream, found, k)
        if group["weight_decay"] != 0.0:
            direction.add_(anchor, alpha=group["weight_decay"])
        return direction

    def _momentum(self, param: Tensor, group: dict[str, Any], direction: Tensor) -> Tensor:
        """`b ← βb + d` (the first step sets `b = d`), or `d` when `β = 0`."""
        if group["momentum"] == 0.0:
            return direction
        return momentum_step(self.state[param], group["momentum"], direction)

    def _update(self, direction: Tensor) -> Tensor:
        return torch.sign(direction) if self.sign else direction

    def _conservative_step(self, stream: DirectionStream, closure: Closure) -> float:
        """Keep the best of `x`, `x − ηd` and `x + ηd` (ZO-Bench's ZO-SGD-Cons)."""
        indexed = self._indexed()
        anchors = [param.detach().clone() for param, _ in indexed]
        loss = evaluate(closure)
        found = probe(stream, closure, self.settings)
        for (param, _), anchor in zip(indexed, anchors, strict=True):
            param.copy_(anchor)  # undo the probe's round-off: the candidates start from x exactly
        for k, (param, group) in enumerate(indexed):
            if group["momentum"] != 0.0:  # the buffer moves once per step, accepted or not
                self._momentum(param, group, self._raw(stream, found, k, group, anchors[k]))

        def move(alpha_sign: float) -> None:
            for k, (param, group) in enumerate(indexed):
                if group["momentum"] != 0.0:
                    direction = self.state[param]["momentum_buffer"]
                else:
                    direction = self._raw(stream, found, k, group, anchors[k])
                param.copy_(anchors[k]).add_(
                    self._update(direction), alpha=alpha_sign * group["lr"]
                )

        move(1.0)
        loss_up = evaluate(closure)
        move(-1.0)
        loss_down = evaluate(closure)
        if loss_down < loss and loss_down <= loss_up:
            return loss_down
        if loss_up < loss:
            move(1.0)
            return loss_up
        for (param, _), anchor in zip(indexed, anchors, strict=True):
            param.copy_(anchor)
        return loss
