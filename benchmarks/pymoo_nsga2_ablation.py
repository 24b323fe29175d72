"""Which of pymoo's NSGA-II features matter on ZDT1/ZDT2 (d = 30, 10,000 evaluations)?

pymoo's `NSGA2(pop_size=100)` with one feature changed at a time: polynomial mutation applied to
every child (`PM(prob=1.0)`, pymoo's default is 0.9), with `at_least_once`, and duplicate
elimination off. Median IGD (moocore) over seeds 1-10 against 10,000 points of the front.
Usage: python benchmarks/pymoo_nsga2_ablation.py  (prints one line per problem and variant)
"""

import statistics

import moocore
import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.operators.mutation.pm import PM
from pymoo.optimize import minimize
from pymoo.problems import get_problem


def front(which):
    f1 = np.linspace(0, 1, 10_000)
    return np.column_stack([f1, 1 - np.sqrt(f1) if which == 1 else 1 - f1**2])


variants = {
    "default": dict(),
    "pm_prob1": dict(mutation=PM(prob=1.0, eta=20)),
    "pm_prob1_atleast": dict(mutation=PM(prob=1.0, eta=20, at_least_once=True)),
    "no_dedup": dict(eliminate_duplicates=False),
    "no_dedup_pm1": dict(eliminate_duplicates=False, mutation=PM(prob=1.0, eta=20)),
}
for which in (1, 2):
    for name, kw in variants.items():
        igds = []
        for seed in range(1, 11):
            r = minimize(
                get_problem(f"zdt{which}", n_var=30),
                NSGA2(pop_size=100, **kw),
                ("n_eval", 10000),
                seed=seed,
            )
            igds.append(float(moocore.igd(np.asarray(r.F), ref=front(which))))
        print(which, name, round(statistics.median(igds), 5), flush=True)
