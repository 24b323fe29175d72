"""`Lion` and `AdamP`: single steps against updates computed by hand from the papers."""

import copy

import pytest
import torch

from apogee.nn import AdamP, Lion
from tests.nn._problems import regression_data, small_mlp


def _param(values: list[float] | list[list[float]], device: torch.device) -> torch.nn.Parameter:
    return torch.nn.Parameter(torch.tensor(values, dtype=torch.float64, device=device))


def _step(
    optimizer: torch.optim.Optimizer, param: torch.Tensor, grad: list[float] | list[list[float]]
) -> None:
    param.grad = torch.tensor(grad, dtype=param.dtype, device=param.device)
    optimizer.step()


def test_lion_two_steps_by_hand(device: torch.device) -> None:
    # Algorithm 2 with η = 0.1, β = (0.9, 0.99), λ = 0.5, m₀ = 0.
    # Step 1, g = (0.5, −0.1, 0): c = 0.1g → sign (1, −1, 0);
    #   θ₁ = θ₀ − 0.1(sign + 0.5θ₀) = (1 − 0.15, −2 + 0.2, 3 − 0.15) = (0.85, −1.8, 2.85);
    #   m₁ = 0.01g = (0.005, −0.001, 0).
    # Step 2, g = (−0.06, 1, 1): c = 0.9m₁ + 0.1g = (−0.0015, 0.0991, 0.1) → sign (−1, 1, 1)
    #   (had m been updated with β1, c₁ = 0.045 − 0.006 > 0 and the first sign would flip);
    #   θ₂ = θ₁ − 0.1(sign + 0.5θ₁) = (0.85 + 0.0575, −1.8 − 0.01, 2.85 − 0.2425).
    theta = _param([1.0, -2.0, 3.0], device)
    optimizer = Lion([theta], lr=0.1, betas=(0.9, 0.99), weight_decay=0.5)
    _step(optimizer, theta, [0.5, -0.1, 0.0])
    torch.testing.assert_close(theta.detach(), _param([0.85, -1.8, 2.85], device).detach())
    torch.testing.assert_close(
        optimizer.state[theta]["exp_avg"], _param([0.005, -0.001, 0.0], device).detach()
    )
    _step(optimizer, theta, [-0.06, 1.0, 1.0])
    torch.testing.assert_close(theta.detach(), _param([0.9075, -1.81, 2.6075], device).detach())


def test_adamp_projects_a_scale_invariant_weight(device: torch.device) -> None:
    # w = [[3, 4], [0, 5]], g = [[4, −3], [5, 0]]: every row of g is orthogonal to its row of w,
    # so the channel-wise cosine is 0 < δ/√2 and the step is projected row by row.
    # First Adam step (ε = 1e-12 ≈ 0; 0/0 would be NaN): p = m̂/√v̂ = sign(g) = [[1, −1], [1, 0]].
    # Row 0: ŵ = (0.6, 0.8), ŵ·p = −0.2, Π(p) = (1 + 0.12, −1 + 0.16) = (1.12, −0.84).
    # Row 1: ŵ = (0, 1), ŵ·p = 0, Π(p) = (1, 0).
    # Decay is scaled by wd_ratio = 0.1: w ← w(1 − 0.1·0.5·0.1) − 0.1 Π(p).
    w = _param([[3.0, 4.0], [0.0, 5.0]], device)
    optimizer = AdamP([w], lr=0.1, eps=1e-12, weight_decay=0.5)
    _step(optimizer, w, [[4.0, -3.0], [5.0, 0.0]])
    decayed = torch.tensor([[3.0, 4.0], [0.0, 5.0]], dtype=torch.float64, device=device) * (
        1 - 0.005
    )
    expected = decayed - 0.1 * torch.tensor(
        [[1.12, -0.84], [1.0, 0.0]], dtype=torch.float64, device=device
    )
    torch.testing.assert_close(w.detach(), expected)


