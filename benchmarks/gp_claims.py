"""Issue 5's per-problem claims from a bench file: is `apogee-gp` no worse / better than each peer?

Per problem, the median over seeds of the final score `apogee bench report` uses (log10 regret
floored at 1e-8), for `apogee-gp` and each peer; "no worse" is within `TIE_DECADES` or better,
"better" is ahead by more than `TIE_DECADES`. The issue asks: no worse than BoTorch on at least
80% of the problems, better than Optuna's GPSampler on at least 70%.

    python benchmarks/gp_claims.py benchmarks/results/raw/bench_gp_d2.jsonl
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict

from bench_ab import final_scores, load_runs

from apogee.bench._report import TIE_DECADES

SOLVER = "apogee-gp"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", help="bench JSON lines with apogee-gp and its peers")
    args = parser.parse_args()
    records = load_runs(args.runs)
    by_solver = defaultdict(list)
    for record in records:
        by_solver[record["solver"]].append(record)
    medians: dict[str, dict[str, float]] = {}
    for solver, runs in by_solver.items():
        per_problem = defaultdict(list)
        for (problem, _seed), value in final_scores(runs, records).items():
            per_problem[problem].append(value)
        medians[solver] = {p: statistics.median(v) for p, v in per_problem.items()}
    ours = medians[SOLVER]
    for peer in sorted(set(medians) - {SOLVER}):
        common = [p for p in ours if p in medians[peer]]
        no_worse = sum(ours[p] <= medians[peer][p] + TIE_DECADES for p in common)
        better = sum(ours[p] < medians[peer][p] - TIE_DECADES for p in common)
        print(
            f"{peer}: {len(common)} problems; {SOLVER} no worse on {no_worse} "
            f"({no_worse / len(common):.0%}), better on {better} ({better / len(common):.0%})"
        )


if __name__ == "__main__":
    main()
