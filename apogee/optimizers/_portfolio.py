"""The bandit of `auto`'s portfolio mode: which engine gets the next evaluation.

As Balans (bandit-guided neighborhood search) picks among destroy/repair operators by their
recent outcomes, the portfolio picks among engines by their recent *improvements*: a complete
trial of arm `a` earns reward 1 if its value beats every complete trial numbered before it,
else 0. Each arm's posterior is `Beta(1 + s, 1 + n - s)` over its `window` most recent complete
trials (so an engine that stopped improving loses its share), and each trial number draws one
Thompson sample per arm from a stream keyed on that number. Arms are stored on the trials
(`auto:arm`), and rewards are recomputed from the values, so the bandit is a function of the
history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from apogee._util.rng import generator
from apogee.history import History, TrialState

ARM = "auto:arm"


@dataclass(frozen=True)
class ArmStats:
    """Recent complete trials of one arm, how many improved on the best so far, and all pulls."""

    recent: int
    successes: int
    pulls: int


def rewards(history: History) -> list[tuple[str, float]]:
    """`(arm, reward)` for every complete trial that an arm suggested, in trial-number order."""
    best = np.inf
    earned = []
    complete = history.complete
    values = history.objective_matrix(complete)[:, 0] if complete else np.empty(0)
    for trial, value in zip(complete, values, strict=True):
        arm = trial.system_attrs.get(ARM)
        if isinstance(arm, str):
            earned.append((arm, 1.0 if value < best else 0.0))
        best = min(best, float(value))
    return earned


def arm_stats(history: History, arms: Sequence[str], window: int) -> dict[str, ArmStats]:
    """Each arm's recent successes (over its last `window` rewards) and its pulls."""
    earned = rewards(history)
    pulls = {arm: 0 for arm in arms}
    for trial in history.trials:
        arm = trial.system_attrs.get(ARM)
        if arm in pulls and trial.state is not TrialState.WAITING:
            pulls[arm] += 1
    stats = {}
    for arm in arms:
        recent = [reward for name, reward in earned if name == arm][-window:]
        stats[arm] = ArmStats(len(recent), int(sum(recent)), pulls[arm])
    return stats


def choose_arms(
    stats: dict[str, ArmStats], arms: Sequence[str], numbers: Sequence[int], seed: int
) -> list[str]:
    """One arm per trial number, by a Thompson draw from each arm's Beta posterior."""
    chosen = []
    for number in numbers:
        rng = generator(seed, 0xBA1, number)
        draws = [
            rng.beta(1 + stats[arm].successes, 1 + stats[arm].recent - stats[arm].successes)
            for arm in arms
        ]
        chosen.append(arms[int(np.argmax(draws))])
    return chosen
