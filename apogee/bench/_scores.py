"""What the report measures in each run, as a trajectory over evaluations (lower is better).

- one objective: `log10` of the regret of the incumbent (the point with the best *observed*
  value so far, scored by its noise-free value), floored at `REGRET_FLOOR`;
- several objectives: `log10(HV_max - HV)` of the feasible points evaluated so far;
- constraints: `log10` of the gap between the best feasible value so far and the best known one
  (infinite while nothing feasible has been found).
Where a problem has no known optimum (or maximal hypervolume), the best value (hypervolume) seen
in any run of the file stands in for it, and the report says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from apogee.moo import hypervolume

REGRET_FLOOR = 1e-8
HV_CHECKPOINTS = 60  # hypervolume is computed at most this many times per run, carried forward


@dataclass(frozen=True)
class RowFacts:
    """What scoring needs of one problem: its kind, directions and the reference it uses."""

    kind: str  # "regret", "hypervolume" or "constrained"
    signs: tuple[float, ...]  # +1 minimize, -1 maximize, per objective
    objectives: tuple[str, ...]
    constraints: tuple[str, ...]
    optimum: float  # f* or HV_max, in minimization form
    optimum_known: bool
    reference_point: tuple[float, ...] | None


def kind_of(facts: Mapping[str, Any]) -> str:
    """How a problem is scored: `hypervolume`, `constrained` or `regret`."""
    if len(facts["objectives"]) > 1:
        return "hypervolume"
    return "constrained" if facts["constraints"] else "regret"


def _true_values(evaluation: Mapping[str, Any]) -> Mapping[str, float]:
    values: Mapping[str, float] = evaluation.get("true_values") or evaluation["values"]
    return values


def _feasible(values: Mapping[str, float], constraints: Sequence[str]) -> bool:
    return all(values[name] <= 0 for name in constraints)


def row_facts(facts: Mapping[str, Any], runs: Sequence[Mapping[str, Any]]) -> RowFacts:
    """The scoring facts of a problem, with the best seen in `runs` where nothing is known."""
    kind = kind_of(facts)
    objectives = tuple(facts["objectives"])
    signs = tuple(1.0 if d == "minimize" else -1.0 for d in facts["objectives"].values())
    constraints = tuple(facts["constraints"])
    reference = facts.get("reference_point")
    known: float | None
    if kind == "hypervolume":
        known = facts.get("max_hypervolume")
        reference = (
            None
            if reference is None
            else tuple(s * r for s, r in zip(signs, reference, strict=True))
        )
    else:
        value = facts.get("optimal_value")
        known = None if value is None else signs[0] * value
    base = RowFacts(kind, signs, objectives, constraints, math.nan, known is not None, reference)
    if known is None:
        known = _best_seen(base, runs)
    return RowFacts(kind, signs, objectives, constraints, known, base.optimum_known, reference)


def _points(
    facts: RowFacts, evaluations: Sequence[Mapping[str, Any]]
) -> tuple[np.ndarray, np.ndarray]:
    """`(n, m)` noise-free objectives in minimization form and the `(n,)` feasibility mask."""
    rows = [_true_values(e) for e in evaluations]
    points = np.array(
        [[s * row[o] for s, o in zip(facts.signs, facts.objectives, strict=True)] for row in rows]
    ).reshape(len(rows), len(facts.objectives))
    feasible = np.array([_feasible(row, facts.constraints) for row in rows], dtype=bool)
    return points, feasible


def _best_seen(facts: RowFacts, runs: Sequence[Mapping[str, Any]]) -> float:
    """The best (minimization-form) value, or the largest hypervolume, over every run."""
    best = -math.inf if facts.kind == "hypervolume" else math.inf
    for run in runs:
        if not run["evaluations"]:
            continue
        points, feasible = _points(facts, run["evaluations"])
        if facts.kind == "hypervolume":
            if facts.reference_point is not None and feasible.any():
                best = max(best, hypervolume(points[feasible], facts.reference_point))
        elif feasible.any():
            best = min(best, float(points[feasible, 0].min()))
    return best


def trajectory(facts: RowFacts, evaluations: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """`(n,)` score after each of a run's `n` evaluations (`inf` while none is feasible)."""
    if not evaluations:
        return np.zeros(0)
    points, feasible = _points(facts, evaluations)
    if facts.kind == "hypervolume":
        return _hypervolume_gaps(facts, points, feasible)
    if facts.kind == "constrained":
        masked = np.where(feasible, points[:, 0], np.inf)
        gaps = np.minimum.accumulate(masked) - facts.optimum
        return np.where(np.isinf(gaps), np.inf, np.log10(np.maximum(gaps, REGRET_FLOOR)))
    observed = np.array(
        [facts.signs[0] * e["values"][facts.objectives[0]] for e in evaluations], dtype=float
    )
    incumbents = _running_argmin(observed)
    regret = points[incumbents, 0] - facts.optimum
    return np.asarray(np.log10(np.maximum(regret, REGRET_FLOOR)), dtype=float)


def _running_argmin(values: np.ndarray) -> np.ndarray:
    """Index of the smallest value among the first `i + 1`, for each `i` (first one on ties)."""
    best = np.zeros(len(values), dtype=int)
    for index in range(1, len(values)):
        previous = best[index - 1]
        best[index] = index if values[index] < values[previous] else previous
    return best


def _hypervolume_gaps(facts: RowFacts, points: np.ndarray, feasible: np.ndarray) -> np.ndarray:
    if facts.reference_point is None:
        return np.full(len(points), np.nan)
    n = len(points)
    checkpoints = np.unique(np.linspace(1, n, min(n, HV_CHECKPOINTS)).round().astype(int))
    gaps = np.full(n, np.inf)
    for stop in checkpoints:
        mask = feasible[:stop]
        volume = hypervolume(points[:stop][mask], facts.reference_point) if mask.any() else 0.0
        gaps[stop - 1] = math.log10(max(facts.optimum - volume, REGRET_FLOOR))
    filled = gaps.copy()  # carry each checkpoint's value forward to the next one
    last = np.inf
    for index in range(n):
        if index + 1 in checkpoints:
            last = gaps[index]
        filled[index] = last
    return filled


def feasibility_rate(facts: RowFacts, evaluations: Sequence[Mapping[str, Any]]) -> float:
    """Fraction of a run's evaluations that are feasible (NaN for a run with none)."""
    if not evaluations:
        return math.nan
    _, feasible = _points(facts, evaluations)
    return float(feasible.mean())


def best_feasible(facts: RowFacts, evaluations: Sequence[Mapping[str, Any]]) -> float:
    """Best feasible noise-free objective in the user's direction (NaN if none feasible)."""
    if not evaluations:
        return math.nan
    points, feasible = _points(facts, evaluations)
    if not feasible.any():
        return math.nan
    return float(facts.signs[0] * points[feasible, 0].min())
