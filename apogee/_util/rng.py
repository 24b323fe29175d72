"""Deterministic random streams derived from a seed and keys.

Engines must give the same suggestion for the same seed and history in a fresh process, so
every random stream is derived from `(seed, *keys)` through `numpy.random.SeedSequence` and
never from global state.
"""

from __future__ import annotations

import secrets

import numpy as np


def generator(seed: int, *keys: int) -> np.random.Generator:
    """A `numpy.random.Generator` determined by `seed` and the integer `keys`."""
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


def derive_int(seed: int, *keys: int) -> int:
    """A 32-bit integer seed determined by `seed` and `keys` (for libraries that take ints)."""
    words = np.random.SeedSequence([seed, *keys]).generate_state(1, dtype=np.uint32)
    return int(words[0])


def fresh_seed() -> int:
    """A new random seed for a study created without one (then stored, so runs can resume)."""
    return secrets.randbits(31)
