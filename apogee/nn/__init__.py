"""torch optimizers: zeroth-order (no backward pass), forward-gradient, Lion and AdamP.

Every optimizer has the `torch.optim.Optimizer` interface (parameter groups, `state_dict`,
`load_state_dict`). The zeroth-order ones, `ZOSGD`, `ZOAdam` and `CoordinateZO`, take a
`step(closure)` whose closure returns the loss *without* calling `backward`: they estimate the
gradient from losses alone (MeZO, DeepZero, ZO-Bench), so training needs the memory of
inference. `ForwardGradient` takes a closure of the parameters and differentiates it in forward
mode. `Lion` and `AdamP` are first-order optimizers that read `.grad` like `torch.optim.Adam`.

The estimator math lives in `apogee.nn._estimators`, shared with the numpy `zo` engine and free
of torch. torch itself is imported on first use of an optimizer name (PEP 562), so
`import apogee.nn` stays cheap.

Example:
    >>> import torch
    >>> from apogee.nn import ZOSGD
    >>> model = torch.nn.Linear(8, 2)
    >>> x, y = torch.randn(64, 8), torch.randint(0, 2, (64,))
    >>> optimizer = ZOSGD(model.parameters(), lr=1e-2, num_directions=4, seed=0)
    >>> loss = optimizer.step(lambda: torch.nn.functional.cross_entropy(model(x), y))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apogee.nn._adamp import AdamP
    from apogee.nn._coordinate import CoordinateZO
    from apogee.nn._forward import ForwardGradient
    from apogee.nn._lion import Lion
    from apogee.nn._zoadam import ZOAdam
    from apogee.nn._zosgd import ZOSGD

__all__ = ["ZOSGD", "AdamP", "CoordinateZO", "ForwardGradient", "Lion", "ZOAdam"]

_MODULES = {
    "AdamP": "apogee.nn._adamp",
    "CoordinateZO": "apogee.nn._coordinate",
    "ForwardGradient": "apogee.nn._forward",
    "Lion": "apogee.nn._lion",
    "ZOAdam": "apogee.nn._zoadam",
    "ZOSGD": "apogee.nn._zosgd",
}


def __getattr__(name: str) -> Any:
    """Import the optimizer `name` (and torch) on first use."""
    if name in _MODULES:
        value = getattr(importlib.import_module(_MODULES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'apogee.nn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
