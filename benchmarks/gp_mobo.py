"""The GP engine's two multi-objective methods, ParEGO and EHVI, on Branin-Currin and ZDT1.

Same engine options otherwise (defaults: 5 Sobol' points for d = 2, 7 for d = 6), one study per
(problem, method, seed), sequential ask/tell. Reported as log10(HV_max - HV) of the complete
trials at the end (lower is better), at the BoTorch reference points and maximal hypervolumes of
the reference doc: Branin-Currin (d = 2) ref (18, 6), max 59.3601; ZDT1 (d = 6) ref (11, 11),
max 120 + 2/3. Seconds are wall time of the whole study (fits and acquisition).
Usage: python benchmarks/gp_mobo.py --budget 40 --seeds 0 1 2 --out benchmarks/results/gp_mobo.md
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import apogee as ap
from apogee.optimizers import GP


def branin_currin(p: dict[str, Any]) -> dict[str, float]:
    x0, x1 = p["x0"], p["x1"]
    a, b = 15 * x0 - 5, 15 * x1
    branin = (b - 5.1 / (4 * math.pi**2) * a * a + 5 / math.pi * a - 6) ** 2
    branin += 10 * (1 - 1 / (8 * math.pi)) * math.cos(a) + 10
    ratio = (2300 * x0**3 + 1900 * x0**2 + 2092 * x0 + 60) / (
        100 * x0**3 + 500 * x0**2 + 4 * x0 + 20
    )
    currin = (1 - math.exp(-1 / (2 * max(x1, 1e-12)))) * ratio
    return {"f1": branin, "f2": currin}


def zdt1(p: dict[str, Any]) -> dict[str, float]:
    x = np.array([p[f"x{i}"] for i in range(6)])
    g = 1 + 9 * x[1:].mean()
    return {"f1": float(x[0]), "f2": float(g * (1 - np.sqrt(x[0] / g)))}


Problem = tuple[Callable[[dict[str, Any]], dict[str, float]], int, list[float], float]
PROBLEMS: dict[str, Problem] = {
    "Branin-Currin": (branin_currin, 2, [18.0, 6.0], 59.36011874867746),
    "ZDT1 (d = 6)": (zdt1, 6, [11.0, 11.0], 120 + 2 / 3),
}


def run(problem: Problem, method: str, budget: int, seed: int) -> tuple[float, float]:
    objective, dim, reference, max_hv = problem
    space = ap.Space({f"x{i}": ap.Float(0, 1) for i in range(dim)})
    study = ap.create_study(
        "mobo",
        space=space,
        optimizer=GP(multi_objective=method),
        objectives={"f1": "minimize", "f2": "minimize"},
        seed=seed,
    )
    start = time.perf_counter()
    study.optimize(objective, n_trials=budget, progress=False)
    seconds = time.perf_counter() - start
    return math.log10(max(max_hv - study.hypervolume(reference), 1e-12)), seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default="benchmarks/results/gp_mobo.md")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for name, problem in PROBLEMS.items():
        for method in ("parego", "ehvi"):
            runs = [run(problem, method, args.budget, seed) for seed in args.seeds]
            gaps = [round(gap, 3) for gap, _ in runs]
            print(name, method, gaps, flush=True)
            rows.append(
                f"| {name} | {method} | {statistics.median(gaps):.3f} | {gaps} "
                f"| {statistics.median(s for _, s in runs):.1f} |"
            )
    header = [
        "# GP engine, several objectives: ParEGO against EHVI",
        "",
        f"Budget {args.budget} trials (Sobol' start included), seeds {args.seeds}, engine defaults otherwise.",
        "log10(HV_max - HV) at the end (lower is better); seconds: median wall time of a whole study.",
        "",
        f"Command: `python benchmarks/gp_mobo.py --budget {args.budget} --seeds {' '.join(map(str, args.seeds))}`",
        f"Machine: {platform.machine()}, {platform.python_version()}, torch {torch.__version__}, "
        "1 torch thread, 2 shared cores.",
        "",
        "| problem | method | median log10 gap | per seed | seconds |",
        "|---|---|---|---|---|",
    ]
    with open(args.out, "w") as handle:
        handle.write("\n".join(header + rows) + "\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
