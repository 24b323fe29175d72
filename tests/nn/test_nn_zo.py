"""`ZOSGD` and `ZOAdam`: exact steps on quadratics, seed replay, unbiasedness, the options."""

import copy
import itertools
import math

import pytest
import torch

from apogee.nn import ZOSGD, ZOAdam
from apogee.nn._directions import DirectionStream, ProbeSettings, probe
from tests.nn._problems import Quadratic, regression_data, small_mlp


def _direction(
    param: torch.Tensor, seed: int, step: int, distribution: str = "gaussian"
) -> torch.Tensor:
    """`z` as the optimizer regenerates it, for a single parameter and one direction."""
    stream = DirectionStream((param,), seed, step, 1, distribution)
    return stream.direction(0, 0, stream.norms())


def _point(quadratic: Quadratic, seed: int) -> torch.nn.Parameter:
    generator = torch.Generator().manual_seed(seed)
    start = torch.randn(quadratic.b.shape[0], generator=generator, dtype=torch.float64)
    return torch.nn.Parameter(start.to(quadratic.b.device))


@pytest.mark.parametrize("mu", [1e-3, 0.5])
def test_two_sided_step_is_exact_on_a_quadratic(device: torch.device, mu: float) -> None:
    # On a quadratic the two-sided slope is exactly zᵀ∇f for any μ, so x₁ = x₀ − η (zᵀ∇f) z.
    quadratic = Quadratic.random(5, seed=0, device=device)
    x = _point(quadratic, seed=1)
    x0 = x.detach().clone()
    optimizer = ZOSGD([x], lr=0.1, mu=mu, seed=3)
    loss = optimizer.step(lambda: quadratic(x))
    z = _direction(x, seed=3, step=0)
    expected = x0 - 0.1 * (z @ quadratic.grad(x0)) * z
    torch.testing.assert_close(x.detach(), expected, rtol=1e-10, atol=1e-10)
    # The returned loss is the mean of f(x ± μz) = f(x) + (μ²/2) zᵀAz.
    assert loss == pytest.approx(float(quadratic(x0) + mu**2 / 2 * z @ quadratic.A @ z), rel=1e-10)


def test_sphere_directions_use_the_dimension_scale(device: torch.device) -> None:
    # Unit-sphere directions u_j: ĝ = (d/q) Σ_j (u_jᵀ∇f) u_j.
    quadratic = Quadratic.random(6, seed=2, device=device)
    x = _point(quadratic, seed=3)
    x0 = x.detach().clone()
    q = 3
    ZOSGD([x], lr=0.05, num_directions=q, distribution="sphere", seed=5).step(lambda: quadratic(x))
    stream = DirectionStream((x,), 5, 0, q, "sphere")
    norms = stream.norms()
    units = [stream.direction(j, 0, norms) for j in range(q)]
    assert all(abs(float(u.norm()) - 1.0) < 1e-12 for u in units)
    g = quadratic.grad(x0)
    expected = x0 - 0.05 * (6 / q) * sum((u @ g) * u for u in units)
    torch.testing.assert_close(x.detach(), expected, rtol=1e-10, atol=1e-10)


def test_one_sided_step_and_its_bias(device: torch.device) -> None:
    # (f(x+μz) − f(x))/μ = zᵀ∇f + (μ/2) zᵀAz; the returned loss is f(x) itself.
    quadratic = Quadratic.random(4, seed=4, device=device)
    x = _point(quadratic, seed=5)
    x0 = x.detach().clone()
    mu = 0.2
    optimizer = ZOSGD([x], lr=0.1, mu=mu, difference="one_sided", seed=8)
    loss = optimizer.step(lambda: quadratic(x))
    z = _direction(x, seed=8, step=0)
    slope = z @ quadratic.grad(x0) + mu / 2 * z @ quadratic.A @ z
    torch.testing.assert_close(x.detach(), x0 - 0.1 * slope * z, rtol=1e-10, atol=1e-10)
    assert loss == float(quadratic(x0))


