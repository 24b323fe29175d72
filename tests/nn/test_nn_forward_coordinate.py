"""`ForwardGradient` (exact directional derivatives) and `CoordinateZO` (DeepZero's CGE)."""

import copy

import pytest
import torch
from torch.func import functional_call

from apogee.nn import CoordinateZO, ForwardGradient
from apogee.nn._directions import DirectionStream
from tests.nn._problems import Quadratic, regression_data, small_mlp


def _smooth(x: torch.Tensor) -> torch.Tensor:
    """A non-quadratic test function, `Σ sin(x_i) x_{i+1} + ¼ Σ x_i⁴`."""
    return (torch.sin(x[:-1]) * x[1:]).sum() + 0.25 * (x**4).sum()


def _grad(x: torch.Tensor) -> torch.Tensor:
    point = x.detach().clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(_smooth(point), point)
    return gradient


def test_forward_gradient_step_uses_the_exact_directional_derivative(device: torch.device) -> None:
    # No finite difference: x₁ = x₀ − η (∇fᵀv) v exactly, even on a non-quadratic f.
    generator = torch.Generator().manual_seed(0)
    x = torch.nn.Parameter(torch.randn(5, generator=generator, dtype=torch.float64).to(device))
    x0 = x.detach().clone()
    optimizer = ForwardGradient([x], lr=0.1, seed=4)
    loss = optimizer.step(lambda params: _smooth(params[0]))
    stream = DirectionStream((x,), 4, 0, 1, "gaussian")
    v = stream.direction(0, 0, (1.0,))
    torch.testing.assert_close(x.detach(), x0 - 0.1 * (_grad(x0) @ v) * v, rtol=1e-12, atol=1e-12)
    assert loss == pytest.approx(float(_smooth(x0)), rel=1e-12)


def test_forward_gradient_is_unbiased_on_a_non_quadratic(device: torch.device) -> None:
    # ĝ = (∇fᵀv) v with v ~ N(0, I): Var ĝ_i = ‖g‖² + g_i²; mean of N steps within 5 standard
    # errors of g = ∇f(x₀) (no O(μ) smoothing bias: the slope is exact).
    x = torch.nn.Parameter(torch.tensor([0.3, -1.2, 0.8, 1.5], dtype=torch.float64, device=device))
    x0 = x.detach().clone()
    g = _grad(x0)
    optimizer = ForwardGradient([x], lr=1.0, seed=8)
    n = 2000
    total = torch.zeros_like(x0)
    for _ in range(n):
        with torch.no_grad():
            x.copy_(x0)
        optimizer.step(lambda params: _smooth(params[0]))
        total += x0 - x.detach()
    tolerance = 5 * torch.sqrt((g @ g + g**2) / n)
    assert torch.all((total / n - g).abs() <= tolerance)


def test_forward_gradient_trains_a_module_and_round_trips(device: torch.device) -> None:
    data, target = regression_data(device)

    def make() -> tuple[torch.nn.Module, ForwardGradient]:
        model = small_mlp(device, seed=2)
        return model, ForwardGradient(
            model.parameters(), lr=0.02, momentum=0.5, num_directions=2, seed=6
        )

    def closure_for(model: torch.nn.Module):  # type: ignore[no-untyped-def]
        names = [name for name, _ in model.named_parameters()]
        return lambda params: torch.nn.functional.mse_loss(
            functional_call(model, dict(zip(names, params, strict=True)), (data,)), target
        )

    model, optimizer = make()
    closure = closure_for(model)
    losses = [optimizer.step(closure) for _ in range(150)]
    assert losses[-1] < 0.8 * losses[0]
    saved_model, saved = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
    for _ in range(3):
        optimizer.step(closure)
    twin, twin_optimizer = make()
    twin.load_state_dict(saved_model)
    twin_optimizer.load_state_dict(saved)
    twin_closure = closure_for(twin)
    for _ in range(3):
        twin_optimizer.step(twin_closure)
    assert all(
        torch.equal(a, b) for a, b in zip(model.parameters(), twin.parameters(), strict=True)
    )


