"""apogee's `nsga2` against pymoo's NSGA-II on ZDT1 and ZDT2 (d = 30), same budget and operators.

Both use population 100, SBX (eta 15, p 0.9), polynomial mutation (eta 20, p 1/d) and binary
tournament. apogee's engine is called on the trial history directly, one generation per call
(what `study.ask_batch(100)` does, without the storage, whose cost `core_overhead.py` measures),
so that 10,000 evaluations take seconds on a busy 2-core machine.
Quality is IGD against 10,000 points of the analytic Pareto front (moocore.igd) and
hypervolume at the reference (1.1, 1.1), both of the non-dominated points of the final
population, as pymoo's `result.F` (before stop 18 apogee's side took every evaluated point,
an archive that is denser than a population of 100 and flattered it once converged).
Usage: python benchmarks/nsga2_vs_pymoo.py --evals 10000 --seeds 1 2 3 --out benchmarks/results/nsga2_vs_pymoo.md
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import moocore
import numpy as np
from _generations import final_population, run_generations

import apogee as ap
from apogee.history import StudySpec
from apogee.optimizers import nsga2

DIM = 30
POPULATION = 100


def zdt(x: np.ndarray, which: int) -> np.ndarray:
    g = 1 + 9 * x[..., 1:].mean(axis=-1)
    f1 = x[..., 0]
    f2 = g * (1 - np.sqrt(f1 / g)) if which == 1 else g * (1 - (f1 / g) ** 2)
    return np.stack([f1, f2], axis=-1)


def true_front(which: int) -> np.ndarray:
    f1 = np.linspace(0, 1, 10_000)
    return np.column_stack([f1, 1 - np.sqrt(f1) if which == 1 else 1 - f1**2])


def run_apogee(which: int, evals: int, seed: int) -> np.ndarray:
    space = ap.Space({f"x{i}": ap.Float(0, 1) for i in range(DIM)})
    spec = StudySpec.build(space, objectives={"f1": "minimize", "f2": "minimize"})

    def evaluate(params: Any) -> dict[str, float]:
        f1, f2 = zdt(np.array([params[f"x{i}"] for i in range(DIM)]), which)
        return {"f1": float(f1), "f2": float(f2)}

    engine = ap.optimizers.NSGA2()
    history = run_generations(engine, spec, evaluate, evals=evals, population=POPULATION, seed=seed)
    survivors = final_population(engine, history, nsga2.POPULATION, seed)
    final = history.objective_matrix([history.trials[n] for n in survivors])
    return np.asarray(final[ap.moo.nondominated_mask(final)])


def run_pymoo(which: int, evals: int, seed: int) -> np.ndarray:
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.optimize import minimize
    from pymoo.problems import get_problem

    result = minimize(
        get_problem(f"zdt{which}", n_var=DIM), NSGA2(pop_size=100), ("n_eval", evals), seed=seed
    )
    return np.asarray(result.F)


def measure(
    runner: Callable[[int, int, int], np.ndarray], which: int, evals: int, seed: int
) -> dict[str, float]:
    start = time.perf_counter()
    front = runner(which, evals, seed)
    seconds = time.perf_counter() - start
    inside = front[np.all(front < 1.1, axis=1)]
    volume = float(moocore.hypervolume(inside, ref=[1.1, 1.1])) if len(inside) else 0.0
    return {
        "igd": float(moocore.igd(front, ref=true_front(which))),
        "hv": volume,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--evals", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--out", default="benchmarks/results/nsga2_vs_pymoo.md")
    args = parser.parse_args()
    rows = []
    for which in (1, 2):
        results: dict[str, list[dict[str, float]]] = {"apogee nsga2": [], "pymoo NSGA2": []}
        for seed in args.seeds:
            results["apogee nsga2"].append(measure(run_apogee, which, args.evals, seed))
            results["pymoo NSGA2"].append(measure(run_pymoo, which, args.evals, seed))
            print(which, seed, {k: v[-1] for k, v in results.items()}, flush=True)
        medians = {
            k: {m: statistics.median(r[m] for r in v) for m in ("igd", "hv", "seconds")}
            for k, v in results.items()
        }
        for solver, median in medians.items():
            ratio = median["igd"] / medians["pymoo NSGA2"]["igd"]
            rows.append(
                f"| ZDT{which} | {solver} | {median['igd']:.4g} | {ratio:.2f} "
                f"| {median['hv']:.4f} | {median['seconds']:.1f} |"
            )
    header = [
        "# NSGA-II: apogee against pymoo",
        "",
        f"ZDT1 and ZDT2, d = {DIM}, {args.evals} evaluations, population 100, seeds {args.seeds}; medians over seeds.",
        "Same operators (SBX eta 15 p 0.9, polynomial mutation eta 20 p 1/d, binary tournament); pymoo 0.6 defaults.",
        "IGD against 10,000 points of the analytic front (moocore); HV at reference (1.1, 1.1); seconds are wall time",
        "of the whole run (apogee: the engine on the history, one generation per call, no storage).",
        "",
        f"Command: `python benchmarks/nsga2_vs_pymoo.py --evals {args.evals} --seeds {' '.join(map(str, args.seeds))}`",
        f"Machine: {platform.machine()}, {platform.python_version()}, 2 shared cores.",
        "",
        "| problem | solver | IGD median | IGD / pymoo | HV@1.1 median | seconds |",
        "|---|---|---|---|---|---|",
    ]
    with open(args.out, "w") as handle:
        handle.write("\n".join(header + rows) + "\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
