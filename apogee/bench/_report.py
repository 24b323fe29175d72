"""`write_report`: Markdown tables and PNG plots from a bench's JSON lines.

Per suite and kind of problem: the median and quartiles over seeds of each solver's final score
(`_scores.py` says what the score is), then each solver's mean rank over the problems (two
medians within `TIE_DECADES` tie), its wins (problems where it ranks first, ties included), its
median solver seconds per suggestion and how its runs ended. The settings and versions of every
solver are copied from the records.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from apogee.bench._records import read_records
from apogee.bench._scores import RowFacts, best_feasible, feasibility_rate, row_facts, trajectory

TIE_DECADES = 0.1
MISSING = 1e9  # stands in for `inf` (nothing feasible, no evaluation) inside quantiles
KIND_TITLES = {
    "regret": "final log10 regret (incumbent by observed value, noise-free; floor 1e-8)",
    "constrained": "final log10 gap of the best feasible value to the best known (floor 1e-8)",
    "hypervolume": "final log10(HV_max - HV) of the feasible evaluated points (floor 1e-8)",
}

Record = Mapping[str, Any]


@dataclass(frozen=True)
class Row:
    """One problem at one budget in one suite: its scoring facts and its runs by solver."""

    problem: str
    budget: int
    facts: RowFacts
    runs: Mapping[str, Sequence[Record]]

    @property
    def label(self) -> str:
        return f"{self.problem}" + ("" if self.facts.optimum_known else " †")

    def finals(self, solver: str) -> np.ndarray:
        """Final score of each run of `solver` (`inf` for a run without evaluations)."""
        return np.array(
            [_last(trajectory(self.facts, run["evaluations"])) for run in self.runs.get(solver, [])]
        )


def _last(values: np.ndarray) -> float:
    return float(values[-1]) if len(values) else math.inf


def quantiles(values: np.ndarray) -> tuple[float, float, float]:
    """Median and quartiles, with `inf` counted as worse than everything."""
    finite = np.where(np.isfinite(values), values, MISSING)
    q1, median, q3 = np.quantile(finite, [0.25, 0.5, 0.75])
    return float(median), float(q1), float(q3)


def ranks(medians: Mapping[str, float]) -> dict[str, float]:
    """1 + the number of solvers whose median is better by more than `TIE_DECADES`."""
    return {
        solver: 1.0 + sum(other < value - TIE_DECADES for other in medians.values())
        for solver, value in medians.items()
    }


def collect_rows(records: Sequence[Record]) -> dict[tuple[str, str], list[Row]]:
    """Rows grouped by (suite, kind), problems in the order they first appear."""
    grouped: dict[tuple[str, str, int], dict[str, list[Record]]] = defaultdict(
        lambda: defaultdict(list)
    )
    facts: dict[str, Mapping[str, Any]] = {}
    for record in records:
        grouped[(record["suite"], record["problem"], record["budget"])][record["solver"]].append(
            record
        )
        facts[record["problem"]] = record["problem_facts"]
    by_problem: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_problem[record["problem"]].append(record)
    rows: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for (suite, problem, budget), runs in grouped.items():
        scoring = row_facts(facts[problem], by_problem[problem])
        rows[(suite, scoring.kind)].append(Row(problem, budget, scoring, dict(runs)))
    return dict(rows)


def _cell(values: np.ndarray) -> str:
    if len(values) == 0:
        return ""
    median, q1, q3 = quantiles(values)
    return f"{_number(median)} [{_number(q1)}, {_number(q3)}]"


def _number(value: float) -> str:
    if math.isnan(value):
        return "nan"
    return "none" if value >= MISSING else f"{value:.2f}"


def _solvers(rows: Sequence[Row]) -> list[str]:
    return sorted({solver for row in rows for solver in row.runs})


def _header(second: str, solvers: Sequence[str]) -> list[str]:
    """A table's first two lines: problem, a right-aligned column `second`, one per solver."""
    return [
        f"| problem | {second} | " + " | ".join(solvers) + " |",
        "|---|---:|" + "---|" * len(solvers),
    ]


def score_table(rows: Sequence[Row]) -> list[str]:
    solvers = _solvers(rows)
    lines = _header("budget", solvers)
    for row in rows:
        cells = [_cell(row.finals(solver)) for solver in solvers]
        lines.append(f"| {row.label} | {row.budget} | " + " | ".join(cells) + " |")
    return lines


