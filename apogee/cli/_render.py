"""Text renderings of a study for `apogee show`: the best trial, a trials table, an ASCII history."""

from __future__ import annotations

import math
from typing import Any

import apogee as ap

CHART_WIDTH = 60
CHART_HEIGHT = 8


def best_lines(study: ap.Study) -> list[str]:
    """What is best so far, or why there is no single best."""
    if study.spec.is_multi_objective:
        return [f"Pareto front: {len(study.pareto_front())} trials"]
    try:
        best = study.best_trial
    except ap.NoCompleteTrialError as error:
        return [str(error)]
    params = ", ".join(f"{name}={value!r}" for name, value in best.params.items())
    lines = [f"best value {best.value:.6g} at trial {best.number}", f"best params {params}"]
    return lines + study.optimum().lines()


def trials_table(study: ap.Study, last: int) -> Any:
    """A rich table of the `last` trials."""
    from rich.table import Table

    trials = study.trials
    table = Table(title=f"last {min(last, len(trials))} of {len(trials)} trials")
    for column in ("number", "state", *study.spec.value_names, "params"):
        table.add_column(column)
    for trial in trials[-last:]:
        values = [
            f"{trial.values[name]:.6g}" if trial.values else "" for name in study.spec.value_names
        ]
        params = ", ".join(f"{k}={v!r}" for k, v in trial.params.items())
        table.add_row(str(trial.number), trial.state.value, *values, params)
    return table


def history_chart(study: ap.Study) -> list[str]:
    """Best value so far against trial number, as `CHART_HEIGHT` lines of ASCII."""
    if study.spec.is_multi_objective or study.spec.constraints:
        return []
    direction = study.spec.directions[0].value
    best: list[float] = []
    for trial in study.trials:
        if trial.value is not None:
            better = not best or (
                trial.value < best[-1] if direction == "minimize" else trial.value > best[-1]
            )
            best.append(trial.value if better else best[-1])
    if len(best) < 2:
        return []
    columns = [
        best[min(len(best) - 1, i * len(best) // CHART_WIDTH)]
        for i in range(min(CHART_WIDTH, len(best)))
    ]
    low, high = min(columns), max(columns)
    span = high - low or 1.0
    heights = [math.floor((value - low) / span * (CHART_HEIGHT - 1)) for value in columns]
    lines = [f"best value over {len(best)} complete trials (from {best[0]:.4g} to {best[-1]:.4g})"]
    for row in range(CHART_HEIGHT - 1, -1, -1):
        label = f"{low + span * row / (CHART_HEIGHT - 1):>10.4g} |"
        lines.append(label + "".join("*" if h == row else " " for h in heights))
    return lines
