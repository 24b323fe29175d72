"""`cbo`: consensus-based optimization (Pinnau et al. 2017; Carrillo et al. 2018), ask/tell.

A generation is one step of the particle system: `N` particles (slots) of iteration `t` are the
trials tagged `cbo:generation = t`, each storing its unit-cube position `cbo:x`. From the
values `E_i` of iteration `t` the consensus point is the softmin-weighted mean

    c_α = Σ_i x_i exp(−α E_i) / Σ_i exp(−α E_i)                           (consensus)

(weights computed with logsumexp, so large `α` never overflows), and particle `i` moves to

    x_i ← x_i − λ dt (x_i − c_α) + σ √dt ‖x_i − c_α‖₂ ξ_i      (isotropic)
    x_i ← x_i − λ dt (x_i − c_α) + σ √dt (x_i − c_α) ⊙ ξ_i     (anisotropic)

with `ξ_i ~ N(0, I)`, then is projected onto the unit cube. The temperature follows CBXpy's
default scheduler, `α_t = min(α_0 · 1.05^t, 1e5)`. Only the newest closed iteration is needed
to continue, so the state is rebuilt from the stored positions without replay. The defaults
are CBXpy's (`dt = 0.01`, `λ = 1`, `σ = 5.1`, `α_0 = 1`, `N = 20`, isotropic noise), so the
engine reproduces the reference dynamics up to the projection onto the box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from apogee._util.rng import generator
from apogee._util.validation import check_choice, check_float, check_int
from apogee.history import History, TrialRecord
from apogee.optimizers._slots import assign_slots, by_generation, representatives, slot_values
from apogee.optimizers.base import Engine, Proposal, Suggestion

PREFIX = "cbo"
NOISES = ("isotropic", "anisotropic")


def consensus(positions: np.ndarray, energies: np.ndarray, alpha: float) -> np.ndarray:
    """The consensus point `c_α` of `(N, d)` positions with `(N,)` energies, shape `(d,)`.

    Infinite energies (failed evaluations) get weight zero; if every energy is infinite the
    consensus is the plain mean.
    """
    finite = np.isfinite(energies)
    if not finite.any():
        mean: np.ndarray = positions.mean(axis=0)
        return mean
    exponents = np.where(finite, -alpha * np.where(finite, energies, 0.0), -np.inf)
    top = exponents.max()
    log_norm = top + math.log(float(np.exp(exponents - top).sum()))  # logsumexp
    weights = np.exp(exponents - log_norm)
    point: np.ndarray = weights @ positions
    return point


def cbo_step(
    positions: np.ndarray,
    center: np.ndarray,
    xi: np.ndarray,
    *,
    drift: float,
    dt: float,
    sigma: float,
    noise: str,
) -> np.ndarray:
    """One Euler-Maruyama step of the CBO dynamics for `(N, d)` positions and `(N, d)` noise `ξ`."""
    difference = positions - center
    if noise == "isotropic":
        diffusion = math.sqrt(dt) * np.linalg.norm(difference, axis=1, keepdims=True) * xi
    else:
        diffusion = math.sqrt(dt) * difference * xi
    moved: np.ndarray = positions - drift * dt * difference + sigma * diffusion
    return moved


@dataclass(frozen=True)
class CBO(Engine):
    """Consensus-based optimization: particles drift to a softmin-weighted consensus, with noise.

    Args:
        particles: `N`, particles per iteration (trials per generation).
        dt: time step of the Euler-Maruyama discretisation.
        drift: `λ`, strength of the pull to the consensus.
        sigma: `σ`, noise strength.
        alpha: `α_0`, initial inverse temperature of the softmin weights.
        alpha_factor: `α` is multiplied by this after every iteration ...
        alpha_max: ... up to this cap.
        noise: `"isotropic"` (one scale per particle) or `"anisotropic"` (per coordinate;
            better in high dimension, Carrillo et al. 2021).

    Example:
        >>> import apogee as ap
        >>> engine = ap.optimizers.CBO(particles=20, dt=0.1, sigma=1.0)
        >>> result = ap.minimize(lambda x: float(((x - 0.3) ** 2).sum()), bounds=[(-1, 1)] * 2,
        ...                      budget=400, optimizer=engine, seed=0, progress=False)
        >>> result.value < 1e-2
        True
    """

    particles: int = 20
    dt: float = 0.01
    drift: float = 1.0
    sigma: float = 5.1
    alpha: float = 1.0
    alpha_factor: float = 1.05
    alpha_max: float = 1e5
    noise: str = "isotropic"

    name: ClassVar[str] = "cbo"

    def __post_init__(self) -> None:
        check_int(self.particles, "particles", "CBO", low=2)
        check_float(self.dt, "dt", "CBO", low=0.0, low_open=True)
        check_float(self.drift, "drift", "CBO", low=0.0)
        check_float(self.sigma, "sigma", "CBO", low=0.0)
        check_float(self.alpha, "alpha", "CBO", low=0.0)
        check_float(self.alpha_factor, "alpha_factor", "CBO", low=1.0)
        check_float(self.alpha_max, "alpha_max", "CBO", low=0.0)
        check_choice(self.noise, "noise", "CBO", NOISES)

    def temperature(self, iteration: int) -> float:
        """`α_t = min(α_0 · factor^t, α_max)`, computed without overflow."""
        if self.alpha == 0.0:
            return 0.0
        log_alpha = math.log(self.alpha) + iteration * math.log(self.alpha_factor)
        return min(math.exp(min(log_alpha, 700.0)), self.alpha_max)

    def suggest(self, history: History, numbers: Sequence[int], seed: int) -> Proposal:
        space = history.spec.space
        groups = by_generation(history, PREFIX)
        generation, closed = self._open_generation(history, groups)
        slots = assign_slots(groups.get(generation, []), self.particles, PREFIX, len(numbers))
        center = None
        if closed is not None:  # one consensus for the whole batch
            center = consensus(closed[0], closed[1], self.temperature(generation - 1))
        suggestions = []
        for number, slot in zip(numbers, slots, strict=True):
            rng = generator(seed, number)
            if closed is None or center is None:
                position = rng.random(space.dim)
            else:
                xi = rng.standard_normal((1, space.dim))
                moved = cbo_step(
                    closed[0][slot : slot + 1],
                    center,
                    xi,
                    drift=self.drift,
                    dt=self.dt,
                    sigma=self.sigma,
                    noise=self.noise,
                )
                position = np.clip(moved[0], 0.0, 1.0)
            attrs = {
                f"{PREFIX}:generation": generation,
                f"{PREFIX}:slot": slot,
                f"{PREFIX}:x": [float(v) for v in position],
            }
            suggestions.append(Suggestion(space.decode(position), attrs))
        return Proposal(tuple(suggestions))

    def _open_generation(
        self, history: History, groups: dict[int, list[TrialRecord]]
    ) -> tuple[int, tuple[np.ndarray, np.ndarray] | None]:
        """The open iteration and the positions and energies of the closed one before it."""
        newest = max(groups, default=-1)
        if newest >= 0 and representatives(groups[newest], self.particles, PREFIX) is not None:
            newest += 1
        for previous in range(newest - 1, -1, -1):
            chosen = representatives(groups.get(previous, []), self.particles, PREFIX)
            if chosen is not None:
                return newest, self._particles_of(history, chosen)
        return max(newest, 0), None

    def _particles_of(
        self, history: History, chosen: list[TrialRecord]
    ) -> tuple[np.ndarray, np.ndarray]:
        dim = history.spec.space.dim
        positions = np.array([t.system_attrs[f"{PREFIX}:x"] for t in chosen], dtype=float)
        energies = np.array(slot_values(history, chosen, math.inf), dtype=float)
        return positions.reshape(len(chosen), dim), energies

    def consensus_point(self, history: History) -> dict[str, Any] | None:
        """The parameters at the consensus of the newest closed iteration (None before one)."""
        groups = by_generation(history, PREFIX)
        for generation in sorted(groups, reverse=True):
            chosen = representatives(groups[generation], self.particles, PREFIX)
            if chosen is not None:
                positions, energies = self._particles_of(history, chosen)
                center = consensus(positions, energies, self.temperature(generation))
                return history.spec.space.decode(np.clip(center, 0.0, 1.0))
        return None
