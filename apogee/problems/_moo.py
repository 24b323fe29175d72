"""Multi-objective problems: ZDT1-3, DTLZ2 and Branin-Currin, all minimized.

Definitions follow Zitzler, Deb & Thiele (2000) with `g = 1 + 9 mean(x[1:])` (as pymoo and
BoTorch), Deb et al. (2005) for DTLZ2, and BoTorch's `BraninCurrin`. Reference points and
maximal hypervolumes are BoTorch's (`botorch/test_functions/multi_objective.py`): ZDT `(11, 11)`
with exact HV `121 - area under the front`; DTLZ2 `1.1^M` with exact HV
`1.1^M - (volume of the unit ball's positive orthant)`; Branin-Currin `(18, 6)` with HV 59.36012,
which BoTorch approximated by NSGA-II (its front is not analytic).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from apogee._util.validation import check_int
from apogee.problems._classic import branin_value
from apogee.problems._problem import Problem, Values, as_vector, box_space

_MOO = frozenset({"moo"})
ZDT_REFERENCE = (11.0, 11.0)
# ZDT3's front: the non-dominated pieces of f2 = 1 - sqrt(f1) - f1 sin(10 pi f1) (pymoo's bounds,
# to 10 digits). Each piece after the first starts where f2 falls back to the previous piece's
# last value, a point that point weakly dominates, so those pieces start 1e-9 later.
ZDT3_PIECES = (
    (0.0, 0.0830015349),
    (0.182228780 + 1e-9, 0.2577623634),
    (0.4093136748 + 1e-9, 0.4538821041),
    (0.6183967944 + 1e-9, 0.6525117038),
    (0.8233317983 + 1e-9, 0.8518328654),
)
ZDT3_MAX_HYPERVOLUME = 128.77811613069076060
BRANIN_CURRIN_REFERENCE = (18.0, 6.0)
BRANIN_CURRIN_MAX_HYPERVOLUME = 59.36011874867746


def _zdt_shape(variant: int, f1: float | np.ndarray, g: float | np.ndarray) -> Any:
    """ZDT's `h(f1, g)`; `f2 = g h`."""
    ratio = f1 / g
    if variant == 1:
        return 1 - np.sqrt(ratio)
    if variant == 2:
        return 1 - ratio**2
    return 1 - np.sqrt(ratio) - ratio * np.sin(10 * math.pi * f1)


def _zdt3_f1(n: int) -> np.ndarray:
    """`n` values of f1 spread over ZDT3's five front pieces in proportion to their lengths."""
    lengths = np.array([high - low for low, high in ZDT3_PIECES])
    counts = np.floor(n * lengths / lengths.sum()).astype(int)
    counts[np.argsort(-lengths)[: n - counts.sum()]] += 1
    pieces = [
        np.linspace(low, high, count)
        for (low, high), count in zip(ZDT3_PIECES, counts, strict=True)
    ]
    return np.concatenate(pieces)


def _zdt_front(variant: int) -> Callable[[int], np.ndarray]:
    def front(n: int) -> np.ndarray:
        f1 = _zdt3_f1(n) if variant == 3 else np.linspace(0.0, 1.0, n)
        return np.column_stack([f1, _zdt_shape(variant, f1, 1.0)])

    return front


def zdt(variant: int, dimension: int) -> Problem:
    """ZDT1 (convex), ZDT2 (concave) or ZDT3 (disconnected) front on `[0, 1]^d`."""
    check_int(dimension, "dimension", f"zdt{variant}", low=2)
    if variant not in (1, 2, 3):
        raise ValueError(f"ZDT is defined here for variants 1-3. Got zdt{variant!r} instead.")

    def evaluate(params: Mapping[str, Any]) -> Values:
        x = as_vector(params, dimension)
        g = 1 + 9 * float(np.mean(x[1:]))
        return {"f1": float(x[0]), "f2": float(g * _zdt_shape(variant, x[0], g))}

    # HV to (11, 11): the 11 x 11 square minus the region above the front (f1 <= 1), exactly.
    areas = {1: 1 / 3, 2: 2 / 3, 3: None}
    area = areas[variant]
    return Problem(
        name=f"zdt{variant}-d{dimension}",
        space=box_space([(0.0, 1.0)] * dimension),
        objectives={"f1": "minimize", "f2": "minimize"},
        reference_point=ZDT_REFERENCE,
        max_hypervolume=ZDT3_MAX_HYPERVOLUME if area is None else 121 - area,
        tags=_MOO,
        function=evaluate,
        front=_zdt_front(variant),
    )