def test_adamp_layer_view_when_channels_fail(device: torch.device) -> None:
    # Channel rows: w₀ = (1, 0), g₀ = (1, 0) → |cos| = 1, the channel test fails. The layer view
    # flattens: w = (1, 0, 0, 1), g = (1, 0, 0, −1): cos = 0 < δ/√4, so project the whole layer.
    # p = sign(g) = (1, 0, 0, −1), ŵ = (1, 0, 0, 1)/√2, ŵ·p = 0: Π(p) = p (still projected, so
    # the decay uses wd_ratio). w ← w(1 − 0.1·0.2·0.1) − 0.1p.
    w = _param([[1.0, 0.0], [0.0, 1.0]], device)
    optimizer = AdamP([w], lr=0.1, eps=1e-12, weight_decay=0.2)
    _step(optimizer, w, [[1.0, 0.0], [0.0, -1.0]])
    expected = torch.tensor([[1.0, 0.0], [0.0, 1.0]], device=device, dtype=torch.float64) * (
        1 - 0.002
    )
    expected -= 0.1 * torch.tensor([[1.0, 0.0], [0.0, -1.0]], device=device, dtype=torch.float64)
    torch.testing.assert_close(w.detach(), expected)


def test_adamp_is_adamw_without_scale_invariance(device: torch.device) -> None:
    # A gradient parallel to the weight (|cos| = 1) and vectors (never projected): AdamP's three
    # steps equal torch.optim.AdamW's, decay unscaled.
    matrix = _param([[1.0, 2.0], [3.0, 4.0]], device)
    vector = _param([0.5, -0.5], device)
    twins = [
        torch.nn.Parameter(matrix.detach().clone()),
        torch.nn.Parameter(vector.detach().clone()),
    ]
    adamp = AdamP([matrix, vector], lr=0.01, weight_decay=0.1, betas=(0.8, 0.9))
    adamw = torch.optim.AdamW(twins, lr=0.01, weight_decay=0.1, betas=(0.8, 0.9), eps=1e-8)
    for scale in (1.0, 0.5, 2.0):
        for params in ([matrix, vector], twins):
            params[0].grad = scale * params[0].detach().clone()
            params[1].grad = torch.tensor([scale, 0.3], dtype=torch.float64, device=device)
        adamp.step()
        adamw.step()
    torch.testing.assert_close(matrix.detach(), twins[0].detach())
    torch.testing.assert_close(vector.detach(), twins[1].detach())


@pytest.mark.parametrize(
    "make",
    [lambda p: Lion(p, lr=1e-3, weight_decay=0.1), lambda p: AdamP(p, lr=1e-2, nesterov=True)],
    ids=["lion", "adamp"],
)
def test_state_dict_round_trip(device: torch.device, make: object) -> None:
    data, target = regression_data(device)

    def train(model: torch.nn.Module, optimizer: torch.optim.Optimizer, steps: int) -> None:
        for _ in range(steps):
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(model(data), target).backward()
            optimizer.step()

    model = small_mlp(device)
    optimizer = make(model.parameters())  # type: ignore[operator]
    train(model, optimizer, 3)
    saved_model, saved = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
    train(model, optimizer, 3)
    twin = small_mlp(device, seed=4)
    twin.load_state_dict(saved_model)
    twin_optimizer = make(twin.parameters())  # type: ignore[operator]
    twin_optimizer.load_state_dict(saved)
    train(twin, twin_optimizer, 3)
    assert all(
        torch.equal(a, b) for a, b in zip(model.parameters(), twin.parameters(), strict=True)
    )


def test_closure_loss_is_returned_and_options_checked() -> None:
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))

    def closure() -> torch.Tensor:
        loss = (w**2).sum()
        loss.backward()
        return loss

    assert float(Lion([w]).step(closure).detach()) == 5.0
    with pytest.raises(
        ValueError, match=r"The 'lr' parameter of Lion must be a finite float in \(0, inf\)"
    ):
        Lion([w], lr=0.0)
    with pytest.raises(
        ValueError, match=r"The 'delta' parameter of AdamP must be a finite float in \[0, inf\)"
    ):
        AdamP([w], delta=-0.1)
    with pytest.raises(TypeError, match="The 'nesterov' parameter of AdamP must be a bool"):
        AdamP([w], nesterov=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['momentum'\]"):
        AdamP([{"params": [w], "momentum": 0.9}])
