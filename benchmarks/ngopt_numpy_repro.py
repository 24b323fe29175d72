"""Nevergrad NGOpt without apogee: does it crash under this NumPy, and where?

Runs `ng.optimizers.NGOpt` through Nevergrad's own `minimize` on a shifted sphere (d = 10,
budget 1000) with three parametrizations: an unbounded vector, a vector bounded to [-5, 5]
(BBOB's box) and a `Dict` of ten bounded scalars (how apogee's bench adapter calls it). It
prints the versions, the optimizer NGOpt picked, and the last traceback frames if it raises.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/ngopt_numpy_repro.py
    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/ngopt_numpy_repro.py --bbob 1 2 6 8 10 15 17 21

With `--bbob`, NGOpt runs through apogee's bench adapter (`nevergrad-ngopt`) on those BBOB
functions (d = 10, budget 1000 declared) for at most `--tells` evaluations, and each line says
whether and when it raised.
"""

from __future__ import annotations

import argparse
import traceback

import nevergrad as ng
import numpy as np
import sklearn

SHIFT = 0.3


def sphere(x: np.ndarray) -> float:
    return float(((x - SHIFT) ** 2).sum())


def parametrizations() -> dict[str, ng.p.Parameter]:
    """The three ways of describing the same 10-dimensional box to Nevergrad."""
    scalars = {f"x{i}": ng.p.Scalar(lower=-5.0, upper=5.0) for i in range(10)}
    return {
        "unbounded Array": ng.p.Array(shape=(10,)),
        "bounded Array": ng.p.Array(shape=(10,), lower=-5.0, upper=5.0),
        "Dict of bounded Scalars": ng.p.Dict(**scalars),
    }


def objective(value: object) -> float:
    if isinstance(value, dict):
        return sphere(np.array([value[f"x{i}"] for i in range(10)]))
    return sphere(np.asarray(value))


def bbob(functions: list[int], tells: int) -> None:
    """NGOpt through the bench adapter on BBOB functions, stopped after `tells` evaluations."""
    from apogee import problems
    from apogee.bench import get_solver
    from apogee.bench._solver import BudgetExhausted

    for function in functions:
        problem = problems.get(f"bbob-f{function}-d10-i1")
        count = [0]

        def evaluate(
            params: dict, problem: problems.Problem = problem, count: list = count
        ) -> dict:
            if count[0] >= tells:
                raise BudgetExhausted("stopped")
            count[0] += 1
            return dict(problem.evaluate(params))

        try:
            get_solver("nevergrad-ngopt").run(problem, 1000, 0, evaluate)
            print(f"f{function}: finished")
        except BudgetExhausted:
            print(f"f{function}: no error in {tells} evaluations")
        except Exception as error:  # the point is to see what Nevergrad raises
            where = traceback.extract_tb(error.__traceback__)[-1]
            print(
                f"f{function}: {type(error).__name__} after {count[0]} evaluations "
                f"({where.filename.split('site-packages/')[-1]}:{where.lineno}: {error})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bbob", type=int, nargs="*", default=None)
    parser.add_argument("--tells", type=int, default=400)
    args = parser.parse_args()
    print(f"numpy {np.__version__}, nevergrad {ng.__version__}, scikit-learn {sklearn.__version__}")
    if args.bbob:
        bbob(args.bbob, args.tells)
        return
    for label, parametrization in parametrizations().items():
        parametrization.random_state = np.random.RandomState(0)
        optimizer = ng.optimizers.NGOpt(parametrization=parametrization, budget=1000, num_workers=1)
        picked = optimizer._select_optimizer_cls()  # private, but it names the sub-optimizer
        try:
            optimizer.minimize(objective)
            print(f"{label} ({picked}): finished {optimizer.num_tell} evaluations")
        except Exception as error:  # the point is to see what Nevergrad raises
            frames = traceback.format_exception(error)
            print(f"{label} ({picked}): {type(error).__name__} after {optimizer.num_tell} tells")
            print("".join(frames[-4:]))


if __name__ == "__main__":
    main()
