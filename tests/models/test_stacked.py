"""StackedGP: the batched posteriors equal each GP's own, values and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import apogee as ap
from apogee.models import ExactGP, Hyperparameters, InputSpec, StackedGP, shares_data


def _gps(inputs: InputSpec, X: torch.Tensor, count: int, seed: int) -> list[ExactGP]:
    rng = np.random.default_rng(seed)
    return [
        ExactGP(
            inputs,
            X,
            torch.as_tensor(rng.standard_normal(len(X))),
            Hyperparameters(
                tuple(float(v) for v in rng.uniform(0.1, 1.0, inputs.dim)),
                float(rng.uniform(0.5, 2.0)),
                float(rng.uniform(1e-6, 1e-2)),
                float(rng.standard_normal()),
            ),
        )
        for _ in range(count)
    ]


def test_stacked_posterior_equals_each_gp_with_gradients() -> None:
    space = ap.Space(
        {"x": ap.Float(0, 1), "c": ap.Categorical(["a", "b", "c"]), "y": ap.Float(0, 1)}
    )
    inputs = InputSpec.from_space(space, flatten=False)
    rng = np.random.default_rng(0)
    X = torch.as_tensor(np.column_stack([rng.random(30), rng.integers(0, 3, 30) / 3 + 0.1,
                                         rng.random(30)]))  # fmt: skip
    gps = _gps(inputs, X, 4, seed=1)
    query = torch.as_tensor(rng.random((7, 3)), dtype=torch.float64).requires_grad_(True)
    mean, variance = StackedGP(gps).posterior(query)
    stacked_grad = torch.autograd.grad((mean + variance).sum(), query)[0]
    single = [gp.posterior(query) for gp in gps]
    expected_mean = torch.stack([m for m, _ in single])
    expected_variance = torch.stack([v for _, v in single])
    single_grad = torch.autograd.grad((expected_mean + expected_variance).sum(), query)[0]
    torch.testing.assert_close(mean, expected_mean, rtol=0, atol=1e-10)
    torch.testing.assert_close(variance, expected_variance, rtol=0, atol=1e-10)
    torch.testing.assert_close(stacked_grad, single_grad, rtol=0, atol=1e-8)


def test_gps_on_other_points_are_not_stacked() -> None:
    inputs = InputSpec.continuous(2)
    X = torch.rand(10, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    same = _gps(inputs, X, 2, seed=0)
    other = _gps(inputs, X[:9], 1, seed=1)
    assert shares_data(same) and not shares_data([*same, *other])
    assert not shares_data([same[0], object()])
    with pytest.raises(ValueError, match="same inputs and training points"):
        StackedGP([*same, *other])
