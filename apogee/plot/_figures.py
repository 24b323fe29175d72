"""The figures of `apogee.plot` (matplotlib is imported inside each function)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from apogee._util.errors import InvalidValueError
from apogee.history import Direction, History
from apogee.moo import hypervolume, nondominated_mask
from apogee.study import Study

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_MAX_STEPS = 500  # hypervolume is evaluated at most this many times along the trials
_SIZE = (6.0, 4.5)


def pareto_front(
    study: Study, *, objectives: Sequence[str] | None = None, path: str | Path | None = None
) -> Figure:
    """Feasible trials in objective space (2 or 3 axes), the non-dominated ones highlighted.

    Args:
        study: a study with several objectives.
        objectives: the 2 or 3 objective names to draw; all of the study's by default.
        path: where to save the figure as a PNG, if given.

    Example:
        >>> import apogee as ap
        >>> space = ap.Space({"x": ap.Float(0, 1)})
        >>> study = ap.create_study("front", space=space, objectives={"a": "minimize", "b": "minimize"})
        >>> study.optimize(lambda p: {"a": p["x"], "b": 1 - p["x"] ** 0.5}, n_trials=10, progress=False)
        >>> len(pareto_front(study).axes)
        1
    """
    from matplotlib.figure import Figure

    names = list(study.spec.objective_names if objectives is None else objectives)
    unknown = sorted(set(names) - set(study.spec.objective_names))
    if unknown or len(names) not in (2, 3):
        raise InvalidValueError(
            f"The 'objectives' parameter of pareto_front must name 2 or 3 of the study's objectives "
            f"{list(study.spec.objective_names)}. Got {names!r} instead."
        )
    history = study.history()
    feasible = history.feasible()
    minimized = history.objective_matrix(feasible)
    columns = [study.spec.objective_names.index(name) for name in names]
    front = nondominated_mask(minimized[:, columns])
    values = np.array([[t.values[n] for n in names] for t in feasible if t.values is not None])
    values = values.reshape(len(feasible), len(names))
    figure = Figure(figsize=_SIZE)
    axes = figure.add_subplot(projection="3d" if len(names) == 3 else None)
    for mask, style in ((~front, {"color": "0.7", "s": 12}), (front, {"color": "C3", "s": 24})):
        label = "Pareto front" if style["color"] == "C3" else "other feasible trials"
        axes.scatter(*values[mask].T, label=label, **style)  # type: ignore[arg-type]
    axes.set_xlabel(names[0])
    axes.set_ylabel(names[1])
    if len(names) == 3:
        axes.set_zlabel(names[2])  # type: ignore[attr-defined]
    axes.set_title(f"{study.name}: {int(front.sum())} non-dominated of {len(feasible)} feasible")
    axes.legend()
    return _finish(figure, path)


def hypervolume_history(
    study: Study,
    reference: Sequence[float] | Mapping[str, float],
    *,
    path: str | Path | None = None,
) -> Figure:
    """Hypervolume of the feasible trials so far, against the trial number.

    Args:
        study: a study with several objectives.
        reference: the reference point, as for `Study.hypervolume` (the user's units and
            directions, a list in objective order or a dict by name).
        path: where to save the figure as a PNG, if given.
    """
    from matplotlib.figure import Figure

    final = study.hypervolume(reference)  # validates the reference point
    names = study.spec.objective_names
    point = [reference[n] for n in names] if isinstance(reference, Mapping) else list(reference)
    signs = list(study.spec.signs)
    minimized_ref = np.asarray(point, dtype=float) * np.asarray(signs)
    history = study.history()
    numbers, volumes = _running(history, lambda Y: hypervolume(Y, minimized_ref))
    figure = Figure(figsize=_SIZE)
    axes = figure.add_subplot()
    axes.step(numbers, volumes, where="post", color="C0")
    axes.set_xlabel("trial number")
    axes.set_ylabel("hypervolume")
    axes.set_title(f"{study.name}: final hypervolume {final:.6g}")
    return _finish(figure, path)


def best_value_history(study: Study, *, path: str | Path | None = None) -> Figure:
    """Every feasible trial's value and the best so far, against the trial number (one objective)."""
    from matplotlib.figure import Figure

    if study.spec.is_multi_objective:
        raise InvalidValueError(
            f"Study '{study.name}' has several objectives {list(study.spec.objective_names)}; "
            "use pareto_front or hypervolume_history."
        )
    history = study.history()
    feasible = history.feasible()
    sign = 1.0 if study.spec.directions[0] is Direction.MINIMIZE else -1.0
    values = sign * history.objective_matrix(feasible)[:, 0]
    figure = Figure(figsize=_SIZE)
    axes = figure.add_subplot()
    numbers = [t.number for t in feasible]
    axes.scatter(numbers, values, color="0.6", s=10, label="feasible trials")
    best = sign * np.minimum.accumulate(sign * values) if len(values) else values
    axes.step(numbers, best, where="post", color="C3", label="best so far")
    axes.set_xlabel("trial number")
    axes.set_ylabel(study.spec.objective_names[0])
    axes.set_title(f"{study.name}: best value over trials")
    axes.legend()
    return _finish(figure, path)


def _running(
    history: History, measure: Callable[[np.ndarray], float]
) -> tuple[list[int], list[float]]:
    """`measure` of the feasible trials up to each of at most `_MAX_STEPS` trial numbers."""
    feasible = history.feasible()
    minimized = history.objective_matrix(feasible)
    if not feasible:
        return [], []
    steps = np.unique(np.linspace(1, len(feasible), min(len(feasible), _MAX_STEPS)).astype(int))
    numbers = [feasible[k - 1].number for k in steps]
    return numbers, [float(measure(minimized[:k])) for k in steps]


def _finish(figure: Figure, path: str | Path | None) -> Figure:
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, format="png", dpi=100)
    return figure
