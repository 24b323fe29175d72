"""A quick quality check of the `gp` engine while `apogee bench` is not there yet.

Best value after a fixed budget on classic test functions (minimized, inputs in their usual
boxes), for apogee `gp` (defaults), Optuna's GPSampler (defaults) and random search, over a few
seeds. Medians of the final simple regret `best - f*`. Torch on one thread.

Usage:
    python benchmarks/gp_quality_quick.py --budget 40 --seeds 3
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Callable

import numpy as np
import torch

import apogee as ap

Function = Callable[[np.ndarray], float]


def branin(x: np.ndarray) -> float:
    a, b, c = 1.0, 5.1 / (4 * math.pi**2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    return float(a * (x[1] - b * x[0] ** 2 + c * x[0] - r) ** 2 + s * (1 - t) * math.cos(x[0]) + s)


def hartmann6(x: np.ndarray) -> float:
    alpha = np.array([1.0, 1.2, 3.0, 3.2])
    A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])  # fmt: skip
    P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])  # fmt: skip
    return float(-(alpha * np.exp(-(A * (x - P) ** 2).sum(1))).sum())


def rosenbrock(x: np.ndarray) -> float:
    return float((100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum())


def ackley(x: np.ndarray) -> float:
    d = len(x)
    return float(-20 * math.exp(-0.2 * math.sqrt((x**2).sum() / d))
                 - math.exp(np.cos(2 * math.pi * x).sum() / d) + 20 + math.e)  # fmt: skip


def levy(x: np.ndarray) -> float:
    w = 1 + (x - 1) / 4
    core = ((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2)).sum()
    return float(
        np.sin(math.pi * w[0]) ** 2
        + core
        + (w[-1] - 1) ** 2 * (1 + np.sin(2 * math.pi * w[-1]) ** 2)
    )


PROBLEMS: dict[str, tuple[Function, list[tuple[float, float]], float]] = {
    "branin (2d)": (branin, [(-5, 10), (0, 15)], 0.397887),
    "hartmann6 (6d)": (hartmann6, [(0, 1)] * 6, -3.32237),
    "rosenbrock (5d)": (rosenbrock, [(-2, 2)] * 5, 0.0),
    "levy (8d)": (levy, [(-10, 10)] * 8, 0.0),
    "ackley (10d)": (ackley, [(-5, 5)] * 10, 0.0),
}


def run_apogee(f: Function, bounds: list, budget: int, seed: int, engine: str) -> float:
    result = ap.minimize(
        f, bounds=bounds, budget=budget, optimizer=engine, seed=seed, progress=False
    )
    return float(result.value)


def run_optuna(f: Function, bounds: list, budget: int, seed: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))

    def objective(trial: optuna.Trial) -> float:
        x = np.array([trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)])
        return f(x)

    study.optimize(objective, n_trials=budget)
    return float(study.best_value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"budget {args.budget}, {args.seeds} seeds, median simple regret (lower is better)")
    print("| problem | apogee gp | Optuna GPSampler | random |")
    print("|---|---|---|---|")
    for name, (f, bounds, f_star) in PROBLEMS.items():
        regrets: dict[str, list[float]] = {"gp": [], "optuna": [], "random": []}
        for seed in range(args.seeds):
            regrets["gp"].append(run_apogee(f, bounds, args.budget, seed, "gp") - f_star)
            regrets["optuna"].append(run_optuna(f, bounds, args.budget, seed) - f_star)
            regrets["random"].append(run_apogee(f, bounds, args.budget, seed, "random") - f_star)
        cells = " | ".join(
            f"{statistics.median(regrets[k]):.4g}" for k in ("gp", "optuna", "random")
        )
        print(f"| {name} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
