"""Best response over discrete columns: the per-variable game of GameOpt.

GameOpt (Bal et al. 2024, "Optimistic games for combinatorial Bayesian optimization") treats each
discrete variable as a player whose payoff is the acquisition value and looks for an
equilibrium: a point no single variable can improve by changing its value alone. Best-response
dynamics reach one: each player in turn takes its best value given the others, until a full
round changes nothing. A round costs `sum_j n_j` acquisition values per start instead of the
`prod_j n_j` of enumeration, which is what makes large categorical spaces tractable; several
starts, and the best equilibrium among them, stand in for the global maximum.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from apogee.acquisition._domain import Domain

Score = Callable[[np.ndarray], np.ndarray]  # snapped latent `m x d` -> `m` acquisition values

_MIN_GAIN = 1e-12  # a player moves only for a strict gain, so the dynamics terminate


def best_response_round(score: Score, X: np.ndarray, domain: Domain) -> tuple[np.ndarray, bool]:
    """One round: every discrete (and relaxed) column plays its best response, in order.

    Args:
        score: acquisition values of snapped latent points.
        X: `b x d` snapped latent starts.
        domain: the domain of `X`.

    Returns:
        The moved points and whether any column changed.
    """
    X = X.copy()
    changed = False
    current = score(X)
    players = [(j, None) for j in domain.discrete] + [(j, 2) for j in domain.relaxed]
    for j, reach in players:
        options = [_options(domain, j, X[i, j], reach) for i in range(len(X))]
        candidates = np.repeat(X, [len(o) for o in options], axis=0)
        candidates[:, j] = np.concatenate(options)
        values = score(candidates)
        offset = 0
        for i, option in enumerate(options):
            block = values[offset : offset + len(option)]
            offset += len(option)
            best = int(np.argmax(block))
            if block[best] > current[i] + _MIN_GAIN and option[best] != X[i, j]:
                X[i, j], current[i], changed = option[best], block[best], True
    return X, changed


def best_response(
    score: Score, X: np.ndarray, domain: Domain, *, max_rounds: int = 10
) -> np.ndarray:
    """Rounds of best response until an equilibrium (no column moves) or `max_rounds`."""
    for _ in range(max_rounds):
        X, changed = best_response_round(score, X, domain)
        if not changed:
            break
    return X


def _options(domain: Domain, j: int, u: float, reach: int | None) -> np.ndarray:
    if reach is None:
        return domain.grids[j]
    return np.array([u, *domain.neighbours(j, float(u), reach)])
