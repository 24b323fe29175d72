"""Are the GP engine's next suggestions feasible? Replays prefixes of a stored constrained run.

For each history length `n` in `start:stop:step`, the first `n` evaluations of the stored
`apogee-gp` run go into a fresh study, which makes one suggestion; the problem then says whether
it is feasible and whether it improves on the best feasible value of the prefix. An A/B of an
engine change is this command in two snapshots of the code.

    python benchmarks/gp_feasible_replay.py \\
        benchmarks/results/raw/bench_constrained_apogee_s14.jsonl speed-reducer 0,1 30:100:5
"""

from __future__ import annotations

import argparse
import math

import torch
from _replay import replayed_study, stored_run

from apogee import problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", help="bench JSON lines with an apogee-gp run of the problem")
    parser.add_argument("problem")
    parser.add_argument("seeds", help="comma-separated seeds of the stored runs")
    parser.add_argument("prefixes", help="history lengths as start:stop:step")
    args = parser.parse_args()
    torch.set_num_threads(1)
    problem = problems.get(args.problem)
    (objective,) = problem.objectives

    def feasible(values: dict[str, float]) -> bool:
        return all(values[name] <= 0 for name in problem.constraints)

    start, stop, step = map(int, args.prefixes.split(":"))
    for seed in map(int, args.seeds.split(",")):
        record = stored_run(args.runs, args.problem, seed)
        marks = []
        for n in range(start, stop, step):
            prefix = [e["values"] for e in record["evaluations"][:n]]
            best = min((v[objective] for v in prefix if feasible(v)), default=math.inf)
            study = replayed_study(record, n, seed)
            (suggestion,) = study.engine.suggest(study.history(), [n], seed).suggestions
            values = problem.evaluate(suggestion.params)
            ok = feasible(values)
            marks.append("+" if ok and values[objective] < best else "1" if ok else ".")
        line = "".join(marks)
        print(
            f"seed {seed}: {len(line) - line.count('.')}/{len(line)} feasible, "
            f"{line.count('+')} improve on the prefix's best  ({line}: + improves, . infeasible)",
            flush=True,
        )


if __name__ == "__main__":
    main()
