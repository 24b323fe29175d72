"""A large categorical problem with a known optimum: unary plus chained pairwise terms.

`f(x) = sum_i U[i, x_i] + sum_i W[i, x_i, x_{i+1}]` over `V` categorical variables with `C`
choices each, the tables drawn once from a fixed seed. The pairwise terms couple neighbours in
a chain, so the exact minimum over all `C^V` points follows from min-sum dynamic programming
(Viterbi) in `O(V C^2)`: 12 variables with 10 choices (10^12 points) solve in microseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from apogee._util.validation import check_int
from apogee.problems._problem import Problem, Values
from apogee.space import Categorical, Space

TABLE_SEED = 20_241_201


def chain_tables(n_variables: int, n_choices: int) -> tuple[np.ndarray, np.ndarray]:
    """`(V, C)` unary and `(V - 1, C, C)` pairwise tables, standard normal, from a fixed seed."""
    rng = np.random.default_rng([TABLE_SEED, n_variables, n_choices])
    unary = rng.standard_normal((n_variables, n_choices))
    pairwise = rng.standard_normal((n_variables - 1, n_choices, n_choices))
    return unary, pairwise


def chain_value(unary: np.ndarray, pairwise: np.ndarray, choice: np.ndarray) -> float:
    """`f` at the `(V,)` vector of choice indices."""
    steps = np.arange(len(choice) - 1)
    return float(
        unary[np.arange(len(choice)), choice].sum() + pairwise[steps, choice[:-1], choice[1:]].sum()
    )


def chain_minimum(unary: np.ndarray, pairwise: np.ndarray) -> tuple[float, np.ndarray]:
    """The exact minimum and a `(V,)` minimizer by min-sum dynamic programming along the chain."""
    n_variables = len(unary)
    cost = unary[-1].copy()  # best value of variables i..V-1 given the choice of variable i
    best_next = np.zeros((n_variables - 1, unary.shape[1]), dtype=int)
    for i in range(n_variables - 2, -1, -1):
        totals = pairwise[i] + cost[None, :]  # (choice of i, choice of i + 1)
        best_next[i] = np.argmin(totals, axis=1)
        cost = unary[i] + totals[np.arange(unary.shape[1]), best_next[i]]
    choice = np.zeros(n_variables, dtype=int)
    choice[0] = int(np.argmin(cost))
    for i in range(n_variables - 1):
        choice[i + 1] = best_next[i, choice[i]]
    return float(cost[choice[0]]), choice


def categorical_chain(n_variables: int, n_choices: int) -> Problem:
    """`V` categorical variables (`x0 ..`) with choices `"c0" ..`, minimum known exactly."""
    owner = "categorical-chain"
    check_int(n_variables, "n_variables", owner, low=2)
    check_int(n_choices, "n_choices", owner, low=2)
    unary, pairwise = chain_tables(n_variables, n_choices)
    labels = [f"c{k}" for k in range(n_choices)]
    index = {label: k for k, label in enumerate(labels)}

    def evaluate(params: Mapping[str, Any]) -> Values:
        choice = np.array([index[params[f"x{i}"]] for i in range(n_variables)])
        return {"value": chain_value(unary, pairwise, choice)}

    optimum, minimizer = chain_minimum(unary, pairwise)
    return Problem(
        name=f"categorical-v{n_variables}-c{n_choices}",
        space=Space({f"x{i}": Categorical(labels) for i in range(n_variables)}),
        objectives={"value": "minimize"},
        optimal_value=optimum,
        optimal_params={f"x{i}": labels[k] for i, k in enumerate(minimizer)},
        tags=frozenset({"categorical"}),
        function=evaluate,
    )
