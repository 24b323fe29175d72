"""Paired comparison of two bench files of the same solver: final log10 regret per problem.

For an A/B of one engine change: the same `apogee bench run` command in two snapshots of the
code, each into its own JSON lines file. Per problem: the median over the seeds both files
have of the final log10 simple regret (floored at 1e-8; regret against the problem's optimal
value), and which side is ahead (two medians within 0.1 decade tie, as in `apogee bench
report`). Prints a Markdown table.

    python benchmarks/bench_ab.py benchmarks/results/raw/gp_inner_scales_before.jsonl \\
        benchmarks/results/raw/gp_inner_scales_after.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections import defaultdict

FLOOR = 1e-8
TIE = 0.1


def final_log_regret(path: str) -> dict[tuple[str, int], float]:
    """`(problem, seed) -> log10(best value - optimal value)` of each run in `path`."""
    regrets = {}
    with open(path) as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("type") != "run" or not record["evaluations"]:
                continue
            best = min(e["values"]["value"] for e in record["evaluations"])
            optimal = record["problem_facts"]["optimal_value"]
            regrets[(record["problem"], record["seed"])] = math.log10(max(best - optimal, FLOOR))
    return regrets


def compare(before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]) -> list[str]:
    """Markdown rows: problem, seeds, median before, median after, verdict."""
    paired: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for key in sorted(set(before) & set(after)):
        paired[key[0]].append((before[key], after[key]))
    rows, tally = [], {"after ahead": 0, "before ahead": 0, "tie": 0}
    for problem, pairs in paired.items():
        old = statistics.median(p[0] for p in pairs)
        new = statistics.median(p[1] for p in pairs)
        verdict = (
            "tie" if abs(new - old) <= TIE else ("after ahead" if new < old else "before ahead")
        )
        tally[verdict] += 1
        rows.append(f"| {problem} | {len(pairs)} | {old:.2f} | {new:.2f} | {verdict} |")
    rows.append(f"\n{tally['after ahead']} after ahead, {tally['before ahead']} before ahead, "
                f"{tally['tie']} ties.")  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    args = parser.parse_args()
    print("| problem | seeds | before | after | |")
    print("|---|---:|---:|---:|---|")
    print("\n".join(compare(final_log_regret(args.before), final_log_regret(args.after))))


if __name__ == "__main__":
    main()
