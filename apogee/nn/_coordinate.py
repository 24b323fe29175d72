"""`CoordinateZO`: DeepZero's coordinate-wise gradient estimate (CGE) with a sparsity mask."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer
from torch.optim.optimizer import ParamsT

from apogee._util.validation import check_float, invalid
from apogee.nn._common import (
    Closure,
    check_group,
    check_lr,
    check_nonnegative,
    check_unit,
    evaluate,
    flat_params,
    momentum_step,
    require_closure,
)
from apogee.nn._estimators import coordinate_forward_difference

_OWNER = "CoordinateZO"


class CoordinateZO(Optimizer):
    """SGD on DeepZero's coordinate-wise estimate `ĝ_i = (f(x + μe_i) − f(x)) / μ` (CGE).

    DeepZero (Chen et al. 2024, eq. 3) estimates each partial derivative by a forward difference
    along a basis vector `e_i`, and keeps it affordable by estimating only the coordinates a
    sparsity mask leaves in (ZO-GraSP pruning in the paper; here any boolean mask you set):
    masked coordinates get `ĝ_i = 0` and cost nothing. One step costs `1 + (unmasked count)`
    evaluations. The estimate is deterministic and biased: `ĝ_i = ∂_i f + (μ/2) ∂²_ii f + O(μ²)`,
    exactly `∂_i f + (μ/2) A_ii` on a quadratic. The update is SGD's: `d = ĝ + λx`,
    `b ← βb + d` with momentum (DeepZero trains with SGD and momentum), `x ← x − η d`.

    Each coordinate is perturbed in place and restored exactly (its value is saved, not
    recomputed); all of `ĝ` is estimated at the same `x` before any parameter moves, so the
    optimizer holds one gradient-sized tensor per parameter during the step.

    Args:
        params: the parameters, or parameter groups (dicts that may set `lr`, `momentum`,
            `weight_decay`).
        lr: `η`, the learning rate.
        mu: `μ`, the finite-difference step (shared by all groups).
        momentum: `β` in `[0, 1)`.
        weight_decay: `λ`, an L2 penalty added to the estimate.
        masks: one boolean tensor (`True` = estimate this coordinate) or `None` (all
            coordinates) per parameter, in the optimizer's parameter order; `set_mask` changes one.

    Example:
        >>> import torch
        >>> _ = torch.manual_seed(0)
        >>> from apogee.nn import CoordinateZO
        >>> model = torch.nn.Linear(4, 1)
        >>> x, y = torch.randn(32, 4), torch.randn(32, 1)
        >>> masks = [torch.tensor([[True, True, False, False]]), None]   # weight `(1, 4)`, bias
        >>> optimizer = CoordinateZO(model.parameters(), lr=0.1, masks=masks)
        >>> def closure():
        ...     return torch.nn.functional.mse_loss(model(x), y)
        >>> losses = [optimizer.step(closure) for _ in range(50)]   # 4 evaluations per step
        >>> losses[-1] < losses[0]
        True
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        *,
        mu: float = 1e-3,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        masks: Sequence[Tensor | None] | None = None,
    ) -> None:
        self.mu = check_float(mu, "mu", _OWNER, low=0, low_open=True)
        defaults = {"lr": lr, "momentum": momentum, "weight_decay": weight_decay}
        super().__init__(params, defaults)
        params_list = flat_params(self.param_groups)
        if masks is not None:
            if isinstance(masks, Tensor) or len(masks) != len(params_list):
                expected = f"a sequence of {len(params_list)} masks (one per parameter, or None)"
                raise ValueError(invalid("masks", _OWNER, expected, masks))
            for param, mask in zip(params_list, masks, strict=True):
                self.set_mask(param, mask)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group, checking the options it sets (`lr`, `momentum`, `weight_decay`)."""
        check_group(param_group, _OWNER, self.defaults)
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        group["lr"] = check_lr(group["lr"], _OWNER)
        group["momentum"] = check_unit(group["momentum"], "momentum", _OWNER)
        group["weight_decay"] = check_nonnegative(group["weight_decay"], "weight_decay", _OWNER)

    def set_mask(self, param: Tensor, mask: Tensor | None) -> None:
        """Estimate only the coordinates of `param` where `mask` is `True` (`None`: all of them).

        Raises:
            ValueError: if `param` is not optimized here or `mask` is not a boolean tensor of
                `param`'s shape.
        """
        if not any(param is other for other in flat_params(self.param_groups)):
            raise ValueError(
                invalid(
                    "param", f"{_OWNER}.set_mask", "a parameter of this optimizer", "another tensor"
                )
            )
        state = self.state[param]
        if mask is None:
            state.pop("mask", None)
            return
        if not isinstance(mask, Tensor) or mask.dtype != torch.bool or mask.shape != param.shape:
            expected = f"a boolean tensor of shape {tuple(param.shape)}"
            raise ValueError(invalid("mask", f"{_OWNER}.set_mask", expected, mask))
        state["mask"] = mask.detach().to(param.device).clone()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state_dict; masks come back boolean (torch casts state to the parameter dtype)."""
        super().load_state_dict(state_dict)
        for state in self.state.values():
            if "mask" in state:
                state["mask"] = state["mask"].bool()

    def evaluations_per_step(self) -> int:
        """`1 + Σ_k (unmasked coordinates of parameter k)`."""
        return 1 + sum(len(self._indices(param)) for param in flat_params(self.param_groups))

    @torch.no_grad()
    def step(self, closure: Closure | None = None) -> float:  # type: ignore[override]
        """One step; `closure()` returns the loss and must not call `backward`.

        Returns:
            `f(x)` at the start of the step.
        """
        closure = require_closure(closure, _OWNER, "a callable returning the loss")
        base = evaluate(closure)
        params = flat_params(self.param_groups)
        estimates = [self._estimate(param, closure, base) for param in params]
        k = 0
        for group in self.param_groups:
            for param in group["params"]:
                direction = estimates[k]
                k += 1
                if group["weight_decay"] != 0.0:
                    direction.add_(param, alpha=group["weight_decay"])
                if group["momentum"] != 0.0:
                    direction = momentum_step(self.state[param], group["momentum"], direction)
                param.add_(direction, alpha=-group["lr"])
        return base

    def _indices(self, param: Tensor) -> list[int]:
        mask = self.state[param].get("mask")
        if mask is None:
            return list(range(param.numel()))
        return [int(i) for i in mask.reshape(-1).nonzero().reshape(-1).tolist()]

    def _estimate(self, param: Tensor, closure: Closure, base: float) -> Tensor:
        """CGE for one parameter: `(f(x + μe_i) − f(x)) / μ` on its unmasked coordinates, else 0."""
        if not param.is_contiguous():
            raise ValueError(
                invalid("params", _OWNER, "contiguous tensors", "a non-contiguous tensor")
            )
        flat = param.view(-1)
        indices = self._indices(param)
        values = torch.empty(len(indices), dtype=torch.float64)
        for n, i in enumerate(indices):
            saved = flat[i].item()  # exact: a Python float holds any float16/32 value
            flat[i] += self.mu
            values[n] = evaluate(closure)
            flat[i] = saved
        grad = torch.zeros_like(param)
        if indices:
            slopes = coordinate_forward_difference(values, base, self.mu)
            index = torch.tensor(indices, dtype=torch.long, device=param.device)
            # dtype first, on the CPU: some devices (MPS) have no float64.
            grad.view(-1)[index] = slopes.to(dtype=param.dtype).to(param.device)
        return grad
