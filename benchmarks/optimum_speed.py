"""Cost of one `Study.optimum` call against one GP-engine suggestion on the same history.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/optimum_speed.py

A Sobol' history of n = 100 trials in d = 5 (a smooth test function); medians over 5 repeats
(different seeds, so nothing is cached), all measured in the same process: the default (local and
global GP, the global one kept out of the local trials' cells, the interval widened by the
model's track record), the same without the track record (`track_record=False`), without the
cells (`local_cells=False`) and the global GP alone (`local_fraction=0`, no track record).
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
    variants = {
        "default": OptimumOptions(),
        "without the track record": OptimumOptions(track_record=False),
        "without the cells": OptimumOptions(local_cells=False),
        "global model only": OptimumOptions(local_fraction=0.0, track_record=False),
    }
    times: dict[str, list[float]] = {name: [] for name in (*variants, "GP suggestion")}
    for repeat in range(1, 6):
        for name, options in variants.items():
            start = time.perf_counter()
            study.optimum(seed=repeat, options=options)
            times[name].append(time.perf_counter() - start)
        start = time.perf_counter()
        engine.suggest(history, [n + repeat], repeat)
        times["GP suggestion"].append(time.perf_counter() - start)
    suggestion = statistics.median(times["GP suggestion"])
    print(f"n={n} d={d}: GP suggestion {suggestion:.2f} s; Study.optimum:")
    for name in variants:
        median = statistics.median(times[name])
        print(f"  {name}: {median:.2f} s, ratio {median / suggestion:.2f}")


if __name__ == "__main__":
    main()