def summary_table(rows: Sequence[Row]) -> list[str]:
    solvers = _solvers(rows)
    rank_lists: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        medians = {s: quantiles(row.finals(s))[0] for s in row.runs}
        medians = {s: (math.inf if m >= MISSING else m) for s, m in medians.items()}
        for solver, rank in ranks(medians).items():
            rank_lists[solver].append(rank)
    lines = [
        "| solver | mean rank | wins | problems | solver s / suggestion (median) | runs ok / crashed / timeout |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for solver in sorted(solvers, key=lambda s: np.mean(rank_lists[s])):
        runs = [run for row in rows for run in row.runs.get(solver, [])]
        per_suggestion = [
            sum(e["solver_s"] for e in run["evaluations"]) / len(run["evaluations"])
            for run in runs
            if run["evaluations"]
        ]
        statuses = [sum(run["status"] == s for run in runs) for s in ("ok", "crashed", "timeout")]
        seconds = f"{np.median(per_suggestion):.3g}" if per_suggestion else ""
        lines.append(
            f"| {solver} | {np.mean(rank_lists[solver]):.2f} | "
            f"{sum(r == 1.0 for r in rank_lists[solver])} | {len(rank_lists[solver])} | "
            f"{seconds} | {' / '.join(map(str, statuses))} |"
        )
    return lines


def constraint_table(rows: Sequence[Row]) -> list[str]:
    """Best feasible value (median), feasible evaluations (mean %) and runs with a feasible point."""
    solvers = _solvers(rows)
    lines = _header("best known", solvers)
    for row in rows:
        cells = []
        for solver in solvers:
            runs = row.runs.get(solver, [])
            if not runs:
                cells.append("")
                continue
            best = [best_feasible(row.facts, r["evaluations"]) for r in runs]
            rates = [feasibility_rate(row.facts, r["evaluations"]) for r in runs]
            found = [b for b in best if not math.isnan(b)]
            value = f"{np.median(found):.5g}" if found else "none"
            cells.append(f"{value} · {100 * np.nanmean(rates):.0f}% · {len(found)}/{len(runs)}")
        optimum = row.facts.signs[0] * row.facts.optimum
        lines.append(f"| {row.label} | {optimum:.5g} | " + " | ".join(cells) + " |")
    return lines


def settings_section(records: Sequence[Record]) -> list[str]:
    lines = ["## Solvers: settings and versions", ""]
    seen: dict[str, Record] = {}
    for record in records:
        if record.get("settings") is not None:
            seen.setdefault(record["solver"], record)
    for solver in sorted(seen):
        record = seen[solver]
        lines.append(
            f"- **{solver}**: `{json.dumps(record['settings'], sort_keys=True)}`; "
            f"versions `{json.dumps(record['versions'], sort_keys=True)}`"
        )
    return lines


def _provenance(records: Sequence[Record]) -> str:
    """Which suites made the runs, when they were recorded, and their total wall time."""
    suites = sorted({record["suite"] for record in records})
    stamps = sorted(record["finished_at"] for record in records)
    hours = sum(record["wall_s"] for record in records) / 3600
    named = ", ".join(f"`{suite}`" for suite in suites)
    return (
        f"Runs of the suites {named} (`custom`: named problems) recorded from {stamps[0]} to {stamps[-1]} (UTC); "
        f"{hours:.2f} process-hours of wall time in all."
    )


def write_report(source: Path | str, out: Path | str, *, plots: bool = True) -> Path:
    """Write the Markdown report of the runs in `source` to `out` (plots beside it); returns `out`."""
    from apogee.bench._plots import plot_row

    source, out = Path(source), Path(out)
    records = read_records(source)
    if not records:
        raise ValueError(f"{source} holds no bench runs.")
    out.parent.mkdir(parents=True, exist_ok=True)
    plot_dir = out.parent / out.stem
    statuses = {s: sum(r["status"] == s for r in records) for s in ("ok", "crashed", "timeout")}
    lines = [
        f"# Bench report: {source.name}",
        "",
        f"Made by `apogee bench report {source} --out {out}` from {len(records)} runs "
        f"({statuses['ok']} ok, {statuses['crashed']} crashed, {statuses['timeout']} timed out). "
        "Cells: median [first quartile, third quartile] over seeds; lower is better. "
        f"Ranks per problem by the median, ties within {TIE_DECADES} decade. "
        "† no known optimum: the best value seen in this file stands in for it.",
        "",
        _provenance(records),
        "",
    ]
    for (suite, kind), rows in collect_rows(records).items():
        lines += [f"## Suite `{suite}`: {KIND_TITLES[kind]}", "", *score_table(rows), ""]
        lines += ["Summary over these problems:", "", *summary_table(rows), ""]
        if kind == "constrained":
            lines += [
                "Best feasible value (median) · feasible evaluations · runs with a feasible point:",
                "",
            ]
            lines += [*constraint_table(rows), ""]
        if plots:
            for row in rows:
                image = plot_row(
                    row, KIND_TITLES[kind], plot_dir / f"{suite}-{row.problem}-{row.budget}.png"
                )
                lines.append(f"![{row.problem}]({image.relative_to(out.parent)})")
            lines.append("")
    lines += settings_section(records)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