def _dtlz2_objectives(x: np.ndarray, n_objectives: int) -> np.ndarray:
    """DTLZ2's `(M,)` objectives: `(1 + g)` times a point of the unit sphere's positive orthant."""
    angles = x[: n_objectives - 1] * math.pi / 2
    g = float(np.sum((x[n_objectives - 1 :] - 0.5) ** 2))
    values = np.full(n_objectives, 1 + g)
    for m in range(n_objectives):
        values[m] *= np.prod(np.cos(angles[: n_objectives - 1 - m]))
        if m > 0:
            values[m] *= math.sin(angles[n_objectives - 1 - m])
    return values


def _sphere_front(n_objectives: int) -> Callable[[int], np.ndarray]:
    def front(n: int) -> np.ndarray:
        # Directions of absolute Gaussian draws are uniform on the orthant; fixed seed: same front.
        draws = np.abs(np.random.default_rng(0).standard_normal((n, n_objectives)))
        return np.asarray(draws / np.linalg.norm(draws, axis=1, keepdims=True))

    return front


def dtlz2(n_objectives: int, dimension: int) -> Problem:
    """DTLZ2 with `M` objectives on `[0, 1]^d` (`d >= M`); the front is the unit sphere's orthant."""
    check_int(n_objectives, "n_objectives", "dtlz2", low=2)
    check_int(dimension, "dimension", "dtlz2", low=n_objectives)
    objective_names = [f"f{m + 1}" for m in range(n_objectives)]

    def evaluate(params: Mapping[str, Any]) -> Values:
        values = _dtlz2_objectives(as_vector(params, dimension), n_objectives)
        return dict(zip(objective_names, map(float, values), strict=True))

    orthant_volume = (
        math.pi ** (n_objectives / 2) / math.gamma(n_objectives / 2 + 1) / 2**n_objectives
    )
    return Problem(
        name=f"dtlz2-m{n_objectives}-d{dimension}",
        space=box_space([(0.0, 1.0)] * dimension),
        objectives=dict.fromkeys(objective_names, "minimize"),
        reference_point=(1.1,) * n_objectives,
        max_hypervolume=1.1**n_objectives - orthant_volume,
        tags=_MOO,
        function=evaluate,
        front=_sphere_front(n_objectives),
    )


def currin_value(x: np.ndarray) -> Any:
    """Currin's exponential function on `[0, 1]^2` (its `x2 = 0` limit is taken as 1).

    `x[0]` and `x[1]` may be numbers or equal-shaped arrays.
    """
    x1, x2 = np.asarray(x[0], dtype=float), np.asarray(x[1], dtype=float)
    safe = np.where(x2 == 0, 1.0, x2)
    factor = np.where(x2 == 0, 1.0, 1 - np.exp(-1 / (2 * safe)))
    ratio = (2300 * x1**3 + 1900 * x1**2 + 2092 * x1 + 60) / (
        100 * x1**3 + 500 * x1**2 + 4 * x1 + 20
    )
    return factor * ratio


def branin_currin_values(x: np.ndarray) -> tuple[Any, Any]:
    """Branin on the unit square rescaled to `[-5, 10] x [0, 15]`, and Currin (arrays allowed)."""
    return branin_value(np.array([15 * x[0] - 5, 15 * x[1]])), currin_value(x)


def branin_currin() -> Problem:
    """BoTorch's Branin-Currin on `[0, 1]^2`, reference `(18, 6)`, max HV 59.36012 (NSGA-II)."""

    def evaluate(params: Mapping[str, Any]) -> Values:
        branin, currin = branin_currin_values(as_vector(params, 2))
        return {"branin": float(branin), "currin": float(currin)}

    return Problem(
        name="branin-currin",
        space=box_space([(0.0, 1.0)] * 2),
        objectives={"branin": "minimize", "currin": "minimize"},
        reference_point=BRANIN_CURRIN_REFERENCE,
        max_hypervolume=BRANIN_CURRIN_MAX_HYPERVOLUME,
        tags=_MOO,
        function=evaluate,
    )