@pytest.mark.parametrize("difference", ["two_sided", "one_sided"])
@pytest.mark.parametrize("distribution", ["gaussian", "sphere"])
def test_seed_replay_returns_the_parameters_to_the_start(
    device: torch.device, difference: str, distribution: str
) -> None:
    # x + μz − 2μz + μz (or x + μz − μz) regenerates z from its seed each time: back at x up to
    # float32 round-off, a few ulps of max(|x|, μ|z|), not bitwise.
    model = small_mlp(device, width=16)
    data, target = regression_data(device)
    params = list(model.parameters())
    start = [p.detach().clone() for p in params]
    settings = ProbeSettings(1e-2, 3, difference, distribution)
    stream = settings.stream(params, seed=11, step=4)
    with torch.no_grad():
        probe(stream, lambda: torch.nn.functional.mse_loss(model(data), target), settings)
    for param, first in zip(params, start, strict=True):
        assert not torch.equal(param, first + 1.0)  # the comparison below can fail
        torch.testing.assert_close(
            param.detach(), first, rtol=0, atol=4e-7 * (1 + float(first.abs().max()))
        )


def test_estimate_through_the_optimizer_is_unbiased(device: torch.device) -> None:
    # Each step starts again from x₀ with new directions (the step counter moves the seeds);
    # ĝ = (x₀ − x₁)/η. For ĝ = (zᵀg)z, Var ĝ_i = ‖g‖² + g_i²; the mean of N steps is within
    # 5 standard errors, 5·√((‖g‖² + g_i²)/N), of g.
    quadratic = Quadratic.random(4, seed=6, device=device)
    x = _point(quadratic, seed=7)
    x0 = x.detach().clone()
    g = quadratic.grad(x0)
    optimizer = ZOSGD([x], lr=1.0, mu=0.1, seed=13)
    n = 2000
    total = torch.zeros_like(x0)
    for _ in range(n):
        with torch.no_grad():
            x.copy_(x0)
        optimizer.step(lambda: quadratic(x))
        total += x0 - x.detach()
    mean = total / n
    tolerance = 5 * torch.sqrt((g @ g + g**2) / n)
    assert torch.all((mean - g).abs() <= tolerance), (mean, g, tolerance)


@pytest.mark.parametrize(
    "options",
    [
        {"lr": 0.3},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.05, "sign": True},
        {"lr": 0.3, "weight_decay": 0.1},
    ],
)
def test_conservative_never_increases_a_deterministic_loss(
    device: torch.device, options: dict[str, object]
) -> None:
    def run(conservative: bool) -> list[float]:
        model = small_mlp(device, seed=3)
        data, target = regression_data(device)

        def closure() -> torch.Tensor:
            return torch.nn.functional.mse_loss(model(data), target)

        optimizer = ZOSGD(
            model.parameters(), mu=1e-2, conservative=conservative, seed=17, **options
        )  # type: ignore[arg-type]
        losses = [float(closure().detach())]
        for _ in range(60):
            returned = optimizer.step(closure)
            losses.append(float(closure().detach()))
            if conservative:
                assert returned == losses[-1]  # the loss of the point kept
        return losses

    kept = run(conservative=True)
    assert all(after <= before for before, after in itertools.pairwise(kept))
    assert kept[-1] < kept[0]
    # Without the safeguard, the same large steps do raise the loss: the check above can fail.
    plain = run(conservative=False)
    assert any(after > before for before, after in itertools.pairwise(plain))


def test_sign_is_elementwise(device: torch.device) -> None:
    quadratic = Quadratic.random(6, seed=8, device=device)
    x = _point(quadratic, seed=9)
    x0 = x.detach().clone()
    ZOSGD([x], lr=0.01, sign=True, seed=2).step(lambda: quadratic(x))
    z = _direction(x, seed=2, step=0)
    expected = x0 - 0.01 * torch.sign((z @ quadratic.grad(x0)) * z)
    torch.testing.assert_close(x.detach(), expected, rtol=0, atol=1e-15)
    # Every coordinate moves by η: ZO-Bench's scalar sign(s)·z would move by η|z_i| instead.
    torch.testing.assert_close(
        (x.detach() - x0).abs(), torch.full_like(x0, 0.01), rtol=0, atol=1e-15
    )


