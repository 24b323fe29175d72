"""Genetic operators on the unit cube: binary tournament, SBX crossover, polynomial mutation.

Formulas follow Deb & Agrawal (1995), "Simulated Binary Crossover for Continuous Search Space",
and Deb & Goyal (1996) for polynomial mutation, in their bounded forms on `[0, 1]`.
"""

from __future__ import annotations

import numpy as np


def tournament_entrants(rng: np.random.Generator, population: int, matings: int) -> np.ndarray:
    """`(matings, 2, 2)` entrants of the binary tournaments of one generation.

    Entrants are drawn from concatenated random permutations, as pymoo does, so every member
    of the population enters about equally often (no member is left out by chance).
    """
    needed = 4 * matings
    rounds = -(-needed // population)
    order = np.concatenate([rng.permutation(population) for _ in range(rounds)])
    return order[:needed].reshape(matings, 2, 2)


def binary_tournament(
    rng: np.random.Generator,
    first: int,
    second: int,
    objectives: np.ndarray,
    violation: np.ndarray,
    crowding: np.ndarray,
) -> int:
    """The winner of `first` against `second` (NSGA-II's crowded comparison with constraints).

    Smaller violation wins; between feasible points, Pareto dominance; then larger crowding
    distance; then a coin flip.
    """
    if violation[first] != violation[second]:
        return first if violation[first] < violation[second] else second
    a, b = objectives[first], objectives[second]
    if np.all(a <= b) and np.any(a < b):
        return first
    if np.all(b <= a) and np.any(b < a):
        return second
    if crowding[first] != crowding[second]:
        return first if crowding[first] > crowding[second] else second
    return first if rng.random() < 0.5 else second


def _sbx_spread(u: float, beta: float, eta: float) -> float:
    alpha = 2.0 - beta ** -(eta + 1.0)
    if u <= 1.0 / alpha:
        return float((u * alpha) ** (1.0 / (eta + 1.0)))
    return float((1.0 / (2.0 - u * alpha)) ** (1.0 / (eta + 1.0)))


def sbx(
    rng: np.random.Generator, parent_a: np.ndarray, parent_b: np.ndarray, eta: float
) -> tuple[np.ndarray, np.ndarray]:
    """The two children of simulated binary crossover of `(d,)` parents in `[0, 1]^d`.

    Each variable crosses with probability 1/2 (when the parents differ), and the two children
    swap that variable's values with probability 1/2; the spread factor keeps both in bounds.
    """
    child_a, child_b = parent_a.copy(), parent_b.copy()
    for i in range(len(child_a)):
        low, high = sorted((parent_a[i], parent_b[i]))
        if rng.random() >= 0.5 or high - low < 1e-14:
            continue
        u = rng.random()
        beta_low = 1.0 + 2.0 * low / (high - low)
        beta_high = 1.0 + 2.0 * (1.0 - high) / (high - low)
        near_low = 0.5 * (low + high - _sbx_spread(u, beta_low, eta) * (high - low))
        near_high = 0.5 * (low + high + _sbx_spread(u, beta_high, eta) * (high - low))
        if rng.random() < 0.5:
            near_low, near_high = near_high, near_low
        child_a[i], child_b[i] = near_low, near_high
    return np.clip(child_a, 0.0, 1.0), np.clip(child_b, 0.0, 1.0)


def polynomial_mutation(
    rng: np.random.Generator,
    x: np.ndarray,
    eta: float,
    probability: float,
    *,
    at_least_once: bool = False,
) -> np.ndarray:
    """Polynomial mutation of a `(d,)` point in `[0, 1]^d`, each variable with `probability`.

    With `at_least_once`, one random variable is mutated when none was drawn, so a child that
    no crossover changed never costs an evaluation as an exact copy of its parent.
    """
    mutated = x.copy()
    power = 1.0 / (eta + 1.0)
    chosen = rng.random(len(mutated)) < probability
    if at_least_once and not chosen.any() and len(mutated):
        chosen[rng.integers(len(mutated))] = True
    for i in np.flatnonzero(chosen):
        y, u = mutated[i], rng.random()
        if u <= 0.5:
            value = 2.0 * u + (1.0 - 2.0 * u) * (1.0 - y) ** (eta + 1.0)
            delta = value**power - 1.0
        else:
            value = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * y ** (eta + 1.0)
            delta = 1.0 - value**power
        mutated[i] = y + delta
    clipped: np.ndarray = np.clip(mutated, 0.0, 1.0)
    return clipped
