"""Differential-evolution operators on the unit cube: parameters, mutation, crossover, bounds.

Notation after Storn & Price (1997), JADE (Zhang & Sanderson 2009) and SHADE (Tanabe &
Fukunaga 2013): population `x` of shape `(NP, d)`, values `f` of shape `(NP,)`, mutation
factor `F`, crossover rate `CR`, external archive `A` of replaced parents, success-history
memories `M_F`, `M_CR` of size `H`.
"""

from __future__ import annotations

import numpy as np

STRATEGIES = ("current-to-pbest/1", "rand/1", "best/1")
BOUNDS = ("midpoint", "reflect")


def sample_parameters(
    rng: np.random.Generator, memory_f: np.ndarray, memory_cr: np.ndarray
) -> tuple[float, float]:
    """`(F, CR)` from a random memory slot (SHADE, Algorithm 1 lines 8-11).

    `CR ~ N(M_CR[r], 0.1)` clipped to `[0, 1]`; `F ~ Cauchy(M_F[r], 0.1)`, redrawn while
    `F <= 0`, truncated at 1.
    """
    slot = int(rng.integers(len(memory_f)))
    cr = float(np.clip(rng.normal(memory_cr[slot], 0.1), 0.0, 1.0))
    f = 0.0
    while f <= 0.0:
        f = float(memory_f[slot] + 0.1 * np.tan(np.pi * (rng.random() - 0.5)))
    return min(f, 1.0), cr


def distinct_indices(
    rng: np.random.Generator, size: int, count: int, exclude: tuple[int, ...]
) -> list[int]:
    """`count` distinct indices in `[0, size)` avoiding `exclude` (fewer if `size` is small)."""
    allowed = np.array([i for i in range(size) if i not in exclude], dtype=int)
    if len(allowed) == 0:
        return [exclude[0]] * count
    picks = rng.choice(allowed, size=min(count, len(allowed)), replace=False).tolist()
    while len(picks) < count:
        picks.append(int(rng.choice(allowed)))
    return [int(i) for i in picks]


def mutate(
    rng: np.random.Generator,
    strategy: str,
    target: int,
    factor: float,
    population: np.ndarray,
    values: np.ndarray,
    archive: np.ndarray,
) -> np.ndarray:
    """The donor vector `v` of `target` under `strategy`, shape `(d,)`.

    * rand/1: `v = x_r1 + F (x_r2 - x_r3)`;
    * best/1: `v = x_best + F (x_r1 - x_r2)`;
    * current-to-pbest/1 (JADE eq. 9, with archive): `v = x_i + F (x_pbest - x_i) + F (x_r1 -
      x~_r2)`, `x_pbest` one of the `max(2, round(p NP))` best with `p ~ U[2/NP, 0.2]`
      (SHADE), and `x~_r2` drawn from the population joined with the archive.
    """
    size = len(population)
    if strategy == "rand/1":
        r1, r2, r3 = distinct_indices(rng, size, 3, (target,))
        donor: np.ndarray = population[r1] + factor * (population[r2] - population[r3])
        return donor
    if strategy == "best/1":
        best = int(np.argmin(values))
        r1, r2 = distinct_indices(rng, size, 2, (target, best))
        donor = population[best] + factor * (population[r1] - population[r2])
        return donor
    p = rng.uniform(min(2.0 / size, 0.2), 0.2)
    top = np.argsort(values, kind="stable")[: max(2, round(p * size))]
    pbest = int(rng.choice(top))
    (r1,) = distinct_indices(rng, size, 1, (target,))
    union = np.vstack([population, archive]) if len(archive) else population
    (r2,) = distinct_indices(rng, len(union), 1, (target, r1))
    x = population[target]
    donor = x + factor * (population[pbest] - x) + factor * (population[r1] - union[r2])
    return donor


def binomial_crossover(
    rng: np.random.Generator, target: np.ndarray, donor: np.ndarray, cr: float
) -> np.ndarray:
    """`u_j = v_j` if `rand_j <= CR` or `j = j_rand`, else `x_j` (one donor column at least)."""
    take = rng.random(len(target)) <= cr
    take[int(rng.integers(len(target)))] = True
    return np.where(take, donor, target)


def repair(trial: np.ndarray, parent: np.ndarray, method: str) -> np.ndarray:
    """Bring `trial` back into `[0, 1]^d`.

    `"midpoint"`: halfway between the violated bound and the parent (JADE, SHADE);
    `"reflect"`: mirrored at the bound (then clipped, for steps beyond a whole width).
    """
    if method == "midpoint":
        repaired = np.where(trial < 0.0, parent / 2.0, trial)
        repaired = np.where(trial > 1.0, (1.0 + parent) / 2.0, repaired)
    else:
        repaired = np.where(trial < 0.0, -trial, trial)
        repaired = np.where(repaired > 1.0, 2.0 - repaired, repaired)
    clipped: np.ndarray = np.clip(repaired, 0.0, 1.0)
    return clipped


def update_memory(
    memory: np.ndarray, position: int, successes: np.ndarray, improvements: np.ndarray, lehmer: bool
) -> np.ndarray:
    """SHADE's memory update at `position`: the improvement-weighted (Lehmer) mean of successes.

    `M_CR = Σ w S_CR`, `M_F = Σ w S_F² / Σ w S_F`, with `w = Δf / Σ Δf` (SHADE eqs. 7-9).
    """
    updated = memory.copy()
    weights = improvements / improvements.sum()
    if lehmer:
        updated[position] = float(np.sum(weights * successes**2) / np.sum(weights * successes))
    else:
        updated[position] = float(np.sum(weights * successes))
    return updated