def test_momentum_and_weight_decay_over_two_steps(device: torch.device) -> None:
    # d_t = ĝ_t + λx_t,  b₁ = d₀,  b₂ = βb₁ + d₁,  x_{t+1} = x_t − η b_{t+1}.
    quadratic = Quadratic.random(3, seed=10, device=device)
    x = _point(quadratic, seed=11)
    lr, beta, decay = 0.05, 0.9, 0.1
    optimizer = ZOSGD([x], lr=lr, momentum=beta, weight_decay=decay, seed=21)
    expected = x.detach().clone()
    buffer = torch.zeros_like(expected)
    for step in range(2):
        optimizer.step(lambda: quadratic(x))
        z = _direction(x, seed=21, step=step)
        d = (z @ quadratic.grad(expected)) * z + decay * expected
        buffer = d if step == 0 else beta * buffer + d
        expected = expected - lr * buffer
    torch.testing.assert_close(x.detach(), expected, rtol=1e-10, atol=1e-10)


def test_parameter_groups_share_one_direction_and_keep_their_lr(device: torch.device) -> None:
    # One perturbation covers both groups: the slope is z_aᵀg_a + z_bᵀg_b, and each group
    # moves by its own learning rate along its own slice of z.
    quadratic = Quadratic.random(5, seed=12, device=device)
    full = _point(quadratic, seed=13).detach()
    a = torch.nn.Parameter(full[:2].clone())
    b = torch.nn.Parameter(full[2:].clone())
    optimizer = ZOSGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, seed=4)
    optimizer.step(lambda: quadratic(torch.cat([a, b])))
    stream = DirectionStream((a, b), 4, 0, 1, "gaussian")
    z = torch.cat([stream.direction(0, 0, (1.0,)), stream.direction(0, 1, (1.0,))])
    slope = z @ quadratic.grad(full)
    torch.testing.assert_close(a.detach(), full[:2] - 0.1 * slope * z[:2], rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(b.detach(), full[2:] - 0.5 * slope * z[2:], rtol=1e-10, atol=1e-10)


def test_evaluations_per_step(device: torch.device) -> None:
    quadratic = Quadratic.random(3, seed=14, device=device)
    x = _point(quadratic, seed=15)
    calls = 0

    def closure() -> torch.Tensor:
        nonlocal calls
        calls += 1
        return quadratic(x)

    for options, expected in [
        ({"num_directions": 3}, 6),  # 2q
        ({"num_directions": 3, "difference": "one_sided"}, 4),  # q + 1
        ({"num_directions": 2, "conservative": True}, 7),  # f(x), 2q, two candidates
    ]:
        calls = 0
        ZOSGD([x], lr=0.01, seed=0, **options).step(closure)  # type: ignore[arg-type]
        assert calls == expected, options


def test_zoadam_matches_adamw_fed_with_the_estimate(device: torch.device) -> None:
    # ZOAdam is AdamW (decoupled decay, bias-corrected moments) applied to ĝ_t = (z_tᵀ∇f(x_t)) z_t.
    quadratic = Quadratic.random(4, seed=16, device=device)
    x = _point(quadratic, seed=17)
    reference = torch.nn.Parameter(x.detach().clone())
    options = {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1}
    optimizer = ZOAdam([x], seed=9, **options)  # type: ignore[arg-type]
    adamw = torch.optim.AdamW([reference], **options)  # type: ignore[arg-type]
    for step in range(4):
        z = _direction(reference, seed=9, step=step)
        reference.grad = (z @ quadratic.grad(reference.detach())) * z
        adamw.step()
        optimizer.step(lambda: quadratic(x))
        torch.testing.assert_close(x.detach(), reference.detach(), rtol=1e-10, atol=1e-12)


def _train(optimizer: torch.optim.Optimizer, closure: object, steps: int) -> None:
    for _ in range(steps):
        optimizer.step(closure)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        lambda params: ZOSGD(params, lr=0.05, momentum=0.9, num_directions=2, seed=1),
        lambda params: ZOSGD(params, lr=0.05, conservative=True, distribution="sphere", seed=2),
        lambda params: ZOAdam(params, lr=0.01, difference="one_sided", seed=3),
    ],
    ids=["zosgd-momentum", "zosgd-conservative", "zoadam"],
)
def test_state_dict_round_trip(device: torch.device, make: object) -> None:
    # Three steps, save, three more steps; a fresh optimizer (another seed) loading the saved
    # state from the saved parameters makes the same three steps, bit for bit.
    data, target = regression_data(device)
    model = small_mlp(device, seed=5)
    optimizer = make(model.parameters())  # type: ignore[operator]
    closure = lambda: torch.nn.functional.mse_loss(model(data), target)  # noqa: E731
    _train(optimizer, closure, 3)
    saved_model = copy.deepcopy(model.state_dict())
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    _train(optimizer, closure, 3)

    twin = small_mlp(device, seed=99)
    twin.load_state_dict(saved_model)
    twin_optimizer = make(twin.parameters())  # type: ignore[operator]
    twin_optimizer.seed = 12345
    twin_optimizer.load_state_dict(saved_optimizer)
    _train(twin_optimizer, lambda: torch.nn.functional.mse_loss(twin(data), target), 3)
    for mine, theirs in zip(model.parameters(), twin.parameters(), strict=True):
        assert torch.equal(mine, theirs)
    assert twin_optimizer.steps == optimizer.steps == 6


