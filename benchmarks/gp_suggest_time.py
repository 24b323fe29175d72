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

Torch runs on one thread for all three. Medians over `--repeats` (each on a different history),
with the ratios of apogee (warm) to BoTorch and to Optuna (warm). A last table times apogee
alone at `--alone-dim` and `--alone-n` (issue 5: d = 50, n = 1000 in at most 10 s). The load
average is printed before and after, since timings on a shared machine are only comparable
within one run.

Usage:
    python benchmarks/gp_suggest_time.py --n 50 100 200 400 1000 --dim 10 --repeats 3 \
        --out benchmarks/results/gp_suggest_time.md
"""

from __future__ import annotations

import argparse
import math
import os
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


def run_alone(n: int, dim: int, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of a cold apogee suggestion at `n` trials in `dim` dimensions.

    The CPU time (of this process, one torch thread) hardly depends on the machine's load.
    """
    walls, cpus = [], []
    for repeat in range(repeats):
        history = apogee_history(*make_data(n, dim, seed=1000 * n + repeat))
        cpu = time.process_time()
        walls.append(timed(lambda: GP().suggest(history, [n], repeat)))  # noqa: B023
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} (1, 5, 15 min)"


def comparison_table(ns: list[int], dim: int, repeats: int, skip: int) -> list[str]:
    header = " | ".join(f"{c} (s)" for c in COLUMNS)
    lines = [
        f"| n | {header} | apogee warm / BoTorch | apogee warm / Optuna warm |",
        "|---" * (len(COLUMNS) + 3) + "|",
    ]
    print("\n".join(lines), flush=True)
    for n in ns:
        row = run(n, dim, repeats, skip)
        cells = " | ".join(f"{row[c]:.3f}" for c in COLUMNS)
        botorch, optuna = (
            row["apogee warm"] / row["BoTorch"],
            row["apogee warm"] / row["Optuna warm"],
        )
        lines.append(f"| {n} | {cells} | {botorch:.2f} | {optuna:.2f} |")
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="*", default=[50, 100, 200, 400, 1000])
    parser.add_argument("--dim", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-botorch-above", type=int, default=10**9)
    parser.add_argument("--alone-dim", type=int, default=50)
    parser.add_argument("--alone-n", type=int, default=1000)
    parser.add_argument("--out", help="also write the tables to this markdown file")
    args = parser.parse_args()
    torch.set_num_threads(1)
    run(12, args.dim, 1, args.skip_botorch_above)  # warm-up: imports and first-call costs
    before = load()
    setup = (f"python {platform.python_version()}, torch {torch.__version__}, "
             f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
             f"1 torch thread; medians over {args.repeats} repeats")  # fmt: skip
    print(setup + "; before: " + before, flush=True)
    skip = args.skip_botorch_above
    lines = comparison_table(args.n, args.dim, args.repeats, skip) if args.n else []
    wall, cpu = run_alone(args.alone_n, args.alone_dim, args.repeats)
    alone = [
        "| d | n | apogee cold, wall (s) | apogee cold, CPU (s) |",
        "|---|---|---|---|",
        f"| {args.alone_dim} | {args.alone_n} | {wall:.3f} | {cpu:.3f} |",
    ]
    after = load()
    print("\n".join(alone) + "\nafter: " + after, flush=True)
    if args.out:
        _write(args, setup, before, after, lines, alone)


def _write(
    args: argparse.Namespace,
    setup: str,
    before: str,
    after: str,
    lines: list[str],
    alone: list[str],
) -> None:
    options = [
        f"--n {' '.join(map(str, args.n))}",
        f"--dim {args.dim}",
        f"--repeats {args.repeats}",
        f"--alone-dim {args.alone_dim}",
        f"--alone-n {args.alone_n}",
        f"--out {args.out}",
    ]
    command = "python benchmarks/gp_suggest_time.py " + " ".join(options)
    text = [
        "# Time per suggestion (model fit + acquisition optimization) against n",
        "",
        f"Made by `{command}`. {setup}. Before the run: {before}; after: {after}.",
        "Histories: uniform random points of [-5, 5]^d scored by Ackley (see the script's",
        "docstring for what cold and warm mean).",
        "",
        f"## d = {args.dim}: apogee `gp`, BoTorch's standard loop, Optuna `GPSampler`",
        "",
        *lines,
        "",
        "## apogee alone at scale",
        "",
        *alone,
        "",
    ]
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(text))


if __name__ == "__main__":
    main()
