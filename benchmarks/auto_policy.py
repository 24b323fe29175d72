"""`auto`'s GP-then-CMA-ES switch, replayed on recorded GP phases: which switch policy works.

`auto` is a function of the history, and its GP phase does not depend on what comes after it,
so the first `k` evaluations of a recorded `apogee-auto` bench run are exactly what any policy
that switches at trial `k` would have seen. For each variant (switch point `k`, CMA-ES step
size and restart regime) this adds those `k` evaluations to a fresh study (`Study.add_trial`)
and continues with `CMAES(sigma0=..., restart=...)`, warm-started at their best point as
`auto` does, up to the budget. `k = 0` is plain CMA-ES from the centre of the box. One JSON
line per run: the final best value and log10 regret (floor 1e-8).

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/auto_policy.py --make-phases 50 \\
        --problems bbob-f1-d10-i1 ... --runs benchmarks/results/raw/auto_policy_gp_phases.jsonl \\
        --out unused
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/auto_policy.py \\
        --runs benchmarks/results/raw/auto_policy_gp_phases.jsonl --budgets 1000 \\
        --switches 0 25 50 --out benchmarks/results/raw/auto_policy.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

import apogee as ap
from apogee import problems
from apogee.optimizers import CMAES


@dataclass(frozen=True)
class Variant:
    """Switch to CMA-ES after `switch` GP trials, with this step size and restart regime.

    `warm_restarts`: restarts also start from the warm step size (`auto` before 95022ba) rather
    than from CMA-ES's default `sigma0 = 0.25`.
    """

    switch: int
    sigma0: float
    restart: str
    warm_restarts: bool = False

    @property
    def label(self) -> str:
        suffix = "-warmrestarts" if self.warm_restarts else ""
        return f"k{self.switch}-s{self.sigma0}-{self.restart}{suffix}"


def variants(
    switches: list[int], sigmas: list[float], restarts: list[str], warm_restarts: list[bool]
) -> Iterator[Variant]:
    for switch in switches:
        for sigma in sigmas:
            for restart in restarts:
                for warm in warm_restarts:
                    yield Variant(switch, sigma, restart, warm)


def make_phases(names: list[str], seeds: list[int], trials: int, path: str) -> None:
    """Record `trials` GP suggestions per problem and seed, as the bench records runs.

    `auto` delegates its first trials to `GP()` with its defaults, so these are its GP phase.
    """
    import torch

    torch.set_num_threads(1)
    for name in names:
        problem = problems.get(name)
        for seed in seeds:
            study = ap.create_study("phase", space=problem.space, optimizer="gp", seed=seed)
            evaluations = []
            for _ in range(trials):
                trial = study.ask()
                values = dict(problem.evaluate(trial.params))
                study.tell(trial, values)
                evaluations.append({"params": dict(trial.params), "values": values})
            record = {"type": "run", "status": "ok", "solver": "apogee-auto", "problem": name}
            record.update(seed=seed, budget=trials, evaluations=evaluations)
            with open(path, "a") as handle:
                handle.write(json.dumps(record) + "\n")


def gp_phases(path: str) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """`(problem, seed) -> evaluations` of the recorded apogee-auto runs that finished."""
    phases = {}
    with open(path) as handle:
        for line in handle:
            record = json.loads(line)
            finished = record.get("type") == "run" and record["status"] == "ok"
            if finished and record["solver"] == "apogee-auto":
                phases[(record["problem"], record["seed"])] = record["evaluations"]
    return phases


def spread(problem: problems.Problem, phase: list[dict[str, Any]]) -> float:
    """The RMS coordinate spread of the best tenth of `phase` on the unit cube, in [0.01, 0.25].

    Nomura et al.'s warm-start CMA-ES (AAAI 2021) fits the initial distribution to the best
    `gamma = 10%` of earlier evaluations; this is its step size without the isotropic prior.
    """
    ranked = sorted(phase, key=lambda e: e["values"]["value"])
    top = ranked[: max(2, len(ranked) // 10)]
    points = problem.space.encode_many([e["params"] for e in top])
    return float(np.clip(np.sqrt(points.var(axis=0).mean()), 0.01, 0.25))


def run(
    problem: problems.Problem, phase: list[dict[str, Any]], variant: Variant, budget: int, seed: int
) -> float:
    """The best value after `budget` evaluations under `variant` (`sigma0 = 0`: `spread`)."""
    sigma0 = variant.sigma0
    if sigma0 == 0:
        sigma0 = spread(problem, phase[: variant.switch]) if variant.switch else 0.25
    if variant.switch == 0 or variant.warm_restarts:
        engine = CMAES(sigma0=sigma0, restart=variant.restart)
    else:
        engine = CMAES(warm_sigma0=sigma0, restart=variant.restart)
    study = ap.create_study("policy", space=problem.space, optimizer=engine, seed=seed)
    best = math.inf
    for evaluation in phase[: variant.switch]:
        values = problem.evaluate(evaluation["params"])  # re-evaluated: the same function
        study.add_trial(evaluation["params"], dict(values))
        best = min(best, values["value"])
    for _ in range(budget - min(variant.switch, len(phase))):
        trial = study.ask()
        values = problem.evaluate(trial.params)
        study.tell(trial, dict(values))
        best = min(best, values["value"])
    return best


def bench_regrets(path: str, budget: int) -> dict[str, dict[str, float]]:
    """`problem -> solver -> final log10 regret` of the finished seed-0 runs of a bench file."""
    table: dict[str, dict[str, float]] = {}
    with open(path) as handle:
        for record in map(json.loads, handle):
            if record.get("type") != "run" or record["status"] != "ok" or record["seed"] != 0:
                continue
            if record["budget"] != budget or not isinstance(record["evaluations"], list):
                continue
            best = min(e["values"]["value"] for e in record["evaluations"])
            optimum = record["problem_facts"]["optimal_value"]
            regret = math.log10(max(best - optimum, 1e-8))
            table.setdefault(record["problem"], {})[record["solver"]] = regret
    return table


def report(path: str, budget: int, labels: list[str], against: str | None = None) -> str:
    """A Markdown table: log10 regret per function and variant (and peer), and mean ranks.

    Ranks per function as `apogee bench report` ranks: values within 0.1 decade tie. Only
    functions where every column has a value count towards the mean rank.
    """
    table: dict[str, dict[str, float]] = {}
    with open(path) as handle:
        for record in map(json.loads, handle):
            if record["budget"] == budget:
                table.setdefault(record["problem"], {})[record["variant"]] = record["log10_regret"]
    if against:
        peers = bench_regrets(against, budget)
        solvers = sorted({solver for row in peers.values() for solver in row})
        for name in table:
            table[name].update(peers.get(name, {}))
        labels = labels + solvers
    ranks: dict[str, list[float]] = {label: [] for label in labels}
    complete = [name for name in table if all(label in table[name] for label in labels)]
    for name in complete:
        row = table[name]
        for label in labels:
            better = sum(row[other] < row[label] - 0.1 for other in labels)
            ties = sum(abs(row[other] - row[label]) <= 0.1 for other in labels)
            ranks[label].append(better + (ties + 1) / 2)
    lines = [
        f"| function (budget {budget}) | " + " | ".join(labels) + " |",
        "|---|" + "---:|" * len(labels),
    ]
    for name in sorted(table, key=lambda n: int(n.split("-")[1][1:])):
        cells = [f"{table[name][label]:.2f}" if label in table[name] else "" for label in labels]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    means = [f"{np.mean(ranks[label]):.2f}" if ranks[label] else "" for label in labels]
    lines.append(f"| mean rank ({len(complete)} functions) | " + " | ".join(means) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, help="bench jsonl with apogee-auto runs")
    parser.add_argument("--budgets", type=int, nargs="+", default=[1000])
    parser.add_argument("--switches", type=int, nargs="+", default=[0, 30, 100, 200])
    parser.add_argument("--sigmas", type=float, nargs="+", default=[0.1, 0.25])
    parser.add_argument("--restarts", nargs="+", default=["bipop", "ipop"])
    parser.add_argument(
        "--warm-restarts",
        choices=["no", "yes", "both"],
        default="no",
        help="whether restarts reuse the warm step size (yes: auto before 95022ba)",
    )
    parser.add_argument("--out", required=True)
    parser.add_argument("--make-phases", type=int, default=0, help="GP trials to record first")
    parser.add_argument("--problems", nargs="*", default=[])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--report", action="store_true", help="print the table of --out")
    parser.add_argument("--against", default=None, help="a bench jsonl whose solvers join it")
    args = parser.parse_args()
    warm = {"no": [False], "yes": [True], "both": [False, True]}[args.warm_restarts]
    if args.report:
        labels = [v.label for v in variants(args.switches, args.sigmas, args.restarts, warm)]
        print(report(args.out, args.budgets[0], labels, args.against), end="")
        return
    if args.make_phases:
        make_phases(args.problems, args.seeds, args.make_phases, args.runs)
        return
    done = set()
    try:
        with open(args.out) as handle:
            done = {
                (r["problem"], r["seed"], r["budget"], r["variant"])
                for r in map(json.loads, handle)
            }
    except FileNotFoundError:
        pass
    phases = gp_phases(args.runs)
    with open(args.out, "a") as out:
        for (name, seed), phase in sorted(phases.items()):
            problem = problems.get(name)
            for budget in args.budgets:
                for variant in variants(args.switches, args.sigmas, args.restarts, warm):
                    if (name, seed, budget, variant.label) in done:
                        continue
                    best = run(problem, phase, variant, budget, seed)
                    regret = math.log10(max(best - problem.optimal_value, 1e-8))
                    entry = {
                        "problem": name,
                        "seed": seed,
                        "budget": budget,
                        "variant": variant.label,
                        "best": best,
                        "log10_regret": regret,
                    }
                    out.write(json.dumps(entry) + "\n")
                    out.flush()


if __name__ == "__main__":
    main()
