"""Solver overhead per evaluation of the population engines against their peers, same run.

Each solver runs through its bench adapter (`apogee.bench.get_solver`, so apogee's engines
go through `Study.ask`/`Study.tell` in memory and the peers through their own ask/tell) on a
BBOB function with a trivial cost, and the time between the end of one evaluation and the
start of the next, in process CPU time, is its overhead. Reported per window of evaluations (`[1, 1000)`,
`[1000, 3000)`, `[3000, 6000)`): the mean per evaluation (so the once-per-generation updates
count), median over repeats, and the ratio to pycma measured in the same run. The first
evaluation (imports, set-up) is left out.

Usage (nice, one thread; about 20 minutes on a shared 2-core machine):
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/population_overhead.py \\
        --dims 10 20 --budget 6000 --repeats 2 --out benchmarks/results/population_overhead.md
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import time
from collections.abc import Mapping
from typing import Any

from apogee import problems
from apogee.bench import get_solver
from apogee.bench._solver import BudgetExhausted

SOLVERS = (
    "pycma",
    "apogee-cmaes",
    "optuna-cmaes",
    "scipy-de",
    "apogee-de",
    "apogee-cbo",
    "apogee-zo",
)
WINDOWS = ((1, 1000), (1000, 3000), (3000, 6000))
PROBLEM = "bbob-f10"  # ellipsoid: no restart is hit early, so each run stays in one regime


class Timer:
    """The bench's evaluate callback, reduced to timing: gaps between evaluations.

    Gaps are in process CPU time, not wall time: on a shared machine the wall clock mostly
    measures waiting for a core, and every solver here runs in this one thread.
    """

    def __init__(self, problem: problems.Problem, budget: int) -> None:
        self.problem, self.budget = problem, budget
        self.gaps: list[float] = []
        self._last = time.process_time()

    def __call__(self, params: Mapping[str, Any]) -> Mapping[str, float]:
        started = time.process_time()
        if len(self.gaps) >= self.budget:
            raise BudgetExhausted("done")
        self.gaps.append(started - self._last)
        values = self.problem.evaluate(params)
        self._last = time.process_time()
        return values


def run_once(solver_name: str, dim: int, budget: int, seed: int) -> list[float]:
    """Per-evaluation overheads (seconds) of one run."""
    import torch

    torch.set_num_threads(1)
    problem = problems.get(f"{PROBLEM}-d{dim}-i1")
    timer = Timer(problem, budget)
    with contextlib.suppress(BudgetExhausted):
        get_solver(solver_name).run(problem, budget, seed, timer)
    return timer.gaps


def window_means(gaps: list[float], budget: int) -> list[float | None]:
    """Mean overhead per evaluation in each window (a mean, so once-per-generation updates count)."""
    out: list[float | None] = []
    for low, high in WINDOWS:
        part = gaps[low : min(high, budget)]
        out.append(statistics.fmean(part) if part and low < budget else None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[10, 20])
    parser.add_argument("--budget", type=int, default=6000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--solvers", nargs="+", default=list(SOLVERS))
    parser.add_argument("--optuna-budget", type=int, default=3000, help="Optuna is O(n) per call")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    rows = []
    for dim in args.dims:
        medians: dict[str, list[list[float | None]]] = {}
        for repeat in range(args.repeats):
            for name in args.solvers:  # interleaved, so load changes hit every solver alike
                budget = min(args.budget, args.optuna_budget) if "optuna" in name else args.budget
                gaps = run_once(name, dim, budget, seed=repeat)
                medians.setdefault(name, []).append(window_means(gaps, budget))
                print(dim, repeat, name, medians[name][-1], flush=True)
        base = _combine(medians["pycma"]) if "pycma" in medians else None
        for name in args.solvers:
            rows.append((dim, name, _combine(medians[name]), base))
    report = render(rows, args)
    print(report)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(report)


def _combine(per_repeat: list[list[float | None]]) -> list[float | None]:
    combined: list[float | None] = []
    for column in zip(*per_repeat, strict=True):
        known = [value for value in column if value is not None]
        combined.append(statistics.median(known) if known else None)
    return combined


def render(rows: list[tuple[int, str, list[float | None], Any]], args: argparse.Namespace) -> str:
    header = " | ".join(f"evaluations {low}-{high}" for low, high in WINDOWS)
    lines = [
        "# Population engines: solver overhead per evaluation",
        "",
        f"`python benchmarks/population_overhead.py --dims {' '.join(map(str, args.dims))} "
        f"--budget {args.budget} --repeats {args.repeats}` on `{PROBLEM}` (BBOB ellipsoid, "
        f"instance 1), {platform.machine()}, {os.cpu_count()} cores shared with other jobs. "
        "Cells: mean solver CPU milliseconds per evaluation in each window (median over "
        f"{args.repeats} repeats), and in brackets the ratio to pycma in the same run. Optuna's "
        f"CmaEsSampler ran {args.optuna_budget} evaluations (its per-call cost grows with n).",
        "",
        f"| d | solver | {header} |",
        "|---:|---|" + "---:|" * len(WINDOWS),
    ]
    for dim, name, values, base in rows:
        cells = []
        for index, value in enumerate(values):
            if value is None:
                cells.append("")
                continue
            ratio = "" if base is None or base[index] is None else f" ({value / base[index]:.1f}x)"
            cells.append(f"{value * 1e3:.2f} ms{ratio}")
        lines.append(f"| {dim} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
