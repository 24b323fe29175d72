"""Paired comparison of two bench files of the same solver: final log10 regret per problem.

For an A/B of one engine change: the same `apogee bench run` command in two snapshots of the
code, each into its own JSON lines file. Per problem: the median over the seeds both files
have of the final score that `apogee bench report` uses (log10 regret floored at 1e-8, or the
gap of a constrained or multi-objective run), and which side is ahead (two medians within
`TIE_DECADES` tie, as in the report). Prints a Markdown table.

    python benchmarks/bench_ab.py benchmarks/results/raw/gp_inner_scales_before.jsonl \\
        benchmarks/results/raw/gp_inner_scales_after.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from typing import Any

from apogee.bench._report import TIE_DECADES
from apogee.bench._scores import row_facts, trajectory


def load_runs(path: str) -> list[dict[str, Any]]:
    """The run records of a bench JSON lines file that have evaluations."""
    with open(path) as lines:
        return [r for r in map(json.loads, lines) if r.get("type") == "run" and r["evaluations"]]


def final_scores(
    records: list[dict[str, Any]], facts_from: list[dict[str, Any]]
) -> dict[tuple[str, int], float]:
    """`(problem, seed) -> final score`, scored as `apogee bench report` scores it.

    `facts_from`: the runs that set a problem's reference where its optimum is unknown (the
    best seen), the same for both sides of the comparison.
    """
    by_problem: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in facts_from:
        by_problem[record["problem"]].append(record)
    scores = {}
    for record in records:
        facts = row_facts(record["problem_facts"], by_problem[record["problem"]])
        scores[(record["problem"], record["seed"])] = float(
            trajectory(facts, record["evaluations"])[-1]
        )
    return scores


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
            "tie"
            if abs(new - old) <= TIE_DECADES
            else ("after ahead" if new < old else "before ahead")
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
    before, after = load_runs(args.before), load_runs(args.after)
    both = before + after
    print("\n".join(compare(final_scores(before, both), final_scores(after, both))))


if __name__ == "__main__":
    main()
