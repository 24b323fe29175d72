"""Parameter groups for all six optimizers, AdamP's Nesterov step by hand, no hard-coded device."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

import apogee.nn
from apogee.nn import ZOSGD, AdamP, CoordinateZO, ForwardGradient, Lion, ZOAdam
from tests.nn._problems import Quadratic

Make = Callable[[Any, float], torch.optim.Optimizer]

OPTIMIZERS: dict[str, Make] = {
    "ZOSGD": lambda params, lr: ZOSGD(params, lr=lr, momentum=0.5, num_directions=2, seed=3),
    "ZOAdam": lambda params, lr: ZOAdam(params, lr=lr, difference="one_sided", seed=4),
    "ForwardGradient": lambda params, lr: ForwardGradient(params, lr=lr, seed=5),
    "CoordinateZO": lambda params, lr: CoordinateZO(params, lr=lr, mu=1e-2),
    "Lion": lambda params, lr: Lion(params, lr=lr, weight_decay=0.1),
    "AdamP": lambda params, lr: AdamP(params, lr=lr, weight_decay=0.1),
}


def _step(name: str, optimizer: torch.optim.Optimizer, a: torch.Tensor, b: torch.Tensor) -> None:
    """One step on `f = q(cat(a, b))` in the calling convention of optimizer `name`."""
    quadratic = Quadratic.random(5, seed=40, device=a.device)

    def f(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        return quadratic(torch.cat([first.reshape(-1), second]))

    if name == "ForwardGradient":
        optimizer.step(lambda params: f(*params))  # type: ignore[arg-type]
    elif name in ("Lion", "AdamP"):
        optimizer.zero_grad()
        f(a, b).backward()  # type: ignore[no-untyped-call]
        optimizer.step()
    else:
        optimizer.step(lambda: f(a, b))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_group_moves_with_its_own_learning_rate(name: str, device: torch.device) -> None:
    # Two groups, lr 0.01 and 0.03, against one group at each rate from the same start: the ZO
    # directions and the shared slope do not depend on how the parameters are grouped, so each
    # group's step is the single-group step at its own rate (for a linear update: 3x the other).
    generator = torch.Generator().manual_seed(41)
    a0 = torch.randn(2, 2, generator=generator, dtype=torch.float64).to(device)
    b0 = torch.randn(1, generator=generator, dtype=torch.float64).to(device)

    def run(groups: Callable[[torch.Tensor, torch.Tensor], Any]) -> list[torch.Tensor]:
        a, b = torch.nn.Parameter(a0.clone()), torch.nn.Parameter(b0.clone())
        optimizer = OPTIMIZERS[name](groups(a, b), 0.01)
        _step(name, optimizer, a, b)
        return [a.detach(), b.detach()]

    grouped = run(lambda a, b: [{"params": [a]}, {"params": [b], "lr": 0.03}])
    slow = run(lambda a, b: [a, b])
    fast = run(lambda a, b: [{"params": [a, b], "lr": 0.03}])
    torch.testing.assert_close(grouped[0], slow[0], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grouped[1], fast[1], rtol=1e-12, atol=1e-12)
    assert not torch.allclose(slow[1], fast[1])  # the rates do differ: the check can fail


def test_adamp_nesterov_first_step_by_hand(device: torch.device) -> None:
    # Heo et al. 2021 with Nesterov momentum: p = (β1 m + (1 − β1) g) / (√v̂ + ε) / (1 − β1).
    # First step, m = (1 − β1)g, v̂ = g²: p = (1 − β1)(1 + β1) g / |g| / (1 − β1) = (1 + β1) sign(g).
    # A vector is never projected: w₁ = w₀(1 − ηλ) − η(1 + β1) sign(g).
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, device=device))
    optimizer = AdamP([w], lr=0.1, betas=(0.8, 0.999), eps=0.0, weight_decay=0.5, nesterov=True)
    w.grad = torch.tensor([0.3, 2.0, -0.7], dtype=torch.float64, device=device)
    optimizer.step()
    expected = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, device=device) * 0.95
    expected -= 0.1 * 1.8 * torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64, device=device)
    torch.testing.assert_close(w.detach(), expected, rtol=1e-12, atol=1e-12)


def test_no_optimizer_names_a_device() -> None:
    # Device-agnostic code: every tensor is made on its parameter's device; nothing calls
    # `.cuda()` / `.cpu()` or names a device in a string (the CUDA runs of these tests need a GPU).
    sources = sorted(Path(apogee.nn.__file__).parent.glob("*.py"))
    assert len(sources) >= 8
    pattern = re.compile(r"\.cuda\(|\.cpu\(|[\"'](cuda|cpu|mps)(:\d+)?[\"']")
    for source in sources:
        found = pattern.findall(source.read_text(encoding="utf-8"))
        assert not found, (source.name, found)
