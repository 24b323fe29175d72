"""`learn_hyperparameters`: per-feature L2, per-sample weights, a learning rate, and its errors."""

from __future__ import annotations

import pytest
import torch

from apogee.bilevel import HyperparameterResult, LearnSettings, learn_hyperparameters

DTYPE = torch.float64


def _regression(
    seed: int,
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """Targets depend on features 0-2 only; features 3-9 are noise the model should shrink."""
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(120, 10, generator=generator, dtype=DTYPE)
    coef = torch.tensor([2.0, -1.5, 1.0] + [0.0] * 7, dtype=DTYPE)
    y = X @ coef + 0.5 * torch.randn(120, generator=generator, dtype=DTYPE)
    return (X[:40], y[:40]), (X[40:], y[40:])


def test_per_feature_l2_shrinks_noise_features_more() -> None:
    train, validation = _regression(0)
    model = torch.nn.Linear(10, 1).to(DTYPE)
    result = learn_hyperparameters(
        model, train, validation, loss="mse", steps=60, settings=LearnSettings(outer_lr=0.2)
    )
    assert result.l2_weights is not None and result.l2_weights.shape == (10,)
    logs = result.l2_weights.log()
    assert float(logs[3:].median()) > float(logs[:3].max()) + 2.0  # e^2 ≈ 7× stronger
    assert float(logs[3:].mean()) > float(logs[:3].mean()) + 2.0
    assert result.validation_losses[-1] < result.validation_losses[0]
    assert result.solver == "aid" and len(result.seconds) == 60
    assert not torch.equal(model.weight, result.model.weight)  # the user's model is untouched


def test_sample_weights_down_weight_flipped_labels() -> None:
    generator = torch.Generator().manual_seed(1)
    X = torch.randn(300, 4, generator=generator, dtype=DTYPE)
    labels = (X[:, 0] + X[:, 1] > 0).long()
    noisy = labels[:100].clone()
    flipped = torch.rand(100, generator=generator) < 0.4
    noisy[flipped] = 1 - noisy[flipped]
    result = learn_hyperparameters(
        torch.nn.Linear(4, 2).to(DTYPE),
        (X[:100], noisy),
        (X[100:], labels[100:]),
        l2="none",
        sample_weights=True,
        steps=20,
        settings=LearnSettings(outer_lr=0.3, inner_steps=10),
    )
    weights = result.sample_weights
    assert weights is not None and weights.shape == (100,)
    assert float(weights[flipped].mean()) < float(weights[~flipped].mean()) - 0.1


def test_learning_rate_grows_from_too_small() -> None:
    train, validation = _regression(2)
    settings = LearnSettings(inner_lr=1e-3, inner_steps=10, outer_lr=0.2)
    result = learn_hyperparameters(
        torch.nn.Linear(10, 1).to(DTYPE),
        train,
        validation,
        l2="none",
        learning_rate=True,
        loss="mse",
        steps=20,
        settings=settings,
    )
    assert result.solver == "itd"
    assert result.learning_rate is not None and result.learning_rate > 1e-2
    assert result.validation_losses[-1] < 0.5 * result.validation_losses[0]


def test_progress_bar_and_minibatches_run(capsys: pytest.CaptureFixture[str]) -> None:
    train, validation = _regression(3)
    result = learn_hyperparameters(
        torch.nn.Linear(10, 1).to(DTYPE),
        train,
        validation,
        l2="shared",
        loss="mse",
        steps=3,
        settings=LearnSettings(batch_size=16),
        progress=True,
    )
    assert result.l2_weights is not None and result.l2_weights.shape == ()


def test_clear_errors() -> None:
    train, validation = _regression(4)
    model = torch.nn.Linear(10, 1).to(DTYPE)
    with pytest.raises(ValueError, match="'train' parameter"):
        learn_hyperparameters(model, (train[0], train[1][:5]), validation, loss="mse")
    with pytest.raises(ValueError, match="same feature shape"):
        learn_hyperparameters(model, train, (validation[0][:, :3], validation[1]), loss="mse")
    with pytest.raises(ValueError, match="nothing to learn"):
        learn_hyperparameters(model, train, validation, l2="none", loss="mse")
    with pytest.raises(ValueError, match="'l2' parameter"):
        learn_hyperparameters(model, train, validation, l2="per_sample", loss="mse")
    with pytest.raises(ValueError, match="one value per sample"):
        learn_hyperparameters(model, train, validation, loss=lambda p, t: ((p - t) ** 2).mean())


def _learn_linear_mse(seed: int, settings: LearnSettings) -> HyperparameterResult:
    """30 updates of per-feature L2 on `_regression(seed)` for a linear model."""
    train, validation = _regression(seed)
    model = torch.nn.Linear(10, 1).to(DTYPE)
    return learn_hyperparameters(model, train, validation, loss="mse", steps=30, settings=settings)


def test_holdout_returns_the_update_with_the_lowest_held_out_loss() -> None:
    train, validation = _regression(5)
    result = _learn_linear_mse(5, LearnSettings(outer_lr=0.2, holdout=0.25))
    held = result.holdout_losses
    assert len(held) == 30 and len(result.validation_losses) == 30
    assert result.best_step == 1 + min(range(30), key=held.__getitem__)
    # the returned model is the one at the best update: its loss on the held-out part
    generator = torch.Generator().manual_seed(0)  # the split uses the learn seed (0)
    order = torch.randperm(80, generator=generator)
    inputs, targets = validation[0][order[:20]], validation[1][order[:20]]
    with torch.no_grad():
        loss = float(((result.model(inputs).squeeze(-1) - targets) ** 2).mean())
    assert loss == pytest.approx(min(held), rel=1e-9)
    stopped = _learn_linear_mse(5, LearnSettings(outer_lr=0.2, holdout=0.25, patience=2))
    assert stopped.best_step is not None
    assert len(stopped.holdout_losses) == min(30, stopped.best_step + 2)
    with pytest.raises(ValueError, match="'holdout' parameter of LearnSettings"):
        LearnSettings(holdout=1.0)
    with pytest.raises(ValueError, match="'holdout' parameter of LearnSettings"):
        learn_hyperparameters(
            torch.nn.Linear(10, 1).to(DTYPE),
            train,
            (validation[0][:2], validation[1][:2]),
            loss="mse",
            settings=LearnSettings(holdout=0.1),
        )


def test_l2_spread_prior_pulls_per_feature_weights_together() -> None:
    spreads = []
    for kappa in (0.0, 1.0):
        result = _learn_linear_mse(6, LearnSettings(outer_lr=0.2, l2_spread=kappa))
        assert result.l2_weights is not None
        spreads.append(float(result.l2_weights.log().std()))
    # the prior's gradient 2κ(θ_j − θ̄)/d outweighs the validation gradient at κ = 1
    assert spreads[1] < 0.5 * spreads[0] and spreads[0] > 1.0
    with pytest.raises(ValueError, match="'l2_spread' parameter of LearnSettings"):
        LearnSettings(l2_spread=-1.0)