def test_options_are_checked_with_the_message_template() -> None:
    x = torch.nn.Parameter(torch.zeros(2))
    with pytest.raises(
        ValueError,
        match=r"^The 'lr' parameter of ZOSGD must be a finite float in \(0, inf\)\. Got -1 instead\.$",
    ):
        ZOSGD([x], lr=-1)
    with pytest.raises(
        ValueError,
        match="The 'difference' parameter of ZOSGD must be one of 'two_sided', 'one_sided'",
    ):
        ZOSGD([x], difference="central")
    with pytest.raises(
        ValueError, match=r"The 'momentum' parameter of ZOSGD must be a finite float in \[0, 1\)"
    ):
        ZOSGD([{"params": [x], "momentum": 1.5}])
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['betas'\]"):
        ZOSGD([{"params": [x], "betas": (0.9, 0.99)}])
    with pytest.raises(
        ValueError, match="The 'betas' parameter of ZOAdam must be a pair of floats in"
    ):
        ZOAdam([x], betas=(0.9, 1.0))
    with pytest.raises(
        ValueError, match="The 'num_directions' parameter of ZOAdam must be an int in"
    ):
        ZOAdam([x], num_directions=0)
    with pytest.raises(
        TypeError, match=r"The 'closure' parameter of ZOSGD\.step must be a callable"
    ):
        ZOSGD([x]).step()
    with pytest.raises(TypeError, match="The 'sign' parameter of ZOSGD must be a bool"):
        ZOSGD([x], sign=1)  # type: ignore[arg-type]


def test_fresh_seed_is_kept_in_the_state_dict() -> None:
    x = torch.nn.Parameter(torch.zeros(2))
    optimizer = ZOSGD([x])
    state = optimizer.state_dict()
    assert state["apogee_zo"] == {"seed": optimizer.seed, "step": 0}
    assert isinstance(optimizer.seed, int) and optimizer.seed >= 0
    assert not math.isnan(ZOSGD([x], seed=0).step(lambda: (x**2).sum()))
