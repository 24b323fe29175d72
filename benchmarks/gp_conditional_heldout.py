"""Does the conditional kernel predict better than the flattened one? Held-out checks on stored runs.

For every stored run of a conditional problem and every prefix `n`: fit the engine's GP (its
warping and MAP fit) to the first `n` trials, once with the conditional columns modelled
(`InputSpec.from_space(space)`) and once flattened (`flatten=True`), and score the next `k`
trials: the mean log predictive density of their warped values, and the RMSE. A JSON line per
check; `--summary` prints the Markdown table of the per-problem means and medians.

    python benchmarks/gp_conditional_heldout.py benchmarks/results/raw/gp_hpo_ablation.jsonl \\
        --out /tmp/heldout.jsonl --summary
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections import defaultdict
from typing import Any

import numpy as np
import torch

import apogee as ap
from apogee import problems
from apogee.models import InputSpec
from apogee.optimizers.gp._models import fit_outcome

PREFIXES = (20, 30, 40, 50)
HELD_OUT = 10


def checks(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The held-out scores of one stored run, both models, every prefix."""
    space = problems.get(record["problem"]).space
    (objective,) = record["problem_facts"]["objectives"]
    done = [e for e in record["evaluations"] if objective in e["values"]]
    X = np.array([space.encode(e["params"]) for e in done])
    y = np.array([e["values"][objective] for e in done])
    engine, rows = ap.optimizers.GP(), []
    for flatten in (True, False):
        inputs = InputSpec.from_space(space, flatten=flatten)
        for n in (n for n in PREFIXES if n + HELD_OUT <= len(y)):
            fitted = fit_outcome(engine, inputs, X[:n], y[:n], None)
            target = fitted.warping.transform(y[n : n + HELD_OUT])
            with torch.no_grad():
                mean, variance = fitted.model.posterior(torch.as_tensor(X[n : n + HELD_OUT]))
            var = variance.numpy() + fitted.hyper.noise
            error = target - mean.numpy()
            rows.append({
                "problem": record["problem"], "solver": record["solver"], "seed": record["seed"],
                "n": n, "model": "flattened" if flatten else "conditional",
                "lpd": float(np.mean(-0.5 * (np.log(2 * math.pi * var) + error**2 / var))),
                "rmse": float(np.sqrt(np.mean(error**2))),
            })  # fmt: skip
    return rows


def summary(rows: list[dict[str, Any]]) -> str:
    """Per problem and model: mean and median log predictive density and RMSE over the checks."""
    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        cells[(row["problem"], row["model"])].append(row)
    lines = [
        "| problem | model | checks | mean lpd | median lpd | mean RMSE | median RMSE |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for (problem, model), group in sorted(cells.items()):
        lpd, rmse = [r["lpd"] for r in group], [r["rmse"] for r in group]
        lines.append(
            f"| {problem} | {model} | {len(group)} | {statistics.mean(lpd):.3f} | "
            f"{statistics.median(lpd):.3f} | {statistics.mean(rmse):.3f} | "
            f"{statistics.median(rmse):.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", help="bench JSON lines of runs on conditional problems")
    parser.add_argument("--out", required=True, help="JSON lines of the checks (overwritten)")
    parser.add_argument("--summary", action="store_true", help="print the Markdown table")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    with open(args.runs) as lines, open(args.out, "w") as out:
        for record in map(json.loads, lines):
            for row in checks(record):
                out.write(json.dumps(row) + "\n")
                rows.append(row)
    if args.summary:
        print(summary(rows))


if __name__ == "__main__":
    main()
