"""The inner optimizer: domains, exact discrete values, GameOpt against enumeration, exclusion."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import apogee as ap
from apogee.acquisition import (
    Domain,
    OptimizeOptions,
    UpperConfidenceBound,
    best_response,
    contains,
    maximize_acquisition,
    raw_candidates,
    score,
    thompson_sample,
)
from apogee.models import ExactGP, Hyperparameters, InputSpec
from apogee.testing._optimizer_contract import contract_space


def test_canonical_points_are_what_the_space_encodes() -> None:
    space = contract_space()
    domain = Domain.from_space(space)
    latent = np.random.default_rng(0).random((300, space.dim))
    canonical = domain.canonical(latent)
    for row in canonical:
        np.testing.assert_allclose(space.encode(space.decode(row)), row, atol=1e-12)
    assert np.isnan(canonical[:, -1]).any() and np.isfinite(canonical[:, -1]).any()


def test_large_integer_grids_are_relaxed_and_snapped() -> None:
    space = ap.Space({"n": ap.Int(0, 10_000), "k": ap.Int(1, 4096, log=True)})
    domain = Domain.from_space(space)
    assert domain.relaxed == (0, 1) and not domain.discrete
    for row in domain.canonical(np.random.default_rng(1).random((50, 2))):
        np.testing.assert_allclose(space.encode(space.decode(row)), row, atol=1e-12)


def categorical_ucb(n_vars: int, n_choices: int, seed: int) -> tuple[Domain, UpperConfidenceBound]:
    """UCB of a GP fitted to an objective with interactions, on a categorical space."""
    space = ap.Space({f"c{i}": ap.Categorical(list(range(n_choices))) for i in range(n_vars)})
    rng = np.random.default_rng(seed)
    X = (rng.integers(0, n_choices, (25, n_vars)) + 0.5) / n_choices
    weights = rng.standard_normal((n_vars, n_choices))
    index = (X * n_choices).astype(int)
    y = weights[np.arange(n_vars), index].sum(1) + 0.8 * (index[:, 0] == index[:, 1])
    hyper = Hyperparameters((0.8,) * n_vars, 1.0, 1e-4, 0.0)
    gp = ExactGP(InputSpec.from_space(space), torch.as_tensor(X), torch.as_tensor(y), hyper)
    return Domain.from_space(space), UpperConfidenceBound(gp, beta=4.0)


def test_gameopt_finds_the_maximizer_of_full_enumeration() -> None:
    domain, acqf = categorical_ucb(n_vars=4, n_choices=5, seed=0)  # 625 points
    grid = np.array(list(itertools.product(*[domain.grids[j] for j in range(4)])))
    values = score(acqf, domain, grid)
    # Few starts from few raw samples: the raw stage alone sees 2% of the space.
    options = OptimizeOptions(n_restarts=3, raw_samples=12, local_samples=0)
    x, value = maximize_acquisition(acqf, domain, rng=np.random.default_rng(0), options=options)
    np.testing.assert_allclose(x, grid[np.argmax(values)])
    assert value == pytest.approx(values.max(), rel=1e-12)


def test_a_peak_that_only_the_anchor_reaches_is_found() -> None:
    # Flat (zero gradient) outside a ball of radius 1e-3 around `peak`, which holds the anchor:
    # no Sobol' start can climb, only L-BFGS-B from the anchor itself does.
    peak = np.array([0.3, 0.7, 0.5])
    center = torch.as_tensor(peak)

    def acqf(X: torch.Tensor) -> torch.Tensor:
        return torch.clamp(-((X - center) ** 2).sum(-1) / 1e-6, min=-1.0)

    anchor = (peak + 5e-4)[None, :]
    options = OptimizeOptions(n_restarts=4, raw_samples=64, local_samples=0)
    x, value = maximize_acquisition(
        acqf, Domain.box(3), rng=np.random.default_rng(0), anchors=anchor,
        exclude=anchor, options=options,
    )  # fmt: skip
    np.testing.assert_allclose(x, peak, atol=1e-5)
    assert value > -1e-3


def test_best_response_ends_in_an_equilibrium() -> None:
    domain, acqf = categorical_ucb(n_vars=6, n_choices=4, seed=1)
    start = domain.snap(np.random.default_rng(2).random((1, 6)))
    end = best_response(lambda Z: score(acqf, domain, Z), start, domain)
    value = score(acqf, domain, end)[0]
    for j in range(6):  # no single variable can improve on its own
        deviations = np.repeat(end, 4, axis=0)
        deviations[:, j] = domain.grids[j]
        assert score(acqf, domain, deviations).max() <= value + 1e-12


def test_excluded_points_are_never_returned() -> None:
    space = ap.Space({"a": ap.Int(0, 2), "b": ap.Categorical(["x", "y"])})
    domain = Domain.from_space(space)
    acqf = lambda X: -((X - 0.2) ** 2).sum(-1)  # noqa: E731
    rng = np.random.default_rng(0)
    first, _ = maximize_acquisition(acqf, domain, rng=rng)
    second, _ = maximize_acquisition(acqf, domain, rng=rng, exclude=first[None, :])
    assert not np.allclose(first, second)
    everything = domain.canonical(
        np.array(list(itertools.product(domain.grids[0], domain.grids[1])))
    )
    assert contains(everything, second)


def test_mixed_conditional_optimum_is_canonical() -> None:
    space = contract_space()
    domain = Domain.from_space(space)
    target = domain.canonical(np.full((1, space.dim), 0.7))[0]

    def acqf(X: torch.Tensor) -> torch.Tensor:
        filled = torch.nan_to_num(X, nan=0.0)
        return -((filled - torch.as_tensor(np.nan_to_num(target))) ** 2).sum(-1)

    x, _ = maximize_acquisition(acqf, domain, rng=np.random.default_rng(3))
    np.testing.assert_allclose(x, target, atol=1e-5)
    np.testing.assert_allclose(space.encode(space.decode(x)), x, atol=1e-12)


def test_thompson_sampling_is_seeded() -> None:
    domain, acqf = categorical_ucb(n_vars=3, n_choices=4, seed=2)
    gp = acqf.model
    assert isinstance(gp, ExactGP)
    draws = [thompson_sample(gp, domain, rng=np.random.default_rng(s)) for s in (0, 0, 1, 2, 3)]
    np.testing.assert_array_equal(draws[0], draws[1])
    assert len({tuple(d) for d in draws}) >= 2


def test_relaxed_columns_stay_on_their_grid_when_not_moved() -> None:
    from apogee.acquisition._continuous import maximize_continuous

    space = ap.Space({"x": ap.Float(0, 1), "n": ap.Int(0, 1000)})
    domain = Domain.from_space(space)
    starts = domain.snap(np.random.default_rng(4).random((3, 2)))

    def acqf(X: torch.Tensor) -> torch.Tensor:
        return -((X - 0.321) ** 2).sum(-1)

    fixed = maximize_continuous(acqf, starts, domain, move_relaxed=False)
    np.testing.assert_array_equal(fixed[:, 1], starts[:, 1])
    np.testing.assert_allclose(fixed[:, 0], 0.321, atol=1e-5)
    moved = maximize_continuous(acqf, starts, domain)
    np.testing.assert_allclose(moved[:, 1], 0.321, atol=1e-3)  # snapped to the nearest of 1001


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_peak_far_narrower_than_the_coarse_scale_is_found_near_the_anchor(seed: int) -> None:
    """A bump 0.001 wide at the incumbent beats a broad one; the returned point is on it."""
    anchor = np.array([0.61, 0.37, 0.52, 0.44])
    broad = torch.tensor([0.15, 0.85, 0.2, 0.8], dtype=torch.float64)
    peak = torch.as_tensor(anchor)

    def acqf(X: torch.Tensor) -> torch.Tensor:  # flat far from both bumps: no gradient there
        narrow = torch.exp(-((X - peak) ** 2).sum(-1) / (2 * 0.001**2))
        return narrow + 0.5 * torch.exp(-((X - broad) ** 2).sum(-1) / (2 * 0.2**2))

    def best(options: OptimizeOptions) -> np.ndarray:
        rng = np.random.default_rng(seed)
        x, _ = maximize_acquisition(
            acqf, Domain.box(4), rng=rng, anchors=anchor[None], options=options
        )
        return x

    np.testing.assert_allclose(best(OptimizeOptions()), anchor, atol=1e-4)


def test_perturbations_of_the_anchor_span_the_fine_and_coarse_scales() -> None:
    anchor = np.full((1, 4), 0.5)
    options = OptimizeOptions(raw_samples=1)
    local = raw_candidates(Domain.box(4), np.random.default_rng(0), anchor, options)[1:]
    spread = np.abs(local - anchor).max(axis=1)
    assert spread.min() < 2 * options.local_scale_min and spread.max() > options.local_scale
