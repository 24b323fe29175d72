"""Time per suggestion (model fit + acquisition optimization) against the number of trials.

Compares, in one run and one process, on the same histories (uniform random points of
[-5, 5]^d scored by the Ackley function; minimized):

- apogee `gp` (defaults), cold: no fit stored in the history, as after `add_trial`;
  and warm: the newest trial carries the fit of the suggestion before it, as in a study loop;
- BoTorch's standard loop: `SingleTaskGP` + `fit_gpytorch_mll` + `qLogExpectedImprovement`
  + `optimize_acqf(num_restarts=10, raw_samples=512)`, a new model each time (as its tutorials do);
- Optuna's `GPSampler` (defaults): `study.ask()` plus the `suggest_float` calls, on a study
  pre-filled with the trials; cold (a fresh sampler) and warm (the sampler already asked and
  told once at n - 1 trials, so its cache of kernel parameters is filled).

Torch runs on one thread for all three. Medians over `--repeats` (each on a different history).

Usage:
    python benchmarks/gp_suggest_time.py --n 20 50 100 200 500 1000 --dim 10 --repeats 3
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import torch

import apogee as ap
from apogee.history import History, StudySpec, TrialRecord, TrialState
from apogee.optimizers import GP

LOW, HIGH = -5.0, 5.0


def ackley(x: np.ndarray) -> float:
    d = len(x)
    return float(
        -20 * math.exp(-0.2 * math.sqrt(float((x**2).sum()) / d))
        - math.exp(float(np.cos(2 * math.pi * x).sum()) / d)
        + 20
        + math.e
    )


def make_data(n: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(seed).uniform(LOW, HIGH, (n, dim))
    return X, np.array([ackley(x) for x in X])


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


# apogee ------------------------------------------------------------------------------------
def apogee_history(X: np.ndarray, y: np.ndarray, attrs: dict | None = None) -> History:
    space = ap.Space({f"x{i}": ap.Float(LOW, HIGH) for i in range(X.shape[1])})
    records = [
        TrialRecord(i, TrialState.COMPLETE, {f"x{j}": float(v) for j, v in enumerate(x)},
                    {"value": float(value)})
        for i, (x, value) in enumerate(zip(X, y, strict=True))
    ]  # fmt: skip
    if attrs is not None:
        records[-1] = records[-1].evolve(system_attrs=attrs)
    return History(StudySpec.build(space), tuple(records))


def time_apogee(X: np.ndarray, y: np.ndarray, seed: int) -> tuple[float, float]:
    engine, n = GP(), len(y)
    cold = timed(lambda: engine.suggest(apogee_history(X, y), [n], seed))
    previous = engine.suggest(apogee_history(X[:-1], y[:-1]), [n - 1], seed)
    history = apogee_history(X, y, dict(previous.suggestions[0].attrs))
    warm = timed(lambda: engine.suggest(history, [n], seed))
    return cold, warm


# BoTorch -----------------------------------------------------------------------------------
def time_botorch(X: np.ndarray, y: np.ndarray, seed: int) -> float:
    from botorch.acquisition.logei import qLogExpectedImprovement
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.optim import optimize_acqf
    from gpytorch.mlls import ExactMarginalLogLikelihood

    train_X = torch.tensor((X - LOW) / (HIGH - LOW), dtype=torch.float64)
    train_Y = -torch.tensor(y, dtype=torch.float64)[:, None]  # BoTorch maximizes
    bounds = torch.stack([torch.zeros(X.shape[1]), torch.ones(X.shape[1])]).double()

    def step() -> None:
        torch.manual_seed(seed)  # BoTorch's raw samples use the global generator (benchmark only)
        model = SingleTaskGP(train_X, train_Y)
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        acqf = qLogExpectedImprovement(model, best_f=train_Y.max())
        optimize_acqf(acqf, bounds=bounds, q=1, num_restarts=10, raw_samples=512)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return timed(step)


# Optuna ------------------------------------------------------------------------------------
def optuna_study(X: np.ndarray, y: np.ndarray, seed: int):  # type: ignore[no-untyped-def]
    import optuna
    from optuna.distributions import FloatDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    distributions = {f"x{i}": FloatDistribution(LOW, HIGH) for i in range(X.shape[1])}
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))
    study.add_trials(
        [
            optuna.trial.create_trial(
                params={f"x{j}": float(v) for j, v in enumerate(x)},
                distributions=distributions,
                value=float(value),
            )
            for x, value in zip(X, y, strict=True)
        ]
    )
    return study


def optuna_ask(study, dim: int):  # type: ignore[no-untyped-def]
    trial = study.ask()
    for i in range(dim):
        trial.suggest_float(f"x{i}", LOW, HIGH)
    return trial


def time_optuna(X: np.ndarray, y: np.ndarray, seed: int) -> tuple[float, float]:
    dim = X.shape[1]
    cold = timed(lambda: optuna_ask(optuna_study(X, y, seed), dim))
    study = optuna_study(X[:-2], y[:-2], seed)
    study.tell(optuna_ask(study, dim), float(y[-2]))  # fills the sampler's cache at n - 1
    study.enqueue_trial({f"x{j}": float(v) for j, v in enumerate(X[-1])})
    study.tell(optuna_ask(study, dim), float(y[-1]))  # the same n points as the others
    warm = timed(lambda: optuna_ask(study, dim))
    return cold, warm


# Driver ------------------------------------------------------------------------------------
COLUMNS = ("apogee cold", "apogee warm", "BoTorch", "Optuna cold", "Optuna warm")


def run(n: int, dim: int, repeats: int, skip_botorch_above: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {column: [] for column in COLUMNS}
    for repeat in range(repeats):
        X, y = make_data(n, dim, seed=1000 * n + repeat)
        cold, warm = time_apogee(X, y, seed=repeat)
        samples["apogee cold"].append(cold)
        samples["apogee warm"].append(warm)
        if n <= skip_botorch_above:
            samples["BoTorch"].append(time_botorch(X, y, seed=repeat))
        cold, warm = time_optuna(X, y, seed=repeat)
        samples["Optuna cold"].append(cold)
        samples["Optuna warm"].append(warm)
    return {k: statistics.median(v) if v else math.nan for k, v in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[20, 50, 100, 200, 500, 1000])
    parser.add_argument("--dim", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-botorch-above", type=int, default=10**9)
    args = parser.parse_args()
    torch.set_num_threads(1)
    run(12, args.dim, 1, args.skip_botorch_above)  # warm-up: imports and first-call costs
    print(f"python {platform.python_version()}, torch {torch.__version__}, "
          f"{platform.processor() or platform.machine()}, 1 torch thread")  # fmt: skip
    print("| n | " + " | ".join(f"{c} (s)" for c in COLUMNS) + " | apogee warm / BoTorch |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for n in args.n:
        row = run(n, args.dim, args.repeats, args.skip_botorch_above)
        ratio = row["apogee warm"] / row["BoTorch"]
        cells = " | ".join(f"{row[c]:.3f}" for c in COLUMNS)
        print(f"| {n} | {cells} | {ratio:.2f} |", flush=True)


if __name__ == "__main__":
    main()
