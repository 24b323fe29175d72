"""The GP engine's two multi-objective methods, ParEGO and EHVI, on the `moo` suite's problems.

ZDT1-3 (d = 6), DTLZ2 (3 objectives, d = 6) and Branin-Currin, at the reference points and
maximal hypervolumes of the reference doc (`apogee.problems`). Same engine options otherwise,
one study per (problem, method, seed), sequential ask/tell. Reported as log10(HV_max - HV) of the
complete trials at the end (lower is better); seconds are the wall time of the whole study (fits
and acquisition). Each run is appended to `--raw` (JSONL) as it finishes, so a partial run keeps
what it measured; `--report` rebuilds the table from that file.
Usage: python benchmarks/gp_mobo.py --budget 100 --seeds 0 1 2 --raw /tmp/gp_mobo.jsonl
       python benchmarks/gp_mobo.py --report --raw /tmp/gp_mobo.jsonl [--bench runs.jsonl] --out ...
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import time
from collections import defaultdict
from typing import Any

import numpy as np
import torch

import apogee as ap
from apogee import problems
from apogee.moo import hypervolume
from apogee.optimizers import GP

PROBLEMS = ("zdt1-d6", "zdt2-d6", "zdt3-d6", "dtlz2-m3-d6", "branin-currin")


def run(name: str, method: str, budget: int, seed: int) -> dict[str, object]:
    problem = problems.get(name)
    assert problem.reference_point is not None and problem.max_hypervolume is not None
    study = ap.create_study(
        "mobo",
        space=problem.space,
        optimizer=GP(multi_objective=method),
        objectives=dict(problem.objectives),
        seed=seed,
    )
    start = time.perf_counter()
    study.optimize(lambda p: dict(problem.evaluate(p)), n_trials=budget, progress=False)
    seconds = time.perf_counter() - start
    gap = problem.max_hypervolume - study.hypervolume(list(problem.reference_point))
    return {
        "problem": name,
        "method": method,
        "seed": seed,
        "budget": budget,
        "log10_gap": math.log10(max(gap, 1e-12)),
        "seconds": seconds,
    }


def bench_runs(path: str) -> list[dict[str, Any]]:
    """The `apogee-gp` runs of an `apogee bench` file (engine defaults: EHVI), in this format."""
    runs = []
    with open(path) as handle:
        for line in handle:
            r = json.loads(line)
            if r.get("solver") != "apogee-gp" or r.get("status") != "ok":
                continue
            facts = r["problem_facts"]
            signs = np.array(
                [1.0 if d == "minimize" else -1.0 for d in facts["objectives"].values()]
            )
            Y = np.array([[e["values"][n] for n in facts["objectives"]] for e in r["evaluations"]])
            volume = hypervolume(Y * signs, np.asarray(facts["reference_point"]) * signs)
            gap = facts["max_hypervolume"] - volume
            runs.append(
                {
                    "problem": r["problem"],
                    "method": "ehvi",
                    "seed": r["seed"],
                    "budget": r["budget"],
                    "log10_gap": math.log10(max(gap, 1e-12)),
                    "seconds": r["wall_s"],
                }
            )
    return runs


def report(raw: str, bench: list[str], out: str) -> None:
    runs: dict[tuple[str, int, str], list[dict[str, Any]]] = defaultdict(list)
    with open(raw) as handle:
        records = [json.loads(line) for line in handle]
    for path in bench:
        records += bench_runs(path)
    for r in records:
        runs[(r["problem"], r["budget"], r["method"])].append(r)
    rows = []
    for (name, budget, method), rs in sorted(runs.items()):
        rs.sort(key=lambda r: r["seed"])
        gaps = [round(r["log10_gap"], 3) for r in rs]
        rows.append(
            f"| {name} | {budget} | {method} | {statistics.median(gaps):.3f} | {gaps} "
            f"| {[r['seed'] for r in rs]} | {statistics.median(r['seconds'] for r in rs):.1f} |"
        )
    header = [
        "# GP engine, several objectives: ParEGO against EHVI",
        "",
        "log10(HV_max - HV) of the complete trials at the end (lower is better), reference points",
        "and maximal hypervolumes of the reference doc; seconds: median wall time of a whole study.",
        "",
        "Commands: `python benchmarks/gp_mobo.py --budget B --seeds S.. --methods M.. --raw R` then",
        f"`python benchmarks/gp_mobo.py --report --raw R --bench {' '.join(bench)} --out {out}`;",
        "`--bench` adds the `apogee-gp` runs (engine defaults, EHVI) of `apogee bench` files,",
        "whose seconds are the bench's wall time of the run.",
        f"Machine: {platform.machine()}, {platform.python_version()}, torch {torch.__version__}, "
        "1 torch thread, 2 shared cores (busy).",
        "",
        "| problem | budget | method | median log10 gap | per seed | seeds | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    with open(out, "w") as handle:
        handle.write("\n".join(header + rows) + "\n")
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    parser.add_argument("--methods", nargs="+", default=["parego", "ehvi"])
    parser.add_argument("--raw", default="/tmp/gp_mobo.jsonl")
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--bench", nargs="*", default=[], help="apogee bench files (apogee-gp)")
    parser.add_argument("--out", default="benchmarks/results/gp_mobo.md")
    args = parser.parse_args()
    if args.report:
        report(args.raw, args.bench, args.out)
        return
    torch.set_num_threads(1)
    for seed in args.seeds:
        for name in args.problems:
            for method in args.methods:
                result = run(name, method, args.budget, seed)
                print(result, flush=True)
                with open(args.raw, "a") as handle:
                    handle.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