def test_coordinate_estimate_bias_is_half_mu_diagonal(device: torch.device) -> None:
    # DeepZero CGE on a quadratic: ĝ_i = ∂_i f + (μ/2) A_ii exactly; masked coordinates get 0
    # and keep their value; d_unmasked + 1 evaluations per step.
    quadratic = Quadratic.random(6, seed=3, device=device)
    x = torch.nn.Parameter(torch.linspace(-1, 1, 6, dtype=torch.float64, device=device))
    x0 = x.detach().clone()
    mask = torch.tensor([True, False, True, True, False, True], device=device)
    mu, lr = 0.1, 0.01
    optimizer = CoordinateZO([x], lr=lr, mu=mu, masks=[mask])
    calls = 0

    def closure() -> torch.Tensor:
        nonlocal calls
        calls += 1
        return quadratic(x)

    assert optimizer.evaluations_per_step() == 5
    loss = optimizer.step(closure)
    assert calls == 5
    assert loss == float(quadratic(x0))
    expected_estimate = (quadratic.grad(x0) + mu / 2 * torch.diagonal(quadratic.A)) * mask
    torch.testing.assert_close(x.detach(), x0 - lr * expected_estimate, rtol=1e-12, atol=1e-12)
    assert torch.equal(x.detach()[~mask], x0[~mask])


def test_coordinate_perturbations_are_undone_exactly(device: torch.device) -> None:
    # Each coordinate is saved and written back, so the loss seen at every perturbation differs
    # from f(x) in one coordinate only: with lr tiny, the step is a pure function of the estimate.
    model = small_mlp(device, width=4)
    data, target = regression_data(device)
    params = [p.detach().clone() for p in model.parameters()]
    seen: list[torch.Tensor] = []

    def closure() -> torch.Tensor:
        current = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
        seen.append(current.clone())
        return torch.nn.functional.mse_loss(model(data), target)

    optimizer = CoordinateZO(model.parameters(), lr=1e-3, mu=1e-2)
    optimizer.step(closure)
    start = torch.cat([p.reshape(-1) for p in params])
    assert torch.equal(seen[0], start)
    for index, point in enumerate(seen[1:]):
        changed = (point != start).nonzero().reshape(-1).tolist()
        assert changed == [index]


def test_coordinate_masks_survive_a_state_dict_round_trip(device: torch.device) -> None:
    model = small_mlp(device, width=4)
    data, target = regression_data(device)
    masks = [
        torch.rand(p.shape, generator=torch.Generator().manual_seed(1)) > 0.5
        for p in model.parameters()
    ]
    optimizer = CoordinateZO(model.parameters(), lr=0.05, momentum=0.9, masks=masks)
    closure = lambda: torch.nn.functional.mse_loss(model(data), target)  # noqa: E731
    optimizer.step(closure)
    saved_model, saved = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
    optimizer.step(closure)
    twin = small_mlp(device, seed=7, width=4)
    twin.load_state_dict(saved_model)
    twin_optimizer = CoordinateZO(twin.parameters(), lr=0.05, momentum=0.9)
    twin_optimizer.load_state_dict(saved)
    assert all(state["mask"].dtype == torch.bool for state in twin_optimizer.state.values())
    assert twin_optimizer.evaluations_per_step() == optimizer.evaluations_per_step()
    twin_optimizer.step(lambda: torch.nn.functional.mse_loss(twin(data), target))
    assert all(
        torch.equal(a, b) for a, b in zip(model.parameters(), twin.parameters(), strict=True)
    )


def test_coordinate_mask_checks() -> None:
    x = torch.nn.Parameter(torch.zeros(3))
    with pytest.raises(
        ValueError,
        match=r"The 'mask' parameter of CoordinateZO.set_mask must be a boolean tensor of shape \(3,\)",
    ):
        CoordinateZO([x], masks=[torch.ones(2, dtype=torch.bool)])
    with pytest.raises(
        ValueError, match="The 'masks' parameter of CoordinateZO must be a sequence of 1 masks"
    ):
        CoordinateZO([x], masks=[None, None])
    with pytest.raises(
        ValueError, match=r"The 'param' parameter of CoordinateZO\.set_mask must be a parameter"
    ):
        CoordinateZO([x]).set_mask(torch.zeros(3), None)
    with pytest.raises(
        TypeError, match=r"The 'closure' parameter of ForwardGradient\.step must be a callable"
    ):
        ForwardGradient([x]).step()
