"""PNG plots of the report (matplotlib, Agg backend): score against evaluations per solver,
the median over seeds as a line and the quartiles as a band."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from apogee.bench._scores import trajectory

if TYPE_CHECKING:
    from apogee.bench._report import Row


def _padded(curves: list[np.ndarray], length: int) -> np.ndarray:
    """`(runs, length)` with each curve carried forward past its end (NaN if empty)."""
    table = np.full((len(curves), length), np.nan)
    for index, curve in enumerate(curves):
        if len(curve):
            table[index, : len(curve)] = curve[:length]
            table[index, len(curve) :] = curve[-1]
    return np.where(np.isinf(table), np.nan, table)


def plot_row(row: Row, title: str, path: Path) -> Path:
    """Draw one problem's curves to `path`; returns `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=90)
    steps = np.arange(1, row.budget + 1)
    for solver in sorted(row.runs):
        curves = [trajectory(row.facts, run["evaluations"]) for run in row.runs[solver]]
        table = _padded(curves, row.budget)
        if np.isnan(table).all():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns before feasibility
            q1, median, q3 = np.nanquantile(table, [0.25, 0.5, 0.75], axis=0)
        (line,) = axes.plot(steps, median, label=solver, linewidth=1.4)
        axes.fill_between(steps, q1, q3, color=line.get_color(), alpha=0.2, linewidth=0)
    axes.set_xlabel("evaluations")
    axes.set_ylabel(title.split(" (")[0].removeprefix("final "))
    axes.set_title(
        f"{row.problem} (budget {row.budget}; median and quartiles over seeds)", fontsize=9
    )
    axes.legend(fontsize=7)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
