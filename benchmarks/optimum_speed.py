"""Cost of one `Study.optimum` call against one GP-engine suggestion on the same history.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/optimum_speed.py

A Sobol' history of n = 100 trials in d = 5 (a smooth test function); medians over 5 repeats
(different seeds, so nothing is cached), all measured in the same process: the default (local and
global GP, the global one kept out of the local trials' cells), the same without the cells
(`local_cells=False`) and the global GP alone (`local_fraction=0`).
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch

import apogee as ap
from apogee.optimizers.gp import OptimumOptions


def main() -> None:
    torch.set_num_threads(1)
    d, n = 5, 100
    space = ap.Space({f"x{i}": ap.Float(-1.0, 1.0) for i in range(d)})
    study = ap.create_study("speed", space=space, seed=0, optimizer="sobol")
    study.optimize(
        lambda p: sum((p[f"x{i}"] - 0.1 * i) ** 2 for i in range(d)) + np.sin(3 * p["x0"]),
        n_trials=n,
        progress=False,
    )
    history = study.history()
    engine = ap.optimizers.GP()
    engine.suggest(history, [n], 0)  # warm up imports
    study.optimum(seed=0)
    global_only = OptimumOptions(local_fraction=0.0)
    without_cells = OptimumOptions(local_cells=False)
    optimum_times, global_times, suggest_times, box_times = [], [], [], []
    for repeat in range(1, 6):
        start = time.perf_counter()
        study.optimum(seed=repeat)
        optimum_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        study.optimum(seed=repeat, options=global_only)
        global_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        study.optimum(seed=repeat, options=without_cells)
        box_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        engine.suggest(history, [n + repeat], repeat)
        suggest_times.append(time.perf_counter() - start)
    t_opt, t_sug = statistics.median(optimum_times), statistics.median(suggest_times)
    t_global, t_box = statistics.median(global_times), statistics.median(box_times)
    print(
        f"n={n} d={d}: Study.optimum {t_opt:.2f} s, GP suggestion {t_sug:.2f} s, ratio "
        f"{t_opt / t_sug:.2f}; without the cells {t_box:.2f} s, ratio {t_box / t_sug:.2f}; "
        f"global model only {t_global:.2f} s, ratio {t_global / t_sug:.2f}"
    )


if __name__ == "__main__":
    main()
